//! Test support for Huddle's end-to-end tests and benchmarks: everything here starts or
//! speaks to real things.
//!
//! # Layout
//!
//! - [`server`]: starts the real `huddle` binary on `127.0.0.1:0` with a temporary data
//!   directory; graceful stop, `kill -9`, restart on the same data.
//! - [`client`]: a Rust y-websocket client (yrs + tokio-tungstenite) holding a [`Board`].
//! - [`http`]: a minimal HTTP/1.1 client for the JSON API (loopback only).
//! - [`js`]: runs the stock JavaScript Yjs peer in `tests/js` (npm `yjs` + `y-websocket`).
//! - [`browser`]: headless Chromium over the DevTools protocol: pages, JavaScript, clicks,
//!   typing, screenshots, going offline (one file each for launching Chromium, the DevTools
//!   socket, and a page).
//! - [`person`]: a person at a board page (their own Chromium), as the browser tests use it.
//! - [`visitor`]: a person without a browser (their cookie on API calls and WebSockets), for
//!   the access tests.
//! - [`crafted`]: frames for the bad-input tests: real note updates of an exact frame length,
//!   and hand-crafted update v1 bytes.
//! - [`redis`]: Debian's `redis-server` on a free loopback port with its own directory and
//!   `appendfsync always`, for the cluster tests; `kill -9` and restart.
//! - [`receiver`]: a webhook receiver on 127.0.0.1 that keeps what it gets and answers
//!   with the status a test sets.
//! - [`refusal`]: sends a connection one bad frame and reports how the server closed it;
//!   checks that the room (a [`Pair`] of good clients) and the server survived.
//! - [`comments`]: comment requests on any connection (answers awaited) and the threads it
//!   was told.
//! - [`facilitation`]: facilitation requests on any connection (answers awaited), the public
//!   state read from the connection's replica, the balance and clock events it kept.
//! - [`rounds`]: people with roles on a board, their tabs speaking rounds and recording every
//!   byte they receive, and the search of those bytes for secrets (the rounds tests).
//!
//! [`Board`]: huddle_shared::model::Board
//! [`Pair`]: refusal::Pair

pub mod browser;
pub mod client;
pub mod comments;
pub mod crafted;
pub mod facilitation;
pub mod http;
pub mod js;
pub mod person;
pub mod receiver;
pub mod redis;
pub mod refusal;
pub mod rounds;
pub mod server;
pub mod visitor;

use std::path::PathBuf;

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}
