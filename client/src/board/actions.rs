//! What the user can do to the board, as functions on [`State`]: each is one gesture, so it
//! writes in one local transaction (through the model's batch edits) and ends with
//! [`State::after_gesture`]. Input, keys and the toolbar all call these.

use std::collections::BTreeSet;

use huddle_shared::model::{Color, DUPLICATE_OFFSET, ItemKind, NewNote};
use huddle_shared::rank;
use huddle_shared::yrs::Transact;

use super::camera::{Camera, clamp_zoom};
use super::scene::intersects;
use super::{State, clipboard, editor, locks, storymap};
use crate::dom::{self, log_error};

/// Zoom factor of one zoom-in / zoom-out key press.
const ZOOM_STEP: f64 = 1.25;

/// Drops selected ids whose items are gone (deleted here or elsewhere).
pub fn prune(s: &mut State) {
    let before = s.selection.ids.len();
    let scene = &s.scene;
    // Stories collapsed or filtered out of view leave the selection too.
    s.selection
        .ids
        .retain(|id| scene.get(id).is_some_and(|i| !i.hidden));
    s.selection.picked.retain(|id| scene.get(id).is_some());
    if s.selection.ids.len() != before {
        s.selection_changed();
    }
}

/// `ids` plus the contents of every frame among them (moving a frame moves what it holds).
pub fn with_frame_contents(s: &State, ids: &BTreeSet<String>) -> Vec<String> {
    let mut all = ids.clone();
    let txn = s.board.doc().transact();
    for id in ids {
        if s.scene.get(id).is_some_and(|i| i.kind == ItemKind::Frame) {
            all.extend(s.board.frame_contents(&txn, id));
        }
    }
    all.into_iter().collect()
}

/// Milliseconds since the epoch (0 natively).
pub fn js_now() -> f64 {
    if cfg!(target_arch = "wasm32") {
        js_sys::Date::now()
    } else {
        0.0
    }
}

/// Ends a creating gesture: select what was made and, if asked, edit it.
fn created(
    s: &mut State,
    what: &str,
    result: Result<String, impl std::fmt::Display>,
) -> Option<String> {
    s.after_gesture();
    match result {
        Ok(id) => {
            s.catch_up();
            s.set_selection(BTreeSet::from([id.clone()]));
            Some(id)
        }
        Err(err) => {
            log_error(&format!("could not create a {what}"), &dom::js_error(err));
            None
        }
    }
}

/// [`created`], then opens the new item's editor.
fn created_for_typing(
    s: &mut State,
    what: &str,
    result: Result<String, impl std::fmt::Display>,
) -> Option<String> {
    let id = created(s, what, result)?;
    editor::open(s, &id);
    Some(id)
}

/// The top-left corner of an item of `size` centred on `world`.
fn centred(world: [f64; 2], size: [f64; 2]) -> [f64; 2] {
    [world[0] - size[0] / 2.0, world[1] - size[1] / 2.0]
}

/// Creates a note of the current colour centred on `world` and opens it for typing.
pub fn create_note(s: &mut State, world: [f64; 2]) -> Option<String> {
    // While private writing is on, the note is this person's alone (not in the document).
    if super::facilitation::private::create(s, world) {
        return None;
    }
    let size = huddle_shared::model::DEFAULT_NOTE_SIZE;
    let note = NewNote {
        pos: centred(world, size),
        color: s.color,
        author: s.author(),
        created_at: js_now(),
        z: Some(rank::after(s.scene.z_range().1)),
        ..NewNote::default()
    };
    let result = s.board.create_note(&mut s.local_txn(), note);
    created_for_typing(s, "note", result)
}

/// Creates a frame centred on `world` and opens its title for typing.
pub fn create_frame(s: &mut State, world: [f64; 2]) -> Option<String> {
    let pos = centred(world, huddle_shared::model::DEFAULT_FRAME_SIZE);
    let author = s.author();
    let result = s
        .board
        .create_frame(&mut s.local_txn(), pos, None, "Frame", &author, js_now());
    created_for_typing(s, "frame", result)
}

