//! The server under test, started already pinned (`taskset -c CORE huddle serve ...`).
//!
//! [`TestServer`](huddle_tests::server::TestServer) cannot start a process under `taskset`,
//! and pinning a running server is not the same thing: tokio sizes its runtime once, at start,
//! from the cores it may use, so a 2-core server pinned afterwards runs two workers on one core
//! (W1's p99 was about 3x worse that way). Started pinned, it sizes itself for its core. The
//! reference servers are started the same way, by [`yws`](super::yws) and [`ysweet`](super::ysweet).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use huddle_tests::server::spawn_huddle;

use super::conn::Framing;
use super::options::ServerKind;
use super::pin::Pinning;
use super::{relay, ysweet, yws};

/// How long a graceful stop (SIGTERM: close sockets, flush) may take.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running server under test on 127.0.0.1, killed when dropped.
pub struct Server {
    kind: ServerKind,
    child: Option<Child>,
    addr: SocketAddr,
}

impl Server {
    /// Starts `kind` on `data`, under `taskset` if `pinning` pins.
    pub fn start_kind(kind: ServerKind, data: &Path, pinning: &Pinning) -> anyhow::Result<Server> {
        match kind {
            ServerKind::Huddle => Server::start(data, pinning),
            ServerKind::YWebsocket
            | ServerKind::YSweet
            | ServerKind::Relay
            | ServerKind::Hocuspocus => {
                let (child, addr) = match kind {
                    ServerKind::YWebsocket => yws::start(data, pinning)?,
                    ServerKind::YSweet => ysweet::start(data, pinning)?,
                    ServerKind::Hocuspocus => yws::start_hocuspocus(pinning)?,
                    _ => relay::start(pinning)?,
                };
                Ok(Server {
                    kind,
                    child: Some(child),
                    addr,
                })
            }
        }
    }

    /// Starts `huddle serve` on `data`, under `taskset` if `pinning` pins.
    pub fn start(data: &Path, pinning: &Pinning) -> anyhow::Result<Server> {
        let (child, addr, _admin_key) = spawn_huddle(&pinning.server_wrapper(), data, &[])?;
        Ok(Server {
            kind: ServerKind::Huddle,
            child: Some(child),
            addr,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// The server's process id (`taskset` execs it, so this is the server itself).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The URL path of a board's room: `/ws/<board>` for Huddle, `/<board>` for y-websocket,
    /// `/d/<board>/ws/<board>` for y-sweet.
    pub fn ws_path(&self, board: &str) -> String {
        match self.kind {
            ServerKind::Huddle => format!("/ws/{board}"),
            ServerKind::YWebsocket => format!("/{board}"),
            ServerKind::YSweet => format!("/d/{board}/ws/{board}"),
            ServerKind::Relay | ServerKind::Hocuspocus => format!("/{board}"),
        }
    }

    /// How this server frames messages on a board's connection.
    pub fn framing(&self, board: &str) -> Framing {
        match self.kind {
            ServerKind::Hocuspocus => Framing::Hocuspocus {
                document: board.to_owned(),
            },
            _ => Framing::YWebsocket,
        }
    }

    pub fn ws_url(&self, board: &str) -> String {
        format!("ws://{}{}", self.addr, self.ws_path(board))
    }

    /// SIGKILL (`kill -9`: no flush, no goodbye), then reaps the process.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        let mut child = self.child.take().context("not running")?;
        child.kill()?;
        child.wait()?;
        Ok(())
    }

    /// SIGTERM, then waits for the exit; returns the exit status.
    pub fn stop(&mut self) -> anyhow::Result<i32> {
        let Some(mut child) = self.child.take() else {
            bail!("not running")
        };
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait()? {
                // Neither reference server handles SIGTERM (node has no handler; y-sweet
                // waits for Ctrl+C): they end by the signal itself.
                if self.kind != ServerKind::Huddle && status.code().is_none() {
                    return Ok(0);
                }
                return status.code().context("killed by a signal");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!(
                    "{} did not exit within {STOP_TIMEOUT:?} of SIGTERM",
                    self.kind.name()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
