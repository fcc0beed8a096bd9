//! What the person's role lets the page offer, decided in one place: [`State::may_edit`].
//!
//! - Viewers and commenters get a "view only" badge, no editing tools (everything in the
//!   toolbar marked `.edit` is hidden by the stylesheet under `.read-only`), no editing
//!   gestures or shortcuts (the input and key handlers ask [`State::may_edit`]), and a
//!   connection that sends nothing of the local copy (`net`'s read-only session).
//! - A board the person has no role on shows why instead of the board.
//! - If the role dropped while the local copy held edits the server never got, they stay in
//!   this browser (nothing is deleted), a banner says so, and "Copy into a new board" imports
//!   the local copy as a board the person owns.
//! - When the server closes the connection because the role changed (4001), the page reloads
//!   itself: it comes back with what the new role allows (the local copy is in IndexedDB).
//! - What the server refuses is shown in a notice, in its own words.

use huddle_shared::access::Role;
use huddle_shared::yrs::Transact;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

use super::{Page, State};
use crate::access;
use crate::dom::{self, Listener, child, log_error};
use crate::http;

/// How long a notice from the server stays up.
const NOTICE_MS: i32 = 8_000;

impl State {
    /// Whether the person may change this board (editors and owners), now: not while the
    /// board's first view stands in for a document that is not synced yet.
    pub fn may_edit(&self) -> bool {
        self.session.role.may_edit() && !self.first_view.is_shown()
    }
}

/// The page's root (`.board-page`), which carries the `read-only` class.
fn root(s: &State) -> Option<Element> {
    s.stage.parent_element()
}

/// Shows and enforces `role` in the page.
pub fn apply(s: &mut State, role: Role) {
    s.session.role = role;
    show(s);
    if let Some(root) = root(s) {
        let _ = root.set_attribute("data-role", role.name());
    }
    if let Ok(Some(badge)) = s.doc.query_selector("#role-badge") {
        match access::badge(role) {
            Some(text) => {
                badge.set_text_content(Some(text));
                let _ = badge.remove_attribute("hidden");
            }
            None => {
                let _ = badge.set_attribute("hidden", "");
            }
        }
    }
    s.request_frame();
}

/// Shows whether the page may edit now ([`State::may_edit`]): the editing tools are hidden
/// under `.read-only`, and a tool or editor left open is put away.
pub fn show(s: &mut State) {
    let may_edit = s.may_edit();
    if let Some(root) = root(s) {
        let class = if may_edit {
            "board-page"
        } else {
            "board-page read-only"
        };
        root.set_class_name(class);
    }
    if !may_edit {
        s.set_tool(super::gesture::Tool::Select);
        if s.editor.is_some() {
            super::editor::close(s);
        }
    }
}

/// Replaces the board with the reason it cannot be shown.
pub fn no_access(s: &State) {
    s.stage.set_text_content(None);
    let box_ = child(
        &s.stage,
        "div",
        &[("class", "no-access"), ("id", "no-access")],
        None,
    );
    if let Ok(box_) = box_ {
        let _ = child(&box_, "h2", &[], Some("This board is not open to you"));
        let why = "This board does not exist, or you have no access to it. Ask its owner for a \
                   share link.";
        let _ = child(&box_, "p", &[], Some(why));
        let _ = child(&box_, "a", &[("href", "/")], Some("Go to your boards"));
    }
    s.title.set_text_content(Some("No access"));
}

/// A notice in the header: what the server refused, and why.
pub fn notice(s: &State, text: &str) {
    if let Ok(Some(notice)) = s.doc.query_selector("#notice") {
        notice_in(&notice, text);
    }
}

/// Shows `text` in the header's notice element `notice` for a few seconds (for work that
/// ends after the key press that started it).
pub fn notice_in(notice: &Element, text: &str) {
    notice.set_text_content(Some(text));
    let _ = notice.remove_attribute("hidden");
    let clear = notice.clone();
    let hide = Closure::once_into_js(move || {
        let _ = clear.set_attribute("hidden", "");
    });
    if let Ok(window) = dom::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(hide.unchecked_ref(), NOTICE_MS);
    }
}

/// The banner for edits that stay in this browser because the role no longer allows them.
pub fn show_unsent(page: &Page) {
    let s = page.borrow();
    if s.doc
        .query_selector("#unsent-banner")
        .ok()
        .flatten()
        .is_some()
    {
        return;
    }
    let Ok(banner) = child(
        &s.stage,
        "div",
        &[
            ("id", "unsent-banner"),
            ("class", "unsent-banner"),
            ("role", "alert"),
        ],
        None,
    ) else {
        return;
    };
    let text = "You can only view this board now. Changes you made here were not saved to it; \
                they are kept in this browser.";
    let _ = child(&banner, "p", &[], Some(text));
    let Ok(button) = child(
        &banner,
        "button",
        &[("type", "button"), ("id", "copy-to-new-board")],
        Some("Copy into a new board"),
    ) else {
        return;
    };
    let message = child(&banner, "p", &[("class", "banner-message")], None).ok();
    let weak = std::rc::Rc::downgrade(page);
    let listener = Listener::new(&button, "click", move |_| {
        let Some(page) = weak.upgrade() else {
            return;
        };
        let (json, title) = {
            let s = page.borrow();
            let snapshot = s.board.snapshot(&s.board.doc().transact());
            let title = match snapshot.meta.title.trim() {
                "" => "Copy of my changes".to_owned(),
                t => format!("{t} (my copy)"),
            };
            (huddle_shared::export::Format::Json.export(&snapshot), title)
        };
        let message = message.clone();
        spawn_local(async move {
            if let Err(err) = copy_to_new_board(&json, &title).await {
                let why = err.as_string().unwrap_or_else(|| format!("{err:?}"));
                log_error("could not copy the board", &err);
                if let Some(m) = message {
                    m.set_text_content(Some(&format!("Could not copy: {why}")));
                }
            }
        });
    });
    match listener {
        Ok(l) => l.forever(),
        Err(err) => log_error("could not wire the copy button", &err),
    }
}

/// Imports `json` (the board's JSON) as a new board this person owns, then opens it.
async fn copy_to_new_board(json: &str, title: &str) -> Result<(), JsValue> {
    #[derive(serde::Deserialize)]
    struct Imported {
        url: String,
    }
    let url = format!(
        "/api/boards/import?format=json&title={}",
        String::from(js_sys::encode_uri_component(title))
    );
    let init = http::request("POST", "application/json", json)?;
    let imported: Imported = http::fetch_json(&url, &init).await?;
    dom::window()?.location().set_href(&imported.url)
}

/// The role changed on the server: come back with what the new one allows.
pub fn reload() {
    if let Ok(window) = dom::window() {
        let _ = window.location().reload();
    }
}
