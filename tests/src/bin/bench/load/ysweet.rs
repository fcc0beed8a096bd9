//! The second reference server of the side-by-side runs: y-sweet 0.9.1 (Rust, yrs), the
//! `y-sweet` binary from crates.io, installed by `cargo install y-sweet --version 0.9.1
//! --locked` into `tests/bench-servers/y-sweet-0.9.1` on first use (about five minutes of
//! building on two cores), and started like Huddle: on loopback, on a port of its own choosing
//! (`--port 0`, read back from its "Listening on" line), under `taskset` on the server's core,
//! with its filesystem store in the run's data directory.
//!
//! What the generator has to know about it:
//! - a room is `/d/<board>/ws/<board>` (the doc id twice, "for Yjs compatibility"); with no
//!   auth key every client may read and write, and a document is created on first use;
//! - like y-websocket it has no "saved" message and it sends every update back to its sender
//!   too (counted apart as echoes); boards are seeded over the wire the same way (see
//!   [`yws::seed_boards`](super::yws::seed_boards));
//! - it persists a document at most every `--checkpoint-freq-seconds` (default 10 s), and it
//!   stops on SIGINT (Ctrl+C), not SIGTERM: a SIGTERM ends it by the signal.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use anyhow::{Context, bail};
use huddle_tests::server::{spawn_until_listening, wrapped_command};

use super::pin::Pinning;

/// Messages y-sweet dropped since it was last started: it logs "Error sending message" when
/// a connection's queue (a channel of 1,024) is full, and goes on without the message.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// How many messages the last started y-sweet dropped (see [`DROPPED`]).
pub fn dropped() -> u64 {
    DROPPED.load(Relaxed)
}

/// The version the issue names.
const VERSION: &str = "0.9.1";
/// How long y-sweet may take to print that it listens.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Where `cargo install --root` puts it: `tests/bench-servers/y-sweet-0.9.1`.
fn install_root() -> PathBuf {
    super::yws::servers_dir().join(format!("y-sweet-{VERSION}"))
}

fn binary() -> PathBuf {
    install_root().join("bin").join("y-sweet")
}

/// Installs y-sweet with `cargo install` if it is not installed yet.
pub fn ensure_installed() -> anyhow::Result<()> {
    if binary().exists() {
        return Ok(());
    }
    let root = install_root();
    println!(
        "installing y-sweet {VERSION} (cargo install --locked into {}; once, a few minutes)...",
        root.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "install",
            "y-sweet",
            "--version",
            VERSION,
            "--locked",
            "--root",
        ])
        .arg(&root)
        // Not the workspace's target directory: cargo install builds in a temporary one.
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .context("cannot run cargo (needed to install y-sweet for the comparison)")?;
    if !status.success() || !binary().exists() {
        bail!("cargo install y-sweet --version {VERSION} --locked failed ({status})");
    }
    Ok(())
}

/// Starts `y-sweet serve <data>/y-sweet --host 127.0.0.1 --port 0`; returns the child (y-sweet
/// itself: `taskset` execs it) and the address it printed.
pub fn start(data: &Path, pinning: &Pinning) -> anyhow::Result<(Child, SocketAddr)> {
    ensure_installed()?;
    DROPPED.store(0, Relaxed);
    let store = data.join("y-sweet");
    std::fs::create_dir_all(&store)?;
    let mut command = wrapped_command(&pinning.server_wrapper(), binary());
    command
        .arg("serve")
        .arg(&store)
        .args(["--host", "127.0.0.1", "--port", "0"])
        // Its log goes to stdout; no colours, so the address can be read from it.
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info");
    spawn_until_listening(command, "y-sweet", START_TIMEOUT, listening_addr, |line| {
        if line.contains("Error sending message") {
            // Its per-connection queue (1,024 messages) was full: the message is dropped.
            DROPPED.fetch_add(1, Relaxed);
        } else if line.contains("WARN") || line.contains("ERROR") {
            // What else it refuses or drops is a finding too: shown, not swallowed.
            eprintln!("y-sweet: {line}");
        }
    })
}

/// Writes `update` (v1) as document `doc` into the y-sweet store under `data` with y-sweet's
/// own `convert-from-update`, so that a server started afterwards loads it from disk.
pub fn store_update(data: &Path, doc: &str, update: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    ensure_installed()?;
    let store = data.join("y-sweet");
    std::fs::create_dir_all(&store)?;
    let mut child = Command::new(binary())
        .arg("convert-from-update")
        .arg(&store)
        .arg(doc)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start y-sweet convert-from-update")?;
    child.stdin.take().context("no stdin")?.write_all(update)?;
    let status = child.wait()?;
    if !status.success() {
        bail!("y-sweet convert-from-update {doc} failed ({status})");
    }
    Ok(())
}

/// The address in y-sweet's `... Listening on ws://127.0.0.1:PORT` log line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("Listening on ws://")?;
    rest.split_whitespace()
        .next()?
        .trim_end_matches('/')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_address_from_the_log_line() {
        let line = "2026-11-22T23:01:02.345Z  INFO y_sweet: Listening on ws://127.0.0.1:40123";
        assert_eq!(
            listening_addr(line),
            Some(SocketAddr::from(([127, 0, 0, 1], 40123)))
        );
        assert_eq!(listening_addr("INFO y_sweet: No auth key set."), None);
    }
}
