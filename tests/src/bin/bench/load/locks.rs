//! The board and the lock of the `locks` scenario (issue 13). While a board has locks, the
//! room walks every update of a participant who may not change locked items against its lock
//! index before applying it; this is what the scenario measures, so everything here makes sure
//! that the walk really happens, or really does not:
//!
//! - [`seed`]: the workload's board (its notes, on disk as usual) plus a story map's backbone
//!   of [`ACTIVITIES`] x [`STEPS`] and [`RELEASES`] release slices, the structure a facilitator
//!   locks. The participants move notes only (never the backbone), so their writes all go
//!   through and the run's checks (no lost update, identical replicas) still hold.
//! - [`prepare`], before anyone joins: the participants are made editors (an owner's update is
//!   never walked, and the load generator otherwise connects as the admin, an owner); as the
//!   admin, the whole backbone is locked with `Command::Lock` and the Ack awaited, then the
//!   lock is read back from the document; and an editor on the participants' own URL moves the
//!   locked map, which the server must refuse with close code [`LOCKED_CLOSE`]. Without the
//!   lock the same probe must be saved. Any of this going otherwise is a problem that fails
//!   the scenario: a comparison against locks that were not there would mean nothing.
//! - [`check_after`]: every participant's replica ended with the board's lock entries (all of
//!   the backbone, or none).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use huddle_shared::facilitation::{Command, Event, Request};
use huddle_shared::model::{Board, ItemKind};
use huddle_shared::wire::{self, HuddleMessage};
use huddle_tests::client::Client;
use yrs::{ReadTxn, StateVector, Transact};

use super::driver::Run;
use super::participant::Spec;
use super::server::Server;
use super::{seed, vote};
use crate::fixtures::board_with_notes;

/// The backbone: a story map of 10 activities of 5 steps each (the `storymap` bench's shape),
/// and 3 release slices. With the map itself, 64 locked items.
const ACTIVITIES: usize = 10;
const STEPS: usize = 5;
const RELEASES: usize = 3;
/// Where the map sits: above the notes' grid, which starts at (0, 0) and grows right and down.
const MAP_POS: [f64; 2] = [0.0, -4_000.0];
/// Where the probe tries to move the map to.
const PROBE_POS: [f64; 2] = [500.0, -4_500.0];
/// The admin's connection sends one facilitation request: the Lock.
const LOCK_REQ: u64 = 1;
/// The server's close code for an update that touched a locked item (it resyncs).
const LOCKED_CLOSE: u16 = 4009;

/// One run's backbone: locked, or left unlocked (the baseline).
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub lock: bool,
}

/// What [`prepare`] did and saw.
#[derive(Debug)]
pub struct Outcome {
    pub plan: Plan,
    /// The backbone's items on the board (map, activities, steps, slices).
    pub backbone: usize,
    /// Lock sent -> Ack (ms), when locked and acknowledged.
    pub ack_ms: Option<f64>,
    /// Backbone items in the board's `locks` map, as the admin's replica read it afterwards.
    pub locked_seen: usize,
    /// What the editor's probe write to the map got: a close (code, reason) or "saved".
    pub probe: String,
    /// Why the run would not compare what it says it does (none when all went as planned).
    pub problems: Vec<String>,
}

/// Stores the workload's board of `notes` notes, plus the backbone, under each id.
pub fn seed(dir: &Path, ids: &[String], notes: usize) -> anyhow::Result<()> {
    let board = with_backbone(notes)?;
    let state = board
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    seed::store(dir, ids, &state)
}

/// The fixture board of `notes` notes with the backbone added.
pub(super) fn with_backbone(notes: usize) -> anyhow::Result<Board> {
    let (board, _) = board_with_notes(notes);
    {
        let mut txn = board.transact_mut();
        let map = board.create_story_map(&mut txn, MAP_POS, "Backbone", "bench", 0.0)?;
        for a in 0..ACTIVITIES {
            let name = format!("Activity {a}");
            let activity = board.add_activity(&mut txn, &map, None, &name, "bench", 0.0)?;
            for s in 0..STEPS {
                let name = format!("Step {a}.{s}");
                board.add_step(&mut txn, &activity, None, &name, "bench", 0.0)?;
            }
        }
        for r in 0..RELEASES {
            board.add_release(&mut txn, &map, None, &format!("Release {r}"), "bench", 0.0)?;
        }
    }
    Ok(board)
}

