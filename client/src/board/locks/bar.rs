//! The lock buttons: a small bar over the toolbar, shown to the facilitator and owners while
//! something is selected. For a selection: "Lock" and "Unlock" (Ctrl+Shift+L toggles). For
//! one selected story map: "Lock backbone" (the map, its activities, steps and releases),
//! "Lock for placement" (the same, and no story may be placed into, moved within or taken
//! out of the map) and "Unlock".
//!
//! The bar is worked out again when the selection, the locks or the person's right to lock
//! change, and the DOM is only touched when what it shows changed. Its look is `.lock-bar` in style.css. Ids the tests use: `#lock-bar`,
//! `[data-lock=lock|unlock|backbone|placement]`.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::super::{Page, State};
use crate::dom::{Listener, child};

/// The buttons: (data-lock value, label, tooltip).
const BUTTONS: [(&str, &str, &str); 4] = [
    ("lock", "Lock", "Lock the selection (Ctrl+Shift+L)"),
    (
        "backbone",
        "Lock backbone",
        "Lock the map, its activities, steps and releases; stories can still be placed",
    ),
    (
        "placement",
        "Lock for placement",
        "Lock the backbone, and no story may be placed into, moved in or taken out of the map",
    ),
    ("unlock", "Unlock", "Unlock the selection (Ctrl+Shift+L)"),
];

/// The bar and what it last showed.
#[derive(Debug)]
pub struct Bar {
    el: Element,
    /// Which buttons were shown ([`BUTTONS`] order); `None`: the bar was hidden.
    shown: Option<[bool; 4]>,
}

/// Builds the bar into the page's stage.
pub fn install(page: &Page) -> Result<(), JsValue> {
    let stage = page.borrow().stage.clone();
    let el = child(
        &stage,
        "div",
        &[
            ("id", "lock-bar"),
            ("class", "lock-bar"),
            ("role", "toolbar"),
            ("aria-label", "Locks"),
            ("hidden", ""),
        ],
        None,
    )?;
    for (what, label, title) in BUTTONS {
        child(
            &el,
            "button",
            &[("type", "button"), ("data-lock", what), ("title", title)],
            Some(label),
        )?;
    }
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&el, "click", move |e| {
        let what = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("[data-lock]").ok().flatten())
            .and_then(|b| b.get_attribute("data-lock"));
        let (Some(page), Some(what)) = (weak.upgrade(), what) else {
            return;
        };
        let Ok(mut s) = page.try_borrow_mut() else {
            return;
        };
        match what.as_str() {
            "lock" => super::lock_selection(&mut s, false),
            "backbone" => super::lock_selection(&mut s, false),
            "placement" => super::lock_selection(&mut s, true),
            "unlock" => super::unlock_selection(&mut s),
            _ => {}
        }
    })?
    .forever();
    page.borrow_mut().features.locks.bar = Some(Bar { el, shown: None });
    Ok(())
}

/// Which buttons the selection calls for now (`None`: no bar).
fn wanted(s: &State) -> Option<[bool; 4]> {
    if s.selection.ids.is_empty() || !super::privileged(s) {
        return None;
    }
    let items = super::targets(s);
    let locked = |id: &String| super::lock_of(s, id);
    let any_locked = items.iter().any(|id| locked(id).is_some());
    let all_locked = items.iter().all(|id| locked(id).is_some());
    Some(match super::selected_map(s) {
        Some(map) => {
            let placement = locked(&map).is_some_and(|l| l.placement);
            [false, !all_locked || placement, !placement, any_locked]
        }
        None => [!all_locked, false, false, any_locked],
    })
}

/// Shows the buttons the selection calls for (touching the DOM only if that changed).
pub fn show(s: &mut State) {
    let want = wanted(s);
    let Some(bar) = s.features.locks.bar.as_mut() else {
        return;
    };
    if bar.shown == want {
        return;
    }
    bar.shown = want;
    let Some(want) = want else {
        let _ = bar.el.set_attribute("hidden", "");
        return;
    };
    let _ = bar.el.remove_attribute("hidden");
    let buttons = bar.el.children();
    for (i, on) in want.iter().enumerate() {
        if let Some(b) = buttons.item(i as u32) {
            let _ = if *on {
                b.remove_attribute("hidden")
            } else {
                b.set_attribute("hidden", "")
            };
        }
    }
}
