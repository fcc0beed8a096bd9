//! `cargo xtask bench`: Huddle's benchmarks. Every figure is measured in this run, and each
//! goal is checked against a baseline measured in the same run (a ratio), never against a
//! wall-clock constant alone: the machine is shared and noisy.
//!
//! Usage: `bench [SCENARIO...] [OPTIONS]` with scenarios `storage`, `cold-load`, `client`,
//! `storymap`, `disk` (the default run: these five) and the load scenarios of issue 5, run only when named: `w1`, `w2`,
//! `w3`, `w4`, `w5`, `w6`, `w7`, `w8`, issue 14's `w8-versions`, issue 12's `vote` and issue 13's `locks` (options `--secs N`, `--full`, `--clients N`, `--no-pin`,
//! `--server`, `--compare`, `--baseline-bin PATH`, `--huddle-arg ARG`; see [`load`]). A load scenario whose checks fail
//! (a missing update, differing replicas, ...) makes the command exit non-zero after the
//! remaining scenarios have run.
//!
//! # Layout
//!
//! - [`stats`]: medians and percentiles of repeated samples.
//! - [`fixtures`]: boards of N notes and streams of note moves.
//! - [`storage`]: cost of storing one note move, on a small and on a big board.
//! - [`cold_load`]: loading a big board from sled until sync step 2 can be sent.
//! - [`client`]: the web client in headless Chromium: first frame, frame times, download.
//! - [`storymap`]: a story map's relayout, a story's move, CSV export and import, big against
//!   small.
//! - [`since`]: issue 14's "since you last looked" report after 1,000 changes.
//! - [`disk`]: one board's data directory under churn, against its snapshot.
//! - [`load`]: the load generator and the W scenarios of issue 5.
//! - [`pictures`]: issue 14's picture exports of a 10,000-note board (run when named).
//! - [`node_kill`]: issue 15's W6 for a node of a cluster (run when named).

const USAGE: &str = "\
Usage: bench [SCENARIO...] [OPTIONS]   (through `cargo xtask bench -- ...`)

