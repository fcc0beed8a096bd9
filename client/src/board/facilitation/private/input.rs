//! Keys, presses, drags and double clicks on the person's private notes: they lie above the
//! board, so they are hit first; a selected one takes Delete, Enter, Escape and the arrows.

use super::{Drag, WHAT, changed, create, field, on, paint, save};
use crate::board::State;
use crate::board::dispatch::Action;
use huddle_shared::facilitation::Command;

/// A keyboard action: a new note while private writing is on, and Delete, Enter, Escape
/// and the arrows on a selected private note. `true`: handled here.
pub fn intercept(s: &mut State, action: Action) -> bool {
    if action == Action::NewNote {
        if !on(s) || !s.session.role.may_comment() {
            return false;
        }
        let c = s.view.camera.viewport(s.view.size);
        return create(s, [c.x, c.y]);
    }
    let Some(id) = s.features.facilitation.private.selected.clone() else {
        return false;
    };
    if !s.features.facilitation.private.notes.contains_key(&id) {
        s.features.facilitation.private.selected = None;
        return false;
    }
    match action {
        Action::Delete => delete(s, &id),
        Action::Edit => field::open(s, &id),
        Action::Escape => {
            s.features.facilitation.private.selected = None;
            s.request_frame();
        }
        Action::Nudge(dx, dy) => {
            if let Some(l) = s.features.facilitation.private.notes.get_mut(&id) {
                l.note.pos = [l.note.pos[0] + dx, l.note.pos[1] + dy];
            }
            changed(s, &id, false);
        }
        _ => return false,
    }
    true
}

/// Deletes this person's private note `id` (here and on the server).
fn delete(s: &mut State, id: &str) {
    field::close(s);
    s.features.facilitation.private.notes.remove(id);
    s.features.facilitation.private.selected = None;
    save(s);
    let cmd = Command::PrivateDelete { id: id.to_owned() };
    if let Some(req) = s
        .session
        .conn
        .as_ref()
        .and_then(|c| c.send_facilitation(cmd))
    {
        s.features.facilitation.pending.insert(req, WHAT);
    }
    s.request_frame();
}

/// The private note under `world` (the top one: the last drawn).
fn hit(s: &State, world: [f64; 2]) -> Option<String> {
    s.features
        .facilitation
        .private
        .notes
        .values()
        .rev()
        .find(|l| {
            let [x, y] = l.note.pos;
            let [w, h] = l.note.size;
            world[0] >= x && world[0] <= x + w && world[1] >= y && world[1] <= y + h
        })
        .map(|l| l.note.id.clone())
}

/// A press on the canvas: on a private note it selects it and starts dragging it (`true`);
/// elsewhere it unselects it and the board handles the press.
pub fn press(s: &mut State, world: [f64; 2]) -> bool {
    let Some(id) = hit(s, world) else {
        if s.features.facilitation.private.selected.take().is_some() {
            s.request_frame();
        }
        field::close(s);
        return false;
    };
    if s.features.facilitation.private.field_id() != Some(id.as_str()) {
        field::close(s);
    }
    s.set_selection(Default::default());
    let from = s.features.facilitation.private.notes[&id].note.pos;
    let p = &mut s.features.facilitation.private;
    p.selected = Some(id.clone());
    p.drag = Some(Drag {
        id,
        start: world,
        from,
        moved: false,
    });
    s.request_frame();
    true
}

/// The pointer moved: a private note being dragged follows it (`true`); hovering one shows
/// whose it is.
pub fn pointer_moved(s: &mut State, world: [f64; 2]) -> bool {
    let Some(drag) = s.features.facilitation.private.drag.as_mut() else {
        let title = hit(s, world).map(|_| "Only you see this note until private writing ends");
        paint::hover_title(s, title);
        return false;
    };
    let pos = [
        drag.from[0] + world[0] - drag.start[0],
        drag.from[1] + world[1] - drag.start[1],
    ];
    drag.moved |= pos != drag.from;
    let id = drag.id.clone();
    if let Some(l) = s.features.facilitation.private.notes.get_mut(&id) {
        l.note.pos = pos;
    }
    s.request_frame();
    true
}

/// The press ended: a dragged private note is sent where it was dropped (`true`).
pub fn release(s: &mut State) -> bool {
    let Some(drag) = s.features.facilitation.private.drag.take() else {
        return false;
    };
    if drag.moved {
        changed(s, &drag.id, true);
    }
    true
}

/// A double click on a private note edits its text (`true`).
pub fn double_click(s: &mut State, world: [f64; 2]) -> bool {
    match hit(s, world) {
        Some(id) => {
            field::open(s, &id);
            true
        }
        None => false,
    }
}
