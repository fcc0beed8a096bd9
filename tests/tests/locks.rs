//! Locked structure, enforced by the server on the wire: an update that would change a locked
//! item is refused whole (not applied, stored or forwarded) and its sender is closed to resync
//! (code 4009), while updates that touch only unlocked items go through. Tested with a stock
//! Yjs client holding an editor link (which knows nothing of locks) and with crafted updates
//! from a Rust replica.

use anyhow::{Context, ensure};
use huddle_shared::facilitation::{Command, Event, Request};
use huddle_shared::model::{Board, BoardSnapshot, NewNote};
use huddle_shared::wire::{self, HuddleMessage};
use huddle_tests::client::Client;
use huddle_tests::http;
use huddle_tests::js;
use huddle_tests::rounds::Team;
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;
use serde_json::json;
use yrs::{ReadTxn, Transact};

/// The close code for an update that touched a locked item.
const LOCKED: u16 = 4009;

/// A connection of `person` that speaks facilitation.
async fn facilitation_tab(
    server: &TestServer,
    team: &Team,
    person: &Visitor,
) -> anyhow::Result<Client> {
    let client = Client::connect_as(
        &server.ws_url_bare(&team.board),
        Board::new(),
        &[("Cookie", &person.cookie)],
    )
    .await?;
    client.wait_synced().await?;
    Ok(client)
}

/// Sends a facilitation command and waits for its answer: `Ok(())` or the refusal.
async fn ask(client: &Client, req: u64, cmd: Command) -> anyhow::Result<Result<(), String>> {
    let frame = wire::encode_huddle(&HuddleMessage::FacilitationRequest(Request { req, cmd }));
    client.send_raw(frame);
    let state = client
        .wait_state_for(|s| {
            s.fac_events.iter().any(
                |e| matches!(e, Event::Ack { req: r } | Event::Refused { req: r, .. } if *r == req),
            )
        })
        .await?;
    state
        .fac_events
        .iter()
        .find_map(|e| match e {
            Event::Ack { req: r } if *r == req => Some(Ok(())),
            Event::Refused { req: r, reason } if *r == req => Some(Err(reason.clone())),
            _ => None,
        })
        .context("answer vanished")
}

fn note(text: &str, x: f64) -> NewNote {
    NewNote {
        pos: [x, 0.0],
        text: text.into(),
        author: "test".into(),
        ..Default::default()
    }
}

async fn exported(server: &TestServer, board: &str) -> anyhow::Result<BoardSnapshot> {
    let res = http::get(server.addr(), &format!("/api/boards/{board}/export.json")).await?;
    ensure!(res.status == 200, "export: {} {}", res.status, res.body);
    Ok(serde_json::from_str(&res.body)?)
}