/// Makes every participant an editor of its board (an editor link's key in its URL), and
/// locks each board's backbone or shows it unlocked, as `plan` says. Errors are for a server
/// that cannot be talked to at all; what went against the plan is in `problems`.
pub async fn prepare(plan: Plan, server: &Server, specs: &mut [Spec]) -> anyhow::Result<Outcome> {
    let mut out = Outcome {
        plan,
        backbone: 0,
        ack_ms: None,
        locked_seen: 0,
        probe: String::new(),
        problems: Vec::new(),
    };
    let boards: BTreeSet<String> = specs.iter().map(|s| s.board.clone()).collect();
    for board in &boards {
        let key = vote::editor_key(server, board).await?;
        let path = format!("/ws/{board}?key={key}");
        for spec in specs.iter_mut().filter(|s| &s.board == board) {
            spec.path.clone_from(&path);
        }
        let backbone = lock(plan, server, board, &mut out).await?;
        if let Some(map) = backbone.first() {
            probe(plan, server, &path, map, &mut out).await?;
        }
    }
    Ok(out)
}

/// As the admin: reads the backbone's ids (the map first) and, if the plan says so, locks it
/// and reads the lock back from the document.
async fn lock(
    plan: Plan,
    server: &Server,
    board: &str,
    out: &mut Outcome,
) -> anyhow::Result<Vec<String>> {
    let admin =
        Client::connect(&format!("ws://{}{}", server.addr(), server.ws_path(board))).await?;
    admin.wait_synced().await?;
    let backbone = backbone_of(&admin.board);
    out.backbone = backbone.len();
    let planned = 1 + ACTIVITIES * (1 + STEPS) + RELEASES;
    if backbone.len() != planned {
        out.problems.push(format!(
            "{board} holds {} backbone items, {planned} were seeded",
            backbone.len()
        ));
    }
    if plan.lock && !backbone.is_empty() {
        let cmd = Command::Lock {
            items: backbone.clone(),
            placement: false,
        };
        let sent = Instant::now();
        admin.send_raw(wire::encode_huddle(&HuddleMessage::FacilitationRequest(
            Request { req: LOCK_REQ, cmd },
        )));
        let answered = admin
            .wait_state_for(|s| s.fac_events.iter().any(|e| answers(e).is_some()))
            .await;
        match answered.map(|s| s.fac_events.iter().find_map(answers)) {
            Ok(Some(Ok(()))) => out.ack_ms = Some(sent.elapsed().as_secs_f64() * 1e3),
            Ok(Some(Err(reason))) => out.problems.push(format!(
                "the Lock of {board}'s backbone was refused: {reason}"
            )),
            Ok(None) | Err(_) => out
                .problems
                .push(format!("the Lock of {board}'s backbone got no answer")),
        }
        if out.ack_ms.is_some() {
            let all = |s: &huddle_shared::model::BoardSnapshot| {
                backbone.iter().all(|id| s.locks.contains_key(id))
            };
            if admin.wait_until(all).await.is_err() {
                out.problems.push(format!(
                    "the Lock was acknowledged but {board}'s `locks` map never held the whole backbone"
                ));
            }
        }
    }
    out.locked_seen = locked_in(&admin.board, &backbone);
    if !plan.lock && out.locked_seen > 0 {
        out.problems.push(format!(
            "{} backbone items of {board} are locked in the run without locks",
            out.locked_seen
        ));
    }
    admin.close().await;
    Ok(backbone)
}

/// The answer to the Lock among the admin's facilitation events: Ok, or the refusal.
fn answers(event: &Event) -> Option<Result<(), String>> {
    match event {
        Event::Ack { req } if *req == LOCK_REQ => Some(Ok(())),
        Event::Refused { req, reason } if *req == LOCK_REQ => Some(Err(reason.clone())),
        _ => None,
    }
}

