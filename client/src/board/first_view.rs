//! The board's first view: on a big board most of a cold load is the document coming over the
//! WebSocket and yrs integrating it, so meanwhile the page draws the items the server sends
//! as plain values (`GET /api/boards/{id}/view?format=binary`, a [`BoardView`] in its binary
//! form, which takes a fraction of JSON's time to read).
//!
//! - The view's items enter the scene by the document's own path ([`sync::put`]), so story
//!   maps lay out and notes draw exactly as they will from the document.
//! - It is shown only on an empty document that is not synced yet, and only for a big board
//!   ([`MIN_ITEMS`]). The browser's copy in IndexedDB waits for it ([`settled`]): merging a
//!   big copy is a long task. Once merged, the copy's items (edits made offline among them)
//!   enter the scene as the document's; a copy merged before the view came means no view.
//! - The document is the truth: once the server's state is applied, the view's items that
//!   the document does not have leave the scene; the others were read again from the
//!   document as it integrated them.
//! - While the view is shown the board is read-only ([`State::may_edit`]): the items on
//!   screen are not in the local document yet, so an edit would have nothing to change.
//! - If the view cannot be had (offline, refused, an error), nothing happens: the page loads
//!   from IndexedDB and the server as without it.

use huddle_shared::model::{BoardView, ItemSnapshot};
use huddle_shared::yrs::Transact;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::RequestInit;

use super::{Page, State, role, sync};
use crate::dom::{self, js_error};
use crate::http;
use crate::task::{self, Started};

/// How long the browser's copy of the board waits for the view to come ([`settled`]), and
/// then for its first complete frame.
const WAIT_FOR_VIEW_MS: f64 = 200.0;
const WAIT_FOR_FRAME_MS: f64 = 200.0;

/// Boards with fewer items are not drawn from their view: their document syncs about as fast
/// as the view comes, so the view would only make the page read-only for a moment.
const MIN_ITEMS: usize = 500;

/// Where the page is with its first view.
#[derive(Debug, Default)]
pub enum FirstView {
    /// Asked for, not here yet.
    #[default]
    Waiting,
    /// Drawn; these are its items' ids, to check against the document once it is synced.
    Shown(Vec<String>),
    /// Not needed any more: the document is synced (or held items before the view came).
    Done,
}

impl FirstView {
    /// Whether the scene shows the view rather than the document.
    pub fn is_shown(&self) -> bool {
        matches!(self, FirstView::Shown(_))
    }
}

/// Asks the server for the board's view, now: the first thing the page does, before it builds
/// itself, so that the server reads the board while the page starts. The page's `boot.js`
/// asked already, before the app had even downloaded: that answer is taken if it is there.
pub fn request(board_id: &str) -> Started<Result<Vec<u8>, JsValue>> {
    if let Some(asked) = asked_by_boot() {
        return task::start(async move {
            let buffer = wasm_bindgen_futures::JsFuture::from(asked).await?;
            Ok(js_sys::Uint8Array::new(&buffer).to_vec())
        });
    }
    let url = format!(
        "/api/boards/{}/view?format=binary",
        String::from(js_sys::encode_uri_component(board_id))
    );
    let sent = http::send_for_bytes(&url, &RequestInit::new());
    task::start(async move { sent?.await })
}

/// `boot.js`'s request for the view (a promise of its bytes), taken: only the first page
/// the app draws may use it.
fn asked_by_boot() -> Option<js_sys::Promise> {
    let global = js_sys::global();
    let key = JsValue::from_str(BOOT_REQUEST);
    let asked = js_sys::Reflect::get(&global, &key).ok()?;
    let _ = js_sys::Reflect::delete_property(&global, &key);
    asked.dyn_into().ok()
}

/// Where `boot.js` leaves its request.
const BOOT_REQUEST: &str = "huddleFirstView";

/// Shows the view when it comes (see the module's docs), if it is still of use then.
pub fn show_when_received(page: &Page, requested: Started<Result<Vec<u8>, JsValue>>) {
    let weak = std::rc::Rc::downgrade(page);
    wasm_bindgen_futures::spawn_local(async move {
        let received = requested.await;
        dom::mark("huddle-view-received");
        let Some(page) = weak.upgrade() else {
            return;
        };
        let Ok(mut s) = page.try_borrow_mut() else {
            return;
        };
        // Any failure means the page goes on without it, as it did before there was a view.
        let Ok(bytes) = received else {
            s.first_view = FirstView::Done;
            return;
        };
        if !wanted(&s) {
            s.first_view = FirstView::Done;
            return;
        }
        match BoardView::items_from_binary(&bytes) {
            Ok(view) => {
                dom::mark("huddle-view-decoded");
                show(&mut s, view)
            }
            Err(err) => {
                s.first_view = FirstView::Done;
                dom::log_error("could not read the board's view", &js_error(err));
            }
        }
    });
}

/// Resolves when the view no longer needs the page's thread: it is drawn in a complete frame,
/// or will not be drawn (not needed, failed, not come within [`WAIT_FOR_VIEW_MS`]). Applying
/// the browser's copy of a big board takes the page's thread for 100 ms or more; done while
/// the view is being drawn, it held a warm reload's first complete frame back by as much.
pub async fn settled(page: std::rc::Weak<std::cell::RefCell<State>>) {
    let start = js_sys::Date::now();
    let mut drawn_at = None;
    loop {
        let Some(page) = page.upgrade() else {
            return;
        };
        let now = js_sys::Date::now();
        if let Ok(s) = page.try_borrow() {
            match s.first_view {
                FirstView::Done => return,
                FirstView::Waiting if now - start > WAIT_FOR_VIEW_MS => return,
                FirstView::Waiting => {}
                FirstView::Shown(_) => {
                    let drawn = *drawn_at.get_or_insert(now);
                    if s.stats.first_complete_at.is_some() || now - drawn > WAIT_FOR_FRAME_MS {
                        return;
                    }
                }
            }
        }
        drop(page);
        task::sleep(4).await;
    }
}

/// Whether a view that came now would be drawn: nothing shown yet, the document not synced
/// and empty (read before the view is decoded: a big view costs a moment to decode).
fn wanted(s: &State) -> bool {
    matches!(s.first_view, FirstView::Waiting) && s.board.item_count(&s.board.doc().transact()) == 0
}

/// Puts the view's items into the scene (a big board's only: see [`MIN_ITEMS`]).
fn show(s: &mut State, items: Vec<(String, ItemSnapshot)>) {
    if items.len() < MIN_ITEMS {
        s.first_view = FirstView::Done;
        return;
    }
    let mut ids = Vec::with_capacity(items.len());
    s.scene.reserve(items.len());
    for (id, item) in items {
        sync::put(&mut s.scene, &mut s.maps, &id, Some(item));
        ids.push(id);
    }
    // Every item of the view is in the scene now, so the next complete frame shows the board.
    s.first_view = FirstView::Shown(ids);
    role::show(s);
    dom::mark("huddle-view");
    s.request_frame();
}

/// The server's state is applied: the document takes over from the view. Every item the
/// document holds was read again as it was integrated; the view's items it does not have
/// (deleted since the view was read) are read again too, which takes them out of the scene.
pub fn synced(s: &mut State) {
    let FirstView::Shown(ids) = std::mem::replace(&mut s.first_view, FirstView::Done) else {
        s.first_view = FirstView::Done;
        return;
    };
    let gone: Vec<String> = {
        let txn = s.board.doc().transact();
        ids.into_iter()
            .filter(|id| !s.board.has_item(&txn, id))
            .collect()
    };
    s.changes.touch(gone);
    role::show(s);
    s.request_frame();
}
