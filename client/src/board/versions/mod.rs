//! Version history in the page: the History panel (`H`): the board's versions with time,
//! authors and what changed, "Save a version" (editors), and per version Open (read-only),
//! Restore (owners) and Copy to a new board; and a version opened read-only
//! (`/b/{id}?version=...`, [`readonly`]).
//!
//! A restore is the server's change (every page gets it like any other edit), so it is not
//! in this page's own undo stack: after one, the page offers "Undo restore" (and `Ctrl+Z`
//! while that offer shows), which restores the version the server took just before.
//!
//! The panel keeps its state in this module (one board page per document), so the page's
//! [`State`] does not grow a field for it.
//!
//! # Layout
//!
//! - this file: the panel, the undo offer;
//! - [`readonly`]: a version opened read-only;
//! - `api`: the HTTP calls; `text`: how versions are worded (pure, unit-tested).

use std::cell::RefCell;

use huddle_shared::versions::VersionHead;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement};

use super::{Page, State};
use crate::dom::{self, Listener, child, log_error, typed};

mod api;
pub mod readonly;
pub mod text;

/// How long "Undo restore" is offered (and `Ctrl+Z` undoes the restore), in milliseconds.
const UNDO_OFFER_MS: f64 = 30_000.0;

/// The panel's parts.
struct Panel {
    root: Element,
    list: Element,
    message: Element,
    name: HtmlInputElement,
    board: String,
}

/// The restore that `Ctrl+Z` or "Undo restore" undoes: the "before restore" version's id,
/// until when it is offered.
#[derive(Clone, Copy)]
struct UndoOffer {
    before_restore: u64,
    until: f64,
}

thread_local! {
    static PANEL: RefCell<Option<Panel>> = const { RefCell::new(None) };
    static UNDO: RefCell<Option<UndoOffer>> = const { RefCell::new(None) };
}

/// The History button in the header and the (hidden) panel.
pub fn install(page: &Page, side: &Element) -> Result<(), JsValue> {
    let (stage, board) = {
        let s = page.borrow();
        (s.stage.clone(), s.id.clone())
    };
    let button = child(
        side,
        "button",
        &[
            ("type", "button"),
            ("id", "versions-button"),
            ("title", "Version history (H)"),
        ],
        Some("History"),
    )?;
    let root = child(
        &stage,
        "aside",
        &[
            ("id", "versions-panel"),
            ("class", "versions-panel"),
            ("aria-labelledby", "versions-title"),
            ("hidden", ""),
        ],
        None,
    )?;
    let head = child(&root, "div", &[("class", "versions-head")], None)?;
    child(
        &head,
        "h2",
        &[("id", "versions-title")],
        Some("Version history"),
    )?;
    child(
        &head,
        "button",
        &[
            ("type", "button"),
            ("data-action", "close"),
            ("title", "Close (H)"),
        ],
        Some("Close"),
    )?;
    let save = child(&root, "div", &[("class", "versions-save edit")], None)?;
    let name: HtmlInputElement = typed(child(
        &save,
        "input",
        &[
            ("id", "version-name"),
            ("type", "text"),
            ("maxlength", "100"),
            ("placeholder", "Name this version"),
            ("aria-label", "Name of the version to save"),
        ],
        None,
    )?)?;
    child(
        &save,
        "button",
        &[
            ("type", "button"),
            ("id", "version-save"),
            ("data-action", "save"),
        ],
        Some("Save a version"),
    )?;
    let message = child(
        &root,
        "p",
        &[("class", "versions-message"), ("role", "status")],
        None,
    )?;
    let list = child(&root, "ol", &[("class", "versions-list")], None)?;
    PANEL.with(|p| {
        *p.borrow_mut() = Some(Panel {
            root: root.clone(),
            list,
            message,
            name: name.clone(),
            board,
        })
    });

    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&button, "click", move |_| {
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            toggle(&mut s);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&root, "click", move |event| {
        let Some(button) = dom::button_of(&event) else {
            return;
        };
        let action = button.get_attribute("data-action").unwrap_or_default();
        let version = button
            .closest("[data-version]")
            .ok()
            .flatten()
            .and_then(|li| li.get_attribute("data-version"))
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(page) = weak.upgrade() {
            act(&page, &action, version);
        }
    })?
    .forever();
    // Enter in the name field saves.
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&name, "keydown", move |event| {
        event.stop_propagation(); // typing a name is not a board shortcut
        let enter = event
            .dyn_ref::<web_sys::KeyboardEvent>()
            .is_some_and(|k| k.key() == "Enter");
        if enter && let Some(page) = weak.upgrade() {
            act(&page, "save", None);
        }
    })?
    .forever();
    Ok(())
}

