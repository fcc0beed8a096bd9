//! W5: big-board writes. 1,000 note moves per second in total against a 10,000-note board
//! stored on disk, with storage on: the server appends every move to its log, group-commits
//! (fsyncs) for the writers' "saved" requests, and compacts the board (rebuilds its
//! snapshot) every so many updates, all while relaying.

use std::time::Duration;

use super::Session;
use super::driver::{self, Workload};
use super::participant::Rates;
use super::replica::Apply;
use super::report;

/// Notes on the board: the big board (about 3 MB of state).
const NOTES: usize = 10_000;
/// 10 writers x 100 moves/s = the 1,000 moves/s; ten people dragging at a 100 Hz
/// pointer rate is a busy workshop's worst minute, and every move reaches 9 others.
const CLIENTS: usize = 10;
const MOVES_PER_CLIENT: f64 = 100.0;
/// Each writer asks for a "saved" this often, as the web client does after a gesture's
/// updates: the server then group-commits (fsyncs) about 100 times a second in all.
const SAVE_EVERY: Duration = Duration::from_millis(100);
/// Sending window by default: about 80 merges of the log (one per 256 updates). The board's
/// log reaches its compaction threshold (half its 3 MB snapshot, about 47,000 merged moves)
/// after about 47 s: `--secs 60` includes one compaction.
const SECS: u64 = 20;
/// The W5 target for p99 (ms).
const P99_MS: f64 = 10.0;

/// W5's workload (also run by the `locks` scenario, with a story map's backbone added).
pub(super) fn w5(session: &Session) -> Workload {
    Workload {
        name: "w5",
        title: "big-board writes (1,000 moves/s against a 10,000-note board, storage on)",
        boards: 1,
        clients_per_board: CLIENTS,
        notes_per_board: NOTES,
        rates: Rates {
            moves: MOVES_PER_CLIENT,
            cursors: 0.0,
            texts: 0.0,
        },
        duration: session.options.duration(Duration::from_secs(SECS)),
        slow_reader: None,
        idle_memory: false,
        // Only Huddle has "saved" (the others would get a message they do not know).
        save_every: session.server.is_huddle().then_some(SAVE_EVERY),
        restart_after: None,
        clock_every: None,
        vote: None,
        locks: None,
        apply: Apply::Now,
    }
}

pub fn run_w5(session: &mut Session) -> anyhow::Result<bool> {
    let w = w5(session);
    let run = driver::run(&w, &session.pinning, session.server)?;
    let lat = report::print_run(&run);
    session.record(&run, &lat);
    let asked = CLIENTS as f64 * MOVES_PER_CLIENT;
    let sent: usize = (0..w.participants())
        .map(|p| run.shared.ledger.edits_sent(p))
        .sum();
    let achieved = sent as f64 / run.resources.window.as_secs_f64().max(1e-9);
    if w.save_every.is_some() {
        println!(
            "- each writer asked for a \"saved\" every {} ms (the web client asks after each gesture's updates)",
            SAVE_EVERY.as_millis()
        );
    }
    let (delivered, expected) = (run.verdict.delivered, run.verdict.expected);
    println!(
        "- rate: {achieved:.0} moves/s sent of {asked:.0} asked; {delivered} of the {expected} deliveries to the {} others arrived (sustained only if all did: checks below)",
        CLIENTS - 1
    );
    report::print_counters(&run);
    report::target("end-to-end p99 of note moves", lat.edits.p99, "ms", P99_MS);
    Ok(report::print_verdict(&run))
}
