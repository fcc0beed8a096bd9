//! The `locks` scenario (issue 13): what checking updates against locks costs the write path.
//! W1 (the hot room) and then W5 (big-board writes), each on a board that also holds a story
//! map's backbone, run alternately without and with the backbone locked (unlocked, locked,
//! unlocked, locked), each run on a fresh server, with the participants as editors in every
//! run, so that the only difference is the lock: with it, every note move is walked against
//! the lock index before it is applied. Printed per workload: each run's note-move p50 and
//! p99, and the p99 of the locked runs over that of the unlocked ones (the samples of each
//! condition pooled), against the goal of at most 1.2x. How the lock was made sure of
//! is in [`locks`](super::locks); a run where it was not fails the scenario.

use super::Session;
use super::driver::{self, Run, Workload};
use super::latency::Summary;
use super::locks::{self, Plan};
use super::options::ServerKind;
use super::report::{self, Latencies};
use super::vote_report::{load_average, median_second_p99};
use super::{big_board, hot_room, locks_check};

/// Unlocked then locked, this many times: alternating spreads a drift of the shared machine's
/// load over both conditions instead of pinning it on one.
const PAIRS: usize = 2;
/// The goal for note-move p99 with the backbone locked over without.
const GOAL: f64 = 1.2;

/// One run and what it measured.
struct Measured {
    run: Run,
    lat: Latencies,
    load: String,
}

pub fn run_locks(session: &mut Session) -> anyhow::Result<bool> {
    if session.server != ServerKind::Huddle {
        println!(
            "## locks against {}: skipped (locks are Huddle's since issue 13)\n",
            session.server.name()
        );
        return Ok(true);
    }
    let mut passed = true;
    for base in [hot_room::w1(session), big_board::w5(session)] {
        passed &= compare(session, base)?;
    }
    Ok(passed)
}

/// The alternating runs of one workload and their comparison; false if a run failed its
/// checks or its lock was not as planned.
fn compare(session: &Session, base: Workload) -> anyhow::Result<bool> {
    let mut passed = true;
    let mut runs = Vec::new();
    for i in 0..2 * PAIRS {
        let lock = i % 2 == 1;
        let w = Workload {
            name: name(base.name),
            title: title(base.name, lock),
            locks: Some(Plan { lock }),
            ..base.clone()
        };
        let load = load_average();
        let run = driver::run(&w, &session.pinning, session.server)?;
        let lat = report::print_run(&run);
        println!(
            "- run {} of {} (alternating, unlocked first)",
            i + 1,
            2 * PAIRS
        );
        report::print_counters(&run);
        passed &= report::print_verdict(&run);
        passed &= print_lock(&run);
        runs.push(Measured { run, lat, load });
    }
    print_comparison(&base, &runs);
    locks_check::print_cost(base.notes_per_board)?;
    Ok(passed)
}

fn name(base: &str) -> &'static str {
    if base == "w5" { "locks w5" } else { "locks w1" }
}

fn title(base: &str, lock: bool) -> &'static str {
    match (base, lock) {
        ("w5", false) => "W5 (big-board writes) with a story map's backbone, unlocked",
        ("w5", true) => "W5 (big-board writes) with a story map's backbone, all of it locked",
        (_, false) => "W1 (hot room) with a story map's backbone, unlocked",
        (_, true) => "W1 (hot room) with a story map's backbone, all of it locked",
    }
}