/// An editor on the participants' URL moves the story map: refused and closed when it is
/// locked, saved when it is not. This is what shows that the participants' updates are walked.
async fn probe(
    plan: Plan,
    server: &Server,
    path: &str,
    map: &str,
    out: &mut Outcome,
) -> anyhow::Result<()> {
    let editor = Client::connect(&format!("ws://{}{path}", server.addr())).await?;
    editor.wait_synced().await?;
    editor.edit(|b, txn| b.move_item(txn, map, PROBE_POS))?;
    if plan.lock {
        match editor.closed().await {
            Ok((code, reason)) => {
                out.probe = format!("closed {code} {reason:?}");
                if code != LOCKED_CLOSE {
                    out.problems.push(format!(
                        "an editor moving the locked map was closed with {code}, not {LOCKED_CLOSE}: {reason}"
                    ));
                }
            }
            Err(e) => out.problems.push(format!(
                "an editor moved the locked map and was not closed: the lock is not enforced on the participants ({e:#})"
            )),
        }
    } else {
        match (editor.save().await, editor.state().closed) {
            (Ok(()), None) => out.probe = "saved".into(),
            (saved, closed) => out.problems.push(format!(
                "an editor moving the unlocked map was not saved: {saved:?}, closed: {closed:?}"
            )),
        }
    }
    editor.close().await;
    Ok(())
}

/// The backbone's ids: the story map first, then its activities, steps and slices.
pub(super) fn backbone_of(board: &Board) -> Vec<String> {
    let txn = board.doc().transact();
    let rank = |kind: Option<ItemKind>| match kind {
        Some(ItemKind::StoryMap) => Some(0),
        Some(ItemKind::Activity | ItemKind::Step | ItemKind::Release) => Some(1),
        _ => None,
    };
    let mut parts: Vec<(u8, String)> = board
        .item_ids(&txn)
        .into_iter()
        .filter_map(|id| Some((rank(board.kind_of(&txn, &id))?, id)))
        .collect();
    parts.sort();
    parts.into_iter().map(|(_, id)| id).collect()
}

/// How many of `items` the board's `locks` map holds.
fn locked_in(board: &Board, items: &[String]) -> usize {
    let locks = board.locks(&board.doc().transact());
    items.iter().filter(|id| locks.contains_key(*id)).count()
}

/// After the run: every participant's replica holds the lock of every backbone item (none in
/// a run without locks); each deviation is a problem.
pub fn check_after(run: &Run) -> Vec<String> {
    let Some(locks) = &run.locks else {
        return vec!["the run has no lock outcome".into()];
    };
    let expected = if locks.plan.lock { locks.backbone } else { 0 };
    let wrong: Vec<String> = run
        .outcomes
        .iter()
        .filter_map(|o| {
            let backbone = backbone_of(&o.replica.board);
            let seen = locked_in(&o.replica.board, &backbone);
            (seen != expected || backbone.len() != locks.backbone).then(|| {
                format!(
                    "participant {}: {seen} of {} locked",
                    o.spec.index,
                    backbone.len()
                )
            })
        })
        .collect();
    match wrong.first() {
        None => Vec::new(),
        Some(first) => vec![format!(
            "{} replica(s) ended without the board's locks ({expected} expected); first: {first}",
            wrong.len()
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backbone_is_every_part_of_the_map_and_no_note() {
        let board = with_backbone(20).unwrap();
        let backbone = backbone_of(&board);
        assert_eq!(backbone.len(), 1 + ACTIVITIES * (1 + STEPS) + RELEASES);
        let txn = board.doc().transact();
        assert_eq!(board.kind_of(&txn, &backbone[0]), Some(ItemKind::StoryMap));
        assert!(backbone[1..].iter().all(|id| {
            board.kind_of(&txn, id) != Some(ItemKind::Note)
                && board.kind_of(&txn, id) != Some(ItemKind::StoryMap)
        }));
        assert_eq!(board.item_count(&txn) as usize, 20 + backbone.len());
    }

    #[test]
    fn an_unlocked_board_counts_no_lock() {
        let board = with_backbone(1).unwrap();
        assert_eq!(locked_in(&board, &backbone_of(&board)), 0);
    }
}
