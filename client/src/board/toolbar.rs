//! The page's elements (header, stage with the canvas, toolbar, help) and the toolbar's
//! buttons: undo/redo, zoom, help, the Arrange menu (built by `arrange`), and the eight
//! colour swatches (`[data-color=<name>]`: the colour of the selection and of new notes).
//!
//! A button asks [`super::dispatch`] for its action; the toolbar never hears back from it.
//! What the toolbar shows of the state (the arrow tool pressed, the current colour) is
//! redrawn from the state each frame ([`show`]), touching the page only when it changed.

use huddle_shared::model::Color;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, HtmlCanvasElement};

use super::dispatch::{self, Action};
use super::gesture::Tool;
use super::{Page, State, help};
use crate::dom::{Listener, child, typed};
use crate::net::Status;

/// The elements `mount` wires up.
pub struct Parts {
    pub title: Element,
    pub status: Element,
    /// Right side of the header, where presence puts `#people`.
    pub side: Element,
    pub stage: Element,
    pub canvas: HtmlCanvasElement,
    pub toolbar: Element,
    pub help: Element,
}

/// Toolbar buttons: action name, label, title (with the shortcut), what they do.
const BUTTONS: &[(&str, &str, &str, Action)] = &[
    ("undo", "↶", "Undo (Ctrl+Z)", Action::Undo),
    ("redo", "↷", "Redo (Ctrl+Shift+Z)", Action::Redo),
    (
        "new-note",
        "+ Note",
        "New note (N, or double-click the canvas)",
        Action::NewNote,
    ),
    ("new-frame", "Frame", "New frame (F)", Action::NewFrame),
    ("new-text", "Text", "New text label (T)", Action::NewText),
    (
        "new-story-map",
        "Map",
        "New story map (M)",
        Action::NewStoryMap,
    ),
    (
        "story-details",
        "Story",
        "Story details of the selected note (I)",
        Action::StoryDetails,
    ),
    (
        "vote",
        "Vote",
        "Start a round: vote, fist to five, poker (V)",
        Action::Vote,
    ),
    (
        "new-raci",
        "RACI",
        "RACI matrix of the selected notes, the board's people as columns",
        Action::NewRaci,
    ),
    (
        "decisions",
        "Decisions",
        "Results and decision log (L)",
        Action::Decisions,
    ),
    (
        "facilitate",
        "Facilitate",
        "Facilitator panel: role, agenda, timer, contribution balance (G)",
        Action::Facilitate,
    ),
    (
        "comments",
        "Comments",
        "Comment on the selection; threads: open, mine, mentions me (Shift+C)",
        Action::Comment,
    ),
    (
        "connect",
        "Arrow",
        "Arrow between two items (C)",
        Action::Connect,
    ),
    (
        "delete",
        "Delete",
        "Delete the selection (Delete)",
        Action::Delete,
    ),
    ("zoom-out", "−", "Zoom out (-)", Action::ZoomOut),
    ("zoom-in", "+", "Zoom in (+)", Action::ZoomIn),
    ("zoom-fit", "Fit", "Zoom to fit (Shift+1)", Action::ZoomFit),
    (
        "zoom-100",
        "100%",
        "Zoom to 100% (Shift+0)",
        Action::Zoom100,
    ),
    ("help", "?", "Keyboard shortcuts (?)", Action::Help),
];

