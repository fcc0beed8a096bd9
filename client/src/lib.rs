//! Huddle's browser app: Rust compiled to wasm32, loaded by `static/index.html`.
//!
//! The page routes on its path: `/` is the home page (create a board, list boards) and
//! `/b/{id}` is a board, synced live with the server over y-websocket. The document model
//! and the protocol are `huddle_shared`'s; this crate is the DOM and socket adapter around
//! them. Browser APIs report failures as `JsValue`s, so the code here uses
//! `Result<_, JsValue>` and logs what it cannot handle on the console.
//!
//! Everything compiles natively too (web-sys builds on any target; it only fails when
//! called), so `cargo test` runs the pure parts: [`text_diff`], [`route`], and the board's
//! camera, grid, scene, sync, layout, connector geometry, keys, clipboard and story maps.
//!
//! # Layout
//!
//! - `lib.rs`: the entry point and the router.
//! - `home`: the home page: your name, create a board, open one by link, the board list.
//! - `board`: the board page: an infinite Canvas 2D with notes, frames, labels and arrows,
//!   bound to the document. `board::mod` mounts the page and runs frames; `connect` (local
//!   copy, connection, presence wiring); `camera` (world <-> screen, zoom), `grid` (spatial
//!   index), `scene` (items cached from the document), `sync` (which items changed, from
//!   `observe_deep`), `layout` (text wrap), `render` + `paint` + `connector` (drawing),
//!   `input` + `gesture` + `hit` + `touch` (pointer state machine and its states, what is
//!   under the pointer, fingers),
//!   `editor` (the textarea over an item, bound to its `Y.Text`), `actions` (one gesture,
//!   one transaction), `arrange` (the Arrange menu: sort, cluster, tidy, align, distribute),
//!   `storymap` (story maps laid out per viewer: drawing, controls, drags and drops of parts
//!   and stories), `story_panel` (a story's fields), `map_filter` (the map's filter bar),
//!   `rounds` (votes, fist to five, poker, impact/effort: the Vote dialog, the round bar,
//!   results, the decision log, badges on the canvas), `role` (what the person may do),
//!   `menu` (export and import), `webhooks` (the owner's webhooks and delivery log), `keys` + `help` (shortcuts, the `?` dialog), `toolbar` (page
//!   elements, buttons, colours), `clipboard`, `peers` (the presence seam, drawing others),
//!   `stats` + `hooks` (`window.huddle` for tests and benchmarks).
//! - `net`: the WebSocket connection: socket, handlers, reconnects with backoff, heartbeat;
//!   `net::session` holds the sync state: answers to the server, local updates, saves, status,
//!   and numbers the page's round requests (after it said `Hello` on each connection).
//! - `offline`: the board kept in IndexedDB (restored before connecting, every update
//!   appended, compacted now and then) and the recently opened boards; `static/sw.js`, the
//!   service worker, keeps the app itself so that a board opens without a network.
//! - `access`: who this browser is to the server (`/api/me`) and its role on a board
//!   (`/api/boards/{id}`), remembered for offline use.
//! - `inbox`: the person's inbox (mentions, replies, ballots, decisions): a badge with the
//!   unread count and the list, on the home page and the board page.
//! - `identity`: the person as the page draws it: the display name (asked once, kept by the
//!   server) and colour, shared through awareness.
//! - `presence`: others' cursors, selections, drags and views (parsed, tolerant), ours sent
//!   at most 20 times a second; the people panel, following someone, "bring everyone here".
//! - [`text_diff`]: the edit between two values of a text field, in UTF-16 units.
//! - `dom`: small web-sys helpers; `http`: `fetch` for the API, with the server's error
//!   messages.

mod access;
mod board;
mod dom;
mod home;
mod http;
mod identity;
mod inbox;
mod net;
mod offline;
mod presence;
mod task;
pub mod text_diff;

use huddle_shared::ids::is_valid_board_id;
use wasm_bindgen::prelude::*;

/// Which page a path shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Home,
    Board(String),
    NotFound,
}

/// The page for `path` (`location.pathname`); the server serves the app on the same paths.
pub fn route(path: &str) -> Route {
    match path {
        "" | "/" | "/index.html" => Route::Home,
        _ => match path.strip_prefix("/b/") {
            Some(id) if is_valid_board_id(id) => Route::Board(id.to_owned()),
            _ => Route::NotFound,
        },
    }
}

/// Runs when the module is instantiated: shows the page for the current path in `#app`.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!("huddle panicked: {info}")));
    }));
    dom::mark("huddle-start");
    let doc = dom::document()?;
    let root = doc
        .get_element_by_id("app")
        .ok_or_else(|| JsValue::from_str("the page has no #app element"))?;
    root.set_text_content(None);
    let path = dom::window()?.location().pathname()?;
    match route(&path) {
        // A board page marks it at its first complete frame.
        Route::Board(id) => board::mount(&root, &id),
        Route::Home => {
            home::mount(&root)?;
            dom::mark(READY_MARK);
            Ok(())
        }
        Route::NotFound => {
            let text = "There is no page here. Boards live at /b/{id}.";
            dom::child(&root, "p", &[("class", "error")], Some(text))?;
            dom::mark(READY_MARK);
            Ok(())
        }
    }
}

/// The `performance.mark` a page adds once it has drawn what it first shows: `boot.js` then
/// registers the service worker, whose first install would compete with the page's start.
pub const READY_MARK: &str = "huddle-ready";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/"), Route::Home);
        assert_eq!(route(""), Route::Home);
        assert_eq!(
            route("/b/Sprint-42_x"),
            Route::Board("Sprint-42_x".to_owned())
        );
        assert_eq!(route("/b/"), Route::NotFound);
        assert_eq!(route("/b/a/b"), Route::NotFound);
        assert_eq!(route("/b/a.b"), Route::NotFound);
        assert_eq!(route("/elsewhere"), Route::NotFound);
    }
}
