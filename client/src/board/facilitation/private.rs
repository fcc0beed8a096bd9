//! Private notes on the page: while private writing is on (`Public::private` in the
//! document), a new note is this person's alone. The page keeps it here and in
//! `localStorage` (so a note written offline survives a reload), sends it to the server with
//! `private_put` (debounced while typing), and draws it with a dashed border and a lock; it is
//! never written into the document by the page. At the end the server publishes every held
//! note into the document, where its author put it.
//!
//! What the page holds is reconciled with the server's `private` event (all of the person's
//! notes, each time): the server's list wins for notes with nothing unsent, so a note deleted
//! in another tab goes, and one written there appears. A note that is in the document is
//! published and dropped here. After each (re)connect every held note is sent again (puts
//! replace, so this is harmless); a note from a session that ended while the page was away
//! carries that session's id and the server publishes it straight away.
//!
//! # Layout
//!
//! - this file: the notes, reconciling and sending, the hooks the board calls (creation,
//!   keys, pointer, paint);
//! - `input`: keys, presses, drags and double clicks on private notes;
//! - `paint`: drawing private notes on the canvas;
//! - `bar`: the line that says private writing is on (and the facilitator's End button);
//! - `field`: the text field laid over a private note while it is edited;
//! - `keep`: the copy in `localStorage`.

mod bar;
mod field;
mod input;
mod keep;
mod paint;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};

use huddle_shared::facilitation::{Command, PrivateNote};
use huddle_shared::model::DEFAULT_NOTE_SIZE;
use huddle_shared::sort::map_of;
use huddle_shared::yrs::Transact;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::board::State;
use crate::dom;

pub use input::{double_click, intercept, pointer_moved, press, release};
pub use paint::draw;

/// Typing pauses this long (ms) before the note is sent: a put per keystroke would be a
/// frame per keystroke for nothing, and the server keeps only the latest.
const SEND_AFTER_MS: i32 = 400;
/// What a refusal of a private-note request is called (see `state::what`).
const WHAT: &str = "Private writing";

/// One private note as the page holds it.
#[derive(Debug, Clone)]
struct Local {
    note: PrivateNote,
    /// Changed since last sent (or never sent: written offline).
    dirty: bool,
}

/// A private note being dragged.
#[derive(Debug, Clone)]
pub(super) struct Drag {
    id: String,
    /// Where the press was (world units) and the note's position then.
    start: [f64; 2],
    from: [f64; 2],
    moved: bool,
}

/// This person's private notes, as the page knows them.
#[derive(Default)]
pub struct Private {
    notes: BTreeMap<String, Local>,
    /// Read from `localStorage` yet (done on first use, when the board id is known).
    loaded: bool,
    /// The session the page saw last (to notice private writing ending).
    session_seen: Option<String>,
    /// The hello the page answered last (each new one resends every note).
    hello_seen: Option<f64>,
    /// The private note selected (the document's selection is cleared meanwhile).
    selected: Option<String>,
    drag: Option<Drag>,
    field: Option<field::Field>,
    bar: Option<bar::Bar>,
    /// The pending debounced send (`setTimeout` handle).
    timer: Option<i32>,
    /// Requests in flight: number -> note id (to tell a note the server has not answered for
    /// from one it dropped).
    flights: HashMap<u64, String>,
}

/// Whether private writing is on now.
pub fn on(s: &State) -> bool {
    s.features.facilitation.public.private.is_some()
}

fn load(s: &mut State) {
    let p = &mut s.features.facilitation.private;
    if p.loaded {
        return;
    }
    p.loaded = true;
    for note in keep::read(&s.id) {
        p.notes.insert(note.id.clone(), Local { note, dirty: true });
    }
}

/// Keeps the notes in `localStorage` and shows their count in the bar (after every change).
fn save(s: &mut State) {
    let notes: Vec<&PrivateNote> = s
        .features
        .facilitation
        .private
        .notes
        .values()
        .map(|l| &l.note)
        .collect();
    keep::write(&s.id, &notes);
    bar::render(s);
}

/// The server sent this person's own private notes (all of them, replacing what was shown,
/// except what the page has not sent yet or is waiting to hear about).
pub fn on_private(s: &mut State, notes: Vec<PrivateNote>) {
    load(s);
    let pending = &s.features.facilitation.pending;
    let p = &mut s.features.facilitation.private;
    p.flights.retain(|req, _| pending.contains_key(req));
    let editing = p.field.as_ref().map(|f| f.id.clone());
    let busy: HashSet<String> = p.flights.values().cloned().chain(editing).collect();
    reconcile(&mut p.notes, notes, &busy);
    save(s);
    s.request_frame();
}

/// Takes in the server's list of the person's notes: for a note with nothing unsent and no
/// answer awaited (`busy`: in flight or being typed), the server's copy wins, and one the
/// server no longer holds (deleted in another tab, refused, published) goes; notes the page
/// did not know (written in another tab) come in. Unsent and busy notes stay as they are.
fn reconcile(
    local: &mut BTreeMap<String, Local>,
    server: Vec<PrivateNote>,
    busy: &HashSet<String>,
) {
    let mut server = map_of(server.into_iter().map(|n| (n.id.clone(), n)));
    local.retain(|id, l| {
        let theirs = server.remove(id);
        if l.dirty || busy.contains(id) {
            return true;
        }
        match theirs {
            Some(note) => {
                l.note = note;
                true
            }
            None => false,
        }
    });
    for (id, note) in server {
        local.insert(id, Local { note, dirty: false });
    }
}

impl Private {
    fn field_id(&self) -> Option<&str> {
        self.field.as_ref().map(|f| f.id.as_str())
    }
}