/// A locked note cannot be moved, edited or deleted by an editor's stock Yjs client or by
/// crafted updates; unlocked notes can; the facilitator can; the disk keeps the item as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_items_refuse_other_peoples_updates() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let owner = facilitation_tab(&server, &team, &team.owner).await?;
    let (locked, free) = owner.edit(|b, txn| -> anyhow::Result<_> {
        Ok((
            b.create_note(txn, note("locked", 0.0))?,
            b.create_note(txn, note("free", 300.0))?,
        ))
    })?;
    owner.save().await?;

    // An editor may not lock; the owner (the facilitator) may.
    let editor = facilitation_tab(&server, &team, &ed).await?;
    let refused = ask(
        &editor,
        1,
        Command::Lock {
            items: vec![locked.clone()],
            placement: false,
        },
    )
    .await?;
    ensure!(refused.is_err(), "an editor locked an item");
    ask(
        &owner,
        1,
        Command::Lock {
            items: vec![locked.clone()],
            placement: false,
        },
    )
    .await?
    .map_err(anyhow::Error::msg)?;
    editor
        .wait_until(|s| s.locks.contains_key(&locked))
        .await
        .context("the lock did not reach the editor's replica")?;

    // The stock JS client (editor link): moving the locked note is refused, and it is closed.
    let key = team.key("editor")?.to_owned();
    let out = js::run(
        &server.ws_base(),
        &team.board,
        Some(&key),
        json!([
            {"op": "wait_synced"},
            {"op": "move", "id": locked, "x": 999, "y": 999},
            {"op": "wait_for_denial"},
            {"op": "sleep", "ms": 300},
            {"op": "dump_events"},
            {"op": "forget_changes"},
        ]),
    )
    .await?;
    let denials = out[0]["denials"].to_string();
    ensure!(denials.contains("locked"), "not told why: {}", out[0]);
    let closes = out[0]["closes"].as_array().context("closes")?;
    ensure!(
        closes.iter().any(|c| c["code"] == LOCKED),
        "not closed with {LOCKED}: {}",
        out[0]
    );
    // A fresh stock client moving only the unlocked note goes through.
    let out = js::run(
        &server.ws_base(),
        &team.board,
        Some(&key),
        json!([
            {"op": "wait_synced"},
            {"op": "move", "id": free, "x": 500, "y": 50},
            {"op": "flush"},
            {"op": "dump_events"},
        ]),
    )
    .await?;
    ensure!(
        out[0]["denials"] == json!([]),
        "an unlocked move was refused: {}",
        out[0]
    );
    owner
        .wait_until(|s| s.items.get(&free).is_some_and(|i| i.pos == [500.0, 50.0]))
        .await
        .context("the unlocked move did not arrive")?;

    // Crafted updates from a Rust replica: text, delete, and one mixing a locked and an
    // unlocked change; each is refused whole and closes the sender.
    type Edit = Box<dyn Fn(&Board, &mut yrs::TransactionMut)>;
    let (l, f) = (locked.clone(), free.clone());
    let edits: Vec<(&str, Edit)> = vec![
        (
            "typing into it",
            Box::new({
                let l = l.clone();
                move |b, txn| drop(b.insert_text(txn, &l, 0, "X"))
            }),
        ),
        (
            "deleting it",
            Box::new({
                let l = l.clone();
                move |b, txn| drop(b.delete_item(txn, &l))
            }),
        ),
        (
            "resizing it",
            Box::new({
                let l = l.clone();
                move |b, txn| drop(b.resize_item(txn, &l, [400.0, 400.0]))
            }),
        ),
        (
            "moving it and the free note at once",
            Box::new({
                let (l, f) = (l.clone(), f.clone());
                move |b, txn| {
                    drop(b.move_item(txn, &f, [1.0, 1.0]));
                    drop(b.move_item(txn, &l, [2.0, 2.0]));
                }
            }),
        ),
    ];
    for (what, edit) in &edits {
        let forger = facilitation_tab(&server, &team, &ed).await?;
        forger.edit(|b, txn| edit(b, txn));
        let (code, reason) = forger
            .closed()
            .await
            .with_context(|| format!("{what}: not closed"))?;
        ensure!(
            code == LOCKED && reason.contains("locked"),
            "{what}: closed with {code} {reason}"
        );
    }
    owner.save().await?;
    let snap = owner.snapshot();
    let item = snap.items.get(&locked).context("the locked note is gone")?;
    ensure!(
        item.text == "locked" && item.pos == [0.0, 0.0],
        "the locked note changed: {item:?}"
    );
    ensure!(
        snap.items[&free].pos == [500.0, 50.0],
        "the mixed update moved the free note"
    );

    // The facilitator may change a locked item; after that the index still knows the item
    // (a later editor's edit of the new text is refused).
    owner.edit(|b, txn| b.insert_text(txn, &locked, 6, "!"))?;
    owner.save().await?;
    let forger = facilitation_tab(&server, &team, &ed).await?;
    forger.edit(|b, txn| drop(b.insert_text(txn, &locked, 7, "?")));
    ensure!(
        forger.closed().await?.0 == LOCKED,
        "an edit after the facilitator's went through"
    );

    // On disk: after a restart the locked note is as the facilitator left it.
    ensure!(server.stop()? == 0, "unclean exit");
    server.restart()?;
    let stored = exported(&server, &team.board).await?;
    let item = stored
        .items
        .get(&locked)
        .context("the locked note is gone from disk")?;
    ensure!(
        item.text == "locked!" && item.pos == [0.0, 0.0],
        "on disk: {item:?}"
    );
    ensure!(
        stored.locks.contains_key(&locked),
        "the lock is not on disk"
    );

    // Unlocked, the editor may move it.
    let owner = facilitation_tab(&server, &team, &team.owner).await?;
    ask(
        &owner,
        2,
        Command::Unlock {
            items: vec![locked.clone()],
        },
    )
    .await?
    .map_err(anyhow::Error::msg)?;
    let editor = facilitation_tab(&server, &team, &ed).await?;
    editor.wait_until(|s| s.locks.is_empty()).await?;
    editor.edit(|b, txn| b.move_item(txn, &locked, [7.0, 7.0]))?;
    editor.save().await?;
    owner
        .wait_until(|s| s.items[&locked].pos == [7.0, 7.0])
        .await
        .context("the unlocked note did not move")?;
    Ok(())
}

