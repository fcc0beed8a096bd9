//! The story panel: the fields of the one selected sticky note as a story (estimate, type,
//! status, persona, description). `I` or the toolbar's *Story* button opens it; once open it
//! follows the selection (hidden while the selection is not exactly one note) until it is
//! closed with its x, `I` or the button again. It opens on request rather than on every
//! click so that it never covers the canvas someone is working on. The title is the note's
//! text, edited on the canvas.
//!
//! A change is written when a field commits (`change`: Enter, leaving the field, picking an
//! option) as one local transaction with only the fields that differ, so it is one undo step
//! and two people editing different fields of one story keep both. Remote edits refresh the
//! panel, except the field that has the focus: what someone is typing is never overwritten.
//!
//! Ids the tests use: `#story-panel`, `#story-estimate`, `#story-type`, `#story-status`,
//! `#story-persona`, `#story-issue-key`, `#story-description`, `#story-error`.

use huddle_shared::model::{ItemKind, MAX_ESTIMATE, Status, StoryFields, StoryType};
use huddle_shared::yrs::Transact;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

use super::{Page, State};
use crate::dom::{Listener, child, typed};

/// The panel's elements.
pub struct Panel {
    root: HtmlElement,
    estimate: HtmlInputElement,
    story_type: HtmlSelectElement,
    status: HtmlSelectElement,
    persona: HtmlInputElement,
    /// The issue tracker's key (Jira's `PAY-12`): kept from an import, exported back.
    issue_key: HtmlInputElement,
    description: HtmlTextAreaElement,
    error: Element,
    /// Dissent from the note's latest fist to five (what would change people's minds).
    dissent: Element,
    /// The note the panel shows, if any.
    showing: Option<String>,
    /// Opened with `I` or the toolbar (and not closed since).
    open: bool,
}

/// Builds the (hidden) panel into `stage` and writes edits back to the board.
pub fn install(page: &Page, stage: &Element) -> Result<(), JsValue> {
    let root: HtmlElement = typed(child(
        stage,
        "aside",
        &[
            ("id", "story-panel"),
            ("class", "story-panel"),
            ("aria-label", "Story"),
            ("hidden", ""),
        ],
        None,
    )?)?;
    let head = child(&root, "div", &[("class", "story-head")], None)?;
    child(&head, "h2", &[], Some("Story"))?;
    let close = child(
        &head,
        "button",
        &[
            ("type", "button"),
            ("id", "story-close"),
            ("title", "Close (I)"),
            ("aria-label", "Close the story panel"),
        ],
        Some("×"),
    )?;
    let field = |label: &str| -> Result<Element, JsValue> {
        child(&root, "label", &[("class", "story-field")], Some(label))
    };
    let estimate: HtmlInputElement = typed(child(
        &field("Estimate (points)")?,
        "input",
        &[
            ("id", "story-estimate"),
            ("type", "number"),
            ("min", "0"),
            ("max", &MAX_ESTIMATE.to_string()),
            ("step", "any"),
            ("inputmode", "decimal"),
            ("placeholder", "none"),
        ],
        None,
    )?)?;
    let story_type: HtmlSelectElement = typed(child(
        &field("Type")?,
        "select",
        &[("id", "story-type")],
        None,
    )?)?;
    for t in StoryType::ALL {
        child(
            &story_type,
            "option",
            &[("value", t.name())],
            Some(t.label()),
        )?;
    }
    let status: HtmlSelectElement = typed(child(
        &field("Status")?,
        "select",
        &[("id", "story-status")],
        None,
    )?)?;
    for s in Status::ALL {
        child(&status, "option", &[("value", s.name())], Some(s.label()))?;
    }
    let persona: HtmlInputElement = typed(child(
        &field("Persona")?,
        "input",
        &[
            ("id", "story-persona"),
            ("type", "text"),
            ("maxlength", "200"),
            ("placeholder", "who it is for (optional)"),
        ],
        None,
    )?)?;
    let issue_key: HtmlInputElement = typed(child(
        &field("Issue key")?,
        "input",
        &[
            ("id", "story-issue-key"),
            ("type", "text"),
            ("maxlength", "64"),
            ("placeholder", "e.g. PAY-12, from Jira (optional)"),
        ],
        None,
    )?)?;
    let description: HtmlTextAreaElement = typed(child(
        &field("Description")?,
        "textarea",
        &[("id", "story-description"), ("rows", "5")],
        None,
    )?)?;
    let error = child(
        &root,
        "p",
        &[
            ("id", "story-error"),
            ("class", "story-error"),
            ("role", "alert"),
        ],
        None,
    )?;
    let dissent = child(
        &root,
        "div",
        &[("id", "story-dissent"), ("class", "story-dissent")],
        None,
    )?;
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&close, "click", move |_| {
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            toggle(&mut s);
        }
    })?
    .forever();
    let weak = std::rc::Rc::downgrade(page);
    Listener::new(&root, "change", move |_| {
        if let Some(page) = weak.upgrade()
            && let Ok(mut s) = page.try_borrow_mut()
        {
            write(&mut s);
        }
    })?
    .forever();
    page.borrow_mut().features.story_panel = Some(Panel {
        root,
        estimate,
        story_type,
        status,
        persona,
        issue_key,
        description,
        error,
        dissent,
        showing: None,
        open: false,
    });
    Ok(())
}

