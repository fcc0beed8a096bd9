//! The `?` dialog (`#help`): every shortcut, from [`super::keys::SHORTCUTS`].

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use super::keys::SHORTCUTS;
use super::{Page, State};
use crate::dom::{Listener, child, element};

/// Builds the (hidden) dialog.
pub fn build(doc: &Document) -> Result<Element, JsValue> {
    let help = element(
        doc,
        "div",
        &[
            ("id", "help"),
            ("role", "dialog"),
            ("aria-modal", "false"),
            ("aria-labelledby", "help-title"),
            ("hidden", ""),
        ],
        None,
    )?;
    child(
        &help,
        "h2",
        &[("id", "help-title")],
        Some("Keyboard shortcuts"),
    )?;
    let list = child(&help, "dl", &[], None)?;
    for (keys, what) in SHORTCUTS {
        child(&list, "dt", &[], Some(keys))?;
        child(&list, "dd", &[], Some(what))?;
    }
    child(
        &help,
        "button",
        &[
            ("type", "button"),
            ("class", "help-close"),
            ("title", "Close (Escape)"),
        ],
        Some("Close"),
    )?;
    Ok(help)
}

/// The close button.
pub fn install(page: &Page) -> Result<(), JsValue> {
    let help = page.borrow().help.clone();
    let Some(button) = help.query_selector(".help-close")? else {
        return Ok(());
    };
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&button, "click", move |_| {
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
            && is_open(&s)
        {
            toggle(&mut s);
        }
    })?
    .forever();
    Ok(())
}

pub fn is_open(s: &State) -> bool {
    !s.help.has_attribute("hidden")
}

pub fn toggle(s: &mut State) {
    let result = if is_open(s) {
        s.help.set_attribute("hidden", "")
    } else {
        s.help.remove_attribute("hidden")
    };
    if let Err(err) = result {
        crate::dom::log_error("could not toggle the help", &err);
    }
}
