//! The Arrange menu (`[data-action=arrange]` in the toolbar opens `#arrange-menu`) and the
//! arrange action: sort, cluster, tidy, align and distribute the selection, or a selected
//! frame's contents, through [`huddle_shared::model::Board::arrange`]: one local transaction,
//! so one undo step. The menu is enabled when two or more items, or one frame, are selected.

use std::collections::BTreeSet;

use huddle_shared::arrange::{Align, Axis, ClusterKey, Op, SortKey, Target};
use huddle_shared::model::ItemKind;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event};

use super::actions::js_now;
use super::{Page, State};
use crate::dom::{self, Listener, child, log_error};

/// The menu's entries: `data-arrange` name, label, shortcut (if any), operation. Groups are
/// separated where the operation kind changes.
pub const ENTRIES: &[(&str, &str, Option<&str>, Op)] = &[
    (
        "sort-color",
        "Sort by colour",
        None,
        Op::Sort(SortKey::Color),
    ),
    ("sort-tag", "Sort by tag", None, Op::Sort(SortKey::Tag)),
    (
        "sort-author",
        "Sort by author",
        None,
        Op::Sort(SortKey::Author),
    ),
    (
        "sort-estimate",
        "Sort by estimate",
        None,
        Op::Sort(SortKey::Estimate),
    ),
    ("sort-text", "Sort by text", None, Op::Sort(SortKey::Text)),
    (
        "sort-votes",
        "Sort by votes",
        None,
        Op::Sort(SortKey::Votes),
    ),
    (
        "cluster-tag",
        "Cluster by tag",
        None,
        Op::Cluster(ClusterKey::Tag),
    ),
    (
        "cluster-color",
        "Cluster by colour",
        None,
        Op::Cluster(ClusterKey::Color),
    ),
    ("tidy", "Tidy into a grid", Some("Alt+Shift+T"), Op::Tidy),
    (
        "align-left",
        "Align left",
        Some("Alt+A"),
        Op::Align(Align::Left),
    ),
    (
        "align-right",
        "Align right",
        Some("Alt+D"),
        Op::Align(Align::Right),
    ),
    (
        "align-top",
        "Align top",
        Some("Alt+W"),
        Op::Align(Align::Top),
    ),
    (
        "align-bottom",
        "Align bottom",
        Some("Alt+S"),
        Op::Align(Align::Bottom),
    ),
    (
        "align-center-h",
        "Align centres horizontally",
        Some("Alt+H"),
        Op::Align(Align::CenterHorizontal),
    ),
    (
        "align-center-v",
        "Align centres vertically",
        Some("Alt+V"),
        Op::Align(Align::CenterVertical),
    ),
    (
        "distribute-h",
        "Distribute horizontally",
        Some("Alt+Shift+H"),
        Op::Distribute(Axis::Horizontal),
    ),
    (
        "distribute-v",
        "Distribute vertically",
        Some("Alt+Shift+V"),
        Op::Distribute(Axis::Vertical),
    ),
];

/// Title of the menu's button while nothing it could arrange is selected.
const DISABLED_TITLE: &str = "Arrange: select two or more items, or a frame";
const ENABLED_TITLE: &str = "Arrange the selection (or the selected frame's contents)";

/// Which section of the menu an operation belongs to (a separator between sections).
fn section(op: Op) -> u8 {
    match op {
        Op::Sort(_) => 0,
        Op::Cluster(_) => 1,
        Op::Tidy => 2,
        Op::Align(_) => 3,
        Op::Distribute(_) => 4,
    }
}

/// Builds the button and its (hidden) menu as the last children of `toolbar`.
pub fn build(toolbar: &Element) -> Result<(), JsValue> {
    let group = child(toolbar, "div", &[("class", "arrange edit")], None)?;
    child(
        &group,
        "button",
        &[
            ("type", "button"),
            ("data-action", "arrange"),
            ("aria-haspopup", "menu"),
            ("aria-expanded", "false"),
            ("aria-controls", "arrange-menu"),
            ("title", DISABLED_TITLE),
            ("disabled", ""),
        ],
        Some("Arrange ▾"),
    )?;
    let menu = child(
        &group,
        "div",
        &[("id", "arrange-menu"), ("role", "menu"), ("hidden", "")],
        None,
    )?;
    let mut last = None;
    for (name, label, keys, op) in ENTRIES {
        if last.is_some_and(|s| s != section(*op)) {
            child(&menu, "div", &[("role", "separator")], None)?;
        }
        last = Some(section(*op));
        let title = match keys {
            Some(keys) => format!("{label} ({keys})"),
            None => (*label).to_owned(),
        };
        let item = child(
            &menu,
            "button",
            &[
                ("type", "button"),
                ("role", "menuitem"),
                ("data-arrange", name),
                ("title", &title),
            ],
            Some(label),
        )?;
        if let Some(keys) = keys {
            child(&item, "kbd", &[], Some(keys))?;
        }
    }
    Ok(())
}