/// Creates a text label centred on `world` and opens it for typing.
pub fn create_label(s: &mut State, world: [f64; 2]) -> Option<String> {
    let pos = centred(world, huddle_shared::model::DEFAULT_LABEL_SIZE);
    let author = s.author();
    let result = s
        .board
        .create_label(&mut s.local_txn(), pos, "", &author, js_now());
    created_for_typing(s, "label", result)
}

/// Draws an arrow from `from` to `to`.
pub fn connect(s: &mut State, from: &str, to: &str) -> Option<String> {
    let author = s.author();
    let result = s
        .board
        .create_connector(&mut s.local_txn(), from, to, &author, js_now());
    created(s, "connector", result)
}

/// `C`: connects the two selected items, from the one picked first to the one picked last.
pub fn connect_selection(s: &mut State) {
    if s.selection.ids.len() != 2 {
        return;
    }
    let mut ends: Vec<String> = s
        .selection
        .picked
        .iter()
        .filter(|id| s.selection.ids.contains(*id))
        .cloned()
        .collect();
    if ends.len() != 2 {
        ends = s.selection.ids.iter().cloned().collect();
    }
    connect(s, &ends[0], &ends[1]);
}

/// Where the items of `ids` that have a position of their own go when moved by `offset`:
/// stories and map parts are placed by their map, not by `pos`, and are left out.
pub fn free_moves(s: &State, ids: &[String], offset: [f64; 2]) -> Vec<(String, [f64; 2])> {
    ids.iter()
        .filter_map(|id| s.scene.get(id))
        .filter(|i| i.is_free() || i.kind == ItemKind::StoryMap)
        .map(|i| (i.id.clone(), [i.pos[0] + offset[0], i.pos[1] + offset[1]]))
        .collect()
}

/// Moves `ids` by `offset` in one transaction; `to_front` also raises them (keeping their
/// order among themselves).
pub fn move_by(s: &mut State, ids: &[String], offset: [f64; 2], to_front: bool) {
    if !locks::may_move(s, ids.iter().map(String::as_str)) {
        return;
    }
    let moves = free_moves(s, ids, offset);
    let result = {
        let mut txn = s.local_txn();
        let result = s.board.move_items(&mut txn, &moves);
        if to_front {
            // Frames and story maps stay behind what they hold.
            let raise: Vec<String> = ids
                .iter()
                .filter(|id| {
                    s.scene
                        .get(id)
                        .is_some_and(|i| !matches!(i.kind, ItemKind::Frame | ItemKind::StoryMap))
                })
                .cloned()
                .collect();
            s.board.bring_items_to_front(&mut txn, &raise);
        }
        result
    };
    if let Err(err) = result {
        log_error("could not move the selection", &dom::js_error(err));
    }
    s.after_gesture();
}

pub fn resize(s: &mut State, id: &str, size: [f64; 2]) {
    if !locks::may_change(s, id) {
        return;
    }
    let result = s.board.resize_item(&mut s.local_txn(), id, size);
    if let Err(err) = result {
        log_error("could not resize", &dom::js_error(err));
    }
    s.after_gesture();
}

/// Deletes the selection and the arrows attached to it.
pub fn delete_selection(s: &mut State) {
    if s.selection.ids.is_empty() {
        return;
    }
    let ids: Vec<String> = s.selection.ids.iter().cloned().collect();
    if !locks::may_move(s, ids.iter().map(String::as_str)) {
        return;
    }
    {
        let mut txn = s.local_txn();
        let rest = storymap::actions::delete_parts(s, &mut txn, &ids);
        s.board.delete_items(&mut txn, &rest);
    }
    s.set_selection(BTreeSet::new());
    s.after_gesture();
}

