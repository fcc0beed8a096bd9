//! Markdown output of the load scenarios: the parameters, the machine and the date, a latency
//! table, a run table (counts and resources), the verdict against the targets.

use super::driver::Run;
use super::latency::Summary;
use super::options::ServerKind;

/// One server's figures of one scenario, for the `--compare` table.
pub struct Row {
    pub server: ServerKind,
    pub edits: Summary,
    pub expected: u64,
    pub missing: u64,
    pub passed: bool,
    pub cpu_mean: f64,
    pub rss_peak_kib: u64,
    pub generator_cpu: f64,
    /// W3: server memory per idle connection (KiB), and its RSS with every client connected.
    pub idle_kib_per_conn: Option<f64>,
    pub rss_all_kib: Option<u64>,
    /// W3: seconds until the first wave (a client per board) and the rest had synced.
    pub join_waves_secs: Option<(f64, f64)>,
    /// W3: the server's CPU per join (ms) in the first wave and in the rest.
    pub join_cpu_ms: Option<(f64, f64)>,
}

impl Row {
    pub fn of(server: ServerKind, run: &Run, lat: &Latencies) -> Row {
        let v = &run.verdict;
        Row {
            server,
            edits: lat.edits,
            expected: v.expected,
            missing: v.expected.saturating_sub(v.delivered),
            passed: v.passed(),
            cpu_mean: run.resources.server_cores_mean,
            rss_peak_kib: run.resources.server_rss_peak_kib,
            generator_cpu: run.resources.generator_cores_mean,
            idle_kib_per_conn: run.memory.map(|m| m.per_idle_connection_kib(&run.workload)),
            rss_all_kib: run.memory.map(|m| m.all_kib),
            join_waves_secs: run
                .memory
                .map(|m| (m.first_wave.as_secs_f64(), m.rest_wave.as_secs_f64())),
            join_cpu_ms: run.memory.map(|m| m.cpu_ms_per_join(&run.workload)),
        }
    }
}

/// The side-by-side table of one scenario: each server's edit latency, losses and resources,
/// and Huddle / other for p99 and CPU (below 1: Huddle is faster or cheaper).
pub fn print_comparison(name: &str, rows: &[Row]) {
    let Some(huddle) = rows.iter().find(|r| r.server == ServerKind::Huddle) else {
        return;
    };
    println!("### {name}: side by side (note moves, send -> receipt at every other client)\n");
    println!(
        "| server | p50 | p95 | p99 | max | missing deliveries (of expected) | checks | server CPU mean (cores) | server RSS peak | generator CPU | p99 Huddle / this | CPU Huddle / this |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let ratio = |a: f64, b: f64| {
            if r.server == ServerKind::Huddle {
                "-".to_owned()
            } else if b > 0.0 {
                format!("**{:.2}**", a / b)
            } else {
                "n/a".to_owned()
            }
        };
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {} (of {}) | {} | {:.2} | {:.1} MiB | {:.2} | {} | {} |",
            r.server.name(),
            r.edits.p50,
            r.edits.p95,
            r.edits.p99,
            r.edits.max,
            r.missing,
            r.expected,
            if r.passed { "passed" } else { "FAILED" },
            r.cpu_mean,
            r.rss_peak_kib as f64 / 1024.0,
            r.generator_cpu,
            ratio(huddle.edits.p99, r.edits.p99),
            ratio(huddle.cpu_mean, r.cpu_mean),
        );
    }
    if let Some(relay) = rows.iter().find(|r| r.server == ServerKind::Relay) {
        println!(
            "\nServer-added latency, Huddle minus the null relay (same generator, same run; a difference of percentiles, so an estimate): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms.",
            huddle.edits.p50 - relay.edits.p50,
            huddle.edits.p95 - relay.edits.p95,
            huddle.edits.p99 - relay.edits.p99,
        );
        if name == "w1" {
            target(
                "server-added p99 of note moves (Huddle minus the null relay)",
                huddle.edits.p99 - relay.edits.p99,
                "ms",
                5.0,
            );
        }
    }
    if rows
        .iter()
        .any(|r| !r.server.is_huddle() && r.server != ServerKind::Relay)
    {
        println!(
            "\ny-websocket, y-sweet and Hocuspocus have no \"saved\" message: their boards were seeded over the wire, the barrier being a sync-step-1 round trip on the seeding connection (its step 2 must hold the seed); the seeding connections stayed open until the participants had synced. Everything else (rates, checks, drain until every delivery arrived) is the same for every server.\n"
        );
    }
}

