//! Cold load of a 10,000-note board: from sled until sync step 2 can be sent to a new client.
//!
//! Measured in-process, with the server's own loading code: (a) until the frames for a fresh
//! client are ready (the room sends them while the document builds: `room::loading::read`
//! and `fresh_frames`),
//! (b) until the document is built (what every other request waits for); and end to end: a
//! fresh server process, a client connects, until its sync step 2 has arrived and been applied.
//! The 100-note board is the baseline of the run.
//!
//! Then the board's whole state in yrs's two encodings, update v1 (what the server stores and
//! what the y-websocket protocol sends) and update v2: bytes, gzip'd, and the time to decode and
//! apply each into a new document, as a client's first sync and the server's load do.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use huddle_server::store::Store;
use huddle_server::store::compaction::MERGE_RUN;
use huddle_tests::client::Client;
use huddle_tests::server::TestServer;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::fixtures::{RoomLike, board_with_notes, moves};
use crate::stats::{gzipped_len, median, millis, percentile};

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
    encodings()
}

/// The 10,000-note board's state as update v1 and as update v2, as created and after 2,000
/// note moves (each move leaves a deleted position behind), with the v1 figures as the
/// baseline of each row.
fn encodings() -> anyhow::Result<()> {
    println!("### The whole state as update v1 and update v2 (yrs)\n");
    println!(
        "| board | encoding | bytes | gzip'd (fast) | encode (median of {SAMPLES}) | decode and apply into a new document (median of {SAMPLES}) | bytes, gzip'd, decode and apply / v1's |"
    );
    println!("|---|---|---|---|---|---|---|");
    let (board, _) = board_with_notes(10_000);
    for (label, moved) in [
        ("10,000 notes", 0),
        ("10,000 notes after 2,000 moves", 2_000),
    ] {
        moves(&board, moved, 7);
        let doc = board.doc();
        let mut v1_figures = None;
        for v2 in [false, true] {
            let encode = || {
                let txn = doc.transact();
                if v2 {
                    txn.encode_state_as_update_v2(&StateVector::default())
                } else {
                    txn.encode_state_as_update_v1(&StateVector::default())
                }
            };
            let mut encoded = Vec::new();
            let mut encode_times = Vec::new();
            for _ in 0..SAMPLES {
                let started = Instant::now();
                encoded = encode();
                encode_times.push(started.elapsed());
            }
            let mut apply_times = Vec::new();
            for _ in 0..SAMPLES {
                let started = Instant::now();
                let update = if v2 {
                    Update::decode_v2(&encoded)?
                } else {
                    Update::decode_v1(&encoded)?
                };
                let fresh = Doc::new();
                fresh.transact_mut().apply_update(update)?;
                apply_times.push(started.elapsed());
                anyhow::ensure!(
                    fresh.transact().state_vector() == doc.transact().state_vector(),
                    "the {} update did not rebuild the board",
                    if v2 { "v2" } else { "v1" }
                );
            }
            let gzipped = gzipped_len(&encoded);
            let figures = (
                encoded.len() as f64,
                gzipped as f64,
                millis(median(&mut apply_times)),
            );
            let ratios = match v1_figures {
                None => {
                    v1_figures = Some(figures);
                    "1.00, 1.00, 1.00".to_owned()
                }
                Some((bytes, gzipped, applied)) => format!(
                    "{:.2}, {:.2}, {:.2}",
                    figures.0 / bytes,
                    figures.1 / gzipped,
                    figures.2 / applied
                ),
            };
            println!(
                "| {label} | {} | {} | {gzipped} | {:.1} ms | {:.1} ms | {ratios} |",
                if v2 { "v2" } else { "v1" },
                encoded.len(),
                millis(median(&mut encode_times)),
                figures.2,
            );
        }
    }
    println!();
    Ok(())
}
