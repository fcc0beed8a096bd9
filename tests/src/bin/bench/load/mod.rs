//! Load scenarios of issue 5, run only when named (`cargo xtask bench -- w1 w3`): many
//! simulated participants against a real, pinned `huddle` process, each a yrs replica speaking
//! y-websocket over tokio-tungstenite. Latency is measured from send to receipt at every other
//! participant; every edit is accounted for at every receiver (a missing one fails the run);
//! all replicas must end identical, and agree with a client that joins afterwards; the
//! server's CPU and memory are sampled every second.
//!
//! The participants speak plain y-websocket, so the same workloads run against the Yjs servers
//! people use today: y-websocket's own server and y-sweet (`--server y-websocket`, `--server
//! y-sweet`, or `--compare` for Huddle, y-websocket and y-sweet in turn, with a ratio table per
//! scenario), and Hocuspocus in memory (`--server hocuspocus`, through [`conn`]'s framing; W1,
//! W2, W3, W5 and W7): what is server-specific is the start ([`server`], [`yws`], [`ysweet`]),
//! the room's URL path, the framing, and the seeding of boards (on disk for Huddle, [`seed`];
//! over the wire for the others, with a sync-step-1 round trip as the barrier, since they have
//! no "saved").
//!
//! Since issue 11 the generator connects to Huddle as its admin ([`admin`]). A previous
//! release of Huddle runs beside the current one with `--baseline-bin PATH` (as
//! `huddle-baseline`, the same seeding, checks and measures), and [`baseline`] prints current /
//! baseline against issue 11's 10% budget; `--huddle-arg ARG` passes a flag to the current
//! `huddle serve` only.
//!
//! Options after the names: `--secs N` (sending window), `--full` (W3 at 1,000 boards),
//! `--clients N` (W2's room at N participants instead of 500),
//! `--no-pin`, `--server huddle|y-websocket|y-sweet|hocuspocus|relay[,...]`, `--compare`,
//! `--baseline-bin PATH`, `--huddle-arg ARG`.
//!
//! # Layout
//!
//! - [`options`]: command-line options.
//! - [`admin`]: acting as Huddle's admin (its key per data directory, the boards it lists).
//! - [`baseline`]: the current Huddle against a previous release, with issue 11's budget.
//! - [`ledger`]: who sent which edit and cursor when; identifies what a receiver got.
//! - [`replica`]: one participant's document and bookkeeping, no I/O.
//! - [`conn`]: a lean WebSocket connection (small buffers, no extra tasks), framed for
//!   y-websocket or Hocuspocus.
//! - [`participant`]: one participant's task: phases, timers, reconnects.
//! - [`workload`]: what a scenario asks for, and the participants it makes.
//! - [`driver`]: runs a workload against a fresh server and collects the outcomes.
//! - [`verify`]: the checks that fail a run.
//! - [`server`]: the server under test, started pinned; [`yws`]: y-websocket's server (and
//!   the start of Hocuspocus, from the same npm directory);
//!   [`ysweet`]: y-sweet; [`relay`]: the null relay, the baseline of server-added latency.
//! - [`latency`], [`procstat`], [`pin`], [`seed`], [`report`]: percentiles, `/proc` sampling,
//!   `taskset`, boards on disk, markdown.
//! - [`hot_room`] (W1, W7), [`big_room`] (W2), [`many_rooms`] (W3), [`cold_join`] (W4),
//!   [`big_board`] (W5), [`restart`] (W6), [`drag_soak`] (W8): the scenarios.
//! - `w8-versions` (issue 14): W8 with the server's version clock moved an hour forward every
//!   twelfth of the window, then its versions on disk: [`version_soak`].
//! - `vote` (issue 12): a dot vote of 200 people on 100 notes in W1's room, against W1 alone
//!   in the same invocation: [`ballots`] (what each voter casts, when), [`voter`] and
//!   [`facilitator`] (their connections), [`vote`] (the group the driver adds to a run),
//!   [`vote_report`] (the scenario and its figures).
//! - `locks` (issue 13): W1 and W5 on a board with a story map's backbone, unlocked and locked
//!   in turn in the same invocation, for what checking updates against locks costs the write
//!   path: [`locks`] (the board, the lock and the proof it held), [`locks_report`] (the
//!   scenario and the p99 ratio), [`locks_check`] (the check's own cost, in-process).

mod admin;
mod ballots;
mod baseline;
mod big_board;
mod big_room;
mod cold_join;
mod conn;
mod drag_soak;
mod driver;
mod facilitator;
mod hot_room;
mod latency;
mod ledger;
mod light;
mod locks;
mod locks_check;
mod locks_report;
mod many_rooms;
mod options;
mod participant;
mod pin;
mod procstat;
pub mod relay;
mod replica;
mod report;
mod restart;
mod seed;
mod server;
mod verify;
mod version_soak;
mod vote;
mod vote_report;
mod voter;
mod workload;
mod ysweet;
mod yws;