/// After the facilitation state changed (a hello, an event, the document's maps): resend
/// after a reconnect, notice the end of private writing, drop what is published, send what
/// is unsent.
pub fn refresh(s: &mut State) {
    load(s);
    let hello = s.features.facilitation.hello_at;
    let session = s
        .features
        .facilitation
        .public
        .private
        .as_ref()
        .map(|p| p.session.clone());
    let p = &mut s.features.facilitation.private;
    let new_hello = hello.is_some() && hello != p.hello_seen;
    if new_hello {
        p.hello_seen = hello;
    }
    // Private writing ended: what the server did not publish goes again, with its session's
    // id (the server publishes a note of an ended session straight away).
    let ended = session != p.session_seen && session.is_none();
    p.session_seen = session;
    if new_hello || ended {
        p.notes.values_mut().for_each(|l| l.dirty = true);
    }
    if ended {
        field::close(s);
    }
    drop_published(s);
    if s.features.facilitation.private.timer.is_none() {
        send_dirty(s);
    }
    bar::render(s);
}

/// Drops the notes that are in the document (published).
fn drop_published(s: &mut State) {
    let published: Vec<String> = {
        let txn = s.board.doc().transact();
        s.features
            .facilitation
            .private
            .notes
            .keys()
            .filter(|id| s.board.has_item(&txn, id))
            .cloned()
            .collect()
    };
    if published.is_empty() {
        return;
    }
    for id in &published {
        s.features.facilitation.private.notes.remove(id);
        if s.features.facilitation.private.selected.as_ref() == Some(id) {
            s.features.facilitation.private.selected = None;
        }
    }
    if published
        .iter()
        .any(|id| s.features.facilitation.private.field_id() == Some(id.as_str()))
    {
        field::close(s);
    }
    save(s);
    s.request_frame();
}

/// Sends every note changed since it was last sent (nothing when offline: they wait).
fn send_dirty(s: &mut State) {
    let dirty: Vec<PrivateNote> = s
        .features
        .facilitation
        .private
        .notes
        .values()
        .filter(|l| l.dirty)
        .map(|l| l.note.clone())
        .collect();
    for note in dirty {
        let id = note.id.clone();
        let Some(req) = s
            .session
            .conn
            .as_ref()
            .and_then(|c| c.send_facilitation(Command::PrivatePut { note }))
        else {
            return;
        };
        s.features.facilitation.pending.insert(req, WHAT);
        let p = &mut s.features.facilitation.private;
        p.flights.insert(req, id.clone());
        if let Some(l) = p.notes.get_mut(&id) {
            l.dirty = false;
        }
    }
}

/// Marks note `id` changed and sends it after a pause (or at once, with `now`).
fn changed(s: &mut State, id: &str, now: bool) {
    if let Some(l) = s.features.facilitation.private.notes.get_mut(id) {
        l.dirty = true;
    }
    save(s);
    s.request_frame();
    if let (Some(t), Ok(w)) = (s.features.facilitation.private.timer.take(), dom::window()) {
        w.clear_timeout_with_handle(t);
    }
    if now {
        return send_dirty(s);
    }
    let weak = s.page().map(|p| std::rc::Rc::downgrade(&p));
    let later = Closure::once_into_js(move || {
        if let Some(page) = weak.and_then(|w| w.upgrade())
            && let Ok(mut s) = page.try_borrow_mut()
        {
            s.features.facilitation.private.timer = None;
            send_dirty(&mut s);
        }
    });
    if let Ok(w) = dom::window()
        && let Ok(t) = w.set_timeout_with_callback_and_timeout_and_arguments_0(
            later.unchecked_ref(),
            SEND_AFTER_MS,
        )
    {
        s.features.facilitation.private.timer = Some(t);
    }
}

/// A random id for a new note (as `shared::ids` makes item ids: 16 base-62 characters).
fn new_id() -> String {
    huddle_shared::ids::new_item_id()
}

/// Creates a private note centred on `world` and opens it for typing, if private writing is
/// on and this person may write (a commenter may: it is their note until the end). `false`:
/// the board's own note creation goes on.
pub fn create(s: &mut State, world: [f64; 2]) -> bool {
    let Some(session) = s
        .features
        .facilitation
        .public
        .private
        .as_ref()
        .map(|p| p.session.clone())
    else {
        return false;
    };
    if !s.session.role.may_comment() {
        return false;
    }
    load(s);
    let size = DEFAULT_NOTE_SIZE;
    let note = PrivateNote {
        id: new_id(),
        pos: [world[0] - size[0] / 2.0, world[1] - size[1] / 2.0],
        size,
        color: s.color.name().to_owned(),
        text: String::new(),
        session,
    };
    let id = note.id.clone();
    s.features
        .facilitation
        .private
        .notes
        .insert(id.clone(), Local { note, dirty: true });
    s.set_selection(Default::default());
    s.features.facilitation.private.selected = Some(id.clone());
    changed(s, &id, true);
    field::open(s, &id);
    true
}

/// For `window.huddle.facilitation().private`: the held notes (id, text, pos, session,
/// unsent) and the selected one.
pub fn hook_json(s: &State) -> serde_json::Value {
    let p = &s.features.facilitation.private;
    let notes: Vec<serde_json::Value> = p
        .notes
        .values()
        .map(|l| {
            serde_json::json!({
                "id": l.note.id,
                "text": l.note.text,
                "pos": l.note.pos,
                "size": l.note.size,
                "color": l.note.color,
                "session": l.note.session,
                "unsent": l.dirty,
            })
        })
        .collect();
    serde_json::json!({ "notes": notes, "selected": p.selected, "editing": p.field_id() })
}
