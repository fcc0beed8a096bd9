//! Load scenarios of issue 5, run only when named (`cargo xtask bench -- w1 w3`): many
//! simulated participants against a real, pinned `huddle` process, each a yrs replica speaking
//! y-websocket over tokio-tungstenite. Latency is measured from send to receipt at every other
//! participant; every edit is accounted for at every receiver (a missing one fails the run);
//! all replicas must end identical, and agree with a client that joins afterwards; the
//! server's CPU and memory are sampled every second.
//!
//! Only Huddle is measured so far. The participants speak plain y-websocket, so the same
//! workloads can be pointed at y-websocket's server or y-sweet later: what is Huddle-specific
//! is the server start ([`server`]) and the seeding of boards on disk ([`seed`]).
//!
//! Options after the names: `--secs N` (sending window), `--full` (W3 at 1,000 boards),
//! `--no-pin`.
//!
//! # Layout
//!
//! - [`options`]: command-line options.
//! - [`ledger`]: who sent which edit and cursor when; identifies what a receiver got.
//! - [`replica`]: one participant's document and bookkeeping, no I/O.
//! - [`conn`]: a lean WebSocket connection (small buffers, no extra tasks).
//! - [`participant`]: one participant's task: phases, timers, reconnects.
//! - [`driver`]: runs a workload against a fresh server and collects the outcomes.
//! - [`verify`]: the checks that fail a run.
//! - [`server`]: the server under test, started pinned.
//! - [`latency`], [`procstat`], [`pin`], [`seed`], [`report`]: percentiles, `/proc` sampling,
//!   `taskset`, boards on disk, markdown.
//! - [`hot_room`] (W1, W7), [`many_rooms`] (W3), [`cold_join`] (W4): the scenarios.

mod cold_join;
mod conn;
mod driver;
mod hot_room;
mod latency;
mod ledger;
mod many_rooms;
mod options;
mod participant;
mod pin;
mod procstat;
mod replica;
mod report;
mod seed;
mod server;
mod verify;

pub use options::Options;

/// The load scenarios (they run in the order they are named).
pub const SCENARIOS: [&str; 4] = ["w1", "w3", "w4", "w7"];

/// State shared by the load scenarios of one invocation.
pub struct Session {
    options: Options,
    pinning: pin::Pinning,
    /// W1's edit latency, when W1 ran first: W7 compares with it.
    w1_edits: Option<latency::Summary>,
}

impl Session {
    pub fn new(options: Options) -> Session {
        Session {
            pinning: pin::Pinning::plan(!options.no_pin),
            options,
            w1_edits: None,
        }
    }

    /// Runs one load scenario; `Ok(false)` if it ran but failed its checks.
    pub fn run(&mut self, name: &str) -> anyhow::Result<bool> {
        match name {
            "w1" => hot_room::run_w1(self),
            "w3" => many_rooms::run_w3(self),
            "w4" => cold_join::run_w4(self),
            "w7" => hot_room::run_w7(self),
            other => anyhow::bail!("{other:?} is not a load scenario"),
        }
    }
}