/// `machine: ...; date: ...` for the header of every scenario.
pub fn context_line() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = first_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into());
    let mem_gib = first_field("/proc/meminfo", "MemTotal")
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(String::from("? GiB"), |kib| {
            format!("{:.0} GiB", kib / 1024.0 / 1024.0)
        });
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown date".into());
    format!("machine: {cores} cores ({model}), {mem_gib}; date: {date}")
}

fn first_field(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// Latency summaries of a run: edits and cursors at every receiver but a slow reader.
pub struct Latencies {
    pub edits: Summary,
    pub cursors: Summary,
    pub cursors_expected: u64,
}

pub fn latencies(run: &Run) -> Latencies {
    let (mut edits, mut cursors) = (Vec::new(), Vec::new());
    let mut cursors_expected = 0;
    for o in run
        .outcomes
        .iter()
        .filter(|o| o.spec.slow_bytes_per_sec.is_none())
    {
        edits.extend_from_slice(&o.stats().edit_latency_us);
        cursors.extend_from_slice(&o.stats().cursor_latency_us);
        cursors_expected += o
            .spec
            .room
            .clone()
            .filter(|&s| s != o.spec.index)
            .map(|s| run.shared.ledger.cursors_sent(s) as u64)
            .sum::<u64>();
    }
    Latencies {
        edits: Summary::of(&mut edits),
        cursors: Summary::of(&mut cursors),
        cursors_expected,
    }
}

/// Prints the scenario's header, its tables and its verdict; returns the latencies.
pub fn print_run(run: &Run) -> Latencies {
    let w = &run.workload;
    println!("## {}: {}\n", w.name, w.title);
    println!(
        "parameters: {} board(s) x {} clients, {} notes per board, per client {} moves/s, {} text edits/s, {} cursor updates/s; sending for {} s{}",
        w.boards,
        w.clients_per_board,
        w.notes_per_board,
        w.rates.moves,
        w.rates.texts,
        w.rates.cursors,
        w.duration.as_secs(),
        w.slow_reader.map_or(String::new(), |r| format!(
            "; participant 0 reads {r} bytes/s and sends nothing"
        ))
    );
    println!("{}; {}\n", context_line(), run.pinning);

    let lat = latencies(run);
    println!(
        "| latency, send -> receipt at every other client | samples | p50 | p95 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| edits (note moves{}) | {} |",
        texts_note(run),
        lat.edits.cells()
    );
    if w.rates.cursors > 0.0 {
        println!("| cursors (awareness) | {} |", lat.cursors.cells());
    }
    println!(
        "| (the generator's own lag: how late a 10 ms timer fired in it) | {} |",
        run.generator_lag.cells()
    );

    let r = &run.resources;
    let v = &run.verdict;
    let sent: u64 = (0..w.participants())
        .map(|p| run.shared.ledger.edits_sent(p) as u64)
        .sum();
    let senders = w.participants() - usize::from(w.slow_reader.is_some());
    let rate = sent as f64 / senders.max(1) as f64 / r.window.as_secs_f64().max(1e-9);
    println!(
        "\n| edits sent | per client per s | deliveries expected | delivered | missing | cursors delivered / expected | server CPU mean / peak 1 s (cores) | server RSS peak | generator CPU (cores) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {sent} | {rate:.2} | {} | {} | {} | {} / {} | {:.2} / {:.2} | {:.1} MiB | {:.2} |\n",
        v.expected,
        v.delivered,
        v.expected.saturating_sub(v.delivered),
        lat.cursors.count,
        lat.cursors_expected,
        r.server_cores_mean,
        r.server_cores_peak,
        r.server_rss_peak_kib as f64 / 1024.0,
        r.generator_cores_mean,
    );
    let echoes: u64 = run.outcomes.iter().map(|o| o.stats().echoes).sum();
    if echoes > 0 {
        println!(
            "The server sent {echoes} edits back to the client that made them (not counted as deliveries; y-websocket and y-sweet send every update to the whole room, its sender included).\n"
        );
    }
    if r.generator_cores_mean > 0.9 {
        println!(
            "WARNING: the generator used {:.2} cores of its {}: latencies may include its own queueing.\n",
            r.generator_cores_mean, run.pinning
        );
    }
    lat
}

fn texts_note(run: &Run) -> &'static str {
    if run.workload.rates.texts > 0.0 {
        " and text edits"
    } else {
        ""
    }
}

