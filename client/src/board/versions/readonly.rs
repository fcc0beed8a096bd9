//! A version opened read-only: `/b/{id}?version=...` loads the version's state from the
//! server into the page's board and shows it with everything the page draws, but opens no
//! connection and no local copy, and gives the page the viewer's rights whatever the
//! person's role: nothing can be edited, and nothing would be sent or kept if it were. A
//! banner says what it is, with Restore (owners), Copy to new board and Back to the board.

use huddle_shared::access::Role;
use huddle_shared::model::Board;
use huddle_shared::yrs::Transact;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::super::{Page, role};
use super::{api, text, when};
use crate::access::{self, BoardAccess};
use crate::dom::{self, Listener, child};

/// The version a page was opened on (`?version=`), if any.
pub fn requested() -> Option<u64> {
    let search = dom::window().ok()?.location().search().ok()?;
    text::version_param(&search)
}

fn banner() -> Option<Element> {
    dom::document()
        .ok()?
        .query_selector("#version-banner")
        .ok()
        .flatten()
}

fn banner_say(text: &str) {
    if let Some(message) = banner().and_then(|b| b.query_selector(".banner-message").ok().flatten())
    {
        message.set_text_content(Some(text));
    }
}

/// Loads `version` of the board into the page, read-only.
pub async fn open(page: Page, board: Board, board_id: String, version: u64) -> Result<(), JsValue> {
    let role_here = match access::board(&board_id).await {
        BoardAccess::Role(role) => role,
        BoardAccess::NoAccess => {
            role::no_access(&page.borrow());
            return Ok(());
        }
    };
    role::apply(&mut page.borrow_mut(), Role::Viewer);
    let (state, head) = match (
        api::state(&board_id, version).await,
        api::head(&board_id, version).await,
    ) {
        (Ok(state), Ok(head)) => (state, head),
        (Err(err), _) | (_, Err(err)) => {
            let why = err.as_string().unwrap_or_else(|| "unknown error".into());
            show_banner(&page, &board_id, version, None, role_here)?;
            banner_say(&format!("This version cannot be opened: {why}"));
            return Ok(());
        }
    };
    {
        let update = huddle_shared::wire::decode_update(&state).map_err(dom::js_error)?;
        board
            .doc()
            .transact_mut()
            .apply_update(update)
            .map_err(dom::js_error)?;
    }
    let title = board
        .title(&board.doc().transact())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Untitled board".into());
    let what = format!(
        "Version of \u{201c}{title}\u{201d} from {} ({}): read-only",
        when(head.at),
        text::title(&head)
    );
    show_banner(&page, &board_id, version, Some(&what), role_here)?;
    let mut s = page.borrow_mut();
    if let Ok(Some(status)) = s.doc.query_selector("#status") {
        status.set_text_content(Some("version"));
        status.set_class_name("status version");
    }
    s.loaded = true;
    s.catch_up();
    super::super::actions::zoom_fit(&mut s);
    s.doc.set_title(&format!("{title} (version) · Huddle"));
    s.request_frame();
    Ok(())
}

fn show_banner(
    page: &Page,
    board_id: &str,
    version: u64,
    what: Option<&str>,
    role_here: Role,
) -> Result<(), JsValue> {
    let stage = page.borrow().stage.clone();
    let banner = child(
        &stage,
        "div",
        &[
            ("id", "version-banner"),
            ("class", "version-banner"),
            ("role", "status"),
            ("data-version", &version.to_string()),
        ],
        None,
    )?;
    child(
        &banner,
        "p",
        &[("class", "banner-title")],
        Some(what.unwrap_or("Version (read-only)")),
    )?;
    let actions = child(&banner, "div", &[("class", "banner-actions")], None)?;
    if what.is_some() {
        if role_here.may_manage() {
            child(
                &actions,
                "button",
                &[("type", "button"), ("data-action", "restore")],
                Some("Restore this version"),
            )?;
        }
        child(
            &actions,
            "button",
            &[("type", "button"), ("data-action", "copy")],
            Some("Copy to new board"),
        )?;
    }
    child(
        &actions,
        "a",
        &[("href", &format!("/b/{board_id}")), ("id", "version-back")],
        Some("Back to the board"),
    )?;
    child(&banner, "p", &[("class", "banner-message")], None)?;
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&banner, "click", move |event| {
        let Some(button) = dom::button_of(&event) else {
            return;
        };
        let action = button.get_attribute("data-action").unwrap_or_default();
        if let Some(page) = weak.upgrade() {
            // The banner's restore needs the person's real role, not the view's.
            if action == "restore" {
                if let Some(board) = super::board_of_panel() {
                    super::restore(board, version, true);
                }
            } else if action == "copy" {
                if let Some(board) = super::board_of_panel() {
                    super::copy(board, version, banner_say);
                }
            } else {
                super::act(&page, &action, Some(version));
            }
        }
    })?
    .forever();
    Ok(())
}

/// A restore was made from this page: the banner says so and offers the undo.
pub fn restored(board: &str, _before_restore: u64) {
    let Some(banner) = banner() else {
        return;
    };
    banner_say(&format!(
        "Restored: the board at /b/{board} now holds this version. Ctrl+Z or Undo restore \
         brings it back as it was."
    ));
    if let Ok(Some(message)) = banner.query_selector(".banner-message") {
        let _ = child(
            &message,
            "button",
            &[("type", "button"), ("data-action", "undo-restore")],
            Some("Undo restore"),
        );
    }
}

/// The restore made from this page was undone.
pub fn undone() {
    banner_say("The restore was undone: the board is back as it was before it.");
}
