//! Huddle's sync server: axum + tokio, WebSocket rooms over yrs, sled storage.
//!
//! # Layout
//!
//! - [`config`]: command-line flags and environment variables.
//! - [`cli`]: `huddle export` and `huddle import` on the data directory.
//! - [`app`]: routes, startup and graceful shutdown; [`state`]: what handlers share.
//! - [`people`]: who each request comes from (a signed cookie, or a trusted proxy's header),
//!   and the admin; [`sharing`]: roles on boards, share links and their keys; [`random`]:
//!   unguessable ids and keys.
//! - [`api`]: the HTTP API (`/api/boards...`, `/api/me`); [`error`]: its error type.
//! - [`pictures`]: the board, a frame or the selection as SVG, PNG and PDF, and a session's
//!   minutes as Markdown and PDF (rendered with an embedded font, off the rooms).
//! - [`transfer`]: new boards from a template or an imported file, and exports as
//!   downloads; shared by the API and the command line ([`cli`]).
//! - [`guard`]: what keeps the server safe on a team's network: other sites' pages turned
//!   away (`Origin`), rate limits and caps, security headers; [`serve`]: the accept loop
//!   (header read timeout, connections per IP).
//! - [`upgrade`]: the WebSocket handshake, handing the connection to tokio-tungstenite.
//! - [`coalesce`]: gathers a connection's writes into few syscalls, keeping no buffer when idle.
//! - [`ws`]: one WebSocket connection: who may open it, then frame limits -> y-sync messages
//!   -> room commands.
//! - [`deadlines`]: loads the board of a round whose deadline passed, so it closes itself.
//! - [`rooms`]: the registry that starts a board's room on first use.
//! - [`room`]: the task that alone owns a loaded board (document, awareness, connections),
//!   with the gate every incoming message passes by its sender's role.
//! - [`outbox`]: how a room reaches a connection (bounded queue, close codes).
//! - [`store`]: sled storage: update log, snapshots, group commit, compaction and its rule
//!   (the board document behind the `BoardStore` trait, with an in-memory one for tests); people,
//!   grants, share links and the server's secrets in their own trees; rounds, ballots and
//!   decisions in theirs.
//! - [`notify`]: a person's inbox and a board's webhooks: events reported without waiting,
//!   written and delivered (with retries) by background tasks.
//! - [`metrics`]: counters for `GET /metrics`.
//! - [`versions`]: version history: its flags and clock, and taking a version (compressed,
//!   summarised, pruned); the room takes them, `api::versions` serves them.

pub mod api;
pub mod app;
pub mod cli;
pub mod coalesce;
pub mod config;
pub mod deadlines;
pub mod error;
pub mod guard;
pub mod metrics;
pub mod notify;
pub mod outbox;
pub mod people;
pub mod pictures;
pub mod random;
pub mod relay;
pub mod room;
pub mod rooms;
pub mod serve;
pub mod sharing;
pub mod state;
pub mod store;
pub mod transfer;
pub mod upgrade;
pub mod versions;
pub mod ws;
