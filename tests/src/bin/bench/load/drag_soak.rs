//! W8: drag soak. 20 participants in one 1,000-note board (W1's board) dragging notes for ten
//! minutes the way the web client does: while a drag lasts, the pointer's position goes out as
//! awareness at 20 Hz; the document gets one write, the note's final position, on drop. Then
//! the server is stopped and its data directory opened with the server's own storage and
//! loading code: the board's stored bytes (snapshot + log), the encoded document (state as
//! update v1), and its cold load (as [`cold_load`](crate::cold_load) measures it), each
//! against the same board before the soak.
//!
//! Of the two write patterns DESIGN.md allows (on drop, or at most ~10 times a second during a
//! long drag), this runs the web client's: one write per drag. A drag lasts 1.5 s on average
//! (the 1-2 s), so each participant writes 1/1.5 moves a second and sends awareness at
//! 20 Hz throughout: back-to-back drags of random notes, with the participant timers of W1.
//! The awareness frames are the generator's cursor frames (pointer position and name, about
//! 60 bytes); the web client's also names the dragged note, which does not touch the document.
//!
//! Every server (`--compare`) is also measured the same way over the wire, before and after:
//! the server started on its data directory, a fresh client's first join until it holds every
//! note (W4's join), the size of the document it got, and the data directory on disk. The
//! before board is stored the way each server keeps boards (W4's `store_board`).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use huddle_server::room::loading;
use huddle_server::store::Store;
use yrs::{ReadTxn, StateVector, Transact};

use super::Session;
use super::cold_join::{self, DiskJoin};
use super::driver::{self, Workload, board_id};
use super::options::ServerKind;
use super::participant::Rates;
use super::replica::Apply;
use super::report;
use crate::stats::{median, millis};

/// The 20 dragging participants.
const CLIENTS: usize = 20;
/// W1's board.
pub(super) const NOTES: usize = 1000;
/// Mean length of a drag: the 1-2 s. One document write per drag (on drop).
const DRAG_SECS: f64 = 1.5;
/// Awareness rate during a drag (the web client's pointer updates while dragging).
const AWARENESS_HZ: f64 = 20.0;
/// Sending window by default: the ten minutes.
const SECS: u64 = 600;
/// Cold-load samples of each board (each opens the store afresh).
const SAMPLES: usize = 11;
/// Joins over the wire of each board (each on a freshly started server).
const WIRE_SAMPLES: usize = 5;
/// The W8 targets: cold load after the soak (ms), and document growth (after / before).
const COLD_LOAD_MS: f64 = 300.0;
const GROWTH: f64 = 2.0;

/// One board's stored and loaded figures.
#[derive(Debug, Clone, Copy)]
struct Stored {
    snapshot_bytes: u64,
    log_bytes: u64,
    log_entries: usize,
    /// The whole data directory on disk (sled's files, garbage included).
    dir_bytes: u64,
    /// The built document, encoded as one update v1 from an empty state vector.
    doc_bytes: usize,
    /// Median from opening the store until sync step 2 for a fresh client is ready.
    ready: Duration,
    /// Median of building the document from the stored bytes (after `ready`).
    built: Duration,
}

impl Stored {
    fn load_ms(&self) -> f64 {
        millis(self.ready + self.built)
    }
}

/// W8's workload (also `w8-versions`' one, see [`version_soak`](super::version_soak)).
pub(super) fn w8(session: &Session) -> Workload {
    Workload {
        name: "w8",
        title: "drag soak (20 clients dragging in a 1,000-note board; one write per drag)",
        boards: 1,
        clients_per_board: CLIENTS,
        notes_per_board: NOTES,
        rates: Rates {
            moves: 1.0 / DRAG_SECS,
            cursors: AWARENESS_HZ,
            texts: 0.0,
        },
        duration: session.options.duration(Duration::from_secs(SECS)),
        slow_reader: None,
        idle_memory: false,
        save_every: None,
        restart_after: None,
        clock_every: None,
        vote: None,
        locks: None,
        apply: Apply::Now,
    }
}