/// Opens or closes the panel.
pub fn toggle(s: &mut State) {
    if let Some(panel) = s.features.story_panel.as_mut() {
        panel.open = !panel.open;
        if let Some(button) = s
            .stage
            .query_selector("[data-action=story-details]")
            .ok()
            .flatten()
        {
            let _ = button.set_attribute("aria-pressed", if panel.open { "true" } else { "false" });
        }
    }
    refresh(s);
}

/// Shows the selected note's fields, or hides the panel when it is closed or the selection is
/// not one note. Called after selection changes and after document changes.
pub fn refresh(s: &mut State) {
    if !s.features.story_panel.as_ref().is_some_and(|p| p.open) {
        if let Some(panel) = s.features.story_panel.as_mut() {
            panel.root.set_hidden(true);
            panel.showing = None;
        }
        return;
    }
    let note = single_note(s);
    let fields = note
        .as_ref()
        .and_then(|id| s.board.story_fields(&s.board.doc().transact(), id).ok());
    let dissent = note
        .as_deref()
        .map(|id| super::rounds::dissent_on(s, id))
        .unwrap_or_default();
    let Some(panel) = s.features.story_panel.as_mut() else {
        return;
    };
    let (Some(id), Some(fields)) = (note, fields) else {
        panel.root.set_hidden(true);
        panel.showing = None;
        return;
    };
    let switched = panel.showing.as_deref() != Some(id.as_str());
    if switched {
        panel.error.set_text_content(None);
    }
    panel.showing = Some(id);
    panel.root.set_hidden(false);
    show_dissent(&panel.dissent, &dissent);
    let focused = panel.root.owner_document().and_then(|d| d.active_element());
    let is_focused = |el: &Element| !switched && focused.as_ref() == Some(el);
    if !is_focused(&panel.estimate) {
        panel
            .estimate
            .set_value(&fields.estimate.map(format_points).unwrap_or_default());
    }
    if !is_focused(&panel.story_type) {
        panel.story_type.set_value(fields.kind().name());
    }
    if !is_focused(&panel.status) {
        panel
            .status
            .set_value(fields.status.unwrap_or_default().name());
    }
    if !is_focused(&panel.persona) {
        panel
            .persona
            .set_value(fields.persona.as_deref().unwrap_or_default());
    }
    if !is_focused(&panel.issue_key) {
        panel
            .issue_key
            .set_value(fields.issue_key.as_deref().unwrap_or_default());
    }
    if !is_focused(&panel.description) {
        panel
            .description
            .set_value(fields.description.as_deref().unwrap_or_default());
    }
}

/// The dissent of the note's latest fist to five, named unless the round was anonymous.
fn show_dissent(el: &Element, dissent: &[huddle_shared::rounds::Dissent]) {
    el.set_text_content(None);
    if dissent.is_empty() {
        return;
    }
    let _ = child(el, "h3", &[], Some("Dissent"));
    for d in dissent {
        let text = match &d.name {
            Some(name) => format!("{name}: {}", d.text),
            None => d.text.clone(),
        };
        let _ = child(el, "p", &[], Some(&text));
    }
}

/// Story points as people write them: `3`, `0.5`.
fn format_points(points: f64) -> String {
    if points.fract() == 0.0 {
        format!("{points:.0}")
    } else {
        points.to_string()
    }
}

/// The selected item, if the selection is exactly one sticky note.
fn single_note(s: &State) -> Option<String> {
    let mut selected = s.selection.ids.iter();
    let (Some(id), None) = (selected.next(), selected.next()) else {
        return None;
    };
    let txn = s.board.doc().transact();
    (s.board.kind_of(&txn, id) == Some(ItemKind::Note)).then(|| id.clone())
}

/// Reads the form; `Err` names what is wrong with it.
fn read(panel: &Panel) -> Result<StoryFields, String> {
    let estimate = match panel.estimate.value().trim() {
        "" => None,
        text => match text.parse::<f64>() {
            Ok(points) if huddle_shared::model::check_estimate(points).is_ok() => Some(points),
            _ => {
                return Err(format!(
                    "The estimate must be a number of points from 0 to {MAX_ESTIMATE}."
                ));
            }
        },
    };
    let text = |value: String| {
        let value = value.trim().to_owned();
        (!value.is_empty()).then_some(value)
    };
    let issue_key = text(panel.issue_key.value());
    if let Some(key) = &issue_key
        && let Err(e) = huddle_shared::model::check_issue_key(key)
    {
        return Err(format!("The {e}."));
    }
    Ok(StoryFields {
        issue_key,
        description: text(panel.description.value()),
        estimate,
        status: Status::parse(&panel.status.value()),
        story_type: StoryType::parse(&panel.story_type.value()),
        persona: text(panel.persona.value()),
    })
}

/// Writes the form to the shown note in one local transaction.
fn write(s: &mut State) {
    let Some(panel) = s.features.story_panel.as_ref() else {
        return;
    };
    let Some(id) = panel.showing.clone() else {
        return;
    };
    if !super::locks::may_change(s, &id) {
        return;
    }
    let Some(panel) = s.features.story_panel.as_ref() else {
        return;
    };
    let fields = match read(panel) {
        Ok(fields) => fields,
        Err(message) => {
            panel.error.set_text_content(Some(&message));
            return;
        }
    };
    panel.error.set_text_content(None);
    let written = {
        let mut txn = s.local_txn();
        s.board.set_story_fields(&mut txn, &id, &fields)
    };
    match written {
        Ok(()) => s.after_gesture(),
        Err(err) => {
            if let Some(panel) = s.features.story_panel.as_ref() {
                panel.error.set_text_content(Some(&err.to_string()));
            }
        }
    }
}
