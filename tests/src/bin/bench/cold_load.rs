//! Cold load of a 10,000-note board: from sled until sync step 2 can be sent to a new client.
//!
//! Measured in-process, with the server's own loading code: (a) until the frames for a fresh
//! client are ready (the room sends them while the document builds: `room::loading::read`
//! and `fresh_frames`),
//! (b) until the document is built (what every other request waits for); and end to end: a
//! fresh server process, a client connects, until its sync step 2 has arrived and been applied.
//! The 100-note board is the baseline of the run.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use huddle_server::store::Store;
use huddle_server::store::compaction::MERGE_RUN;
use huddle_tests::client::Client;
use huddle_tests::server::TestServer;
use yrs::{ReadTxn, Transact};

use crate::fixtures::{RoomLike, board_with_notes, moves};
use crate::stats::{median, millis, percentile};

/// Samples per measurement.
const SAMPLES: usize = 11;
/// End-to-end samples (each starts a server process).
const E2E_SAMPLES: usize = 5;
/// What the log holds after the snapshot.
#[derive(Clone, Copy)]
pub(crate) enum Tail {
    Empty,
    /// The most the server leaves: note moves until the one before the rule would fold the
    /// log (half the snapshot's bytes), merged in runs as the server merges them.
    Longest,
}

/// Stores a board of `notes` notes with `tail` in its log. Returns the updates in the tail.
pub(crate) fn populate(dir: &Path, notes: usize, tail: Tail) -> anyhow::Result<usize> {
    let store = Store::open(dir, Arc::default())?;
    let (client, state) = board_with_notes(notes);
    store.append("cold", 0, &state)?;
    store.compact("cold", 0)?;
    let mut room = RoomLike::new(&store, "cold", 0)?;
    if let Tail::Longest = tail {
        let mut batch = 0;
        'filling: loop {
            batch += 1;
            for update in moves(&client, MERGE_RUN as usize, batch) {
                if room.would_compact(&update) {
                    break 'filling;
                }
                room.append(&store, &update)?;
            }
        }
    }
    store.put_meta(
        "cold",
        &huddle_server::store::BoardMeta {
            title: "bench".into(),
            created_at: 0,
            updated_at: 0,
        },
    )?;
    tokio::runtime::Runtime::new()?.block_on(store.flush_now())?;
    Ok(room.seq as usize)
}

/// Opens the store afresh each time (empty sled cache) and times (a) the frames for a fresh
/// client and (b) the built document. Returns both medians and the bytes sent to the client.
fn in_process(dir: &Path) -> anyhow::Result<(Duration, Duration, usize)> {
    let (mut ready, mut built) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..SAMPLES {
        let store = Store::open(dir, Arc::default())?;
        let started = Instant::now();
        let (raw, _meta) = huddle_server::room::loading::read(&store, "cold")?;
        let frames = huddle_server::room::loading::fresh_frames(&raw, "cold")?;
        ready.push(started.elapsed());
        let started = Instant::now();
        let doc = raw.build("cold")?;
        built.push(started.elapsed());
        assert!(
            !doc.transact().state_vector().is_empty(),
            "the board was empty"
        );
        bytes = frames.iter().map(|f| f.len()).sum();
    }
    Ok((median(&mut ready), median(&mut built), bytes))
}

fn end_to_end(dir: &Path) -> anyhow::Result<Duration> {
    let rt = tokio::runtime::Runtime::new()?;
    let mut samples = Vec::new();
    for _ in 0..E2E_SAMPLES {
        let server = TestServer::start_on(dir, &[])?;
        let url = server.ws_url("cold");
        let took = rt.block_on(async {
            let started = Instant::now();
            let client = Client::join(&url).await?;
            let took = started.elapsed();
            client.close().await;
            anyhow::Ok(took)
        })?;
        samples.push(took);
    }
    Ok(percentile(&mut samples, 50.0))
}

pub fn run() -> anyhow::Result<()> {
    println!("## cold load: from sled until sync step 2 can be sent\n");
    println!(
        "| board | log tail | step 2 ready (in-process, median of {SAMPLES}) | document built (in-process) | bytes to the client | end to end: connect -> step 2 received and applied (median of {E2E_SAMPLES}, fresh server each) |"
    );
    println!("|---|---|---|---|---|---|");
    let mut results = Vec::new();
    for (notes, tail) in [
        (100, Tail::Empty),
        (10_000, Tail::Empty),
        (10_000, Tail::Longest),
    ] {
        let dir = tempfile::tempdir()?;
        let tail = populate(dir.path(), notes, tail)?;
        let (ready, built, bytes) = in_process(dir.path())?;
        let e2e = end_to_end(dir.path())?;
        println!(
            "| {notes} notes | {tail} updates | {:.1} ms | {:.1} ms | {} KiB | {:.1} ms |",
            millis(ready),
            millis(built),
            bytes / 1024,
            millis(e2e)
        );
        results.push((notes, tail, ready, e2e));
    }
    let worst = results
        .iter()
        .filter(|r| r.0 == 10_000)
        .map(|r| r.2)
        .max()
        .unwrap_or_default();
    let verdict = if millis(worst) <= 60.0 {
        "meets"
    } else {
        "MISSES"
    };
    println!(
        "\n10,000 notes, worst case until step 2 can be sent: {:.1} ms ({verdict} the 60 ms target); {:.1}x the 100-note board\n",
        millis(worst),
        worst.as_secs_f64() / results[0].2.as_secs_f64()
    );
    Ok(())
}
