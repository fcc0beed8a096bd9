//! What the user can do to the board, as functions on [`State`]: each is one gesture, so it
//! writes in one local transaction and ends with [`State::after_gesture`]. Input, keys and the
//! toolbar all call these.

use std::collections::BTreeSet;

use huddle_shared::model::{Color, ItemKind, NewNote};
use huddle_shared::rank;

use super::camera::{Camera, clamp_zoom};
use super::scene::{contains, intersects};
use super::{State, clipboard, editor};
use crate::dom::{self, log_error};

/// How far a duplicate or a paste is offset from its original (world units).
const COPY_OFFSET: f64 = 24.0;
/// Zoom factor of one zoom-in / zoom-out key press.
const ZOOM_STEP: f64 = 1.25;

/// Drops selected ids whose items are gone (deleted here or elsewhere).
pub fn prune(s: &mut State) {
    let gone: Vec<String> = s
        .selection
        .iter()
        .filter(|id| s.scene.get(id).is_none())
        .cloned()
        .collect();
    if !gone.is_empty() {
        for id in gone {
            s.selection.remove(&id);
        }
        s.selection_changed();
    }
}

/// `ids` plus every item inside a frame among them (moving a frame moves its contents).
pub fn with_frame_contents(s: &mut State, ids: &BTreeSet<String>) -> Vec<String> {
    let mut all: BTreeSet<String> = ids.clone();
    for id in ids {
        let Some(frame) = s.scene.get(id).filter(|i| i.kind == ItemKind::Frame) else {
            continue;
        };
        let r = frame.rect();
        let inside: Vec<String> = s
            .scene
            .ids_in(r)
            .into_iter()
            .filter(|other| {
                s.scene.get(other).is_some_and(|i| {
                    i.kind != ItemKind::Frame
                        && contains(r, i.pos)
                        && contains(r, [i.pos[0] + i.size[0], i.pos[1] + i.size[1]])
                })
            })
            .collect();
        all.extend(inside);
    }
    all.into_iter().collect()
}

/// Creates a note of the current colour centred on `world`; returns its id.
pub fn create_note(s: &mut State, world: [f64; 2]) -> Option<String> {
    let size = huddle_shared::model::DEFAULT_NOTE_SIZE;
    let note = NewNote {
        pos: [world[0] - size[0] / 2.0, world[1] - size[1] / 2.0],
        color: s.color,
        author: s.guest.name.clone(),
        created_at: js_now(),
        z: Some(rank::after(s.scene.z_range().1)),
        ..NewNote::default()
    };
    let created = {
        let mut txn = s.local_txn();
        s.board.create_note(&mut txn, note)
    };
    s.after_gesture();
    match created {
        Ok(id) => Some(id),
        Err(err) => {
            log_error("could not create a note", &dom::js_error(err));
            None
        }
    }
}

/// Milliseconds since the epoch (0 natively).
pub fn js_now() -> f64 {
    if cfg!(target_arch = "wasm32") {
        js_sys::Date::now()
    } else {
        0.0
    }
}

/// Moves `ids` by `offset` in one transaction; `to_front` also raises them (keeping their
/// order among themselves).
pub fn move_by(s: &mut State, ids: &[String], offset: [f64; 2], to_front: bool) {
    let mut moving: Vec<(u32, String, [f64; 2])> = ids
        .iter()
        .filter_map(|id| s.scene.get(id).map(|i| (i.order, id.clone(), i.pos)))
        .collect();
    moving.sort_by_key(|(order, ..)| *order);
    let mut top = s.scene.z_range().1.map(str::to_owned);
    {
        let mut txn = s.local_txn();
        for (_, id, pos) in &moving {
            let to = [pos[0] + offset[0], pos[1] + offset[1]];
            if let Err(err) = s.board.move_item(&mut txn, id, to) {
                log_error("could not move an item", &dom::js_error(err));
            }
            if to_front {
                let z = rank::after(top.as_deref());
                let _ = s.board.set_z(&mut txn, id, &z);
                top = Some(z);
            }
        }
    }
    s.after_gesture();
}

pub fn resize(s: &mut State, id: &str, size: [f64; 2]) {
    let result = {
        let mut txn = s.local_txn();
        s.board.resize_item(&mut txn, id, size)
    };
    if let Err(err) = result {
        log_error("could not resize", &dom::js_error(err));
    }
    s.after_gesture();
}

