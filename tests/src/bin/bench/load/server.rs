//! The server under test, started already pinned (`taskset -c CORE huddle serve ...`).
//!
//! [`TestServer`](huddle_tests::server::TestServer) cannot start a process under `taskset`,
//! and pinning a running server is not the same thing: tokio sizes its runtime once, at start,
//! from the cores it may use, so a 2-core server pinned afterwards runs two workers on one core
//! (W1's p99 was about 3x worse that way). Started pinned, it sizes itself for its core. The
//! reference servers are started the same way, by [`yws`](super::yws) and [`ysweet`](super::ysweet).
//!
//! Huddle runs from one of two binaries: the one under test (`$HUDDLE_BIN`, with the
//! `--huddle-arg` flags), or a previous release (`--baseline-bin`, with no extra flags: it may
//! not know them). Either way the admin key it prints is kept ([`admin`](super::admin)).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use huddle_tests::server::{huddle_bin, spawn_huddle_bin};

use super::admin;
use super::conn::Framing;
use super::options::{Options, ServerKind};
use super::pin::Pinning;
use super::{relay, ysweet, yws};

/// How the two Huddle binaries start, set once per invocation by [`configure`]. A global
/// rather than a parameter: every place that starts a server (the driver, W4's samples, W6's
/// restart, W8's joins) would otherwise carry it beside the pinning.
static LAUNCH: OnceLock<Launch> = OnceLock::new();

#[derive(Debug, Default)]
struct Launch {
    /// `--baseline-bin`: the previous release's `huddle`.
    baseline: Option<PathBuf>,
    /// `--huddle-arg`s: extra `huddle serve` flags for the binary under test only.
    current_args: Vec<String>,
}

/// Takes the Huddle binaries' settings from the options (once per invocation).
pub fn configure(options: &Options) {
    let _ = LAUNCH.set(Launch {
        baseline: options.baseline_bin.clone(),
        current_args: options.huddle_args.clone(),
    });
}

/// How long a graceful stop (SIGTERM: close sockets, flush) may take.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running server under test on 127.0.0.1, killed when dropped.
pub struct Server {
    kind: ServerKind,
    child: Option<Child>,
    addr: SocketAddr,
    /// Huddle's admin key (issue 11); `None` for a release before it and the other servers.
    admin_key: Option<String>,
    /// [`ServerKind::HuddleCluster`]: Redis and the nodes besides the first (`child`).
    cluster: Option<Cluster>,
}

/// The rest of a cluster under test.
struct Cluster {
    _redis: huddle_tests::redis::TestRedis,
    others: Vec<(Child, SocketAddr)>,
}

/// The nodes of [`ServerKind::HuddleCluster`].
const CLUSTER_NODES: [&str; 3] = ["a", "b", "c"];

impl Server {
    /// Starts `kind` on `data`, under `taskset` if `pinning` pins.
    pub fn start_kind(kind: ServerKind, data: &Path, pinning: &Pinning) -> anyhow::Result<Server> {
        Server::start_kind_with(kind, data, pinning, &[])
    }