Scenarios:
  storage, cold-load, client,   the default run (all five)
  storymap, disk
  since                         issue 14: \"since you last looked\" after 1,000 changes on a
                                10,000-note board (run only when named)
  versions                      issue 14's version storage and opening (10,000 notes), run only
                                when named
  w1 .. w8                      issue 5's load scenarios, run only when named:
                                w1 hot room, w2 big room, w3 many rooms, w4 cold load,
                                w5 big-board writes, w6 restart, w7 slow reader, w8 drag soak
  w8-versions                   issue 14: W8 against a server with a test clock, moved an
                                hour forward every twelfth of the window (hourly versions
                                while 20 clients drag), then its versions on disk: bytes per
                                version against the snapshot, data dir, opening one
  vote                          issue 12: a dot vote of 200 people on 100 notes in W1's
                                room (three runs: W1 alone, with the 200 present, voting;
                                --secs sets W1's window, the vote scales to fit)
  w6-node-kill                  issue 15: kill -9 of the node owning every board of a
                                three-node cluster (Redis from apt): time until every
                                client is back, acknowledged notes lost (goal 0)
  pictures                      issue 14: SVG, PNG and PDF export of a 10,000-note
                                board against a 100-note one (in-process)
  locks                         issue 13: W1, then W5, on a board with a story map's
                                backbone (10 activities x 5 steps, 3 releases), run
                                unlocked, locked, unlocked, locked (editors writing, the
                                backbone locked by the admin); note-move p99 locked /
                                unlocked against the 1.2x goal (--secs sets each window)
Options of the load scenarios:
  --secs N          sending window instead of the scenario's default
  --full            w3 at 1,000 boards x 5 clients (default 200 x 5)
  --clients N       w2's room at N participants (default 500), w1's and w7's (default 50)
  --no-pin          do not pin the server and the generator to different cores
  --server LIST     huddle (default), y-websocket, y-sweet, hocuspocus (in memory: w1, w2,
                    w3, w5, w7), relay (the null relay, a baseline), comma-separated to
                    run several in turn: --server huddle,relay
  --compare         huddle, y-websocket and y-sweet in turn, with a ratio table
  --baseline-bin PATH
                    also run each scenario against the huddle binary at PATH (a previous
                    release, as huddle-baseline) right after the current one, and print
                    current / baseline for note-move p50 and p99, CPU, RSS, memory per
                    idle connection (w3) and join times (w4), with a verdict against
                    issue 11's budget (at most 1.10x on p99, idle memory and joins)
  --huddle-arg ARG  pass ARG to the current `huddle serve` only, never to the baseline;
                    repeatable, one word each, so a flag and its value go as one:
                    --huddle-arg=--idle-unload-secs=60
  --help            this text

Results and how to read them: BENCHMARKS.md.";

mod client;
mod cold_load;
mod disk;
mod fixtures;
mod load;
mod node_kill;
mod pictures;
mod since;
mod stats;
mod storage;
mod storymap;
mod versions;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    if args.first().is_some_and(|a| a == "relay") {
        // The null relay's own process (started by the load scenarios, not by people).
        return load::relay::main();
    }
    let (names, options) = load::Options::parse(&args)?;
    if std::env::var_os("HUDDLE_MAX_CONNECTIONS_PER_IP").is_none() {
        // Every simulated person connects from 127.0.0.1, and W3 --full opens 5,000
        // connections: lift the server's per-address limit (2,000 by default) for the servers
        // started here. An older baseline binary ignores the variable.
        // SAFETY: set before any thread is started.
        unsafe { std::env::set_var("HUDDLE_MAX_CONNECTIONS_PER_IP", "0") };
    }
    let server_bin = choose_server_bin()?;
    let all = ["storage", "cold-load", "client", "storymap", "disk"];
    // Run only when named (not part of the default run).
    let named_only = ["pictures", "since", "versions", "w6-node-kill"];
    let chosen: Vec<&str> = if names.is_empty() {
        all.to_vec()
    } else {
        names.iter().map(String::as_str).collect()
    };
    for name in &chosen {
        if !all.contains(name) && !named_only.contains(name) && !load::SCENARIOS.contains(name) {
            anyhow::bail!(
                "unknown scenario {name:?}; known: {}, {}",
                all.join(", "),
                load::SCENARIOS.join(", ")
            );
        }
    }
    let mut session = load::Session::new(options);
    let mut failed = Vec::new();
    println!("# Huddle benchmarks\n");
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    println!("commit: {}", git_head());
    println!("server binary: {}\n", server_bin.display());
    for name in chosen {
        match name {
            "storage" => storage::run()?,
            "cold-load" => cold_load::run()?,
            "client" => client::run()?,
            "storymap" => storymap::run()?,
            "disk" => disk::run()?,
            "since" => since::run()?,
            "pictures" => pictures::run()?,
            "versions" => versions::run()?,
            "w6-node-kill" => node_kill::run()?,
            load_scenario => {
                if !session.run(load_scenario)? {
                    failed.push(load_scenario);
                }
            }
        }
    }
    if !failed.is_empty() {
        anyhow::bail!(
            "load scenario(s) {} FAILED their checks (see above)",
            failed.join(", ")
        );
    }
    Ok(())
}

/// The `huddle` binary the benchmarks start: `$HUDDLE_BIN` (set by `cargo xtask bench` to the
/// release build), or else the one built beside this bench binary, so that running
/// `target/release/bench` by hand measures the release server and never, silently, the debug
/// one the tests use (about 20x slower under load).
fn choose_server_bin() -> anyhow::Result<std::path::PathBuf> {
    if let Some(bin) = std::env::var_os("HUDDLE_BIN") {
        return Ok(bin.into());
    }
    let exe = std::env::current_exe()?;
    let beside = exe.with_file_name("huddle");
    if !beside.is_file() {
        anyhow::bail!(
            "no server binary: set HUDDLE_BIN, or build one beside {} (cargo build --release -p huddle-server --bin huddle), or run `cargo xtask bench`",
            exe.display()
        );
    }
    // SAFETY: set before any thread is started.
    unsafe { std::env::set_var("HUDDLE_BIN", &beside) };
    Ok(beside)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn git_head() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(huddle_tests::workspace_root())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
