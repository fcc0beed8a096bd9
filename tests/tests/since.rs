//! "Since you last looked", on the wire: the server journals who changed which item as it
//! applies their updates, records what a person has seen when their last connection leaves
//! (or they mark all seen), and `GET /api/boards/{id}/since` lists exactly the others'
//! changes since then, for the same person on any device (the same person cookie).

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, ensure};
use huddle_shared::model::NewNote;
use huddle_shared::since::{ChangeKind, SinceReport};
use huddle_tests::rounds::{Team, named};
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;
use serde_json::json;

fn note(text: &str, x: f64) -> NewNote {
    NewNote {
        pos: [x, 0.0],
        text: text.into(),
        author: "test".into(),
        ..Default::default()
    }
}

async fn since(who: &Visitor, board: &str) -> anyhow::Result<SinceReport> {
    let res = who
        .call("GET", &format!("/api/boards/{board}/since"), None)
        .await?;
    ensure!(res.status == 200, "since: {} {}", res.status, res.body);
    Ok(serde_json::from_str(&res.body)?)
}

/// Waits until the server has recorded what `who` saw (their last connection left: the
/// room learns it asynchronously) at journal position `at_least` or later.
async fn wait_seen(who: &Visitor, board: &str, at_least: u64) -> anyhow::Result<SinceReport> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let report = since(who, board).await?;
        if !report.first_visit && report.changes.is_empty() && report.upto >= at_least {
            return Ok(report);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "the seen mark was not recorded: {report:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The list as (item, kinds, by) rows, sorted.
fn rows(report: &SinceReport) -> BTreeSet<(String, Vec<ChangeKind>, Vec<String>)> {
    report
        .changes
        .iter()
        .map(|c| {
            (
                c.item.clone().unwrap_or_default(),
                c.kinds.clone(),
                c.by.clone(),
            )
        })
        .collect()
}

/// B (and C) edit while A is away; A comes back and the list holds exactly their changes,
/// by whom, with titles (a deleted note's too); A's second device sees the same; after
/// "mark all seen" the next visit lists none, on either device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sees_exactly_what_others_changed_while_away() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Ann Owner").await?;
    let ann = &team.owner;
    let bob = team.member(&server, "editor", "Bob Editor").await?;
    let cid = team.member(&server, "editor", "Cid Editor").await?;
    let board = team.board.as_str();

    // Ann's first visit: nothing to list. She writes the notes, then closes the page.
    let first = since(ann, board).await?;
    ensure!(first.first_visit && first.changes.is_empty(), "{first:?}");
    let a = ann.join(board, None).await?;
    let [edit, moved, gone, other, kept] = a.edit(|b, txn| -> anyhow::Result<_> {
        Ok([
            b.create_note(txn, note("Edit me", 0.0))?,
            b.create_note(txn, note("Move me", 300.0))?,
            b.create_note(txn, note("Delete me\nplease", 600.0))?,
            b.create_note(txn, note("Cid's", 900.0))?,
            b.create_note(txn, note("Untouched", 1200.0))?,
        ])
    })?;
    a.save().await?;
    a.close().await;
    let seen = wait_seen(ann, board, 0).await?;
    ensure!(seen.since.is_some(), "{seen:?}");

    // While she is away: Bob creates, edits, moves, deletes; Cid edits another note.
    let b = bob.join(board, None).await?;
    let created = b.edit(|bd, txn| -> anyhow::Result<_> {
        let id = bd.create_note(txn, note("New from Bob", 50.0))?;
        bd.insert_text(txn, &edit, 0, "Edited: ")?;
        bd.move_item(txn, &moved, [333.0, 44.0])?;
        bd.delete_item(txn, &gone)?;
        Ok(id)
    })?;
    // More keystrokes and moves of the same notes: still one row each.
    for i in 0..5 {
        b.edit(|bd, txn| -> anyhow::Result<_> {
            bd.insert_text(txn, &edit, 0, "x")?;
            bd.move_item(txn, &moved, [333.0 + f64::from(i), 44.0])?;
            Ok(())
        })?;
    }
    b.save().await?;
    let c = cid.join(board, None).await?;
    c.edit(|bd, txn| bd.insert_text(txn, &other, 0, "Cid: "))?;
    c.save().await?;
    b.close().await;
    c.close().await;

    let report = since(ann, board).await?;
    let bob_name = vec!["Bob Editor".to_owned()];
    let expected: BTreeSet<_> = [
        (created.clone(), vec![ChangeKind::Created], bob_name.clone()),
        (edit.clone(), vec![ChangeKind::Edited], bob_name.clone()),
        (moved.clone(), vec![ChangeKind::Moved], bob_name.clone()),
        (gone.clone(), vec![ChangeKind::Deleted], bob_name.clone()),
        (
            other.clone(),
            vec![ChangeKind::Edited],
            vec!["Cid Editor".to_owned()],
        ),
    ]
    .into_iter()
    .collect();
    ensure!(rows(&report) == expected, "listed {:#?}", report.changes);
    ensure!(
        !rows(&report).iter().any(|r| r.0 == kept),
        "untouched listed"
    );
    let row = |id: &str| {
        report
            .changes
            .iter()
            .find(|c| c.item.as_deref() == Some(id))
    };
    ensure!(
        row(&gone).context("deleted")?.title == "Delete me",
        "{report:?}"
    );
    ensure!(row(&created).context("created")?.title == "New from Bob");
    ensure!(row(&edit).context("edited")?.title == "xxxxxEdited: Edit me");
    ensure!(row(&moved).context("moved")?.pos == Some([337.0, 44.0]));
    ensure!(row(&created).context("who")?.people == vec![bob.id.clone()]);
    ensure!(!report.truncated);

    // Ann's second device (the same person): the same list, with the page open there.
    let phone = ann.join(board, None).await?;
    let on_phone = since(ann, board).await?;
    ensure!(rows(&on_phone) == expected, "second device: {on_phone:?}");

    // A change after the report she marks seen stays new.
    let b = bob.join(board, None).await?;
    b.edit(|bd, txn| bd.move_item(txn, &kept, [1.0, 2.0]))?;
    b.save().await?;
    let res = ann
        .call(
            "POST",
            &format!("/api/boards/{board}/seen"),
            Some(json!({ "upto": on_phone.upto })),
        )
        .await?;
    ensure!(res.status == 200, "seen: {} {}", res.status, res.body);
    let after = since(ann, board).await?;
    let expected_after: BTreeSet<_> = [(kept.clone(), vec![ChangeKind::Moved], bob_name.clone())]
        .into_iter()
        .collect();
    ensure!(rows(&after) == expected_after, "after mark seen: {after:?}");

    // Mark all seen (no body): nothing listed, on either device, also after she leaves.
    let res = ann
        .call("POST", &format!("/api/boards/{board}/seen"), None)
        .await?;
    ensure!(res.status == 200, "seen: {} {}", res.status, res.body);
    ensure!(since(ann, board).await?.changes.is_empty());
    phone.close().await;
    b.close().await;
    let tail = since(ann, board).await?.upto;
    wait_seen(ann, board, tail).await?;
    Ok(())
}