    /// [`start_kind`](Server::start_kind), with `extra` flags for the current Huddle's `serve`
    /// (a scenario's own, such as `--test-clock`; the other servers and the baseline get none).
    pub fn start_kind_with(
        kind: ServerKind,
        data: &Path,
        pinning: &Pinning,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        match kind {
            ServerKind::Huddle | ServerKind::HuddleBaseline => {
                Server::start_huddle(kind, data, pinning, extra)
            }
            ServerKind::HuddleCluster => Server::start_cluster(data, pinning, extra),
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
                    admin_key: None,
                    cluster: None,
                })
            }
        }
    }

    /// Starts `huddle serve` from `kind`'s binary on `data`, under `taskset` if `pinning` pins.
    fn start_huddle(
        kind: ServerKind,
        data: &Path,
        pinning: &Pinning,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let launch = LAUNCH.get_or_init(Launch::default);
        let (bin, args) = match kind {
            ServerKind::HuddleBaseline => (
                launch
                    .baseline
                    .clone()
                    .context("no baseline binary (--baseline-bin)")?,
                Vec::new(),
            ),
            _ => {
                let mut args = launch.current_args.clone();
                args.extend(extra.iter().map(|a| a.to_string()));
                (huddle_bin(), args)
            }
        };
        let (child, addr, printed) = spawn_huddle_bin(&bin, &pinning.server_wrapper(), data, &args)
            .with_context(|| format!("starting {}", bin.display()))?;
        let admin_key = admin::key_for(data, printed);
        if let Some(key) = &admin_key {
            // The API calls of `huddle_tests::http` (boards, metrics) go as the admin.
            huddle_tests::http::register_admin(addr, key);
        }
        Ok(Server {
            kind,
            child: Some(child),
            addr,
            admin_key,
            cluster: None,
        })
    }

    /// Redis (Debian's, on a free port, `appendfsync always`) and three nodes of the binary
    /// under test on it, pinned as one server is. The boards seeded in `data` are moved into
    /// Redis first (`huddle migrate`); each node gets a directory of its own under `data`.
    fn start_cluster(data: &Path, pinning: &Pinning, extra: &[&str]) -> anyhow::Result<Server> {
        let launch = LAUNCH.get_or_init(Launch::default);
        let redis = huddle_tests::redis::TestRedis::start();
        // Redis is part of the server under test: on the server's cores, with the nodes.
        if let (Some(cores), Some(pid)) = (pinning.server_cores(), redis.pid()) {
            let pinned = Command::new("taskset")
                .args(["-a", "-p", "-c", cores, &pid.to_string()])
                .stdout(std::process::Stdio::null())
                .status()?;
            if !pinned.success() {
                bail!("taskset could not pin Redis to cores {cores}");
            }
        }
        if data.join("conf").exists() {
            let migrated = Command::new(huddle_bin())
                .args(["migrate", "--from-data"])
                .arg(data)
                .args(["--to-redis", &redis.url()])
                .output()?;
            if !migrated.status.success() {
                bail!(
                    "huddle migrate failed: {}",
                    String::from_utf8_lossy(&migrated.stderr)
                );
            }
        }
        let mut nodes = Vec::new();
        let mut admin_key = None;
        for node in CLUSTER_NODES {
            let dir = data.join(format!("node-{node}"));
            std::fs::create_dir_all(&dir)?;
            let mut args = launch.current_args.clone();
            args.extend(extra.iter().map(|a| a.to_string()));
            args.extend(["--redis", &redis.url(), "--node-id", node].map(str::to_owned));
            let (child, addr, printed) =
                spawn_huddle_bin(&huddle_bin(), &pinning.server_wrapper(), &dir, &args)
                    .with_context(|| format!("starting node {node}"))?;
            admin_key = admin_key.or(printed);
            nodes.push((child, addr));
        }
        let admin_key = admin::key_for(data, admin_key);
        if let Some(key) = &admin_key {
            for (_, addr) in &nodes {
                huddle_tests::http::register_admin(*addr, key);
            }
        }
        let (child, addr) = nodes.remove(0);
        Ok(Server {
            kind: ServerKind::HuddleCluster,
            child: Some(child),
            addr,
            admin_key,
            cluster: Some(Cluster {
                _redis: redis,
                others: nodes,
            }),
        })
    }

    /// Where client `i` connects: for a cluster, node `i` modulo the nodes; `None`: the
    /// server's address.
    pub fn node_for(&self, i: usize) -> Option<SocketAddr> {
        let cluster = self.cluster.as_ref()?;
        let n = cluster.others.len() + 1;
        Some(match i % n {
            0 => self.addr,
            k => cluster.others[k - 1].1,
        })
    }

    /// Huddle's admin key, if this server has one.
    pub fn admin_key(&self) -> Option<&str> {
        self.admin_key.as_deref()
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

    /// The URL path of a board's room: `/ws/<board>` for Huddle (with `?key=ADMIN` when it has
    /// an admin key), `/<board>` for y-websocket, `/d/<board>/ws/<board>` for y-sweet.
    pub fn ws_path(&self, board: &str) -> String {
        match (self.kind, &self.admin_key) {
            (
                ServerKind::Huddle | ServerKind::HuddleBaseline | ServerKind::HuddleCluster,
                Some(key),
            ) => {
                format!("/ws/{board}?key={key}")
            }
            (ServerKind::Huddle | ServerKind::HuddleBaseline | ServerKind::HuddleCluster, None) => {
                format!("/ws/{board}")
            }
            (ServerKind::YWebsocket, _) => format!("/{board}"),
            (ServerKind::YSweet, _) => format!("/d/{board}/ws/{board}"),
            (ServerKind::Relay | ServerKind::Hocuspocus, _) => format!("/{board}"),
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

    /// SIGTERM, then waits for the exit; returns the exit status (of the first node, for a
    /// cluster, after the others stopped).
    pub fn stop(&mut self) -> anyhow::Result<i32> {
        if let Some(cluster) = &mut self.cluster {
            for (child, _) in &mut cluster.others {
                Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status()?;
                child.wait()?;
            }
        }
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
                if !self.kind.is_huddle() && status.code().is_none() {
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
        if let Some(cluster) = &mut self.cluster {
            for (child, _) in &mut cluster.others {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
