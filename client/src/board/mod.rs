//! The board page, minimal for now: title, status badge, "Add note", and the notes as a list
//! of text fields, each bound to its note's `Y.Text`. (The canvas renderer replaces the list.)
//!
//! A local keystroke becomes one transaction: the field's old and new values are diffed
//! ([`crate::text_diff`]) and applied as a delete and an insert. Remote changes re-render the
//! list; a field whose text changed gets the new value with its caret moved along.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::{Rc, Weak};

use huddle_shared::model::{Board, Color, ItemKind, ModelError, NewNote};
use huddle_shared::yrs::Transact;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlTextAreaElement};

use crate::dom::{self, Listener, element, log_error, typed};
use crate::identity::Guest;
use crate::net::{Connection, Events, Status};
use crate::offline;
use crate::text_diff;

/// New notes are laid out in rows of this many (their stored position, for the canvas later).
const NOTES_PER_ROW: usize = 5;
/// Distance between laid-out notes: a default note (200) plus a gutter.
const NOTE_PITCH: f64 = 220.0;

struct View {
    doc: Document,
    board: Board,
    guest: Guest,
    title: Element,
    notes: Element,
    /// The fields on the page, by item id.
    fields: HashMap<String, NoteField>,
    conn: Option<Connection>,
}

struct NoteField {
    li: Element,
    text: HtmlTextAreaElement,
    /// The note's text as last applied to the document (and shown in the field).
    value: String,
    _on_input: Listener,
}

/// Builds the board page for `board_id` into `root` and connects it.
pub fn mount(root: &Element, board_id: &str) -> Result<(), JsValue> {
    let doc = dom::document()?;
    let header = element(&doc, "header", &[("class", "board-header")], None)?;
    let home = element(
        &doc,
        "a",
        &[("href", "/"), ("class", "home-link")],
        Some("Huddle"),
    )?;
    let title = element(&doc, "h1", &[("id", "board-title")], Some(board_id))?;
    let status = element(
        &doc,
        "span",
        &[
            ("id", "status"),
            ("class", "status offline"),
            ("role", "status"),
        ],
        Some(Status::Offline.as_str()),
    )?;
    header.append_child(&home)?;
    header.append_child(&title)?;
    header.append_child(&status)?;

    let main = element(&doc, "main", &[("class", "board")], None)?;
    let add = element(
        &doc,
        "button",
        &[("id", "add-note"), ("type", "button")],
        Some("Add note"),
    )?;
    let notes = element(&doc, "ul", &[("id", "notes")], None)?;
    main.append_child(&add)?;
    main.append_child(&notes)?;
    root.append_child(&header)?;
    root.append_child(&main)?;

    let board = Board::new();
    let guest = Guest::load();
    let view = Rc::new(RefCell::new(View {
        doc,
        board: board.clone(),
        guest: guest.clone(),
        title,
        notes,
        fields: HashMap::new(),
        conn: None,
    }));

    let weak = Rc::downgrade(&view);
    let events = Events {
        on_status: Box::new(move |s| show_status(&status, s)),
        on_remote_change: Box::new(move || {
            if let Some(view) = weak.upgrade() {
                render(&view);
            }
        }),
        on_awareness: Box::new(|| {}),
    };
    // The page lives as long as the button, so this listener owns the view.
    let owner = view.clone();
    Listener::new(&add, "click", move |_| add_note(&owner))?.forever();

    // Restore the browser's copy first, then connect: the first sync sends what was edited
    // offline. The connection keeps the store alive.
    let board_id = board_id.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let store = match offline::open(&board, &board_id).await {
            Ok(store) => store,
            Err(err) => {
                log_error("could not open the board's offline copy", &err);
                offline::LocalStore::online_only()
            }
        };
        render(&view);
        match Connection::start(board, &board_id, &guest, events, &store) {
            Ok(conn) => view.borrow_mut().conn = Some(conn),
            Err(err) => log_error("could not connect the board", &err),
        }
    });
    Ok(())
}

fn show_status(badge: &Element, status: Status) {
    badge.set_text_content(Some(status.as_str()));
    badge.set_class_name(&format!("status {}", status.as_str()));
}

fn add_note(view: &Rc<RefCell<View>>) {
    let created = {
        let v = view.borrow();
        let count = v.fields.len();
        let note = NewNote {
            pos: [
                (count % NOTES_PER_ROW) as f64 * NOTE_PITCH,
                (count / NOTES_PER_ROW) as f64 * NOTE_PITCH,
            ],
            color: Color::ALL[count % Color::ALL.len()],
            author: v.guest.name.clone(),
            created_at: js_sys::Date::now(),
            ..NewNote::default()
        };
        let mut txn = v.board.transact_mut();
        v.board.create_note(&mut txn, note)
    };
    let id = match created {
        Ok(id) => id,
        Err(err) => return log_error("could not add a note", &dom::js_error(err)),
    };
    render(view);
    let v = view.borrow();
    if let Some(field) = v.fields.get(&id) {
        let _ = field.text.focus();
    }
    if let Some(conn) = v.conn.clone() {
        drop(v);
        conn.flush_local();
    }
}