use wasm_bindgen::JsCast;

pub fn is_open() -> bool {
    PANEL.with(|p| {
        p.borrow()
            .as_ref()
            .is_some_and(|p| !p.root.has_attribute("hidden"))
    })
}

/// Opens (and refreshes) or closes the panel.
pub fn toggle(s: &mut State) {
    let open = is_open();
    PANEL.with(|p| {
        if let Some(p) = p.borrow().as_ref() {
            let _ = if open {
                p.root.set_attribute("hidden", "")
            } else {
                p.root.remove_attribute("hidden")
            };
        }
    });
    if !open {
        refresh(s.session.role.may_manage());
    }
}

fn say(text: &str) {
    PANEL.with(|p| {
        if let Some(p) = p.borrow().as_ref() {
            p.message.set_text_content(Some(text));
        }
    });
}

fn board_of_panel() -> Option<String> {
    PANEL.with(|p| p.borrow().as_ref().map(|p| p.board.clone()))
}

/// Reloads the list from the server.
fn refresh(may_restore: bool) {
    let Some(board) = board_of_panel() else {
        return;
    };
    spawn_local(async move {
        match api::list(&board).await {
            Ok(heads) => show_list(&board, &heads, may_restore),
            Err(err) => say(&err
                .as_string()
                .unwrap_or_else(|| "Could not list versions".into())),
        }
    });
}

/// Local time of a version, in the browser's language.
pub fn when(at: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
    let language = dom::window()
        .ok()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".into());
    String::from(date.to_locale_string(&language, &JsValue::UNDEFINED))
}

fn show_list(board: &str, heads: &[VersionHead], may_restore: bool) {
    PANEL.with(|p| {
        let Some(p) = p.borrow().as_ref().map(|p| p.list.clone()) else {
            return;
        };
        p.set_text_content(None);
        if heads.is_empty() {
            let _ = child(
                &p,
                "li",
                &[("class", "versions-empty")],
                Some("No versions yet. One is taken at the end of each session, hourly while people edit, and when you save one."),
            );
        }
        for head in heads {
            if let Err(err) = show_item(&p, board, head, may_restore) {
                log_error("could not show a version", &err);
            }
        }
    });
}

fn show_item(
    list: &Element,
    board: &str,
    head: &VersionHead,
    may_restore: bool,
) -> Result<(), JsValue> {
    let id = head.id.to_string();
    let li = child(
        list,
        "li",
        &[
            ("class", "version"),
            ("data-version", &id),
            ("data-kind", head.kind.as_str()),
        ],
        None,
    )?;
    child(
        &li,
        "div",
        &[("class", "version-title")],
        Some(&text::title(head)),
    )?;
    child(
        &li,
        "div",
        &[("class", "version-when")],
        Some(&when(head.at)),
    )?;
    child(
        &li,
        "div",
        &[("class", "version-authors")],
        Some(&text::authors(&head.authors)),
    )?;
    let changes = format!("{} · {} items", text::changes(&head.summary), head.items);
    child(&li, "div", &[("class", "version-changes")], Some(&changes))?;
    let actions = child(&li, "div", &[("class", "version-actions")], None)?;
    let href = format!("/b/{board}?version={id}");
    child(
        &actions,
        "a",
        &[("href", &href), ("class", "version-open")],
        Some("Open"),
    )?;
    if may_restore {
        child(
            &actions,
            "button",
            &[("type", "button"), ("data-action", "restore")],
            Some("Restore"),
        )?;
    }
    child(
        &actions,
        "button",
        &[("type", "button"), ("data-action", "copy")],
        Some("Copy to new board"),
    )?;
    Ok(())
}

