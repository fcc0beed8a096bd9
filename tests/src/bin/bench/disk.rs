//! Disk space under churn: one board's data directory while people keep moving notes, stored
//! as a room stores them (runs merged, the log folded when the server's rule says so), as in a
//! long session or many sessions on one board. What sled keeps on disk is compared with what the board
//! needs (its snapshot) in the same run: the ratio is the point.
//!
//! `cargo xtask bench -- disk`. Found (BENCHMARKS.md, "Disk space under churn"): sled 0.34
//! never shrinks its file and frees the space of rewritten pages only by reusing segments,
//! so a churned board's directory levelled off at a size set by sled's segments, not by the
//! board; since issue 15 the store copies its documents into a fresh database when their
//! files pass 1.5x what they hold (`server/src/store/docs.rs`), checked here after every
//! round as the server checks every few seconds.

use std::sync::Arc;

use huddle_server::store::Store;
use huddle_server::store::docs::dir_bytes;

use crate::fixtures::{RoomLike, StoreWork, board_with_notes, moves};

/// Notes on the board: as W1's and W8's rooms.
const NOTES: usize = 1000;
/// Note moves per round; a flush ends each round.
const PER_ROUND: usize = 5000;
/// Rounds of [`PER_ROUND`] moves.
const ROUNDS: usize = 80;
/// Moves between two checks for a rewrite of the documents: the server checks every 5 s,
/// and W8's 20 people move 13 notes a second.
const MOVES_PER_CHECK: usize = 65;
/// Rounds after which a row is printed.
const REPORT_AT: [usize; 7] = [1, 2, 5, 10, 20, 40, 80];

pub fn run() -> anyhow::Result<()> {
    println!("## Disk space under churn (one {NOTES}-note board)\n");
    println!(
        "{ROUNDS} rounds of {PER_ROUND} note moves, each appended as the server does (runs \
         merged, the log folded when the server's rule says so), a flush and the server's \
         check for a rewrite of the documents every {MOVES_PER_CHECK} moves; sizes are the \
         files' lengths.\n"
    );
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), Arc::default())?;
    let (board, state) = board_with_notes(NOTES);
    store.append("disk", 0, &state)?;
    store.compact("disk", 0)?;
    huddle_server::store::BoardStore::after_compaction(&store);
    store.flush_blocking()?;
    let start_snapshot = store.read("disk")?.snapshot_bytes();
    let start_dir = dir_bytes(dir.path());
    println!(
        "| after | updates | compactions | rewrites | snapshot | log | documents before the check | data directory | of it documents | directory / snapshot |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    row(
        "seeding",
        1,
        [0, 0],
        start_snapshot,
        0,
        [
            store.documents_disk_bytes(),
            start_dir,
            store.documents_disk_bytes(),
        ],
    );
    let mut room = RoomLike::new(&store, "disk", 0)?;
    let (mut compactions, mut rewrites) = (0, 0);
    for round in 1..=ROUNDS {
        // The documents' files at their largest in the round: just before a check.
        let mut peak = 0;
        for (i, update) in moves(&board, PER_ROUND, round as u64).iter().enumerate() {
            if let StoreWork::Compacted(_) = room.append(&store, update)? {
                compactions += 1;
            }
            if i % MOVES_PER_CHECK == MOVES_PER_CHECK - 1 {
                store.flush_blocking()?;
                peak = peak.max(store.documents_disk_bytes());
                rewrites += store.rewrite_documents_if_due()?.is_some() as u64;
            }
        }
        store.flush_blocking()?;
        if REPORT_AT.contains(&round) {
            let raw = store.read("disk")?;
            row(
                &format!("round {round}"),
                room.seq + 1,
                [compactions, rewrites],
                raw.snapshot_bytes(),
                raw.log_bytes(),
                [peak, dir_bytes(dir.path()), store.documents_disk_bytes()],
            );
        }
        if round % 10 == 0 {
            eprintln!("  disk: round {round} of {ROUNDS}");
        }
    }
    println!();
    Ok(())
}

fn row(
    after: &str,
    updates: u64,
    [compactions, rewrites]: [u64; 2],
    snapshot: u64,
    log: u64,
    [peak, dir, documents]: [u64; 3],
) {
    println!(
        "| {after} | {updates} | {compactions} | {rewrites} | {:.0} KiB | {:.0} KiB | {:.0} KiB ({:.1}x) | {:.0} KiB | {:.0} KiB | {:.1}x |",
        snapshot as f64 / 1024.0,
        log as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak as f64 / snapshot.max(1) as f64,
        dir as f64 / 1024.0,
        documents as f64 / 1024.0,
        dir as f64 / snapshot.max(1) as f64
    );
}
