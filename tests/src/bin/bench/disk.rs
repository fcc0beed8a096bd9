//! Disk space under churn: one board's data directory while people keep moving notes, with
//! a compaction after every `DEFAULT_COMPACT_AFTER_UPDATES` (the server's count cap), as in a long session or
//! many sessions on one board. What sled keeps on disk is compared with what the board
//! needs (its snapshot) in the same run: the ratio is the point.
//!
//! `cargo xtask bench -- disk`. Found (BENCHMARKS.md, "Disk space under churn"): sled 0.34
//! never shrinks its file and frees the space of rewritten pages only by reusing segments,
//! so a churned board's directory levels off at a size set by sled's segments, not by the
//! board.

use std::path::Path;
use std::sync::Arc;

use huddle_server::store::Store;
use huddle_server::store::compaction::DEFAULT_COMPACT_AFTER_UPDATES;

use crate::fixtures::{board_with_notes, moves};

/// Notes on the board: as W1's and W8's rooms.
const NOTES: usize = 1000;
/// Rounds of [`DEFAULT_COMPACT_AFTER_UPDATES`] moves, each followed by a compaction.
const ROUNDS: usize = 80;
/// Rounds after which a row is printed.
const REPORT_AT: [usize; 7] = [1, 2, 5, 10, 20, 40, 80];

pub fn run() -> anyhow::Result<()> {
    println!("## Disk space under churn (one {NOTES}-note board)\n");
    println!(
        "{ROUNDS} rounds of {DEFAULT_COMPACT_AFTER_UPDATES} note moves, each appended as the \
         server does and followed by a compaction and a flush; sizes are the files' lengths.\n"
    );
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), Arc::default())?;
    let (board, state) = board_with_notes(NOTES);
    store.append("disk", 0, &state)?;
    store.compact("disk", 0)?;
    store.flush_blocking()?;
    let start_snapshot = store.read("disk")?.snapshot_bytes();
    let start_dir = dir_bytes(dir.path())?;
    println!("| after | updates | snapshot | data directory | directory / snapshot |");
    println!("|---|---|---|---|---|");
    row("seeding", 1, start_snapshot, start_dir);
    let per_round = DEFAULT_COMPACT_AFTER_UPDATES as usize;
    let mut seq = 1;
    for round in 1..=ROUNDS {
        for update in moves(&board, per_round, round as u64) {
            store.append("disk", seq, &update)?;
            seq += 1;
        }
        store.compact("disk", seq - 1)?;
        store.flush_blocking()?;
        if REPORT_AT.contains(&round) {
            let snapshot = store.read("disk")?.snapshot_bytes();
            row(
                &format!("round {round}"),
                seq,
                snapshot,
                dir_bytes(dir.path())?,
            );
        }
        if round % 10 == 0 {
            eprintln!("  disk: round {round} of {ROUNDS}");
        }
    }
    println!();
    Ok(())
}

fn row(after: &str, updates: u64, snapshot: u64, dir: u64) {
    println!(
        "| {after} | {updates} | {:.0} KiB | {:.0} KiB | {:.1}x |",
        snapshot as f64 / 1024.0,
        dir as f64 / 1024.0,
        dir as f64 / snapshot.max(1) as f64
    );
}

/// Bytes in every file under `path`.
fn dir_bytes(path: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