pub fn run_w8(session: &mut Session) -> anyhow::Result<bool> {
    let w = w8(session);
    let board = board_id(0);
    let kind = session.server;
    // The starting point, stored the way this server keeps boards, in a directory of its own.
    let fresh = tempfile::tempdir()?;
    cold_join::store_board(kind, fresh.path(), session, NOTES)
        .context("storing the starting board")?;
    let before = match kind {
        ServerKind::Huddle | ServerKind::HuddleBaseline | ServerKind::HuddleCluster => {
            Some(measure(fresh.path(), &board).context("measuring the starting board")?)
        }
        _ => None,
    };
    let wire_before = cold_join::join_from_disk(fresh.path(), session, NOTES, WIRE_SAMPLES)
        .context("joining the starting board")?;
    let wire_before = (wire_before, dir_bytes(fresh.path()));

    let run = driver::run(&w, &session.pinning, session.server)?;
    let lat = report::print_run(&run);
    session.record(&run, &lat);
    let writes: usize = (0..w.participants())
        .map(|p| run.shared.ledger.edits_sent(p))
        .sum();
    let window = run.resources.window.as_secs_f64().max(1e-9);
    println!(
        "- one document write per drag (on drop), a drag every {DRAG_SECS} s per participant; awareness at {AWARENESS_HZ} Hz throughout: {writes} writes in {window:.0} s ({:.1}/s in all)",
        writes as f64 / window
    );
    report::print_counters(&run);
    let lost = run.verdict.expected.saturating_sub(run.verdict.delivered);
    println!("- lost updates: {lost}");
    let ok = report::print_verdict(&run);
    let data = run
        .data
        .as_ref()
        .context("the run kept no data directory")?;
    // Measured as the soak left it, before the restarts below (each of which may rewrite the
    // documents as it starts).
    let (soaked_dir, soaked_docs) = (dir_bytes(data.path()), dir_bytes(&data.path().join("docs")));
    let wire_after = cold_join::join_from_disk(data.path(), session, NOTES, WIRE_SAMPLES)
        .context("joining the soaked board")?;
    print_wire(kind, &wire_before, &(wire_after, soaked_dir));
    if soaked_docs > 0 {
        // What the documents held then (the server has stopped: its rooms folded their logs).
        let store = huddle_server::store::Store::open(data.path(), Default::default());
        let held = store
            .as_ref()
            .ok()
            .and_then(|store| store.read(&board).ok())
            .map(|raw| (raw.snapshot_bytes(), raw.log_bytes()))
            .unwrap_or_default();
        let journal = store
            .as_ref()
            .ok()
            .and_then(|store| store.journal_size(&board).ok())
            .unwrap_or_default();
        drop(store);
        println!(
            "- data directory as the soak left it: {:.1} KiB, of it the board documents \
             (`docs/`) {:.1} KiB = {:.2}x the stored snapshot ({:.1} KiB, log {:.1} KiB), the \
             rest sled's main files (people, journal, ...); the change journal holds {} \
             entries, {:.1} KiB of keys and values\n",
            soaked_dir as f64 / 1024.0,
            soaked_docs as f64 / 1024.0,
            soaked_docs as f64 / held.0.max(1) as f64,
            held.0 as f64 / 1024.0,
            held.1 as f64 / 1024.0,
            journal.0,
            journal.1 as f64 / 1024.0
        );
    }
    let Some(before) = before else {
        return Ok(ok);
    };
    let after = measure(data.path(), &board).context("measuring the soaked board")?;
    print_sizes(&before, &after);
    let growth = after.doc_bytes as f64 / before.doc_bytes.max(1) as f64;
    report::target(
        "document growth (encoded state after / before)",
        growth,
        "x",
        GROWTH,
    );
    report::target(
        "cold load after the soak (step 2 ready + document built, medians)",
        after.load_ms(),
        "ms",
        COLD_LOAD_MS,
    );
    Ok(ok)
}

