//! The text field laid over a note while it is edited (`textarea#note-editor`), bound to the
//! note's `Y.Text` both ways.
//!
//! A local keystroke becomes one transaction: the field's old and new values are diffed
//! ([`crate::text_diff`]) and applied as a delete and an insert, so two people typing in one
//! note merge character by character. A remote change to the note replaces the field's value
//! and moves the caret along with the text around it. When editing ends, the note's `#tags`
//! are stored as its tags. The field follows the camera (position, size, font).

use huddle_shared::model::{Board, ModelError};
use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;

use super::State;
use super::geometry::text_box;
use super::style::text_style;
use crate::dom::{self, Listener, element, log_error};
use crate::text_diff;
use huddle_shared::model::ItemKind;

pub struct Editor {
    pub id: String,
    el: HtmlTextAreaElement,
    /// The note's text as last applied to the document (and shown in the field).
    value: String,
    /// The style last applied, so an unchanged camera costs no DOM write.
    placed: String,
    _input: Listener,
}

/// Starts editing item `id` (ends any other edit first).
pub fn open(s: &mut State, id: &str) {
    if !s.may_edit() || s.editor.as_ref().is_some_and(|e| e.id == id) {
        return;
    }
    if !super::locks::may_change(s, id) {
        return;
    }
    close(s);
    s.catch_up();
    let Some((text, kind)) = s.scene.get(id).map(|i| (i.text.clone(), i.kind.clone())) else {
        return;
    };
    let el = match element(
        &s.doc,
        "textarea",
        &[
            ("id", "note-editor"),
            ("aria-label", "Note text"),
            ("spellcheck", "false"),
        ],
        None,
    )
    .and_then(dom::typed::<HtmlTextAreaElement>)
    {
        Ok(el) => el,
        Err(err) => return log_error("could not open the editor", &err),
    };
    el.set_value(&text);
    if let Err(err) = s.stage.append_child(&el) {
        return log_error("could not open the editor", &err);
    }
    let weak = s.page().map(|p| std::rc::Rc::downgrade(&p));
    let input = Listener::new(&el, "input", move |_| {
        if let Some(page) = weak.as_ref().and_then(|w| w.upgrade())
            && let Ok(mut s) = page.try_borrow_mut()
        {
            on_input(&mut s);
        }
    });
    let input = match input {
        Ok(l) => l,
        Err(err) => {
            el.remove();
            return log_error("could not open the editor", &err);
        }
    };
    let end = text.encode_utf16().count() as u32;
    s.editor = Some(Editor {
        id: id.to_owned(),
        el: el.clone(),
        value: text,
        placed: String::new(),
        _input: input,
    });
    place(s);
    let _ = el.focus();
    // A title or a map part's name is usually replaced, a note's text continued.
    let titled = kind == ItemKind::Frame || kind == ItemKind::StoryMap || kind.is_map_part();
    let start = if titled { 0 } else { end };
    let _ = el.set_selection_range(start, end);
    s.request_frame();
}

/// Ends editing: the field goes, the note's `#tags` become its tags (one gesture).
pub fn close(s: &mut State) {
    let Some(editor) = s.editor.take() else {
        return;
    };
    editor.el.remove();
    // Locked while it was open: its tags are not ours to store any more.
    let result = if super::locks::is_blocked(s, &editor.id) {
        Ok(false)
    } else {
        let mut txn = s.local_txn();
        s.board.retag(&mut txn, &editor.id)
    };
    // The note may be gone (deleted by someone else while we typed): nothing to tag then.
    if let Err(err) = result {
        crate::dom::log_error("could not store the tags", &dom::js_error(err));
    }
    s.after_gesture();
}

/// A keystroke (or paste, cut, native undo...) in the field.
fn on_input(s: &mut State) {
    let State { board, editor, .. } = s;
    let Some(editor) = editor.as_mut() else {
        return;
    };
    let new = editor.el.value();
    let caret = editor.el.selection_end().ok().flatten();
    let edit = text_diff::diff(&editor.value, &new, caret);
    if edit.is_empty() {
        return;
    }
    match apply_edit(board, &editor.id, &edit) {
        Ok(()) => editor.value = new,
        Err(err) => log_error("could not edit the note", &dom::js_error(err)),
    }
    if let Some(conn) = &s.session.conn {
        conn.flush_local();
    }
    s.request_frame();
}

/// One edit, one transaction.
fn apply_edit(board: &Board, id: &str, edit: &text_diff::TextDiff) -> Result<(), ModelError> {
    let mut txn = board.transact_local();
    if edit.delete > 0 {
        board.delete_text(&mut txn, id, edit.index, edit.delete)?;
    }
    if !edit.insert.is_empty() {
        board.insert_text(&mut txn, id, edit.index, &edit.insert)?;
    }
    Ok(())
}

/// After the scene took in document changes: follow remote edits, or stop if the note went.
pub fn sync(s: &mut State) {
    let Some(editor) = s.editor.as_mut() else {
        return;
    };
    match s.scene.get(&editor.id) {
        None => {
            editor.el.remove();
            s.editor = None;
        }
        Some(item) if item.text != editor.value => {
            set_text_keeping_caret(&editor.el, &item.text);
            editor.value = item.text.clone();
        }
        Some(_) => {}
    }
}

/// Lays the field over its note at the current camera.
pub fn place(s: &mut State) {
    let Some(editor) = s.editor.as_mut() else {
        return;
    };
    let Some(item) = s.scene.get(&editor.id) else {
        return;
    };
    let z = s.view.camera.zoom;
    let text = text_style(&item.kind);
    let b = text_box(&item.kind, item.pos, item.size);
    let [x, y] = s.view.camera.to_screen([b[0], b[1]]);
    let background = match item.kind {
        ItemKind::Note | ItemKind::Other(_) => item.color.hex(),
        _ => "rgba(255,255,255,0.9)",
    };
    let style = format!(
        "left:{x:.1}px;top:{y:.1}px;width:{:.1}px;height:{:.1}px;font-size:{:.2}px;\
         line-height:{:.2}px;padding:{:.2}px;font-weight:{};background:{background}",
        b[2] * z,
        b[3] * z,
        text.size * z,
        text.line * z,
        text.pad * z,
        text.weight,
    );
    if style != editor.placed {
        let _ = editor.el.set_attribute("style", &style);
        editor.placed = style;
    }
}

/// Whether `target` is the editor field (keys typed there are text, not shortcuts).
pub fn is_editor(s: &State, target: Option<&web_sys::EventTarget>) -> bool {
    match (
        &s.editor,
        target.and_then(|t| t.dyn_ref::<web_sys::Element>()),
    ) {
        (Some(editor), Some(el)) => el == editor.el.unchecked_ref::<web_sys::Element>(),
        _ => false,
    }
}

/// Replaces the field's text; if it has the focus, its selection moves with the text around it.
fn set_text_keeping_caret(field: &HtmlTextAreaElement, new: &str) {
    let edit = text_diff::diff(&field.value(), new, None);
    let start = field.selection_start().ok().flatten().unwrap_or(0);
    let end = field.selection_end().ok().flatten().unwrap_or(start);
    field.set_value(new);
    let _ = field.set_selection_range(edit.shift(start), edit.shift(end));
}
