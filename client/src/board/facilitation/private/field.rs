//! The text field laid over a private note while its author edits it (a plain `textarea`:
//! the note is not in the document, so there is no shared text to bind to). Each keystroke
//! changes the page's note; the server gets it after a pause, or when the field closes.

use std::cell::RefCell;

use huddle_shared::facilitation::{MAX_NOTE_CHARS, PrivateNote};
use huddle_shared::model::Color;
use wasm_bindgen::JsCast;
use web_sys::{HtmlTextAreaElement, KeyboardEvent};

use crate::board::State;
use crate::board::camera::Camera;
use crate::board::style::NOTE;
use crate::dom::{self, Listener, element, log_error};

/// Font size, line height and padding of the field, as the note's text is drawn.
const SIZE: f64 = NOTE.size;
const LINE: f64 = NOTE.line;
const PAD: f64 = NOTE.pad;

pub struct Field {
    pub id: String,
    el: HtmlTextAreaElement,
    /// The style last applied (an unchanged camera costs no DOM write).
    placed: RefCell<String>,
    _listeners: [Listener; 3],
}

/// Starts editing private note `id` (ends any other edit first).
pub fn open(s: &mut State, id: &str) {
    if s.features
        .facilitation
        .private
        .field
        .as_ref()
        .is_some_and(|f| f.id == id)
    {
        return;
    }
    close(s);
    let Some(text) = s
        .features
        .facilitation
        .private
        .notes
        .get(id)
        .map(|l| l.note.text.clone())
    else {
        return;
    };
    let el = match element(
        &s.doc,
        "textarea",
        &[
            ("class", "private-editor"),
            ("aria-label", "Private note text (only you see it)"),
            ("title", "Only you see this note until private writing ends"),
            ("spellcheck", "false"),
            ("maxlength", &MAX_NOTE_CHARS.to_string()),
        ],
        None,
    )
    .and_then(dom::typed::<HtmlTextAreaElement>)
    {
        Ok(el) => el,
        Err(err) => return log_error("could not open the private note", &err),
    };
    el.set_value(&text);
    if let Err(err) = s.stage.append_child(&el) {
        return log_error("could not open the private note", &err);
    }
    let weak = s.page().map(|p| std::rc::Rc::downgrade(&p));
    let on = |event: &'static str, f: fn(&mut State, &web_sys::Event)| {
        let weak = weak.clone();
        Listener::new(&el, event, move |e| {
            if let Some(page) = weak.as_ref().and_then(|w| w.upgrade())
                && let Ok(mut s) = page.try_borrow_mut()
            {
                f(&mut s, &e);
            }
        })
    };
    let listeners = match (
        on("input", on_input),
        on("keydown", on_key),
        on("blur", |s, _| close(s)),
    ) {
        (Ok(a), Ok(b), Ok(c)) => [a, b, c],
        _ => {
            el.remove();
            return log_error("could not open the private note", &"no listener".into());
        }
    };
    let end = text.encode_utf16().count() as u32;
    s.features.facilitation.private.field = Some(Field {
        id: id.to_owned(),
        el: el.clone(),
        placed: RefCell::new(String::new()),
        _listeners: listeners,
    });
    let _ = el.focus();
    let _ = el.set_selection_range(end, end);
    s.request_frame();
}

/// Ends editing; the note goes to the server now if it changed.
pub fn close(s: &mut State) {
    let Some(field) = s.features.facilitation.private.field.take() else {
        return;
    };
    let unsent = s
        .features
        .facilitation
        .private
        .notes
        .get(&field.id)
        .is_some_and(|l| l.dirty);
    field.el.remove();
    if unsent {
        super::changed(s, &field.id, true);
    }
    s.request_frame();
}

fn on_input(s: &mut State, _: &web_sys::Event) {
    let Some((id, text)) = s
        .features
        .facilitation
        .private
        .field
        .as_ref()
        .map(|f| (f.id.clone(), f.el.value()))
    else {
        return;
    };
    if let Some(l) = s.features.facilitation.private.notes.get_mut(&id) {
        l.note.text = text;
    }
    super::changed(s, &id, false);
}

fn on_key(s: &mut State, e: &web_sys::Event) {
    if let Some(e) = e.dyn_ref::<KeyboardEvent>()
        && e.key() == "Escape"
    {
        e.prevent_default();
        close(s);
    }
}

/// Lays the field over its note at the current camera.
pub fn place(field: &Field, note: &PrivateNote, camera: &Camera) {
    let z = camera.zoom;
    let [x, y] = camera.to_screen(note.pos);
    let background = Color::from_name(&note.color).unwrap_or_default().hex();
    let style = format!(
        "position:absolute;box-sizing:border-box;margin:0;border:none;border-radius:6px;\
         outline:2px dashed #495057;resize:none;overflow:hidden;z-index:1;color:#1f2328;\
         font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
         left:{x:.1}px;top:{y:.1}px;width:{:.1}px;height:{:.1}px;font-size:{:.2}px;\
         line-height:{:.2}px;padding:{:.2}px;background:{background}",
        note.size[0] * z,
        note.size[1] * z,
        SIZE * z,
        LINE * z,
        PAD * z,
    );
    if *field.placed.borrow() != style {
        let _ = field.el.set_attribute("style", &style);
        *field.placed.borrow_mut() = style;
    }
}
