//! The real `huddle` binary as a child process.
//!
//! Boards are created explicitly and belong to people since issue 11. The tests of everything
//! else act as the server's admin: [`TestServer`] reads the admin link the server prints on
//! its first start, [`TestServer::ws_url`] creates the board (as the admin, with the id the
//! test chose) and puts the admin key in the URL, and [`crate::http`] calls the API with it
//! unless a test says whose call it is. The access tests (`tests/access.rs`) use people and
//! share links instead.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
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
    /// The admin key, from the admin link the server printed when it first started on `data`.
    admin_key: String,
    /// Boards [`TestServer::ws_url`] made sure exist.
    boards: Mutex<HashSet<String>>,
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
/// Also returns the admin key if the server printed its admin link (it does so once per data
/// directory, before the address; servers older than issue 11 print none).
pub fn spawn_huddle(
    wrapper: &[&str],
    data: &Path,
    extra_args: &[String],
) -> anyhow::Result<(Child, SocketAddr, Option<String>)> {
    spawn_huddle_bin(&huddle_bin(), wrapper, data, extra_args)
}

/// [`spawn_huddle`] with another `huddle` binary than the one under test (the benchmarks run
/// a previous release beside it).
pub fn spawn_huddle_bin(
    bin: &Path,
    wrapper: &[&str],
    data: &Path,
    extra_args: &[String],
) -> anyhow::Result<(Child, SocketAddr, Option<String>)> {
    let mut command = wrapped_command(wrapper, bin);
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
    let admin_key = Arc::new(Mutex::new(None));
    let seen = admin_key.clone();
    let (child, addr) = spawn_until_listening(
        command,
        "huddle",
        START_TIMEOUT,
        |line| {
            line.strip_prefix("huddle listening on http://")?
                .parse()
                .ok()
        },
        move |line| {
            if let Some(key) = admin_key_in(line) {
                *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(key.to_owned());
            }
        },
    )?;
    // The reader thread handles lines in order: the admin link came before the address.
    let key = admin_key.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok((child, addr, key))
}

/// The key in the admin link line `huddle serve` prints (`... /admin?key=KEY`).
pub fn admin_key_in(line: &str) -> Option<&str> {
    let key = line.split_once("/admin?key=")?.1.trim();
    huddle_shared::access::is_valid_key(key).then_some(key)
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
        Self::start_with_key(data, extra_args, None)
    }

    /// Starts one node of a cluster on the Redis at `redis_url`, named `node` (`--redis`,
    /// `--node-id`). The first node of a fresh Redis prints the admin link; pass its
    /// [`TestServer::admin_key`] as `admin_key` to every later one.
    pub fn start_node(
        redis_url: &str,
        node: &str,
        admin_key: Option<&str>,
        extra_args: &[&str],
    ) -> anyhow::Result<(TestServer, DataDir)> {
        // The data directory is not used in cluster mode; each node still gets its own.
        let data = DataDir::new();
        let mut args = vec!["--redis", redis_url, "--node-id", node];
        args.extend_from_slice(extra_args);
        let server = Self::start_with_key(data.path(), &args, admin_key.map(str::to_owned))?;
        Ok((server, data))
    }

    /// Starts a server on `data`, whose admin key is `known` if the server already printed it
    /// on an earlier start.
    fn start_with_key(
        data: &Path,
        extra_args: &[&str],
        known: Option<String>,
    ) -> anyhow::Result<TestServer> {
        let extra_args: Vec<String> = extra_args.iter().map(|s| s.to_string()).collect();
        // A data directory a server used before: its admin link is not printed again, so ask
        // `huddle admin-link` for it while no server holds the directory.
        let known = match known {
            Some(key) => Some(key),
            None if data.join("conf").exists() => Some(admin_link_key(data)?),
            None => None,
        };
        let (child, addr, printed) = spawn_huddle(&[], data, &extra_args)?;
        let admin_key = printed
            .or(known)
            .context("the server printed no admin link on a fresh data directory")?;
        crate::http::register_admin(addr, &admin_key);
        Ok(TestServer {
            child: Some(child),
            addr,
            data: data.to_owned(),
            extra_args,
            admin_key,
            boards: Mutex::new(HashSet::new()),
        })
    }

    /// The server's admin key.
    pub fn admin_key(&self) -> &str {
        &self.admin_key
    }

    /// The admin link (a browser that opens it becomes the admin).
    pub fn admin_link(&self) -> String {
        self.http_url(&format!("/admin?key={}", self.admin_key))
    }

    /// The board page as the admin opens it: `/b/{board}?key=ADMIN` (the server makes the
    /// browser the admin, then sends it on to `/b/{board}`).
    pub fn page_url(&self, board: &str) -> String {
        self.http_url(&format!("/b/{board}?key={}", self.admin_key))
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

    /// The admin's WebSocket URL of `board` (`ws://.../ws/{board}?key=ADMIN`), after making
    /// sure the board exists (created as the admin, with this id, on first use).
    pub fn ws_url(&self, board: &str) -> String {
        let mut boards = self.boards.lock().unwrap_or_else(|e| e.into_inner());
        // An invalid id is the test's point: there is nothing to create.
        let valid = huddle_shared::ids::is_valid_board_id(board);
        if valid && !boards.contains(board) {
            if let Err(e) = create_blocking(self.addr, &self.admin_key, board) {
                panic!("cannot create board {board:?} as the admin: {e:#}");
            }
            boards.insert(board.to_owned());
        }
        self.ws_url_with_key(board, &self.admin_key)
    }

    /// `ws://.../ws/{board}?key=KEY` (a share link's key, or any string), creating nothing.
    pub fn ws_url_with_key(&self, board: &str, key: &str) -> String {
        format!("ws://{}/ws/{board}?key={key}", self.addr)
    }

    /// `ws://.../ws/{board}` without a key, creating nothing.
    pub fn ws_url_bare(&self, board: &str) -> String {
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
        let known = Some(self.admin_key.clone());
        let boards = std::mem::take(&mut *self.boards.lock().unwrap_or_else(|e| e.into_inner()));
        *self = TestServer::start_with_key(&self.data.clone(), &args, known)?;
        *self.boards.lock().unwrap_or_else(|e| e.into_inner()) = boards;
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The admin key of a data directory, from `huddle admin-link` (no server may run on it).
pub fn admin_link_key(data: &Path) -> anyhow::Result<String> {
    let out = Command::new(huddle_bin())
        .args(["admin-link", "--data"])
        .arg(data)
        .output()
        .context("cannot run huddle admin-link")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "huddle admin-link failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    admin_key_in(&text)
        .map(str::to_owned)
        .with_context(|| format!("no admin link in {text:?}"))
}

/// `POST /api/boards` as the admin with the board's id chosen, blocking (a loopback call of a
/// few milliseconds, for [`TestServer::ws_url`]). A board that exists already is fine.
fn create_blocking(addr: SocketAddr, admin_key: &str, board: &str) -> anyhow::Result<()> {
    if !addr.ip().is_loopback() {
        bail!("tests only talk to loopback addresses");
    }
    let body = serde_json::json!({ "title": "", "id": board }).to_string();
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(crate::client::WAIT))?;
    write!(
        stream,
        "POST /api/boards HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {admin_key}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer.split(' ').nth(1).unwrap_or_default();
    match status {
        "201" | "409" => Ok(()),
        _ => bail!("POST /api/boards answered: {answer}"),
    }
}
