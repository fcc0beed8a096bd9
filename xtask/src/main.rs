//! `cargo xtask <command>`: Huddle's build tooling, in Rust so it runs wherever cargo does.
//!
//! `cargo xtask serve` builds the web client and runs the server (the one command for a fresh
//! machine); `cargo xtask test` installs what the tests need and runs the whole suite.
//!
//! # Layout
//!
//! - `main.rs`: the command line and the workspace paths.
//! - [`cmd`]: running child processes with the command echoed on stderr.
//! - [`deps`]: installing what is missing (the wasm32 target, Chromium, npm packages).
//! - [`client`]: `build-client`: cargo build for wasm32, wasm-bindgen, static files, sizes.
//! - [`serve`], [`cluster`], [`test`], [`bench`], [`fuzz`]: the other commands.

mod bench;
mod client;
mod cluster;
mod cmd;
mod deps;
mod fuzz;
mod serve;
mod test;
mod wasm_order;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Huddle's build tooling."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the web client (wasm32 + JS bindings + static files) into client/dist.
    BuildClient {
        /// Build with the dev profile (faster to compile, larger, with debug assertions).
        #[arg(long, conflicts_with = "names")]
        debug: bool,
        /// Keep the wasm's function names, for CPU profiles in the browser's DevTools (a
        /// release build otherwise orders its functions by name, then leaves the names out).
        #[arg(long)]
        names: bool,
    },
    /// Build the web client, then run the server with it (`huddle serve`).
    ///
    /// Defaults: --addr 127.0.0.1:8080 --data ./huddle-data (relative to the workspace root).
    Serve {
        /// Extra arguments for `huddle serve`, after `--` (e.g. `-- --addr 0.0.0.0:8080`).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// A cluster to try by hand: Redis (installed with apt when missing; data in
    /// ./huddle-cluster/redis), three nodes on loopback and a TCP round-robin in front of them
    /// at http://127.0.0.1:8080 (`-- --addr HOST:PORT` for another). Ctrl-C stops it all;
    /// `kill -9` a node's printed pid to watch its people move to the others.
    Cluster {
        /// `--addr HOST:PORT` for the round-robin, after `--`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Install what the tests need when missing, build the client and the server, run all tests.
    Test {
        /// Extra arguments for `cargo test`, after `--` (e.g. a test name filter).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Fuzz every parser of untrusted bytes with cargo-fuzz (installs nightly Rust and
    /// cargo-fuzz when missing), one target after the other.
    ///
    /// Targets: wire_frame, update_validator, awareness, csv_import, json_import, access (all
    /// by default). Each runs --secs seconds (default 600). Prints inputs tried per target;
    /// exits non-zero if one crashed, naming the input (in shared/fuzz/artifacts/TARGET/).
    /// Example: `cargo xtask fuzz -- --secs 60 wire_frame`. Not part of CI: the tests replay
    /// every input ever found (shared/tests/fuzz_regressions/).
    Fuzz {
        /// `--secs N` and target names, after `--`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run the benchmark harness (`huddle-tests`' `bench` binary) in release mode.
    ///
    /// Scenarios: storage, cold-load, client (the default run), and the load scenarios w1 to w8
    /// (run only when named). Load options: --secs N, --full, --clients N, --no-pin,
    /// --server huddle|y-websocket|y-sweet|relay[,...], --compare. Example:
    /// `cargo xtask bench -- w1 --server huddle,relay`. See BENCHMARKS.md.
    Bench {
        /// Extra arguments for the bench binary, after `--` (`-- --help` for its own help).
        #[arg(last = true)]
        args: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let ws = Workspace::locate();
    match cli.command {
        Command::BuildClient { debug, names } => {
            let flavour = match (debug, names) {
                (true, _) => client::Flavour::Debug,
                (false, true) => client::Flavour::Named,
                (false, false) => client::Flavour::Shipped,
            };
            client::build(&ws, flavour).map(drop)
        }
        Command::Serve { args } => serve::run(&ws, &args),
        Command::Cluster { args } => cluster::run(&ws, &args),
        Command::Test { args } => test::run(&ws, &args),
        Command::Bench { args } => bench::run(&ws, &args),
        Command::Fuzz { args } => fuzz::run(&ws, &args),
    }
}

/// Paths inside the workspace, all absolute.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Workspace {
    fn locate() -> Self {
        // xtask/ sits directly under the workspace root.
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf();
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Workspace { root, target_dir }
    }

    /// Where `build-client` puts the web app, and what the server serves.
    pub fn client_dist(&self) -> PathBuf {
        self.root.join("client").join("dist")
    }

    /// Builds the server in release mode (`cargo build --release`); its binary.
    pub fn build_release_server(&self) -> anyhow::Result<PathBuf> {
        cmd::run(cmd::cargo(self).args([
            "build",
            "--release",
            "--package",
            "huddle-server",
            "--bin",
            "huddle",
        ]))?;
        Ok(self.target_dir.join("release").join("huddle"))
    }

    /// The debug server binary the end-to-end tests spawn.
    pub fn debug_server_bin(&self) -> PathBuf {
        self.target_dir.join("debug").join("huddle")
    }
}
