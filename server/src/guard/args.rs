//! The flags of the server's guards (each also read from a `HUDDLE_*` environment variable).

use std::time::Duration;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct GuardArgs {
    /// A web origin (scheme://host[:port]) whose pages may open WebSockets and send changes to
    /// this server, besides the server's own. Repeat the flag for several; by default only
    /// the server's own pages may (other sites' pages get 403).
    #[arg(
        long = "allowed-origin",
        env = "HUDDLE_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Let other sites show Huddle's pages in a frame (by default `frame-ancestors 'none'`
    /// forbids it, so no site can overlay Huddle and trick clicks).
    #[arg(long, env = "HUDDLE_ALLOW_EMBEDDING")]
    pub allow_embedding: bool,

    /// Seconds a client has to send a request's headers; a client that sends half a request
    /// and stalls is dropped after this.
    #[arg(long, env = "HUDDLE_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Open connections (HTTP and WebSocket) from one client IP address; more are answered
    /// 429 and closed. 0: no limit. Behind a reverse proxy every client has the proxy's
    /// address: raise it or set 0 there.
    #[arg(long, env = "HUDDLE_MAX_CONNECTIONS_PER_IP", default_value_t = 2000)]
    pub max_connections_per_ip: usize,

    /// WebSockets open at once by one person (a person with many tabs); more are refused
    /// with 429. 0: no limit.
    #[arg(long, env = "HUDDLE_MAX_WEBSOCKETS_PER_PERSON", default_value_t = 100)]
    pub max_websockets_per_person: usize,

    /// Boards one client IP may create or import per minute, on average (0: no limit).
    #[arg(long, env = "HUDDLE_CREATE_PER_MINUTE", default_value_t = 60)]
    pub create_per_minute: u32,

    /// Boards one client IP may create or import in a burst, above the rate.
    #[arg(long, env = "HUDDLE_CREATE_BURST", default_value_t = 60)]
    pub create_burst: u32,

    /// WebSocket joins one client IP may make per minute, on average (0: no limit).
    #[arg(long, env = "HUDDLE_JOINS_PER_MINUTE", default_value_t = 1200)]
    pub joins_per_minute: u32,

    /// WebSocket joins one client IP may make in a burst, above the rate (a whole office
    /// reconnecting after a server restart).
    #[arg(long, env = "HUDDLE_JOIN_BURST", default_value_t = 600)]
    pub join_burst: u32,

    /// Take the client's IP address for the rate limits from this header (e.g. X-Real-IP),
    /// set by a reverse proxy in front. Off by default: only safe when every request comes
    /// through a proxy that sets it (a client could otherwise pick any address).
    #[arg(long, env = "HUDDLE_REAL_IP_HEADER")]
    pub real_ip_header: Option<String>,
}

impl GuardArgs {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs.max(1))
    }
}
