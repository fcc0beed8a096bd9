//! The real `huddle` binary as a child process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};

use crate::workspace_root;

/// How long a server may take to print its address: a cold start loads nothing, so seconds
/// mean something is wrong.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running server. Killed (SIGKILL) when dropped; its data directory lives as long as the
/// [`DataDir`] it was started with.
pub struct TestServer {
    child: Option<Child>,
    addr: SocketAddr,
    data: PathBuf,
    extra_args: Vec<String>,
}

/// A temporary data directory that outlives server restarts.
pub struct DataDir(tempfile::TempDir);

impl DataDir {
    pub fn new() -> DataDir {
        DataDir(
            tempfile::Builder::new()
                .prefix("huddle-test-")
                .tempdir()
                .expect("temp dir"),
        )
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Default for DataDir {
    fn default() -> Self {
        Self::new()
    }
}

/// The `huddle` binary under test: `$HUDDLE_BIN`, or `target/debug/huddle` (built by
/// `cargo xtask test`). Refuses a binary older than the server's sources, so a plain
/// `cargo test` never silently tests stale code.
pub fn huddle_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("HUDDLE_BIN") {
        return PathBuf::from(bin);
    }
    let bin = workspace_root().join("target/debug/huddle");
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is missing: run `cargo xtask test` (or `cargo build -p huddle-server` first)",
                bin.display()
            )
        });
    let newest = ["server/src", "shared/src"]
        .iter()
        .filter_map(|d| newest_mtime(&workspace_root().join(d)))
        .max();
    if newest.is_some_and(|n| n > built) {
        panic!(
            "{} is older than the sources: run `cargo xtask test` (or `cargo build -p huddle-server` first)",
            bin.display()
        );
    }
    bin
}

/// The newest modification time of any file under `dir`, recursively (`None` if there is
/// none or `dir` cannot be read): what the staleness checks compare a build against.
pub(crate) fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry.metadata().ok()?.modified().ok()
        };
        newest = newest.max(t);
    }
    newest
}

/// The built web client, for tests that load pages.
pub fn assets_dir() -> PathBuf {
    std::env::var_os("HUDDLE_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("client/dist"))
}

/// `program` run under `wrapper` (for example `["taskset", "-c", "0"]`), or alone if it is empty.
pub fn wrapped_command(wrapper: &[&str], program: impl AsRef<std::ffi::OsStr>) -> Command {
    match wrapper.split_first() {
        Some((first, args)) => {
            let mut c = Command::new(first);
            c.args(args).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// Starts `huddle serve` on 127.0.0.1:0 with `data` and `extra_args`, under `wrapper` if it is
/// not empty (for example `["taskset", "-c", "0"]`), and waits for the address it prints.
pub fn spawn_huddle(
    wrapper: &[&str],
    data: &Path,
    extra_args: &[String],
) -> anyhow::Result<(Child, SocketAddr)> {
    let mut command = wrapped_command(wrapper, huddle_bin());
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--assets")
        .arg(assets_dir())
        .args(extra_args)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        );
    spawn_until_listening(
        command,
        "huddle",
        START_TIMEOUT,
        |line| {
            line.strip_prefix("huddle listening on http://")?
                .parse()
                .ok()
        },
        |_| {},
    )
}

/// Starts `command` with its stdout piped and waits up to `timeout` for the line that names
/// the address it listens on (`address` reads it; every other line goes to `other`). A thread
/// reads stdout for the life of the process, so the server never blocks writing to it. If no
/// address comes in time, the process is killed. The servers under test (Huddle, the
/// reference servers of the benchmarks, the null relay) all start this way.
pub fn spawn_until_listening(
    mut command: Command,
    what: &str,
    timeout: Duration,
    address: impl Fn(&str) -> Option<SocketAddr> + Send + 'static,
    mut other: impl FnMut(&str) + Send + 'static,
) -> anyhow::Result<(Child, SocketAddr)> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {what}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            match address(&line) {
                Some(addr) => drop(tx.send(addr)),
                None => other(&line),
            }
        }
    });
    match rx.recv_timeout(timeout) {
        Ok(addr) if addr.ip().is_loopback() => Ok((child, addr)),
        result => {
            let _ = child.kill();
            let _ = child.wait();
            match result {
                Ok(addr) => bail!("{what} listens on {addr}, not on loopback"),
                Err(_) => {
                    bail!("{what} did not print the address it listens on within {timeout:?}")
                }
            }
        }
    }
}

impl TestServer {
    /// Starts a server on a fresh data directory (kept alive by the returned guard).
    pub fn start() -> anyhow::Result<(TestServer, DataDir)> {
        let data = DataDir::new();
        let server = TestServer::start_on(data.path(), &[])?;
        Ok((server, data))
    }

    /// Starts a server on `data` with extra `huddle serve` flags.
    pub fn start_on(data: &Path, extra_args: &[&str]) -> anyhow::Result<TestServer> {
        let extra_args: Vec<String> = extra_args.iter().map(|s| s.to_string()).collect();
        let (child, addr) = spawn_huddle(&[], data, &extra_args)?;
        Ok(TestServer {
            child: Some(child),
            addr,
            data: data.to_owned(),
            extra_args,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, |c| c.id())
    }

    /// `ws://127.0.0.1:PORT/ws` (a y-websocket server URL; the room is appended).
    pub fn ws_base(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub fn ws_url(&self, board: &str) -> String {
        format!("ws://{}/ws/{board}", self.addr)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM, then waits for a clean exit; returns the exit code.
    pub fn stop(&mut self) -> anyhow::Result<i32> {
        let Some(mut child) = self.child.take() else {
            bail!("not running")
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("kill -TERM failed");
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait()? {
                return status.code().context("killed by a signal");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!("huddle did not exit within 20 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a new server process on the same data directory (a new port).
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill9();
        let args: Vec<&str> = self.extra_args.iter().map(String::as_str).collect();
        *self = TestServer::start_on(&self.data.clone(), &args)?;
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
    }
}
