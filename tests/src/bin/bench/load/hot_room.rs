//! W1 (hot room) and W7 (a slow reader in the hot room).

use std::time::Duration;

use super::Session;
use super::driver::{self, Run, Workload};
use super::options::ServerKind;
use super::participant::Rates;
use super::replica::Apply;
use super::report;

/// W1's sending window by default: long enough for half a million deliveries and a stable
/// p99, short enough that all load scenarios together take a few minutes.
const W1_SECS: u64 = 20;
/// The W1 target for end-to-end p99 (ms).
const W1_P99_MS: f64 = 15.0;
/// W7's slow reader reads this many bytes per second (the 1 KB/s).
const SLOW_BYTES_PER_SEC: u64 = 1024;
/// W7's sending window by default: at W1's rates a reader that has stopped is about 95 KB/s
/// behind, and the kernel's socket buffers (up to 4 MB on loopback) absorb about 45 s of that
/// before the server's own queue fills; 60 s lets the server's limit act within the run.
const W7_SECS: u64 = 60;

pub(super) fn w1(session: &Session) -> Workload {
    Workload {
        name: "w1",
        title: if session.options.clients.is_some() {
            "hot room (scaled by --clients)"
        } else {
            "hot room"
        },
        boards: 1,
        clients_per_board: session.options.clients.unwrap_or(50),
        notes_per_board: 1000,
        rates: Rates {
            moves: 10.0,
            cursors: 20.0,
            texts: 0.0,
        },
        duration: session.options.duration(Duration::from_secs(W1_SECS)),
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

pub fn run_w1(session: &mut Session) -> anyhow::Result<bool> {
    let run = driver::run(&w1(session), &session.pinning, session.server)?;
    let lat = report::print_run(&run);
    session.record(&run, &lat);
    report::target(
        "end-to-end p99 of note moves",
        lat.edits.p99,
        "ms",
        W1_P99_MS,
    );
    let lost = run.verdict.expected.saturating_sub(run.verdict.delivered);
    let verdict = if lost == 0 { "meets" } else { "MISSES" };
    println!("- lost updates: {lost} ({verdict} issue 5's target of zero)");
    if !session.options.servers.contains(&ServerKind::Relay) {
        println!(
            "- server-added p99 (target 5 ms): measured against the null relay, with `--server huddle,relay`."
        );
    }
    if session.server == ServerKind::Huddle {
        session.w1_edits = Some(lat.edits);
    }
    Ok(report::print_verdict(&run))
}

pub fn run_w7(session: &mut Session) -> anyhow::Result<bool> {
    let mut w = w1(session);
    w.name = "w7";
    w.title = "slow reader in the hot room (W1 plus one client reading 1 KB/s)";
    w.clients_per_board += 1;
    w.slow_reader = Some(SLOW_BYTES_PER_SEC);
    w.duration = session.options.duration(Duration::from_secs(W7_SECS));
    let run = driver::run(&w, &session.pinning, session.server)?;
    let lat = report::print_run(&run);
    session.record(&run, &lat);
    let slow_ok = print_slow_reader(&run);
    report::target(
        "end-to-end p99 of note moves at the other clients",
        lat.edits.p99,
        "ms",
        W1_P99_MS,
    );
    if let (Some(w1), ServerKind::Huddle) = (session.w1_edits, session.server) {
        println!(
            "- others' p99 is {:.2}x W1's in this run ({:.2} ms vs {:.2} ms)",
            lat.edits.p99 / w1.p99.max(1e-9),
            lat.edits.p99,
            w1.p99
        );
    }
    Ok(report::print_verdict(&run) && slow_ok)
}

/// What happened to the slow reader: closed (how, when), resynced (when), and whether it ends
/// with every edit (checked with everyone's in [`verify`](super::verify)). Returns false if
/// the server neither closed nor resynced it: it then buffered everything for it.
fn print_slow_reader(run: &Run) -> bool {
    let Some(slow) = run
        .outcomes
        .iter()
        .find(|o| o.spec.slow_bytes_per_sec.is_some())
    else {
        return false;
    };
    let secs = |ns: u64| ns.saturating_sub(run.start_ns) as f64 / 1e9;
    println!("\nslow reader (participant {}):\n", slow.spec.index);
    match run.slow_closed_at_ns {
        Some(at) => println!(
            "- the server counted a connection closed as too slow at {:+.1} s (its /metrics, read every 0.5 s)",
            secs(at)
        ),
        None => {
            println!("- the server did not close any connection as too slow while the run sent")
        }
    }
    if slow.closes.is_empty() {
        println!("- the slow reader was never closed: the server let its backlog grow");
    }
    for (close, at) in &slow.closes {
        println!(
            "- closed at {:+.1} s from the start of sending: code {} {:?}",
            secs(*at),
            close.code,
            close.reason
        );
    }
    for at in &slow.resynced_at {
        println!("- reconnected and synced again at {:+.1} s", secs(*at));
    }
    let s = slow.stats();
    println!(
        "- edits it holds: {} received live, {} by resync after reconnecting; server's slow-connections-closed counter: {}",
        s.live, s.resynced, run.verdict.slow_closed
    );
    if !slow.closes.is_empty() && !slow.closes.iter().any(|(c, _)| c.code == 1013) {
        println!(
            "- the slow reader saw the connection drop, not the 1013 close frame, which queued behind its backlog in the socket buffers (see README: wire protocol)"
        );
    }
    let resynced = s.resynced > 0 || !slow.resynced_at.is_empty();
    if !resynced {
        println!(
            "- **FAILED**: the slow reader was neither closed nor resynced: the server buffered everything for it"
        );
    }
    println!();
    resynced
}