/// Prints how much Huddle's counters rose while the run sent (compactions, flushes).
pub fn print_counters(run: &Run) {
    let get = |name: &str| {
        run.counters
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    };
    let (Some(compactions), Some(flushes), Some(flush_secs)) = (
        get("huddle_compactions_total"),
        get("huddle_store_flush_seconds_count"),
        get("huddle_store_flush_seconds_sum"),
    ) else {
        return;
    };
    println!(
        "- while sending: {compactions:.0} compactions, {flushes:.0} group commits (store flushes, {:.2} ms mean)",
        flush_secs * 1e3 / flushes.max(1.0)
    );
}

/// Prints a target line: `name: value (meets|MISSES the target of ...)`.
pub fn target(what: &str, value: f64, unit: &str, at_most: f64) {
    let verdict = if value <= at_most { "meets" } else { "MISSES" };
    println!(
        "- {what}: {value:.2} {unit} ({verdict} issue 5's target of at most {at_most} {unit})"
    );
}

/// Prints the checks' outcome; returns whether the run passed.
pub fn print_verdict(run: &Run) -> bool {
    let v = &run.verdict;
    let boards = run.workload.boards;
    if v.passed() {
        let late_joiner = if run.server == ServerKind::Hocuspocus {
            " (no late joiner: Hocuspocus in memory drops a document when its last client leaves)"
        } else {
            ", and a client joining afterwards agrees"
        };
        println!(
            "- checks: every edit reached every other client of its board, in order, none skipped; the replicas of each of the {boards} board(s) are identical{late_joiner}; the server stopped cleanly.\n"
        );
        return true;
    }
    println!("\n**FAILED** ({} problem(s)):\n", v.failures.len());
    for f in &v.failures {
        println!("- {f}");
    }
    println!();
    false
}

/// The note moves' p99 for each second of sending (by when the move was sent): whether a
/// tail is steady or one burst (the start, a stall).
pub fn print_p99_by_second(run: &Run) {
    let start_ms = run.start_ns / 1_000_000;
    let mut seconds: Vec<Vec<u32>> = Vec::new();
    for o in &run.outcomes {
        let stats = o.stats();
        for (&latency, &sent_ms) in stats.edit_latency_us.iter().zip(&stats.edit_sent_ms) {
            let second = (u64::from(sent_ms).saturating_sub(start_ms) / 1000) as usize;
            if seconds.len() <= second {
                seconds.resize_with(second + 1, Vec::new);
            }
            seconds[second].push(latency);
        }
    }
    let cells: Vec<String> = seconds
        .iter_mut()
        .map(|s| format!("{:.1}", Summary::of(s).p99))
        .collect();
    println!(
        "- note-move p99 (ms) by second of sending: {}",
        cells.join(", ")
    );
}