/// A button of the panel (or of the read-only banner) was pressed.
fn act(page: &Page, action: &str, version: Option<u64>) {
    let Some(board) = board_of_panel() else {
        return;
    };
    let may_restore = page.borrow().session.role.may_manage();
    match (action, version) {
        ("close", _) => {
            if let Ok(mut s) = page.try_borrow_mut() {
                toggle(&mut s);
            }
        }
        ("save", _) => {
            let name = PANEL.with(|p| p.borrow().as_ref().map(|p| p.name.value()));
            let name = name.unwrap_or_default();
            if name.trim().is_empty() {
                say("Give the version a name first.");
                return;
            }
            spawn_local(async move {
                match api::save(&board, &name).await {
                    Ok(head) => {
                        PANEL.with(|p| {
                            if let Some(p) = p.borrow().as_ref() {
                                p.name.set_value("");
                            }
                        });
                        say(&format!("Saved \u{201c}{}\u{201d}.", text::title(&head)));
                        refresh(may_restore);
                    }
                    Err(err) => say(&err.as_string().unwrap_or_default()),
                }
            });
        }
        ("restore", Some(version)) => restore(board, version, may_restore),
        ("copy", Some(version)) => copy(board, version, say),
        ("undo-restore", _) => undo_restore(),
        _ => {}
    }
}

/// Asks, then restores `version`; offers the undo.
fn restore(board: String, version: u64, may_restore: bool) {
    let asked = dom::window().and_then(|w| {
        w.confirm_with_message(
            "Restore this version? The board becomes what it holds, for everyone. \
             The board as it is now is kept as a version (Undo restore brings it back).",
        )
    });
    if !asked.unwrap_or(false) {
        return;
    }
    spawn_local(async move {
        match api::restore(&board, version).await {
            Ok(done) => {
                offer_undo(done.before_restore.id);
                say(&format!(
                    "Restored: {} items written back, {} removed. Ctrl+Z or Undo restore \
                     brings the board back as it was.",
                    done.written, done.deleted
                ));
                readonly::restored(&board, done.before_restore.id);
                refresh(may_restore);
                show_undo_button();
            }
            Err(err) => say(&err.as_string().unwrap_or_default()),
        }
    });
}

fn show_undo_button() {
    PANEL.with(|p| {
        if let Some(p) = p.borrow().as_ref() {
            let _ = child(
                &p.message,
                "button",
                &[
                    ("type", "button"),
                    ("data-action", "undo-restore"),
                    ("id", "undo-restore"),
                ],
                Some("Undo restore"),
            );
        }
    });
}

/// Copies `version` into a new board and opens it; `report` shows errors.
fn copy(board: String, version: u64, report: fn(&str)) {
    spawn_local(async move {
        match api::copy(&board, version).await {
            Ok(created) => {
                if let Ok(w) = dom::window() {
                    let _ = w.location().set_href(&created.url);
                }
            }
            Err(err) => report(&err.as_string().unwrap_or_default()),
        }
    });
}

fn offer_undo(before_restore: u64) {
    let until = js_sys::Date::now() + UNDO_OFFER_MS;
    UNDO.with(|u| {
        *u.borrow_mut() = Some(UndoOffer {
            before_restore,
            until,
        })
    });
}

/// Whether `Ctrl+Z` now undoes a restore (one was made moments ago on this page).
pub fn undo_offered() -> bool {
    UNDO.with(|u| u.borrow().is_some_and(|o| js_sys::Date::now() <= o.until))
}

/// Restores the version taken just before the last restore of this page.
pub fn undo_restore() {
    let Some(offer) = UNDO.with(|u| u.borrow_mut().take()) else {
        return;
    };
    let Some(board) = board_of_panel() else {
        return;
    };
    spawn_local(async move {
        match api::restore(&board, offer.before_restore).await {
            Ok(_) => {
                say("The restore was undone: the board is back as it was before it.");
                readonly::undone();
                refresh(true);
            }
            Err(err) => say(&err.as_string().unwrap_or_default()),
        }
    });
}