/// Sets the colour of new notes and of the selection.
pub fn recolor(s: &mut State, color: Color) {
    s.color = color;
    // The toolbar shows the new colour on the next frame.
    s.request_frame();
    if !s.selection.ids.is_empty()
        && locks::may_change_all(s, s.selection.ids.iter().map(String::as_str))
    {
        let ids: Vec<String> = s.selection.ids.iter().cloned().collect();
        s.board.recolor_items(&mut s.local_txn(), &ids, color);
        s.after_gesture();
    }
}

/// Raises (`front`) or lowers the selection to the top or bottom of the stack.
pub fn restack(s: &mut State, front: bool) {
    if s.selection.ids.is_empty()
        || !locks::may_change_all(s, s.selection.ids.iter().map(String::as_str))
    {
        return;
    }
    let ids: Vec<String> = s.selection.ids.iter().cloned().collect();
    {
        let mut txn = s.local_txn();
        if front {
            s.board.bring_items_to_front(&mut txn, &ids);
        } else {
            s.board.send_to_back(&mut txn, &ids);
        }
    }
    s.after_gesture();
}

pub fn select_all(s: &mut State) {
    let all: BTreeSet<String> = s
        .scene
        .items()
        .filter(|i| !i.hidden && !i.kind.is_map_part())
        .map(|i| i.id.clone())
        .collect();
    s.set_selection(all);
}

/// Copies the selection and pastes it next to itself, selecting the copies.
pub fn duplicate(s: &mut State) {
    // Through a clip, so that stories are copied from where they are drawn.
    let Some(clip) = clipboard::copy(s) else {
        return;
    };
    let author = s.author();
    let result = s.board.paste(
        &mut s.local_txn(),
        &clip,
        DUPLICATE_OFFSET,
        &author,
        js_now(),
    );
    pasted(s, result);
}

/// Pastes the board clipboard: next to the originals if they are in view, else centred.
pub fn paste(s: &mut State) {
    let Some(clip) = clipboard::load() else {
        return;
    };
    let Some(bounds) = clipboard::bounds(&clip) else {
        return;
    };
    let view = s.view.camera.visible(s.view.size);
    let offset = if intersects(bounds, view) {
        DUPLICATE_OFFSET
    } else {
        let centre = s.view.camera.viewport(s.view.size);
        [
            centre.x - (bounds[0] + bounds[2] / 2.0),
            centre.y - (bounds[1] + bounds[3] / 2.0),
        ]
    };
    let author = s.author();
    let result = s
        .board
        .paste(&mut s.local_txn(), &clip, offset, &author, js_now());
    pasted(s, result);
}

fn pasted(s: &mut State, result: Result<Vec<String>, impl std::fmt::Display>) {
    s.after_gesture();
    match result {
        Ok(ids) => {
            s.catch_up();
            s.set_selection(ids.into_iter().collect());
        }
        Err(err) => log_error("could not paste", &dom::js_error(err)),
    }
}

pub fn undo(s: &mut State, redo: bool) {
    if s.editor.is_some() {
        editor::close(s);
    }
    if let Some(undo) = s.undo.as_mut() {
        if redo {
            s.board.redo(undo);
        } else {
            s.board.undo(undo);
        }
    }
    if let Some(conn) = &s.session.conn {
        conn.flush_local();
    }
    s.request_frame();
}

/// Zoom to fit everything on the board.
pub fn zoom_fit(s: &mut State) {
    if let Some(bounds) = s.scene.bounds() {
        s.view.camera = Camera::fit(bounds, s.view.size);
        s.camera_moved();
    }
}

/// Zoom to `zoom` (clamped) about the centre of the canvas.
pub fn zoom_to(s: &mut State, zoom: f64) {
    let centre = [s.view.size[0] / 2.0, s.view.size[1] / 2.0];
    s.view.camera.zoom_at(centre, clamp_zoom(zoom));
    s.camera_moved();
}

pub fn zoom_step(s: &mut State, zoom_in: bool) {
    let z = s.view.camera.zoom;
    zoom_to(
        s,
        if zoom_in {
            z * ZOOM_STEP
        } else {
            z / ZOOM_STEP
        },
    );
}