pub use options::Options;
use options::ServerKind;

/// The load scenarios (they run in the order they are named).
pub const SCENARIOS: [&str; 11] = [
    "w1",
    "w2",
    "w3",
    "w4",
    "w5",
    "w6",
    "w7",
    "w8",
    "w8-versions",
    "vote",
    "locks",
];

/// State shared by the load scenarios of one invocation.
pub struct Session {
    options: Options,
    pinning: pin::Pinning,
    /// W1's edit latency, when W1 ran first: W7 compares with it.
    w1_edits: Option<latency::Summary>,
    /// Huddle's W4 medians (first join, second join; ms): the other servers' runs compare.
    w4_huddle: Option<(f64, f64)>,
    /// W4's joins of the current Huddle and of the baseline binary (`--baseline-bin`).
    w4_current: Option<baseline::Joins>,
    w4_baseline: Option<baseline::Joins>,
    /// The server the current scenario runs against.
    server: ServerKind,
    /// One row per server that ran the current scenario (for `--compare`).
    rows: Vec<report::Row>,
}

impl Session {
    pub fn new(options: Options) -> Session {
        server::configure(&options);
        Session {
            pinning: pin::Pinning::plan(!options.no_pin),
            options,
            w1_edits: None,
            w4_huddle: None,
            w4_current: None,
            w4_baseline: None,
            server: ServerKind::Huddle,
            rows: Vec::new(),
        }
    }

    /// Records the current server's figures of a scenario for the comparison table.
    fn record(&mut self, run: &driver::Run, lat: &report::Latencies) {
        self.rows.push(report::Row::of(self.server, run, lat));
    }

    /// Runs one load scenario against each server of `--server`/`--compare`; `Ok(false)` if
    /// Huddle's run failed its checks. Another server's failed checks are findings about that
    /// server: they are printed, and do not fail the invocation.
    pub fn run(&mut self, name: &str) -> anyhow::Result<bool> {
        self.rows.clear();
        let mut passed = true;
        for kind in self.options.servers.clone() {
            self.server = kind;
            let huddle_only = match (name, kind) {
                ("w4" | "w6" | "w8", ServerKind::Relay) => {
                    Some("the null relay keeps nothing on disk")
                }
                ("w4" | "w6" | "w8", ServerKind::Hocuspocus) => {
                    Some("Hocuspocus runs in memory here: nothing to load from disk or restart on")
                }
                _ => None,
            };
            if let (Some(why), true) = (huddle_only, !kind.is_huddle()) {
                println!("## {name} against {}: skipped ({why})\n", kind.name());
                continue;
            }
            let result = self.run_one(name);
            if kind == ServerKind::YSweet && ysweet::dropped() > 0 {
                println!(
                    "- y-sweet logged \"Error sending message: Full\" {} times: each is a message it dropped because a connection's queue (1,024 messages) was full; the receiver never gets it, and is not told.\n",
                    ysweet::dropped()
                );
            }
            match (kind, result) {
                (ServerKind::Huddle, result) => passed &= result?,
                (other, Ok(ok)) => {
                    if !ok {
                        println!(
                            "- {}: the run's checks failed (above): a finding about that server.\n",
                            other.name()
                        );
                    }
                }
                (other, Err(e)) => {
                    println!("## {name} against {}: FAILED to run: {e:#}\n", other.name())
                }
            }
        }
        if self.options.servers.len() > 1 {
            report::print_comparison(name, &self.rows);
        }
        if let Some((figures, passed)) = baseline::run_figures(&self.rows) {
            baseline::print(name, &figures, passed);
        }
        if let (Some(current), Some(base)) = (self.w4_current, self.w4_baseline.take()) {
            baseline::print(name, &baseline::join_figures(current, base), true);
        }
        self.server = ServerKind::Huddle;
        Ok(passed)
    }

    fn run_one(&mut self, name: &str) -> anyhow::Result<bool> {
        match name {
            "w1" => hot_room::run_w1(self),
            "w2" => big_room::run_w2(self),
            "w5" => big_board::run_w5(self),
            "w6" => restart::run_w6(self),
            "w3" => many_rooms::run_w3(self),
            "w4" => cold_join::run_w4(self),
            "w7" => hot_room::run_w7(self),
            "w8" => drag_soak::run_w8(self),
            "w8-versions" => version_soak::run_w8_versions(self),
            "vote" => vote_report::run_vote(self),
            "locks" => locks_report::run_locks(self),
            other => anyhow::bail!("{other:?} is not a load scenario"),
        }
    }
}