/// A story map whose backbone is locked still takes stories into its cells; locked for
/// placement too, it refuses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_backbone_takes_stories_unless_locked_for_placement() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let owner = facilitation_tab(&server, &team, &team.owner).await?;
    let (map, activity, step, story1, story2) = owner.edit(|b, txn| -> anyhow::Result<_> {
        let map = b.create_story_map(txn, [0.0, 0.0], "Map", "Olga", 0.0)?;
        let activity = b.add_activity(txn, &map, None, "Sign up", "Olga", 0.0)?;
        let step = b.add_step(txn, &activity, None, "Enter email", "Olga", 0.0)?;
        let s1 = b.create_note(txn, note("story one", 2000.0))?;
        let s2 = b.create_note(txn, note("story two", 2300.0))?;
        Ok((map, activity, step, s1, s2))
    })?;
    owner.save().await?;
    let backbone = vec![map.clone(), activity.clone(), step.clone()];
    ask(
        &owner,
        1,
        Command::Lock {
            items: backbone.clone(),
            placement: false,
        },
    )
    .await?
    .map_err(anyhow::Error::msg)?;

    let editor = facilitation_tab(&server, &team, &ed).await?;
    editor.wait_until(|s| s.locks.len() == 3).await?;
    // Renaming the step is refused...
    editor.edit(|b, txn| drop(b.rename_map_part(txn, &step, "Renamed")));
    ensure!(
        editor.closed().await?.0 == LOCKED,
        "a locked step was renamed"
    );
    // ...placing a story into its cell is not.
    let editor = facilitation_tab(&server, &team, &ed).await?;
    editor.wait_until(|s| s.locks.len() == 3).await?;
    editor.edit(|b, txn| b.place_story(txn, &story1, &step, None, None))?;
    editor.save().await?;
    ensure!(
        editor.state().closed.is_none(),
        "placing a story was refused"
    );
    owner
        .wait_until(|s| s.items[&story1].place.is_some())
        .await
        .context("the placement did not arrive")?;

    // Locked for placement: a second story may not go in.
    ask(
        &owner,
        2,
        Command::Lock {
            items: vec![map.clone()],
            placement: true,
        },
    )
    .await?
    .map_err(anyhow::Error::msg)?;
    editor
        .wait_until(|s| s.locks.get(&map).is_some_and(|l| l.placement))
        .await?;
    editor.edit(|b, txn| drop(b.place_story(txn, &story2, &step, None, None)));
    ensure!(
        editor.closed().await?.0 == LOCKED,
        "a story was placed into a map locked for placement"
    );
    owner.save().await?;
    ensure!(
        owner.snapshot().items[&story2].place.is_none(),
        "the refused placement arrived"
    );
    Ok(())
}

/// Two of the facilitator's tabs move a locked note concurrently: yrs drops one of the two
/// positions itself when it applies the second, a deletion that is in no received update.
/// An editor who then opens the board repeats that deletion in its sync step 2; it must
/// count as nothing new, not as a change to the locked note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_facilitator_edits_of_a_locked_note_do_not_lock_out_editors()
-> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Olga Owner").await?;
    let ed = team.member(&server, "editor", "Ed Editor").await?;
    let owner = facilitation_tab(&server, &team, &team.owner).await?;
    let locked = owner.edit(|b, txn| b.create_note(txn, note("locked", 0.0)))?;
    owner.save().await?;
    ask(
        &owner,
        1,
        Command::Lock {
            items: vec![locked.clone()],
            placement: false,
        },
    )
    .await?
    .map_err(anyhow::Error::msg)?;
    // A second tab of hers, offline, with the board as it is now.
    let offline = replica_of(&owner.board)?;
    offline.move_item(&mut offline.transact_mut(), &locked, [5.0, 5.0])?;
    // An editor's edit first makes the server build its lock index.
    let editor = facilitation_tab(&server, &team, &ed).await?;
    let free = editor.edit(|b, txn| b.create_note(txn, note("free", 300.0)))?;
    editor.save().await?;
    owner.edit(|b, txn| b.move_item(txn, &locked, [9.0, 9.0]))?;
    owner.save().await?;
    let second = Client::connect_as(
        &server.ws_url_bare(&team.board),
        offline,
        &[("Cookie", &team.owner.cookie)],
    )
    .await?;
    second.wait_synced().await?;
    second.save().await?;
    owner.save().await?;
    // An editor who comes back with a copy of the board as it is now: its step 2 carries
    // the board's delete set, the dropped position included.
    let copy = replica_of(&owner.board)?;
    let fresh = Client::connect_as(
        &server.ws_url_bare(&team.board),
        copy,
        &[("Cookie", &ed.cookie)],
    )
    .await?;
    fresh.wait_synced().await?;
    fresh.edit(|b, txn| b.move_item(txn, &free, [1.0, 2.0]))?;
    fresh.save().await?;
    ensure!(
        fresh.state().closed.is_none() && fresh.state().denials.is_empty(),
        "a fresh editor was refused: {:?} {:?}",
        fresh.state().closed,
        fresh.state().denials
    );
    Ok(())
}

/// A new replica holding everything `board` holds (a tab that was here before).
fn replica_of(board: &Board) -> anyhow::Result<Board> {
    let state = board
        .doc()
        .transact()
        .encode_state_as_update_v1(&yrs::StateVector::default());
    let copy = Board::new();
    let update = yrs::updates::decoder::Decode::decode_v1(&state)?;
    copy.doc().transact_mut().apply_update(update)?;
    Ok(copy)
}
