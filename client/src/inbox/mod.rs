//! The inbox, on the home page and the board page: a button with the count of unread entries
//! (mentions, replies to one's threads, rounds that need one's ballot before a deadline,
//! decisions on one's boards) that opens a list of them, newest first. Clicking an entry
//! marks it read (`POST /api/me/inbox/read`) and opens its board; "Mark all read" clears the
//! count. The count is fetched when the page loads, every minute after that, and each time the
//! list opens (`GET /api/me/inbox`). `Escape` closes the list; `Alt+I` opens and closes it
//! (by the key's position, `KeyI`, as the board's Alt shortcuts: Alt+I types a character on a
//! Mac; plain `I` is the board's story details).
//!
//! Ids the tests use: `#inbox-button`, `#inbox-count` (hidden at 0), `#inbox-panel`,
//! `.inbox-entry[data-id]` (`.unread` until read), `#inbox-read-all`, `#inbox-empty`.

mod view;

use std::cell::RefCell;
use std::rc::Rc;

use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event, HtmlElement, KeyboardEvent};

use crate::dom::{self, Listener, child, log_error, typed};
use crate::http;

/// How often the unread count is fetched again while the page is open.
const REFRESH_MS: i32 = 60_000;

/// One entry, as `GET /api/me/inbox` lists it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Entry {
    pub id: String,
    pub at: u64,
    /// `mention`, `reply`, `ballot`, `decision`.
    pub kind: String,
    pub board: String,
    pub board_title: String,
    pub text: String,
    #[serde(default)]
    pub read: bool,
}

#[derive(Debug, Deserialize)]
struct Inbox {
    unread: usize,
    entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Unread {
    unread: usize,
}

/// The inbox's elements.
#[derive(Clone)]
struct Parts {
    count: HtmlElement,
    panel: HtmlElement,
    entries: Rc<RefCell<Vec<Entry>>>,
}

/// Adds the inbox button (first in `container`) and its hidden list.
pub fn install(container: &Element) -> Result<(), JsValue> {
    let doc = dom::document()?;
    let wrap = dom::element(&doc, "span", &[("class", "inbox")], None)?;
    container.prepend_with_node_1(&wrap)?;
    let button = child(
        &wrap,
        "button",
        &[
            ("type", "button"),
            ("id", "inbox-button"),
            (
                "title",
                "Inbox: mentions, replies, ballots and decisions (Alt+I)",
            ),
            ("aria-haspopup", "dialog"),
        ],
        Some("Inbox"),
    )?;
    let count: HtmlElement = typed(child(
        &button,
        "span",
        &[("id", "inbox-count"), ("class", "badge"), ("hidden", "")],
        None,
    )?)?;
    let panel: HtmlElement = typed(child(
        &wrap,
        "div",
        &[
            ("id", "inbox-panel"),
            ("class", "inbox-panel"),
            ("role", "dialog"),
            ("aria-label", "Inbox"),
            ("hidden", ""),
        ],
        None,
    )?)?;
    let parts = Parts {
        count,
        panel,
        entries: Rc::default(),
    };

    let p = parts.clone();
    Listener::new(&button, "click", move |_| toggle(&p))?.forever();
    let p = parts.clone();
    Listener::new(&parts.panel, "click", move |e: Event| clicked(&p, &e))?.forever();
    let p = parts.clone();
    Listener::new(&doc, "keydown", move |e: Event| {
        let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        if k.key() == "Escape" && !p.panel.hidden() {
            p.panel.set_hidden(true);
        } else if k.code() == "KeyI" && k.alt_key() && !k.ctrl_key() && !k.meta_key() && !typing(&e)
        {
            e.prevent_default();
            toggle(&p);
        }
    })?
    .forever();

    refresh(&parts);
    let p = parts.clone();
    let tick = Closure::<dyn FnMut()>::new(move || refresh(&p));
    dom::window()?.set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        REFRESH_MS,
    )?;
    tick.forget();
    Ok(())
}

/// The key went to a text field (a note being edited, a form).
fn typing(e: &Event) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.has_attribute("contenteditable")
        })
}

fn toggle(parts: &Parts) {
    if parts.panel.hidden() {
        parts.panel.set_hidden(false);
        if parts.entries.borrow().is_empty() {
            parts.panel.set_text_content(Some("Loading…"));
        }
        refresh(parts);
    } else {
        parts.panel.set_hidden(true);
    }
}

/// Fetches the inbox and shows it (the count always, the list when it is open).
fn refresh(parts: &Parts) {
    let parts = parts.clone();
    spawn_local(async move {
        match http::fetch_json::<Inbox>("/api/me/inbox", &web_sys::RequestInit::new()).await {
            Ok(inbox) => {
                *parts.entries.borrow_mut() = inbox.entries;
                show_count(&parts, inbox.unread);
                draw(&parts);
            }
            Err(err) => {
                if !parts.panel.hidden() {
                    let text = err.as_string().unwrap_or_default();
                    parts
                        .panel
                        .set_text_content(Some(&format!("Could not load the inbox: {text}")));
                }
            }
        }
    });
}

fn show_count(parts: &Parts, unread: usize) {
    parts.count.set_text_content(Some(&view::badge(unread)));
    parts.count.set_hidden(unread == 0);
    let label = match unread {
        0 => "Inbox".to_owned(),
        1 => "Inbox: 1 unread".to_owned(),
        n => format!("Inbox: {n} unread"),
    };
    if let Some(button) = parts.count.parent_element() {
        let _ = button.set_attribute("aria-label", &label);
    }
}

fn draw(parts: &Parts) {
    if parts.panel.hidden() {
        return;
    }
    if let Err(err) = view::render(&parts.panel, &parts.entries.borrow()) {
        log_error("could not draw the inbox", &err);
    }
}

fn clicked(parts: &Parts, e: &Event) {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    if target.id() == "inbox-read-all" {
        mark_read(parts, None, None);
        return;
    }
    if target.id() == "inbox-close" {
        parts.panel.set_hidden(true);
        return;
    }
    let Some(row) = target.closest(".inbox-entry").ok().flatten() else {
        return;
    };
    e.prevent_default();
    let Some(id) = row.get_attribute("data-id") else {
        return;
    };
    let board = parts
        .entries
        .borrow()
        .iter()
        .find(|en| en.id == id)
        .map(|en| en.board.clone());
    mark_read(parts, Some(id), board.map(|b| format!("/b/{b}")));
}

/// Marks one entry (or all) read, then opens `then` (the entry's board) if given.
fn mark_read(parts: &Parts, id: Option<String>, then: Option<String>) {
    let body = match &id {
        Some(id) => serde_json::json!({ "ids": [id] }),
        None => serde_json::json!({ "all": true }),
    }
    .to_string();
    for entry in parts.entries.borrow_mut().iter_mut() {
        if id.as_ref().is_none_or(|id| *id == entry.id) {
            entry.read = true;
        }
    }
    draw(parts);
    let parts = parts.clone();
    spawn_local(async move {
        let result = async {
            let init = http::request("POST", "application/json", &body)?;
            http::fetch_json::<Unread>("/api/me/inbox/read", &init).await
        }
        .await;
        match result {
            Ok(unread) => show_count(&parts, unread.unread),
            Err(err) => log_error("could not mark the inbox read", &err),
        }
        if let Some(url) = then {
            let here = dom::window()
                .and_then(|w| w.location().pathname())
                .unwrap_or_default();
            if here != url
                && let Ok(w) = dom::window()
            {
                let _ = w.location().set_href(&url);
            }
        }
    });
}
