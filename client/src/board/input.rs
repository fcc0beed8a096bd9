//! Pointer and wheel input on the canvas: a small state machine (idle, panning, dragging,
//! resizing, marquee). A drag shows intermediate positions locally and to presence only; the
//! document gets the final positions on drop, in one transaction (see DESIGN.md).

use std::collections::BTreeSet;

use huddle_shared::model::ItemKind;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Event, PointerEvent, WheelEvent};

use super::geometry::{FRAME_TITLE, rect_of};
use super::gesture::{Gesture, Tool};
use super::hit::{hit_connector, hit_item, hover, on_handle};
use super::storymap::drag as map_drag;
use super::{Page, State, actions, editor, touch};
use crate::dom::Listener;

/// A press that moves less than this (screen px) is a click, not a drag.
const CLICK_SLOP_PX: f64 = 3.0;
/// Smallest size a resize leaves (world units).
const MIN_SIZE: f64 = 40.0;
/// Zoom per wheel pixel with ctrl/cmd (pinch sends small deltas, wheels ~100 per notch).
const ZOOM_PER_PX: f64 = 0.01;
/// Largest wheel delta used for one zoom step, so one mouse notch zooms ~1.6x, not 2.7x.
const MAX_ZOOM_DELTA: f64 = 50.0;
/// Pixels per wheel "line" (Firefox reports lines).
const LINE_PX: f64 = 16.0;

fn screen(s: &State, e: &PointerEvent) -> [f64; 2] {
    [
        e.client_x() as f64 - s.view.canvas_at[0],
        e.client_y() as f64 - s.view.canvas_at[1],
    ]
}

/// Registers the canvas's pointer, wheel and double-click listeners.
pub fn install(page: &Page) -> Result<(), JsValue> {
    let canvas = page.borrow().view.canvas.clone();
    let on = |event: &'static str, f: fn(&mut State, &Event)| -> Result<(), JsValue> {
        let weak = std::rc::Rc::downgrade(page);
        Listener::new(&canvas, event, move |e| {
            if let Some(page) = weak.upgrade()
                && let Ok(mut s) = page.try_borrow_mut()
            {
                f(&mut s, &e);
            }
        })?
        .forever();
        Ok(())
    };
    on("pointerdown", down)?;
    on("pointermove", moved)?;
    on("pointerup", up)?;
    on("pointercancel", up)?;
    on("pointerleave", |s, _| {
        if let Some(p) = &s.session.presence {
            p.set_cursor(None);
        }
    })?;
    on("dblclick", double_click)?;
    on("wheel", wheel)?;
    on("contextmenu", |_, e| e.prevent_default())?;
    Ok(())
}

fn down(s: &mut State, e: &Event) {
    let Some(e) = e.dyn_ref::<PointerEvent>() else {
        return;
    };
    if s.editor.is_some() {
        editor::close(s);
    }
    let _ = s.view.canvas.set_pointer_capture(e.pointer_id());
    let at = screen(s, e);
    if touch::down(s, e, at) {
        return;
    }
    if e.button() == 1 || (e.button() == 0 && s.pointer.space) {
        e.prevent_default();
        s.pointer.gesture = Gesture::Pan { last: at };
        return;
    }
    if e.button() != 0 {
        return;
    }
    let world = s.view.camera.to_world(at);
    let toggle = e.shift_key() || e.ctrl_key() || e.meta_key();
    // The person's private notes lie above the board.
    if super::facilitation::private::press(s, world) {
        return;
    }
    // A comment pin opens its threads.
    if super::comments::pin_press(s, world) {
        return;
    }
    // A viewer selects and looks around; nothing they press moves or changes anything.
    let may_edit = s.may_edit();
    if let Tool::Connect { from } = s.pointer.tool.clone()
        && may_edit
    {
        connect_press(s, world, from);
        return;
    }

    // The resize handle of a single selected item.
    if may_edit && let Some((id, slot, size)) = on_handle(s, world) {
        if !super::locks::may_change(s, &id) {
            return;
        }
        s.pointer.gesture = Gesture::Resize {
            id,
            slot,
            start: world,
            size0: size,
            size,
        };
        return;
    }

    let hit = hit_connector(s, world).or_else(|| hit_item(s, world));
    // A story map's controls, cards and title (under any note lying on them).
    if may_edit && hit.is_none() && map_drag::press(s, world, at) {
        return;
    }
    // A RACI matrix's cells, headers and "+"/"×" controls (not while it is locked).
    if let Some(id) = &hit
        && !super::locks::is_blocked(s, id)
        && super::raci::click(s, id, world)
    {
        return;
    }
    // A dot vote: a click on one of its items is a dot (Shift or Alt: one fewer).
    if let Some(id) = &hit
        && super::rounds::click_item(s, id, e.shift_key() || e.alt_key())
    {
        return;
    }
    match hit {
        Some(id) => {
            if !s.selection.ids.contains(&id) {
                s.selection.picked.retain(|p| *p != id);
                s.selection.picked.push(id.clone());
            }
            let collapse_to =
                (!toggle && s.selection.ids.len() > 1 && s.selection.ids.contains(&id))
                    .then(|| id.clone());
            let mut selection = s.selection.ids.clone();
            if toggle {
                if !selection.remove(&id) {
                    selection.insert(id.clone());
                }
            } else if !selection.contains(&id) {
                selection = BTreeSet::from([id.clone()]);
            }
            s.set_selection(selection);
            if may_edit && s.selection.ids.contains(&id) {
                let ids = actions::with_frame_contents(s, &s.selection.ids.clone());
                if super::locks::may_move(s, ids.iter().map(String::as_str)) {
                    s.pointer.gesture = Gesture::drag(s, world, at, ids, collapse_to);
                }
            }
        }
        None if touch::pan_instead(s, e, at) => {
            s.set_selection(BTreeSet::new());
        }
        None => {
            let base = if toggle {
                s.selection.ids.clone()
            } else {
                BTreeSet::new()
            };
            s.set_selection(base.clone());
            s.pointer.gesture = Gesture::Marquee {
                start: world,
                now: world,
                base,
            };
        }
    }
}

