//! `cargo xtask cluster`: a cluster on one machine to try by hand: Redis (Debian's, installed
//! when missing), three Huddle nodes on loopback, and a tiny TCP round-robin in front of them
//! at http://127.0.0.1:8080, as a load balancer would spread people over the nodes.
//!
//! Redis keeps its data in `huddle-cluster/redis` (append-only file, `appendfsync always`), so
//! boards survive a restart of the whole thing. Ctrl-C stops everything (the terminal sends it
//! to every process of the group). To see a node die, `kill -9` one of the pids printed: its
//! people reconnect through the round-robin to the others within a few seconds.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cmd::step;
use crate::{Workspace, client, deps};

/// The nodes' names.
const NODES: [&str; 3] = ["a", "b", "c"];

pub fn run(ws: &Workspace, extra: &[String]) -> anyhow::Result<()> {
    let front: SocketAddr = match extra.iter().position(|a| a == "--addr") {
        Some(i) => extra
            .get(i + 1)
            .context("--addr needs an address, e.g. 127.0.0.1:8080")?
            .parse()
            .context("--addr: not an address like 127.0.0.1:8080")?,
        None => "127.0.0.1:8080".parse()?,
    };
    let dist = client::build(ws, client::Flavour::Shipped)?;
    let redis_server = deps::ensure_redis()?;
    step("building the server (release)...");
    let huddle = ws.build_release_server()?;
    // Bound before anything starts, so a busy port is said at once.
    let listener = TcpListener::bind(front).with_context(|| format!("cannot listen on {front}"))?;

    let dir = ws.root.join("huddle-cluster").join("redis");
    std::fs::create_dir_all(&dir)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    step(&format!(
        "starting Redis on 127.0.0.1:{port} (data in {})...",
        dir.display()
    ));
    let mut children: Vec<Child> = Vec::new();
    children.push(
        Command::new(&redis_server)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .arg("--dir")
            .arg(&dir)
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", redis_server.display()))?,
    );
    let url = format!("redis://127.0.0.1:{port}/");
    wait_for(port)?;

    let mut nodes = Vec::new();
    for name in NODES {
        let mut child = Command::new(&huddle)
            .args(["serve", "--addr", "127.0.0.1:0", "--assets"])
            .arg(&dist)
            .args(["--redis", &url, "--node-id", name])
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", huddle.display()))?;
        let stdout = child.stdout.take().context("node stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .context("a node stopped before it listened")??;
            if let Some(key) = line.split("/admin?key=").nth(1) {
                println!("admin link (shown once): http://{front}/admin?key={key}");
            }
            if let Some(addr) = line.strip_prefix("huddle listening on http://") {
                break addr.parse::<SocketAddr>()?;
            }
        };
        println!("node {name}: http://{addr} (pid {})", child.id());
        nodes.push(addr);
        children.push(child);
    }
    println!(
        "Huddle cluster: http://{front} spreads connections over nodes {} (round-robin); Redis at {url}.\n\
         Ctrl-C stops everything.",
        NODES.join(", ")
    );
    round_robin(listener, Arc::new(nodes))
}

/// Waits until Redis accepts connections.
fn wait_for(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("Redis did not start on port {port}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Each connection goes to the next node that accepts it, bytes copied both ways.
fn round_robin(listener: TcpListener, nodes: Arc<Vec<SocketAddr>>) -> anyhow::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        let (nodes, next) = (nodes.clone(), next.clone());
        std::thread::spawn(move || {
            let first = next.fetch_add(1, Ordering::Relaxed);
            // A dead node is skipped: the next one takes the connection.
            let upstream = (0..nodes.len())
                .map(|i| nodes[(first + i) % nodes.len()])
                .find_map(|node| TcpStream::connect(node).ok());
            let Some(upstream) = upstream else { return };
            let (Ok(client_r), Ok(upstream_w)) = (client.try_clone(), upstream.try_clone()) else {
                return;
            };
            let up = std::thread::spawn(move || copy(client_r, upstream_w));
            copy(upstream, client);
            let _ = up.join();
        });
    }
    Ok(())
}

fn copy(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(std::net::Shutdown::Write);
}