pub fn build_page(doc: &Document, root: &Element, board_id: &str) -> Result<Parts, JsValue> {
    let page = child(root, "div", &[("class", "board-page")], None)?;
    let header = child(&page, "header", &[("class", "board-header")], None)?;
    child(
        &header,
        "a",
        &[("href", "/"), ("class", "home-link")],
        Some("Huddle"),
    )?;
    let title = child(&header, "h1", &[("id", "board-title")], Some(board_id))?;
    let status = child(
        &header,
        "span",
        &[
            ("id", "status"),
            ("class", "status offline"),
            ("role", "status"),
        ],
        Some(Status::Offline.as_str()),
    )?;
    // What the person's role allows, when it is less than editing (see `role`).
    child(
        &header,
        "span",
        &[
            ("id", "role-badge"),
            ("class", "role-badge"),
            ("hidden", ""),
        ],
        None,
    )?;
    // What the server refused, in its words, for a few seconds.
    child(
        &header,
        "span",
        &[
            ("id", "notice"),
            ("class", "notice"),
            ("role", "status"),
            ("hidden", ""),
        ],
        None,
    )?;
    let side = child(&header, "div", &[("class", "board-side")], None)?;
    let stage = child(&page, "main", &[("class", "board-stage")], None)?;
    let canvas: HtmlCanvasElement = typed(child(
        &stage,
        "canvas",
        &[
            ("id", "board-canvas"),
            ("tabindex", "0"),
            ("aria-label", "Board"),
        ],
        None,
    )?)?;
    let toolbar = child(
        &stage,
        "div",
        &[("id", "toolbar"), ("role", "toolbar")],
        None,
    )?;
    for (name, label, title, action) in BUTTONS {
        // Tools that change the board are hidden from viewers (`.read-only .edit`).
        let class = if action.changes_board() {
            "edit"
        } else {
            "view"
        };
        child(
            &toolbar,
            "button",
            &[
                ("type", "button"),
                ("class", class),
                ("data-action", name),
                ("title", title),
                ("aria-label", title),
            ],
            Some(label),
        )?;
    }
    super::arrange::build(&toolbar)?;
    let swatches = child(&toolbar, "div", &[("class", "swatches edit")], None)?;
    for (i, color) in Color::ALL.iter().enumerate() {
        let title = format!("{} ({})", color.name(), i + 1);
        let style = format!("background:{}", color.hex());
        child(
            &swatches,
            "button",
            &[
                ("type", "button"),
                ("class", "swatch"),
                ("data-color", color.name()),
                ("title", &title),
                ("aria-label", &title),
                ("style", &style),
            ],
            None,
        )?;
    }
    let help = help::build(doc)?;
    page.append_child(&help)?;
    Ok(Parts {
        title,
        status,
        side,
        stage,
        canvas,
        toolbar,
        help,
    })
}

/// One click listener on the toolbar for all its buttons.
pub fn install(page: &Page, parts: &Parts) -> Result<(), JsValue> {
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&parts.toolbar, "click", move |e: Event| {
        let Some(button) = crate::dom::button_of(&e) else {
            return;
        };
        let Some(page) = weak.upgrade() else {
            return;
        };
        let Ok(mut s) = page.try_borrow_mut() else {
            return;
        };
        let edits = button.get_attribute("data-arrange").is_some()
            || button.get_attribute("data-color").is_some()
            || button.get_attribute("data-action").as_deref() == Some("arrange");
        if edits && !s.may_edit() {
            return;
        }
        if let Some(op) = button
            .get_attribute("data-arrange")
            .and_then(|name| super::arrange::entry(&name))
        {
            super::arrange::run(&mut s, op);
        } else if button.get_attribute("data-action").as_deref() == Some("arrange") {
            super::arrange::toggle(&s);
        } else if let Some(name) = button.get_attribute("data-color") {
            if let Some(color) = Color::from_name(&name) {
                super::actions::recolor(&mut s, color);
            }
        } else if let Some(name) = button.get_attribute("data-action")
            && let Some((.., action)) = BUTTONS.iter().find(|b| b.0 == name)
        {
            dispatch::run(&mut s, *action);
        }
    })?
    .forever();
    // Buttons must not keep the focus (Space or Enter would press them again).
    Listener::new(&parts.toolbar, "pointerdown", |e: Event| {
        e.prevent_default()
    })?
    .forever();
    super::arrange::install(page)?;
    Ok(())
}

/// What the toolbar last showed of the state, so [`show`] touches the page only when
/// something changed.
#[derive(Default)]
pub struct Shown {
    /// The connector tool is out (the arrow button is pressed). The button has no
    /// `aria-pressed` until the tool is first taken out.
    connecting: bool,
    /// The colour whose swatch is pressed (`None`: none yet).
    color: Option<Color>,
}

/// Redraws what the toolbar shows of the state: the arrow button pressed while the
/// connector tool is out (the canvas pointer follows on the next move), and the current
/// colour's swatch. Called every frame; cheap when nothing changed.
pub fn show(s: &mut State) {
    let connecting = s.pointer.tool != Tool::Select;
    if connecting != s.toolbar.connecting {
        show_tool(s, connecting);
        s.toolbar.connecting = connecting;
    }
    if s.toolbar.color != Some(s.color) {
        show_color(s);
        s.toolbar.color = Some(s.color);
    }
}

/// Marks the arrow button pressed (`on`) or not.
fn show_tool(s: &State, on: bool) {
    if let Ok(Some(button)) = s.stage.query_selector("[data-action=connect]") {
        let _ = button.set_attribute("aria-pressed", if on { "true" } else { "false" });
    }
}

/// Marks the current colour's swatch.
fn show_color(s: &State) {
    let Ok(swatches) = s.stage.query_selector_all(".swatch") else {
        return;
    };
    for i in 0..swatches.length() {
        if let Some(el) = swatches.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            let current = el.get_attribute("data-color").as_deref() == Some(s.color.name());
            let _ = el.set_attribute("aria-pressed", if current { "true" } else { "false" });
        }
    }
}