/// A press with the connector tool: the first item is where the arrow starts, the second
/// where it points; a press on empty canvas puts the tool away.
fn connect_press(s: &mut State, world: [f64; 2], from: Option<String>) {
    let Some(hit) = hit_item(s, world) else {
        s.set_tool(Tool::Select);
        return;
    };
    match from {
        Some(from) if from != hit => {
            actions::connect(s, &from, &hit);
            s.set_tool(Tool::Select);
        }
        _ => {
            s.set_selection(BTreeSet::from([hit.clone()]));
            s.pointer.tool = Tool::Connect { from: Some(hit) };
        }
    }
}

fn moved(s: &mut State, e: &Event) {
    let Some(e) = e.dyn_ref::<PointerEvent>() else {
        return;
    };
    let at = screen(s, e);
    if touch::moved(s, e, at) {
        return;
    }
    let world = s.view.camera.to_world(at);
    if let Some(p) = &s.session.presence {
        p.set_cursor(Some(world));
    }
    if super::facilitation::private::pointer_moved(s, world) {
        return;
    }
    match &mut s.pointer.gesture {
        Gesture::Idle => return hover(s, world),
        Gesture::Pinch { .. } | Gesture::MapButton(..) => return,
        Gesture::Pan { last } => {
            let (dx, dy) = (at[0] - last[0], at[1] - last[1]);
            *last = at;
            s.view.camera.pan_by(dx, dy);
            s.camera_moved();
            return;
        }
        Gesture::Drag {
            start,
            start_screen,
            ids,
            offset,
            moved,
            ..
        } => {
            let far = (at[0] - start_screen[0]).hypot(at[1] - start_screen[1]) > CLICK_SLOP_PX;
            *moved |= far;
            if !*moved {
                return;
            }
            *offset = [world[0] - start[0], world[1] - start[1]];
            let offset = *offset;
            if let Some(p) = &s.session.presence {
                let now: Vec<(String, [f64; 2])> = ids
                    .iter()
                    .filter_map(|id| s.scene.get(id))
                    .map(|i| (i.id.clone(), [i.pos[0] + offset[0], i.pos[1] + offset[1]]))
                    .collect();
                p.set_dragging(&now);
            }
        }
        Gesture::MapPart(drag) => {
            let far = (at[0] - drag.start_screen[0]).hypot(at[1] - drag.start_screen[1]);
            drag.moved |= far > CLICK_SLOP_PX;
            drag.now = world;
            // Others see the card move as a ghost, like a dragged note.
            if drag.moved
                && let Some(p) = &s.session.presence
            {
                let ghost = drag.ghost();
                p.set_dragging(&[(drag.id.clone(), [ghost.x, ghost.y])]);
            }
        }
        Gesture::Resize {
            start, size0, size, ..
        } => {
            *size = [
                (size0[0] + world[0] - start[0]).max(MIN_SIZE),
                (size0[1] + world[1] - start[1]).max(MIN_SIZE),
            ];
        }
        Gesture::Marquee { start, now, base } => {
            *now = world;
            let rect = rect_of(*start, *now);
            let mut selection = base.clone();
            // A marquee takes stories out of a map, not the map itself.
            let inside = s.scene.ids_in(rect).into_iter().filter(|id| {
                s.scene
                    .get(id)
                    .is_some_and(|i| i.kind != ItemKind::StoryMap)
            });
            selection.extend(inside.collect::<Vec<_>>());
            s.set_selection(selection);
        }
    }
    if let Gesture::Drag {
        ids, moved: true, ..
    } = &s.pointer.gesture
    {
        let ids = ids.clone();
        map_drag::hover(s, world, &ids);
    }
    s.request_frame();
}

