//! W2: a big room. 500 participants in one board, each moving a note once a second and its
//! cursor ten times a second: every move goes to 499 others (about 250,000 deliveries a
//! second) and the cursors dominate the bytes, so this is a fan-out test of the server and,
//! on a 2-core machine, of the generator (its CPU is reported next to the latencies).

use std::time::Duration;

use super::Session;
use super::driver::{self, Workload};
use super::participant::Rates;
use super::replica::Apply;
use super::report;

/// The W2: 500 clients, 1 move/s and cursors at 10 Hz each.
const CLIENTS: usize = 500;
/// Notes on the board: as W1's hot room.
const NOTES: usize = 1000;
/// Sending window by default.
const SECS: u64 = 20;
/// The W2 target for p99 (ms).
const P99_MS: f64 = 50.0;

pub fn run_w2(session: &mut Session) -> anyhow::Result<bool> {
    let w = Workload {
        name: "w2",
        title: if session.options.clients.is_some() {
            "big room (scaled by --clients)"
        } else {
            "big room (500 clients in one board)"
        },
        boards: 1,
        clients_per_board: session.options.clients.unwrap_or(CLIENTS),
        notes_per_board: NOTES,
        rates: Rates {
            moves: 1.0,
            cursors: 10.0,
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
        apply: Apply::Later,
    };
    let run = driver::run(&w, &session.pinning, session.server)?;
    let lat = report::print_run(&run);
    session.record(&run, &lat);
    report::print_p99_by_second(&run);
    report::target("end-to-end p99 of note moves", lat.edits.p99, "ms", P99_MS);
    println!(
        "- end-to-end p99 of cursors: {:.2} ms (the server coalesces a room's cursors every {} ms by design, so a cursor waits up to that long; the target is read as for note moves)",
        lat.cursors.p99,
        huddle_server::room::AWARENESS_FLUSH.as_millis()
    );
    if run.resources.generator_cores_mean > 0.9 {
        println!(
            "- the generator was saturated ({:.2} cores of its 1): the moves it sent ({:.2} per client per s of 1) and the latencies are the generator's limit as much as the server's",
            run.resources.generator_cores_mean,
            (0..w.participants())
                .map(|p| run.shared.ledger.edits_sent(p))
                .sum::<usize>() as f64
                / w.participants() as f64
                / run.resources.window.as_secs_f64().max(1e-9)
        );
    }
    Ok(report::print_verdict(&run))
}
