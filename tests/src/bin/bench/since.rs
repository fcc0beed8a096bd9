//! Issue 14's "since you last looked": the report a person gets after another person made
//! 1,000 changes while they were away, on a 10,000-note board, end to end through a real
//! server (`GET /api/boards/{id}/since`, as the page asks when the board opens).
//!
//! The board's 10,000 notes are written into its store before the server starts (so they
//! are not in the journal); Ann opens it and leaves; Bob makes
//! 1,000 changes, each its own update, to 1,000 different notes (400 edits, 400 moves, 100
//! new notes, 100 deletions: no two coalesce, the journal's worst case). Then Ann's report
//! is timed (1,000 rows), against Bob's (nothing new to him: the request without the diff)
//! as the baseline of the same run. Last, with the server stopped, the journal's and a seen
//! mark's sizes on disk are read from the store.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use huddle_server::store::Store;
use huddle_shared::since::{SeenMark, SinceReport};
use huddle_tests::client::Client;
use huddle_tests::rounds::Team;
use huddle_tests::server::TestServer;
use huddle_tests::visitor::Visitor;

use crate::fixtures::board_with_notes;
use crate::stats::{millis, percentile};

/// Notes on the board.
const NOTES: usize = 10_000;
/// Requests timed per person.
const SAMPLES: usize = 21;

pub fn run() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(measure())
}

async fn report(who: &Visitor, board: &str) -> anyhow::Result<(Duration, SinceReport, usize)> {
    let started = Instant::now();
    let res = who
        .call("GET", &format!("/api/boards/{board}/since"), None)
        .await?;
    let took = started.elapsed();
    ensure!(res.status == 200, "since: {} {}", res.status, res.body);
    Ok((took, serde_json::from_str(&res.body)?, res.body.len()))
}

/// Waits until `who`'s seen mark covers journal position `at_least`.
async fn seen(who: &Visitor, board: &str, at_least: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, r, _) = report(who, board).await?;
        if !r.first_visit && r.changes.is_empty() && r.upto >= at_least {
            return Ok(());
        }
        ensure!(Instant::now() < deadline, "the seen mark was not recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn measure() -> anyhow::Result<()> {
    println!("## since: the report after 1,000 changes on a {NOTES}-note board\n");
    let (mut server, data) = TestServer::start()?;
    let mut team = Team::start(&server, "Ann").await?;
    let mut bob = team.member(&server, "editor", "Bob").await?;
    let board = team.board.clone();

    // The notes go into the store directly (a 10,000-note update is above a client
    // frame's limit; an import would do the same).
    server.stop()?;
    {
        let store = Store::open(data.path(), Default::default())?;
        let next = store.read(&board)?.next_seq;
        store.append(&board, next, &board_with_notes(NOTES).1)?;
        store.flush_now().await?;
    }
    server.restart()?;
    team.owner.come_back(&server);
    bob.come_back(&server);
    let url = server.ws_url_bare(&board);

    let a = Client::connect_as(&url, Default::default(), &[("Cookie", &team.owner.cookie)]).await?;
    a.wait_synced().await?;
    a.close().await;
    seen(&team.owner, &board, 0).await?;

    let b = Client::connect_as(&url, Default::default(), &[("Cookie", &bob.cookie)]).await?;
    b.wait_synced().await?;
    let mut ids = b.edit(|bd, txn| bd.item_ids(txn));
    ids.sort();
    ensure!(ids.len() == NOTES, "Bob has {} notes", ids.len());
    let started = Instant::now();
    for (i, id) in ids.iter().take(900).enumerate() {
        b.edit(|bd, txn| -> anyhow::Result<()> {
            match i {
                0..400 => bd.insert_text(txn, id, 0, "Edited: ")?,
                400..800 => bd.move_item(txn, id, [-500.0, i as f64 * 10.0])?,
                _ => bd.delete_item(txn, id)?,
            }
            Ok(())
        })?;
    }
    for i in 0..100 {
        b.edit(|bd, txn| {
            let note = huddle_shared::model::NewNote {
                pos: [-1000.0, f64::from(i) * 220.0],
                text: format!("Bob's note {i}"),
                ..Default::default()
            };
            bd.create_note(txn, note)
        })?;
    }
    b.save().await?;
    let sent = started.elapsed();
    b.close().await;
    seen(&bob, &board, 1000).await?;

    let (mut ann_times, mut bob_times) = (Vec::new(), Vec::new());
    let (mut rows, mut bytes) = (0, 0);
    for _ in 0..SAMPLES {
        let (took, r, len) = report(&team.owner, &board).await?;
        ann_times.push(took);
        (rows, bytes) = (r.changes.len(), len);
        bob_times.push(report(&bob, &board).await?.0);
    }
    ensure!(rows == 1000, "Ann's report lists {rows} rows, not 1,000");
    println!("1,000 changes sent and saved in {:.0} ms", millis(sent));
    println!("| request | rows | body | p50 | p95 |");
    println!("|---|---|---|---|---|");
    println!(
        "| Ann: 1,000 changes since she looked | {rows} | {bytes} B | {:.2} ms | {:.2} ms |",
        millis(percentile(&mut ann_times, 50.0)),
        millis(percentile(&mut ann_times, 95.0)),
    );
    println!(
        "| Bob: nothing new (baseline) | 0 | - | {:.2} ms | {:.2} ms |",
        millis(percentile(&mut bob_times, 50.0)),
        millis(percentile(&mut bob_times, 95.0)),
    );

    // A 10,000-note board's last compaction may outlast the harness's patience: the store
    // is read whatever the exit (sled recovers what was written).
    if server.stop().is_err() {
        server.kill9();
    }
    let store = Store::open(data.path(), Default::default())?;
    let (entries, _) = store.journal_since(&board, 0)?;
    let journal: usize = entries
        .iter()
        .map(|e| serde_json::to_vec(e).map_or(0, |v| v.len()))
        .sum();
    let mark = store
        .seen(&board, &team.owner.id)?
        .context("Ann's seen mark")?;
    let mark_bytes = serde_json::to_vec::<SeenMark>(&mark)?.len();
    println!(
        "\njournal: {} entries, {} bytes of values ({:.0} B per entry); a seen mark: {mark_bytes} B",
        entries.len(),
        journal,
        journal as f64 / entries.len().max(1) as f64
    );
    println!();
    Ok(())
}