fn up(s: &mut State, e: &Event) {
    if let Some(e) = e.dyn_ref::<PointerEvent>() {
        let _ = s.view.canvas.release_pointer_capture(e.pointer_id());
        touch::up(s, e);
    }
    if super::facilitation::private::release(s) {
        return;
    }
    match std::mem::replace(&mut s.pointer.gesture, Gesture::Idle) {
        Gesture::Drag {
            ids,
            start,
            offset,
            moved: true,
            ..
        } => {
            let pointer = [start[0] + offset[0], start[1] + offset[1]];
            map_drag::drop(s, &ids, offset, pointer);
            if let Some(p) = &s.session.presence {
                p.set_dragging(&[]);
            }
        }
        Gesture::Drag {
            moved: false,
            collapse_to: Some(id),
            ..
        } => s.set_selection(BTreeSet::from([id])),
        Gesture::Resize {
            id, size, size0, ..
        } if size != size0 => actions::resize(s, &id, size),
        Gesture::MapPart(drag) => {
            if drag.moved
                && let Some(p) = &s.session.presence
            {
                p.set_dragging(&[]);
            }
            map_drag::release_part(s, drag);
        }
        Gesture::MapButton(map, spot) => map_drag::click(s, &map, spot),
        _ => {}
    }
    s.request_frame();
}

fn double_click(s: &mut State, e: &Event) {
    let Some(e) = e.dyn_ref::<web_sys::MouseEvent>() else {
        return;
    };
    let at = [
        e.client_x() as f64 - s.view.canvas_at[0],
        e.client_y() as f64 - s.view.canvas_at[1],
    ];
    let world = s.view.camera.to_world(at);
    // A private note (its author may be a commenter) opens for typing.
    if super::facilitation::private::double_click(s, world) || !s.may_edit() {
        return;
    }
    let hit = hit_item(s, world);
    if hit.is_none() && (map_drag::double_click(s, world) || map_drag::double_click_cell(s, world))
    {
        return;
    }
    // A quick second click on a RACI cell is the next letter, not an edit of the title.
    if let Some(id) = &hit
        && super::raci::swallows_double_click(s, id, world)
    {
        return;
    }
    // During a dot vote a quick second click on an item is a second dot, not an edit.
    if let Some(id) = &hit
        && s.features
            .rounds
            .dot_round()
            .is_some_and(|v| v.round.targets.contains(id))
    {
        return;
    }
    let frame_body = hit
        .as_deref()
        .and_then(|id| s.scene.get(id))
        .is_some_and(|i| i.kind == ItemKind::Frame && world[1] > i.pos[1] + FRAME_TITLE);
    match hit {
        Some(id) if !frame_body => {
            s.set_selection(BTreeSet::from([id.clone()]));
            editor::open(s, &id);
        }
        _ => {
            actions::create_note(s, world);
        }
    }
}

fn wheel(s: &mut State, e: &Event) {
    let Some(e) = e.dyn_ref::<WheelEvent>() else {
        return;
    };
    e.prevent_default();
    let unit = match e.delta_mode() {
        WheelEvent::DOM_DELTA_LINE => LINE_PX,
        WheelEvent::DOM_DELTA_PAGE => s.view.size[1],
        _ => 1.0,
    };
    let (mut dx, dy) = (e.delta_x() * unit, e.delta_y() * unit);
    if e.ctrl_key() || e.meta_key() {
        let at = [
            e.client_x() as f64 - s.view.canvas_at[0],
            e.client_y() as f64 - s.view.canvas_at[1],
        ];
        let step = dy.clamp(-MAX_ZOOM_DELTA, MAX_ZOOM_DELTA);
        let zoom = s.view.camera.zoom * (-step * ZOOM_PER_PX).exp();
        s.view.camera.zoom_at(at, zoom);
    } else {
        let mut dy = dy;
        if e.shift_key() && dx == 0.0 {
            (dx, dy) = (dy, 0.0);
        }
        s.view.camera.pan_by(-dx, -dy);
    }
    s.camera_moved();
}