/// A keystroke (or paste, cut, undo...) in the field of note `id`.
fn on_input(view: &Rc<RefCell<View>>, id: &str) {
    let conn = {
        let mut v = view.borrow_mut();
        let View {
            board,
            fields,
            conn,
            ..
        } = &mut *v;
        let Some(field) = fields.get_mut(id) else {
            return;
        };
        let new = field.text.value();
        let caret = field.text.selection_end().ok().flatten();
        let edit = text_diff::diff(&field.value, &new, caret);
        if edit.is_empty() {
            return;
        }
        match apply_edit(board, id, &edit) {
            Ok(()) => field.value = new,
            Err(err) => log_error("could not edit the note", &dom::js_error(err)),
        }
        conn.clone()
    };
    if let Some(conn) = conn {
        conn.flush_local();
    }
}

/// One edit, one transaction.
fn apply_edit(board: &Board, id: &str, edit: &text_diff::TextDiff) -> Result<(), ModelError> {
    let mut txn = board.transact_mut();
    if edit.delete > 0 {
        board.delete_text(&mut txn, id, edit.index, edit.delete)?;
    }
    if !edit.insert.is_empty() {
        board.insert_text(&mut txn, id, edit.index, &edit.insert)?;
    }
    Ok(())
}

/// Brings the page in line with the document.
fn render(view: &Rc<RefCell<View>>) {
    if let Err(err) = try_render(view) {
        log_error("could not render the board", &err);
    }
}

fn try_render(view: &Rc<RefCell<View>>) -> Result<(), JsValue> {
    let weak = Rc::downgrade(view);
    let mut v = view.borrow_mut();
    let (title, snapshot) = {
        let txn = v.board.doc().transact();
        (v.board.title(&txn), v.board.snapshot(&txn))
    };
    if let Some(title) = title {
        let shown = if title.is_empty() {
            "Untitled board"
        } else {
            title.as_str()
        };
        v.title.set_text_content(Some(shown));
        v.doc.set_title(&format!("{shown} · Huddle"));
    }

    let notes: Vec<_> = snapshot
        .items_by_z()
        .into_iter()
        .filter(|(_, item)| item.kind == ItemKind::Note)
        .collect();
    let live: HashSet<&str> = notes.iter().map(|(id, _)| id.as_str()).collect();
    v.fields.retain(|id, field| {
        let keep = live.contains(id.as_str());
        if !keep {
            field.li.remove();
        }
        keep
    });

    for (index, (id, item)) in notes.into_iter().enumerate() {
        if !v.fields.contains_key(id.as_str()) {
            let field = new_field(&v.doc, id, weak.clone())?;
            v.fields.insert(id.clone(), field);
        }
        let View {
            doc,
            notes: list,
            fields,
            ..
        } = &mut *v;
        let Some(field) = fields.get_mut(id.as_str()) else {
            continue;
        };
        if field.value != item.text {
            set_text_keeping_caret(doc, &field.text, &item.text);
            field.value = item.text.clone();
        }
        let color = Color::from_name(&item.color).unwrap_or_default();
        field
            .li
            .set_attribute("style", &format!("background: {}", color.hex()))?;
        // Move the note into place only if needed: moving a focused field would blur it.
        let at_index = list.children().item(index as u32);
        if at_index.as_ref() != Some(&field.li) {
            list.insert_before(&field.li, at_index.as_ref().map(|e| e.as_ref()))?;
        }
    }
    Ok(())
}

fn new_field(doc: &Document, id: &str, view: Weak<RefCell<View>>) -> Result<NoteField, JsValue> {
    let li = element(doc, "li", &[("class", "note"), ("data-id", id)], None)?;
    let text: HtmlTextAreaElement = typed(element(
        doc,
        "textarea",
        &[
            ("class", "note-text"),
            ("rows", "4"),
            ("aria-label", "Note text"),
        ],
        None,
    )?)?;
    li.append_child(&text)?;
    let item_id = id.to_owned();
    let on_input = Listener::new(&text, "input", move |_| {
        if let Some(view) = view.upgrade() {
            on_input(&view, &item_id);
        }
    })?;
    Ok(NoteField {
        li,
        text,
        value: String::new(),
        _on_input: on_input,
    })
}

/// Replaces a field's text; if it has the focus, its selection moves with the text around it.
fn set_text_keeping_caret(doc: &Document, field: &HtmlTextAreaElement, new: &str) {
    let focused = doc
        .active_element()
        .is_some_and(|active| active == ***field);
    if !focused {
        field.set_value(new);
        return;
    }
    let edit = text_diff::diff(&field.value(), new, None);
    let start = field.selection_start().ok().flatten().unwrap_or(0);
    let end = field.selection_end().ok().flatten().unwrap_or(start);
    field.set_value(new);
    let _ = field.set_selection_range(edit.shift(start), edit.shift(end));
}
