//! Touch screens: two fingers pinch to zoom and move together to pan; one finger on empty
//! canvas pans (there is no hover or marquee on glass). Mouse and pen input never come here.
//! (Trackpad pinches arrive as ctrl+wheel and are handled with the wheel.)

use web_sys::PointerEvent;

use super::State;
use super::gesture::Gesture;

/// The fingers on the canvas: pointer id and screen position.
pub type Touches = Vec<(i32, [f64; 2])>;

fn is_touch(e: &PointerEvent) -> bool {
    e.pointer_type() == "touch"
}

fn pinch_of(touches: &Touches) -> Option<([f64; 2], f64)> {
    let [(_, a), (_, b)] = touches.as_slice() else {
        return None;
    };
    let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    Some((mid, (a[0] - b[0]).hypot(a[1] - b[1]).max(1.0)))
}

/// A finger went down at `at`; `true` if touch handling took the press.
pub fn down(s: &mut State, e: &PointerEvent, at: [f64; 2]) -> bool {
    if !is_touch(e) {
        return false;
    }
    s.pointer.touches.retain(|(id, _)| *id != e.pointer_id());
    s.pointer.touches.push((e.pointer_id(), at));
    if let Some((mid, dist)) = pinch_of(&s.pointer.touches) {
        // The second finger: whatever the first one started becomes a pinch (nothing written).
        let dragging = match &s.pointer.gesture {
            Gesture::Drag { moved, .. } => *moved,
            Gesture::MapPart(drag) => drag.moved,
            _ => false,
        };
        if dragging && let Some(p) = &s.session.presence {
            p.set_dragging(&[]);
        }
        s.pointer.gesture = Gesture::Pinch { mid, dist };
        s.request_frame();
        return true;
    }
    s.pointer.touches.len() > 2
}

/// A single finger's press found nothing under it: pan instead of a marquee.
pub fn pan_instead(s: &mut State, e: &PointerEvent, at: [f64; 2]) -> bool {
    if is_touch(e) {
        s.pointer.gesture = Gesture::Pan { last: at };
        return true;
    }
    false
}

/// A finger moved; `true` if it was part of a pinch (handled here).
pub fn moved(s: &mut State, e: &PointerEvent, at: [f64; 2]) -> bool {
    if !is_touch(e) {
        return false;
    }
    if let Some(t) = s
        .pointer
        .touches
        .iter_mut()
        .find(|(id, _)| *id == e.pointer_id())
    {
        t.1 = at;
    }
    let Gesture::Pinch { mid, dist } = s.pointer.gesture else {
        return false;
    };
    let Some((now_mid, now_dist)) = pinch_of(&s.pointer.touches) else {
        return true;
    };
    let zoom = s.view.camera.zoom * now_dist / dist;
    s.view.camera.zoom_at(mid, zoom);
    s.view
        .camera
        .pan_by(now_mid[0] - mid[0], now_mid[1] - mid[1]);
    s.pointer.gesture = Gesture::Pinch {
        mid: now_mid,
        dist: now_dist,
    };
    s.camera_moved();
    true
}

/// A finger lifted (or was cancelled).
pub fn up(s: &mut State, e: &PointerEvent) {
    if is_touch(e) {
        s.pointer.touches.retain(|(id, _)| *id != e.pointer_id());
    }
}