/// Opens the store at `dir` afresh for each sample (empty sled cache), as the server does for
/// a board that is not loaded, and times what [`cold_load`](crate::cold_load) times.
fn measure(dir: &Path, board: &str) -> anyhow::Result<Stored> {
    let (mut ready, mut built) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..SAMPLES {
        let store = Store::open(dir, Arc::default())?;
        let started = Instant::now();
        let (raw, _meta) = loading::read(&store, board)?;
        let frames = loading::fresh_frames(&raw, board)?;
        ready.push(started.elapsed());
        let started = Instant::now();
        let doc = raw.build(board)?;
        built.push(started.elapsed());
        anyhow::ensure!(!frames.is_empty(), "no frames for a fresh client");
        last = Some((raw, doc));
    }
    let (raw, doc) = last.context("no samples")?;
    let doc_bytes = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
        .len();
    Ok(Stored {
        snapshot_bytes: raw.snapshot_bytes(),
        log_bytes: raw.log_bytes(),
        log_entries: raw.log.len(),
        dir_bytes: dir_bytes(dir),
        doc_bytes,
        ready: median(&mut ready),
        built: median(&mut built),
    })
}

/// Bytes of the files under a directory, counted as the server counts its documents' files.
pub(super) use huddle_server::store::docs::dir_bytes;

/// The over-the-wire figures, the same for every server.
fn print_wire(kind: ServerKind, before: &(DiskJoin, u64), after: &(DiskJoin, u64)) {
    let kib = |b: u64| format!("{:.1} KiB", b as f64 / 1024.0);
    println!(
        "Over the wire ({}): first join from disk, a fresh client until it holds every note (median of {WIRE_SAMPLES}, each on a freshly started server), the document it got, and the data directory.\n",
        kind.name()
    );
    println!("| board | first join from disk | encoded document (update v1) | data dir on disk |");
    println!("|---|---|---|---|");
    for (name, (join, dir)) in [("before the soak", before), ("after the soak", after)] {
        println!(
            "| {name} | {:.1} ms | {} | {} |",
            millis(join.total),
            kib(join.doc_bytes as u64),
            kib(*dir)
        );
    }
    println!(
        "| after / before | {:.2}x | {:.2}x | {:.2}x |\n",
        after.0.total.as_secs_f64() / before.0.total.as_secs_f64().max(1e-9),
        after.0.doc_bytes as f64 / before.0.doc_bytes.max(1) as f64,
        after.1 as f64 / before.1.max(1) as f64
    );
}

fn print_sizes(before: &Stored, after: &Stored) {
    let kib = |b: u64| format!("{:.1} KiB", b as f64 / 1024.0);
    let ratio = |a: f64, b: f64| format!("{:.2}x", a / b.max(1e-9));
    println!(
        "| board | snapshot | log (entries) | stored (snapshot + log) | data dir on disk | encoded document (update v1) | step 2 ready (median of {SAMPLES}) | document built | cold load (sum) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, s) in [("before the soak", before), ("after the soak", after)] {
        println!(
            "| {name} | {} | {} ({}) | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
            kib(s.snapshot_bytes),
            kib(s.log_bytes),
            s.log_entries,
            kib(s.snapshot_bytes + s.log_bytes),
            kib(s.dir_bytes),
            kib(s.doc_bytes as u64),
            millis(s.ready),
            millis(s.built),
            s.load_ms(),
        );
    }
    let stored = |s: &Stored| (s.snapshot_bytes + s.log_bytes) as f64;
    println!(
        "| after / before | | | {} | {} | {} | {} | {} | {} |\n",
        ratio(stored(after), stored(before)),
        ratio(after.dir_bytes as f64, before.dir_bytes as f64),
        ratio(after.doc_bytes as f64, before.doc_bytes as f64),
        ratio(millis(after.ready), millis(before.ready)),
        ratio(millis(after.built), millis(before.built)),
        ratio(after.load_ms(), before.load_ms()),
    );
}

#[cfg(test)]
mod tests {
    use super::super::seed;
    use super::*;

    #[test]
    fn a_seeded_board_is_all_snapshot_and_encodes_to_its_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let board = board_id(0);
        seed::boards(dir.path(), std::slice::from_ref(&board), 50).expect("seeding");
        let s = measure(dir.path(), &board).expect("measuring");
        assert_eq!(s.log_entries, 0);
        assert!(s.snapshot_bytes > 0);
        assert_eq!(s.doc_bytes as u64, s.snapshot_bytes);
        assert!(s.dir_bytes >= s.snapshot_bytes);
    }
}
