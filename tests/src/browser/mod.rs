//! Headless Chromium, driven over the Chrome DevTools Protocol (CDP), for tests that load the
//! real web client.
//!
//! A small CDP client rather than a CDP crate: the tests need about a dozen commands, and the
//! protocol is JSON over one WebSocket, which `tokio-tungstenite` and `serde_json` (used by the
//! rest of the harness) already speak. A [`Browser`] owns the Chromium process and the socket;
//! each [`Page`] is a tab attached in flat mode, so its commands travel on the same socket
//! tagged with the tab's `sessionId`.
//!
//! Pages only ever load loopback URLs, and Chromium is started with its background services
//! off and every host but the loopback ones unresolvable. The one thing added to the pages
//! under test is a `WebSocket` subclass that remembers open sockets, so that
//! [`Page::set_offline`] can drop them.
//!
//! # Layout
//!
//! - `launch`: starting Chromium (its flags and profile directory) and killing its process
//!   group; the checks that Chromium and the built client are there.
//! - `cdp`: the DevTools WebSocket: request ids, answers, events kept per session.
//! - `page`: what a test does with a tab: load, evaluate, wait, type, click, screenshot, go
//!   offline.
//! - `input`: real mouse, wheel and key events at page coordinates (for the canvas).
//! - `urls`: which URLs a page may load (loopback only), and how `location.href` spells them.
//! - `base64`: decoding CDP's binary data (screenshots).

mod base64;
mod cdp;
mod input;
mod launch;
mod page;
#[cfg(test)]
mod tests;
mod urls;

use std::collections::VecDeque;
use std::process::Child;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use serde_json::json;

use cdp::Cdp;
use urls::check_loopback;

pub use input::modifiers;
pub use launch::{chromium_bin, ensure_client_built, firefox_bin};
pub use page::Page;

/// A headless Chromium with a fresh profile. The process (and everything it started) is killed
/// and the profile deleted when this is dropped; open [`Page`]s stop working then.
pub struct Browser {
    cdp: Arc<Cdp>,
    child: Child,
    /// The last lines Chromium wrote to stderr.
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// The profile (`--user-data-dir`); deleted after the process is gone (see `Drop`).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Opens a new tab on `url` (loopback only) and waits until it has loaded.
    pub async fn new_page(&self, url: &str) -> anyhow::Result<Page> {
        check_loopback(url)?;
        let created = self
            .cdp
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let target = created["targetId"]
            .as_str()
            .context("Target.createTarget answered without a targetId")?
            .to_owned();
        let attached = self
            .cdp
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
            )
            .await?;
        let session = attached["sessionId"]
            .as_str()
            .context("Target.attachToTarget answered without a sessionId")?
            .to_owned();
        Page::open(self.cdp.clone(), session, url).await
    }
}

/// Locks a mutex; the data behind these stays consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
