//! The reference server of the side-by-side runs: npm `y-websocket@1.5.4`'s `bin/server.js`
//! with LevelDB persistence (`YPERSISTENCE`), installed in `tests/bench-servers` (`npm ci`
//! from its lockfile when `node_modules` is missing) and started like Huddle: on loopback, on a
//! free port, under `taskset` on the server's core.
//!
//! It differs from Huddle in ways the generator has to know: a room is the URL path
//! (`ws://HOST:PORT/<room>`, not `/ws/<room>`); boards cannot be written to its store
//! beforehand, so they are seeded over the wire ([`seed_boards`]); it has no "saved" message,
//! so the seeding barrier is a sync-step-1 round trip on the seeding connection (the server
//! handles a connection's messages in order, so its step 2 holds the seed); and it loads a
//! stored document asynchronously after answering a first client's step 1, so the seeding
//! connections stay open until the participants have synced (see the driver).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use huddle_shared::wire::{self, Message};
use huddle_tests::server::{spawn_until_listening, wrapped_command};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use super::conn::{self, Framing, Incoming, Ws};
use super::pin::Pinning;
use super::server::Server;

/// How long node may take to print that it listens.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one board's seeding round trip may take.
const SEED_TIMEOUT: Duration = Duration::from_secs(30);

/// `tests/bench-servers`: package.json and package-lock.json of the reference servers.
pub fn servers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-servers")
}

fn server_js() -> PathBuf {
    servers_dir().join("node_modules/y-websocket/bin/server.js")
}

fn hocuspocus_package() -> PathBuf {
    servers_dir().join("node_modules/@hocuspocus/server/package.json")
}

/// Runs `npm ci` in `tests/bench-servers` if y-websocket or Hocuspocus is not installed there.
pub fn ensure_installed() -> anyhow::Result<()> {
    if server_js().exists() && hocuspocus_package().exists() {
        return Ok(());
    }
    let dir = servers_dir();
    println!(
        "installing y-websocket@1.5.4 and @hocuspocus/server@2.15.3 (npm ci in {}; once)...",
        dir.display()
    );
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .context("cannot run npm (needed for the y-websocket and Hocuspocus comparisons)")?;
    if !status.success() || !server_js().exists() || !hocuspocus_package().exists() {
        bail!("npm ci in {} failed ({status})", dir.display());
    }
    Ok(())
}

/// Starts `node bin/server.js` with `HOST=127.0.0.1 PORT=<free> YPERSISTENCE=<data>`;
/// returns the child (node itself: `taskset` execs it) and its address.
pub fn start(data: &Path, pinning: &Pinning) -> anyhow::Result<(Child, SocketAddr)> {
    // It prints "running at '127.0.0.1' on port N": the port is the one it was given.
    start_node(
        pinning,
        "y-websocket",
        &server_js(),
        &[
            ("HOST", "127.0.0.1".as_ref()),
            ("YPERSISTENCE", data.as_os_str()),
        ],
        "running at",
    )
}

/// Starts Hocuspocus (`tests/bench-servers/hocuspocus.mjs`: in memory) on 127.0.0.1 at a
/// free port; returns the child (node itself) and its address.
pub fn start_hocuspocus(pinning: &Pinning) -> anyhow::Result<(Child, SocketAddr)> {
    start_node(
        pinning,
        "hocuspocus",
        &servers_dir().join("hocuspocus.mjs"),
        &[],
        "hocuspocus listening",
    )
}

/// Runs `node script` on 127.0.0.1 at a free port (`PORT`, plus `env`), under the server's
/// pinning, until it prints a line starting with `ready`.
fn start_node(
    pinning: &Pinning,
    name: &'static str,
    script: &Path,
    env: &[(&str, &std::ffi::OsStr)],
    ready: &'static str,
) -> anyhow::Result<(Child, SocketAddr)> {
    ensure_installed()?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut command = wrapped_command(&pinning.server_wrapper(), "node");
    command.arg(script).env("PORT", port.to_string());
    for (key, value) in env {
        command.env(key, value);
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    spawn_until_listening(
        command,
        name,
        START_TIMEOUT,
        move |line| line.starts_with(ready).then_some(addr),
        |_| {},
    )
}

/// Seeds each board with `state` over the wire and returns the open seeding connections
/// (closing them before anyone else has joined would unload the documents, and the next
/// first client would get its sync step 2 before LevelDB has been read).
pub async fn seed_boards(
    server: &Server,
    boards: &[String],
    state: &[u8],
) -> anyhow::Result<Vec<Ws>> {
    let expected = {
        let doc = Doc::new();
        doc.transact_mut().apply_update(Update::decode_v1(state)?)?;
        doc.transact().state_vector()
    };
    let mut seeders = Vec::with_capacity(boards.len());
    for board in boards {
        let (path, framing) = (server.ws_path(board), server.framing(board));
        let ws = tokio::time::timeout(
            SEED_TIMEOUT,
            seed_one(server.addr(), &path, &framing, state, &expected),
        )
        .await
        .with_context(|| format!("seeding {path} timed out"))??;
        seeders.push(ws);
    }
    Ok(seeders)
}

async fn seed_one(
    addr: SocketAddr,
    path: &str,
    framing: &Framing,
    state: &[u8],
    expected: &StateVector,
) -> anyhow::Result<Ws> {
    let mut ws = conn::connect(addr, path, framing, false).await?;
    ws.send(wire::encode_update(state)).await?;
    ws.send(wire::encode_sync_step1(&StateVector::default()))
        .await?;
    loop {
        let frame = match conn::next(&mut ws).await {
            Incoming::Frame(frame) => frame,
            Incoming::Closed(close) => bail!("closed while seeding {path}: {close:?}"),
            Incoming::Other => continue,
        };
        let messages = wire::decode_frame(&frame, &wire::Limits::default())
            .map_err(|e| anyhow::anyhow!("undecodable frame while seeding: {e}"))?;
        for message in messages {
            if let Message::SyncStep2(update) = message {
                let doc = Doc::new();
                doc.transact_mut()
                    .apply_update(Update::decode_v1(&update)?)?;
                let got = doc.transact().state_vector();
                if &got != expected {
                    bail!(
                        "{path}: the server's sync step 2 after seeding lacks the seed (it holds {got:?}, the seed {expected:?})"
                    );
                }
                return Ok(ws);
            }
        }
    }
}

/// Closes the seeding connections (politely, at most a second each).
pub async fn close_seeders(seeders: Vec<Ws>) {
    for mut ws in seeders {
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
    }
}