/// What a person saw is recorded when their last connection leaves: changes made while
/// they were there are not listed next time; a change after they left is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_while_present_count_as_seen() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Ann Owner").await?;
    let ann = &team.owner;
    let bob = team.member(&server, "editor", "Bob Editor").await?;
    let board = team.board.as_str();
    let a1 = ann.join(board, None).await?;
    let a2 = ann.join(board, None).await?; // two tabs: the mark waits for the last
    let b = bob.join(board, None).await?;
    let id = b.edit(|bd, txn| bd.create_note(txn, note("Seen live", 0.0)))?;
    b.save().await?;
    a1.close().await;
    a2.wait_until(|s| s.items.contains_key(&id)).await?;
    a2.close().await;
    let seen = wait_seen(ann, board, 1).await?;
    b.edit(|bd, txn| bd.move_item(txn, &id, [5.0, 5.0]))?;
    b.save().await?;
    let report = since(ann, board).await?;
    ensure!(
        rows(&report)
            == [(
                id.clone(),
                vec![ChangeKind::Moved],
                vec!["Bob Editor".to_owned()]
            )]
            .into_iter()
            .collect(),
        "{report:?} (seen {seen:?})"
    );
    Ok(())
}

/// Someone with no role on the board learns nothing (404, as for a board that does not
/// exist), and a malformed "seen" body is refused with a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_learn_nothing() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let team = Team::start(&server, "Ann Owner").await?;
    let eve = named(&server, "Eve").await?;
    let board = team.board.as_str();
    let res = eve
        .call("GET", &format!("/api/boards/{board}/since"), None)
        .await?;
    ensure!(res.status == 404, "since: {} {}", res.status, res.body);
    let res = eve
        .call("POST", &format!("/api/boards/{board}/seen"), None)
        .await?;
    ensure!(res.status == 404, "seen: {} {}", res.status, res.body);
    let res = team
        .owner
        .call(
            "POST",
            &format!("/api/boards/{board}/seen"),
            Some(json!({ "upto": "soon" })),
        )
        .await?;
    ensure!(res.status == 400, "bad seen: {} {}", res.status, res.body);
    Ok(())
}
