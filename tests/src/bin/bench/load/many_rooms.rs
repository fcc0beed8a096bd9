//! W3: many rooms of a few participants each, and the server's memory per idle connection.

use std::time::Duration;

use super::Session;
use super::driver::{self, Workload};
use super::participant::Rates;
use super::replica::Apply;
use super::report;

/// Boards by default: a fifth of the 1,000, so the run fits in a minute on 2 cores
/// (`--full` runs all of them).
const BOARDS: usize = 200;
const FULL_BOARDS: usize = 1000;
/// Notes per board: a team's refinement board, not the big-board scenarios' 10,000.
const NOTES: usize = 100;
/// Sending window by default.
const SECS: u64 = 20;
/// The W3 targets: p99 (ms) and memory per idle connection (KiB).
const P99_MS: f64 = 10.0;
const IDLE_KIB: f64 = 32.0;

pub fn run_w3(session: &mut Session) -> anyhow::Result<bool> {
    let w = Workload {
        name: "w3",
        title: if session.options.full {
            "many rooms (full scale)"
        } else {
            "many rooms (scaled down; --full for 1,000 boards)"
        },
        boards: if session.options.full {
            FULL_BOARDS
        } else {
            BOARDS
        },
        clients_per_board: 5,
        notes_per_board: NOTES,
        rates: Rates {
            moves: 1.0,
            cursors: 0.0,
            texts: 0.0,
        },
        duration: session.options.duration(Duration::from_secs(SECS)),
        slow_reader: None,
        idle_memory: true,
        save_every: None,
        restart_after: None,
        clock_every: None,
        vote: None,
        locks: None,
        apply: Apply::Now,
    };
    let run = driver::run(&w, &session.pinning, session.server)?;
    let lat = report::print_run(&run);
    session.record(&run, &lat);
    report::print_p99_by_second(&run);
    if let Some(m) = run.memory {
        let extra = w.boards * (w.clients_per_board - 1);
        let per_board = m.one_per_board_kib.saturating_sub(m.before_kib) as f64 / w.boards as f64;
        let per_conn = m.per_idle_connection_kib(&w);
        println!(
            "| server RSS | no board loaded | {} boards loaded, 1 client each | + {extra} idle clients | per loaded board (with its first client) | per additional idle connection |",
            w.boards
        );
        println!("|---|---|---|---|---|---|");
        println!(
            "| | {:.1} MiB | {:.1} MiB | {:.1} MiB | {per_board:.1} KiB | {per_conn:.1} KiB |",
            m.before_kib as f64 / 1024.0,
            m.one_per_board_kib as f64 / 1024.0,
            m.all_kib as f64 / 1024.0,
        );
        let [t0, t1, t2] = m.threads;
        println!("| server threads | {t0} | {t1} | {t2} | | |\n");
        let (cpu_first, cpu_rest) = m.cpu_ms_per_join(&w);
        println!(
            "- joins: the first {} (one per board, each loading its board from disk) synced in {:.2} s, {cpu_first:.2} ms of server CPU each; the {extra} others (boards loaded) in {:.2} s, {cpu_rest:.2} ms of server CPU each\n",
            w.boards,
            m.first_wave.as_secs_f64(),
            m.rest_wave.as_secs_f64()
        );
        report::target("memory per idle connection", per_conn, "KiB", IDLE_KIB);
    }
    report::target("end-to-end p99 of note moves", lat.edits.p99, "ms", P99_MS);
    Ok(report::print_verdict(&run))
}
