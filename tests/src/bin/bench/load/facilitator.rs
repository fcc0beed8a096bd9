//! The facilitator of the `vote` scenario: Huddle's admin (who may open and reveal rounds) on
//! one more connection in W1's room. It syncs the board once to pick the notes to vote on,
//! opens a dot round on them shortly after W1 starts sending, and reveals it once every
//! voter's casts are answered (or at a cap, so a stuck cast cannot hold the run), noting the
//! moment it sends Reveal: the start of "reveal to everyone".

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use huddle_shared::model::{Board, ItemKind};
use huddle_shared::rounds::{Command, Event, Kind, RoundResult, Scope, Settings};
use tokio::time::Instant;
use yrs::Transact;

use super::ballots::REFERENCE_WINDOW;
use super::conn::Close;
use super::participant::Phase;
use super::voter::{RoundConn, Seat, Seen, VoteShared, result_in};

/// When the round opens, after W1 starts sending (for a [`REFERENCE_WINDOW`]; scaled).
const OPEN_AFTER: Duration = Duration::from_secs(1);
/// The latest the round is revealed, even if casts are still unanswered (scaled).
const REVEAL_BY: Duration = Duration::from_secs(16);
/// Pause between the last cast's answer and the reveal, as a facilitator would wait a moment.
const REVEAL_PAUSE: Duration = Duration::from_millis(500);
/// How often the facilitator looks whether every cast is answered.
const POLL: Duration = Duration::from_millis(20);

/// What the facilitator did and saw, in ledger time.
#[derive(Debug, Default)]
pub struct FacilitatorOutcome {
    pub round: Option<String>,
    pub open_sent_ns: Option<u64>,
    pub open_acked_ns: Option<u64>,
    pub reveal_sent_ns: Option<u64>,
    pub reveal_acked_ns: Option<u64>,
    /// Casts answered when Reveal was sent, of the planned total.
    pub answered_at_reveal: usize,
    pub closed_at_ns: Option<u64>,
    /// When the update with the result in the `rounds` map arrived, and the result.
    pub result_at_ns: Option<u64>,
    pub result: Option<RoundResult>,
    pub refused: Vec<String>,
    pub close: Option<Close>,
    pub error: Option<String>,
}

/// What the facilitator does in a run.
#[derive(Debug, Clone, Copy)]
pub struct Script {
    /// Notes the round is opened on.
    pub notes: usize,
    /// Voters x casts: how many answers to wait for before revealing.
    pub casts_total: usize,
    /// Open and reveal a round (false: only be present, as the voters then are).
    pub voting: bool,
    /// The run's sending window (the timeline is scaled down for windows under 20 s).
    pub window: Duration,
}