pub fn delete_selection(s: &mut State) {
    if s.selection.is_empty() {
        return;
    }
    {
        let mut txn = s.local_txn();
        for id in &s.selection {
            let _ = s.board.delete_item(&mut txn, id);
        }
    }
    s.selection.clear();
    s.selection_changed();
    s.after_gesture();
}

/// Sets the colour of new notes and of the selection.
pub fn recolor(s: &mut State, color: Color) {
    s.color = color;
    if !s.selection.is_empty() {
        {
            let mut txn = s.local_txn();
            for id in &s.selection {
                let _ = s.board.recolor(&mut txn, id, color);
            }
        }
        s.after_gesture();
    }
}

/// Raises (`front`) or lowers the selection to the top or bottom of the stack.
pub fn restack(s: &mut State, front: bool) {
    let mut ids: Vec<(u32, String)> = s
        .selection
        .iter()
        .filter_map(|id| s.scene.get(id).map(|i| (i.order, id.clone())))
        .collect();
    if ids.is_empty() {
        return;
    }
    ids.sort();
    let (lo, hi) = s.scene.z_range();
    let (mut lo, mut hi) = (lo.map(str::to_owned), hi.map(str::to_owned));
    {
        let mut txn = s.local_txn();
        if front {
            for (_, id) in &ids {
                let z = rank::after(hi.as_deref());
                let _ = s.board.set_z(&mut txn, id, &z);
                hi = Some(z);
            }
        } else {
            for (_, id) in ids.iter().rev() {
                let z = rank::before(lo.as_deref());
                let _ = s.board.set_z(&mut txn, id, &z);
                lo = Some(z);
            }
        }
    }
    s.after_gesture();
}

pub fn select_all(s: &mut State) {
    let all: BTreeSet<String> = s.scene.items().map(|i| i.id.clone()).collect();
    s.set_selection(all);
}

/// Copies the selection and pastes it next to itself, selecting the copies.
pub fn duplicate(s: &mut State) {
    if let Some(clip) = clipboard::Clip::of(s) {
        paste_clip(s, &clip, [COPY_OFFSET, COPY_OFFSET]);
    }
}

/// Pastes the board clipboard: next to the originals if they are in view, else centred.
pub fn paste(s: &mut State) {
    let Some(clip) = clipboard::Clip::load() else {
        return;
    };
    let Some(bounds) = clip.bounds() else {
        return;
    };
    let view = s.camera.visible(s.size);
    let offset = if intersects(bounds, view) {
        [COPY_OFFSET, COPY_OFFSET]
    } else {
        let centre = s.camera.viewport(s.size);
        [
            centre.x - (bounds[0] + bounds[2] / 2.0),
            centre.y - (bounds[1] + bounds[3] / 2.0),
        ]
    };
    paste_clip(s, &clip, offset);
}

fn paste_clip(s: &mut State, clip: &clipboard::Clip, offset: [f64; 2]) {
    let top = s.scene.z_range().1.map(str::to_owned);
    let author = s.guest.name.clone();
    let created = clip.paste(&s.board, &mut s.local_txn(), offset, top, &author);
    s.set_selection(created.into_iter().collect());
    s.after_gesture();
}

pub fn undo(s: &mut State, redo: bool) {
    if s.editor.is_some() {
        editor::close(s);
    }
    if let Some(undo) = s.undo.as_mut() {
        if redo {
            undo.redo();
        } else {
            undo.undo();
        }
    }
    if let Some(conn) = &s.conn {
        conn.flush_local();
    }
    s.request_frame();
}

/// Zoom to fit everything on the board.
pub fn zoom_fit(s: &mut State) {
    if let Some(bounds) = s.scene.bounds() {
        s.camera = Camera::fit(bounds, s.size);
        s.camera_moved();
    }
}

/// Zoom to `zoom` (clamped) about the centre of the canvas.
pub fn zoom_to(s: &mut State, zoom: f64) {
    let centre = [s.size[0] / 2.0, s.size[1] / 2.0];
    s.camera.zoom_at(centre, clamp_zoom(zoom));
    s.camera_moved();
}

pub fn zoom_step(s: &mut State, zoom_in: bool) {
    let z = s.camera.zoom;
    zoom_to(
        s,
        if zoom_in {
            z * ZOOM_STEP
        } else {
            z / ZOOM_STEP
        },
    );
}
