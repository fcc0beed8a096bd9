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
    Serve(Box<ServeArgs>),
    /// Export a board from the data directory (the server must not be running on it).
    #[command(
        after_help = "Examples:\n  huddle export a1B2c3D4e5F6 --format markdown --out backlog.md\n  huddle export a1B2c3D4e5F6 --format csv > backlog.csv\n\nWhile a server runs on the data directory, use its HTTP API instead:\n  curl -o backlog.csv 'http://127.0.0.1:8080/api/boards/BOARD/export?format=csv'"
    )]
    Export(ExportArgs),
    /// Import a CSV backlog or a board's JSON into a new board in the data directory (the
    /// server must not be running on it). Prints the new board's id and URL path.
    #[command(
        after_help = "Examples:\n  huddle import jira-export.csv --format csv --title 'Checkout'\n  huddle import board.json --format json\n\nWhile a server runs on the data directory, use its HTTP API instead:\n  curl --data-binary @jira-export.csv 'http://127.0.0.1:8080/api/boards/import?format=csv&title=Checkout'"
    )]
    Import(ImportArgs),
    /// Print the admin link again (the first `huddle serve` on a data directory prints it
    /// once). Opening it in a browser makes that browser the admin, who sees and manages every
    /// board. The server must not be running on the data directory.
    #[command(
        after_help = "Examples:\n  huddle admin-link --data ./huddle-data\n  huddle admin-link --url https://huddle.example.com\n  huddle admin-link --rotate    # a new key: the old link stops working, and whoever opened it is no longer admin"
    )]
    AdminLink(AdminLinkArgs),
    /// Move one node's data directory into Redis, to run Huddle as a cluster
    /// (`huddle serve --redis URL`): every board, person, role, share link, round, comment,
    /// version and notification; the admin link and people's sign-ins stay valid. No server
    /// may run on the data directory, and Redis must hold no board yet.
    #[command(
        after_help = "Example:\n  huddle migrate --from-data ./huddle-data --to-redis redis://127.0.0.1:6379/\nThen start every node with --redis redis://127.0.0.1:6379/ (README: \"Running several nodes\")."
    )]
    Migrate(MigrateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// The data directory of the single node (`huddle serve --data`).
    #[arg(long, value_name = "DIR")]
    pub from_data: PathBuf,

    /// The Redis the cluster will use, for example redis://127.0.0.1:6379/.
    #[arg(long, value_name = "URL")]
    pub to_redis: String,
}

#[derive(Debug, Clone, Args)]
pub struct AdminLinkArgs {
    /// The server's data directory.
    #[arg(long, env = "HUDDLE_DATA", default_value = "./huddle-data")]
    pub data: PathBuf,

    /// The address people reach the server at, for the link.
    #[arg(
        long,
        env = "HUDDLE_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,

    /// Make a new admin key: the old link stops working and everyone who opened it loses the
    /// admin's rights (open the new link to get them back).
    #[arg(long)]
    pub rotate: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The board's id (the last part of its URL, /b/ID).
    pub board: String,

    /// markdown (an ordered backlog), csv (for Jira's CSV importer) or json (the whole board);
    /// svg, png or pdf (pictures), minutes or minutes-pdf.
    #[arg(long)]
    pub format: String,

    /// Write to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub picture: crate::pictures::PictureArgs,

    /// The server's data directory.
    #[arg(long, env = "HUDDLE_DATA", default_value = "./huddle-data")]
    pub data: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The file to import (`-` reads standard input).
    pub file: PathBuf,

    /// csv (a Jira, Trello or Huddle backlog, as one story map) or json (a Huddle board).
    #[arg(long)]
    pub format: String,

    /// The new board's title (default: the JSON's title, or "Imported backlog" for CSV).
    #[arg(long)]
    pub title: Option<String>,

    /// The server's data directory (created if missing).
    #[arg(long, env = "HUDDLE_DATA", default_value = "./huddle-data")]
    pub data: PathBuf,
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

    /// Seconds a board must go without changes before its room stores the board's first view
    /// (what a page draws while the document comes), as it does when it stops: a board left
    /// quiet opens fast even after a crash.
    #[arg(long, env = "HUDDLE_STORE_VIEW_AFTER_SECS", default_value_t = 10)]
    pub store_view_after_secs: u64,

    /// Take each person from this request header, set by a reverse proxy that signs people in
    /// (oauth2-proxy: X-Forwarded-User or X-Forwarded-Email; Authelia: Remote-User), instead of
    /// from a cookie. Off by default. Only safe if every request reaches Huddle through that
    /// proxy and the proxy removes the header from what clients send: anyone who can set it
    /// can be anyone. Requests without it are refused (401).
    #[arg(long, env = "HUDDLE_TRUSTED_USER_HEADER")]
    pub trusted_user_header: Option<String>,

    /// Also fold a board's update log into its snapshot after this many updates. By default
    /// only the log's size counts: it is folded once it holds half as many bytes as the
    /// snapshot (and at least 64 KiB).
    #[arg(long, env = "HUDDLE_COMPACT_AFTER_UPDATES")]
    pub compact_after_updates: Option<u64>,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub guard: crate::guard::GuardArgs,

    #[command(flatten)]
    pub versions: crate::versions::VersionArgs,

    #[command(flatten)]
    pub notify: crate::notify::NotifyArgs,
}

/// Cluster mode (README, "Running several nodes").
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Run as one node of a cluster whose boards, people and everything else live in this
    /// Redis (for example redis://127.0.0.1:6379/). Without it: one node, the embedded
    /// database in --data. Redis must persist what it answers: `appendonly yes` with
    /// `appendfsync always` (or `everysec`, which can lose the last second on a crash of its
    /// machine).
    #[arg(long = "redis", env = "HUDDLE_REDIS_URL", value_name = "URL")]
    pub redis: Option<String>,

    /// This node's name in the cluster (unique among the nodes). Default: a random one,
    /// new at every start.
    #[arg(long, env = "HUDDLE_NODE_ID", requires = "redis")]
    pub node_id: Option<String>,

    /// The address the other nodes reach this one at, to relay their clients of boards this
    /// node runs. Default: the address it listens on (which then must not be 0.0.0.0).
    #[arg(long, env = "HUDDLE_NODE_ADDR", requires = "redis")]
    pub node_addr: Option<SocketAddr>,
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