/// How the lock went in a run; false if not as planned.
fn print_lock(run: &Run) -> bool {
    let Some(l) = &run.locks else {
        println!("**FAILED**: the run has no lock outcome\n");
        return false;
    };
    let mut problems = l.problems.clone();
    problems.extend(locks::check_after(run));
    if l.plan.lock {
        println!(
            "- the backbone ({} items) locked by the admin: Lock -> Ack {}; {} in the `locks` map; an editor's move of the locked map: {}; the participants were editors",
            l.backbone,
            l.ack_ms.map_or("never".into(), |ms| format!("{ms:.1} ms")),
            l.locked_seen,
            l.probe
        );
    } else {
        println!(
            "- the backbone ({} items) unlocked: an editor's move of the map: {}; the participants were editors",
            l.backbone, l.probe
        );
    }
    if problems.is_empty() {
        println!(
            "- lock checks: as planned, and every replica ended with the board's locks ({})\n",
            if l.plan.lock {
                "all of the backbone"
            } else {
                "none"
            }
        );
        return true;
    }
    println!("\n**FAILED** (the lock, {} problem(s)):\n", problems.len());
    for p in &problems {
        println!("- {p}");
    }
    println!();
    false
}

/// The runs side by side and the ratio of the locked runs' p99 over the unlocked ones'.
fn print_comparison(base: &Workload, runs: &[Measured]) {
    let name = name(base.name);
    println!(
        "## {name}: note moves with the backbone locked against without ({} runs, alternating)\n",
        runs.len()
    );
    println!(
        "| run | backbone | p50 | p99 | median of the per-second p99s | generator lag p99 | server CPU mean | load average at start |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (i, m) in runs.iter().enumerate() {
        println!(
            "| {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} | {} |",
            i + 1,
            if is_locked(m) { "locked" } else { "unlocked" },
            m.lat.edits.p50,
            m.lat.edits.p99,
            median_second_p99(&m.run),
            m.run.generator_lag.p99,
            m.run.resources.server_cores_mean,
            m.load
        );
    }
    let (unlocked, locked) = (pooled(runs, false), pooled(runs, true));
    let ratio = |a: f64, b: f64| a / b.max(1e-9);
    let p99 = ratio(locked.p99, unlocked.p99);
    let pairs: Vec<String> = runs
        .chunks(2)
        .filter_map(|pair| match pair {
            [a, b] => Some(format!("{:.2}x", ratio(b.lat.edits.p99, a.lat.edits.p99))),
            _ => None,
        })
        .collect();
    let mean = |lock: bool, f: &dyn Fn(&Measured) -> f64| {
        let of: Vec<f64> = runs
            .iter()
            .filter(|m| is_locked(m) == lock)
            .map(f)
            .collect();
        of.iter().sum::<f64>() / of.len().max(1) as f64
    };
    let steady = ratio(
        mean(true, &|m| median_second_p99(&m.run)),
        mean(false, &|m| median_second_p99(&m.run)),
    );
    let cpu = ratio(
        mean(true, &|m| m.run.resources.server_cores_mean),
        mean(false, &|m| m.run.resources.server_cores_mean),
    );
    println!(
        "\n- pooled: unlocked p50 {:.2} ms, p99 {:.2} ms ({} samples); locked p50 {:.2} ms, p99 {:.2} ms ({} samples)",
        unlocked.p50, unlocked.p99, unlocked.count, locked.p50, locked.p99, locked.count
    );
    let verdict = if p99 <= GOAL { "meets" } else { "MISSES" };
    println!(
        "- **note-move p99 locked / unlocked: {p99:.2}x** ({verdict} issue 13's goal of at most {GOAL}x); per pair: {}; median of the per-second p99s: {steady:.2}x; server CPU: {cpu:.2}x",
        pairs.join(", ")
    );
    println!(
        "- the machine is shared (2 cores, other work running): a load average above about 1 at a run's start is other work, and moves that run's tail; the per-second median is the figure least moved by a burst.\n"
    );
}

fn is_locked(m: &Measured) -> bool {
    m.run.locks.as_ref().is_some_and(|l| l.plan.lock)
}

/// The note-move latencies of every run with (or without) the lock, as one sample.
fn pooled(runs: &[Measured], lock: bool) -> Summary {
    let mut samples: Vec<u32> = runs
        .iter()
        .filter(|m| is_locked(m) == lock)
        .flat_map(|m| m.run.outcomes.iter())
        .flat_map(|o| o.stats().edit_latency_us.iter().copied())
        .collect();
    Summary::of(&mut samples)
}
