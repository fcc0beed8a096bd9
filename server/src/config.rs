//! Command-line flags (each also read from a `HUDDLE_*` environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "huddle",
    version,
    about = "Huddle: a self-hosted real-time whiteboard for backlog refinement."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: the web app, the HTTP API and the WebSocket sync endpoint.
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Use port 0 to let the system pick a free port; the address
    /// actually bound is printed on standard output as `huddle listening on http://ADDR`.
    #[arg(long, env = "HUDDLE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Directory for the embedded database (created if missing).
    #[arg(long, env = "HUDDLE_DATA", default_value = "./huddle-data")]
    pub data: PathBuf,

    /// Directory with the built web client (index.html, pkg/). `cargo xtask serve` builds it.
    #[arg(long, env = "HUDDLE_ASSETS", default_value = "client/dist")]
    pub assets: PathBuf,

    /// Largest WebSocket frame accepted, in bytes; larger frames close the connection (1009).
    #[arg(long, env = "HUDDLE_MAX_FRAME_BYTES", default_value_t = huddle_shared::wire::DEFAULT_MAX_FRAME_BYTES)]
    pub max_frame_bytes: usize,

    /// Seconds between pings to each client; a client silent for twice this long is dropped.
    #[arg(long, env = "HUDDLE_PING_INTERVAL_SECS", default_value_t = 15)]
    pub ping_interval_secs: u64,

    /// Seconds a board stays loaded after its last connection leaves.
    #[arg(long, env = "HUDDLE_IDLE_UNLOAD_SECS", default_value_t = 30)]
    pub idle_unload_secs: u64,

    /// Fold a board's update log into its snapshot after this many updates.
    #[arg(long, env = "HUDDLE_COMPACT_AFTER_UPDATES", default_value_t = crate::room::DEFAULT_COMPACT_AFTER_UPDATES)]
    pub compact_after_updates: u64,
}

impl ServeArgs {
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs.max(1))
    }
}

/// What the running server needs of its flags.
#[derive(Debug, Clone)]
pub struct Config {
    pub max_frame_bytes: usize,
    pub ping_interval: Duration,
    pub assets: PathBuf,
}