/// Runs the facilitator until the run stops sending (the voters learn of the round from the
/// server, as people do).
pub async fn run(seat: Seat, script: Script, vote: Arc<VoteShared>) -> FacilitatorOutcome {
    let mut out = FacilitatorOutcome::default();
    let mut conn = match RoundConn::open(&seat).await {
        Ok(conn) => conn,
        Err(e) => {
            out.error = Some(format!("facilitator: connect: {e:#}"));
            vote.ended.fetch_add(1, Relaxed);
            return out;
        }
    };
    let scale = (script.window.as_secs_f64() / REFERENCE_WINDOW.as_secs_f64()).min(1.0);
    let ledger = &vote.run.ledger;
    let mut phase = vote.run.phase.clone();
    phase.mark_changed();
    let mut targets: Option<Vec<String>> = None;
    let (mut hello, mut ready) = (false, false);
    let (mut open_at, mut reveal_at): (Option<Instant>, Option<Instant>) = (None, None);
    let (mut open_req, mut reveal_req) = (None, None);
    let mut poll = tokio::time::interval(POLL);
    let ended = loop {
        let waiting = open_req.is_some() && out.round.is_some() && reveal_req.is_none();
        tokio::select! {
            changed = phase.changed() => {
                if changed.is_err() {
                    break false;
                }
                let now = *phase.borrow_and_update();
                match now {
                    Phase::Run { start } if script.voting && open_req.is_none() => {
                        open_at = Some(start + OPEN_AFTER.mul_f64(scale));
                    }
                    Phase::Drain | Phase::Done => break false,
                    _ => {}
                }
            }
            () = sleep_until(open_at) => {
                open_at = None;
                let Some(targets) = targets.clone() else {
                    out.error = Some("facilitator: the round was due before the board had synced".into());
                    continue;
                };
                let settings = Settings {
                    title: "What do we refine first?".into(),
                    ..Settings::new(Kind::Dots)
                };
                let cmd = Command::Open { settings, targets, scope: Scope::Selection, area: None };
                out.open_sent_ns = Some(ledger.now_ns());
                match conn.request(cmd, ledger.now_ns()).await {
                    Ok(req) => open_req = Some(req),
                    Err(close) => { out.close = Some(close); break true; }
                }
                reveal_at = Some(Instant::now() + REVEAL_BY.saturating_sub(OPEN_AFTER).mul_f64(scale));
            }
            _ = poll.tick(), if waiting => {
                if vote.casts_answered.load(Relaxed) >= script.casts_total {
                    let soon = Instant::now() + REVEAL_PAUSE;
                    reveal_at = Some(reveal_at.map_or(soon, |at| at.min(soon)));
                }
            }
            () = sleep_until(reveal_at), if out.round.is_some() => {
                reveal_at = None;
                let Some(id) = out.round.clone() else { continue };
                out.answered_at_reveal = vote.casts_answered.load(Relaxed);
                out.reveal_sent_ns = Some(ledger.now_ns());
                match conn.request(Command::Reveal { round: id }, ledger.now_ns()).await {
                    Ok(req) => reveal_req = Some(req),
                    Err(close) => { out.close = Some(close); break true; }
                }
            }
            seen = conn.next(&vote.run, out.round.as_deref()) => {
                let (at, seen) = match seen {
                    Ok(seen) => seen,
                    Err(close) => { out.close = Some(close); break true; }
                };
                for s in seen {
                    match s {
                        Seen::Step1 => if let Err(close) = conn.answer_step1().await {
                            out.close = Some(close);
                        },
                        Seen::Synced(update) => if targets.is_none() {
                            match notes_of(&update, script.notes) {
                                Ok(notes) => targets = Some(notes),
                                Err(e) => out.error = Some(format!("facilitator: {e}")),
                            }
                        },
                        Seen::Result(update) => {
                            if let (Some(id), None) = (&out.round, &out.result) {
                                out.result_at_ns = Some(at);
                                out.result = result_in(&update, id);
                            }
                        }
                        Seen::Event(event) => match *event {
                            Event::Ack { req, id } => {
                                conn.answered(req);
                                if req == 1 {
                                    hello = true;
                                } else if Some(req) == open_req {
                                    out.open_acked_ns = Some(at);
                                    match id {
                                        Some(id) => out.round = Some(id),
                                        None => out.error = Some("facilitator: Open was acknowledged without a round id".into()),
                                    }
                                } else if Some(req) == reveal_req {
                                    out.reveal_acked_ns = Some(at);
                                }
                            }
                            Event::Refused { req, reason } => {
                                conn.answered(req);
                                out.refused.push(format!("request {req}: {reason}"));
                            }
                            Event::Closed { round, .. } => {
                                if out.round.as_ref() == Some(&round) {
                                    out.closed_at_ns.get_or_insert(at);
                                }
                            }
                            Event::Round(_) | Event::Progress { .. } => {}
                        },
                    }
                }
                if out.close.is_some() || (out.error.is_some() && !ready) {
                    break true;
                }
                if hello && targets.is_some() && !ready {
                    ready = true;
                    vote.ready.fetch_add(1, Relaxed);
                }
            }
        }
    };
    if ended {
        vote.ended.fetch_add(1, Relaxed);
    }
    conn.close().await;
    out
}

/// The first `wanted` notes of the board in `update` (the server's sync step 2).
fn notes_of(update: &[u8], wanted: usize) -> Result<Vec<String>, String> {
    let board = Board::new();
    let decoded = huddle_shared::wire::decode_update(update).map_err(|e| e.to_string())?;
    board
        .doc()
        .transact_mut()
        .apply_update(decoded)
        .map_err(|e| e.to_string())?;
    let txn = board.doc().transact();
    let notes: Vec<String> = board
        .item_ids(&txn)
        .into_iter()
        .filter(|id| board.kind_of(&txn, id) == Some(ItemKind::Note))
        .take(wanted)
        .collect();
    if notes.len() < wanted {
        return Err(format!(
            "the board has {} notes, the round wants {wanted}",
            notes.len()
        ));
    }
    Ok(notes)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