/// Closes the menu on a press anywhere outside it and its button.
pub fn install(page: &Page) -> Result<(), JsValue> {
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&dom::window()?.into(), "pointerdown", move |e: Event| {
        let inside = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest(".arrange").ok().flatten())
            .is_some();
        if !inside
            && let Some(page) = weak.upgrade()
            && let Ok(s) = page.try_borrow()
        {
            close(&s);
        }
    })?
    .forever();
    show(&page.borrow());
    Ok(())
}

/// What the current selection would arrange: one selected frame means its contents.
fn target(s: &State) -> Option<Target> {
    let ids: Vec<String> = s.selection.ids.iter().cloned().collect();
    match ids.as_slice() {
        [] => None,
        [one] => s
            .scene
            .get(one)
            .is_some_and(|i| i.kind == ItemKind::Frame)
            .then(|| Target::Frame(one.clone())),
        _ => Some(Target::Items(ids)),
    }
}

/// Arranges the selection by `op` in one local transaction. Cluster labels made for a
/// selection join it, so clustering it again replaces them.
pub fn run(s: &mut State, op: Op) {
    close(s);
    let Some(target) = target(s) else {
        return;
    };
    // What moves: the selection, or a selected frame's contents (not the frame).
    let mut moved = super::actions::with_frame_contents(s, &s.selection.ids.clone());
    moved.retain(|id| !matches!(&target, Target::Frame(f) if f == id));
    if !super::locks::may_move(s, moved.iter().map(String::as_str)) {
        return;
    }
    let author = s.author();
    let result = s
        .board
        .arrange(&mut s.local_txn(), &target, op, &author, js_now());
    s.after_gesture();
    match result {
        Ok(done) => {
            if matches!(target, Target::Items(_)) && !done.labels.is_empty() {
                s.catch_up();
                let mut selection: BTreeSet<String> = s.selection.ids.clone();
                selection.extend(done.labels);
                s.set_selection(selection);
            }
        }
        Err(err) => log_error("could not arrange", &dom::js_error(err)),
    }
}

fn button(s: &State) -> Option<Element> {
    s.stage
        .query_selector("[data-action=arrange]")
        .ok()
        .flatten()
}

fn menu(s: &State) -> Option<Element> {
    s.stage.query_selector("#arrange-menu").ok().flatten()
}

pub fn is_open(s: &State) -> bool {
    menu(s).is_some_and(|m| !m.has_attribute("hidden"))
}

/// Opens or closes the menu (only while there is something to arrange).
pub fn toggle(s: &State) {
    if is_open(s) {
        close(s);
    } else if target(s).is_some()
        && let (Some(menu), Some(button)) = (menu(s), button(s))
    {
        let _ = menu.remove_attribute("hidden");
        let _ = button.set_attribute("aria-expanded", "true");
    }
}

pub fn close(s: &State) {
    if let (Some(menu), Some(button)) = (menu(s), button(s)) {
        let _ = menu.set_attribute("hidden", "");
        let _ = button.set_attribute("aria-expanded", "false");
    }
}

/// Enables the button when the selection is something to arrange (call on every selection
/// change); closes the menu when it is not.
pub fn show(s: &State) {
    let Some(button) = button(s) else {
        return;
    };
    let enabled = target(s).is_some();
    let result = if enabled {
        button
            .remove_attribute("disabled")
            .and_then(|_| button.set_attribute("title", ENABLED_TITLE))
    } else {
        close(s);
        button
            .set_attribute("disabled", "")
            .and_then(|_| button.set_attribute("title", DISABLED_TITLE))
    };
    if let Err(err) = result {
        log_error("could not update the Arrange button", &err);
    }
}

/// The operation of a menu entry's `data-arrange` name.
pub fn entry(name: &str) -> Option<Op> {
    ENTRIES.iter().find(|e| e.0 == name).map(|e| e.3)
}
