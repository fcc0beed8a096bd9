//! Drawing a frame on the Canvas 2D: dot grid, the visible items bottom to top (painted by
//! [`super::paint`]), arrows, selection, peers, marquee.
//!
//! The context is scaled by `devicePixelRatio x zoom` once per frame and items are drawn in
//! world units, so everything is crisp at any zoom. Only the items the grid returns for the
//! visible rectangle are touched. Font and colour strings are constants ([`super::style`]):
//! nothing is formatted per item per frame.

use huddle_shared::model::ItemKind;
use web_sys::CanvasRenderingContext2d;

use super::State;
use super::camera::{Camera, Rect};
use super::geometry::{HANDLE_PX, rect_of};
use super::gesture::Gesture;
use super::paint::{DETAIL_PX, Pen, batched};
use super::scene::{Scene, intersects};
use super::style::{ACCENT, DOT, MARQUEE_FILL, PAPER, SLATE, WHITE};
use super::{connector, storymap};

/// Text layouts computed per frame at most; the rest wait for the next frame, so a jump to a
/// crowded area never blocks one frame for long.
const LAYOUTS_PER_FRAME: usize = 400;
/// Dot grid: world spacing, doubled until the dots are at least this far apart on screen.
const DOT_STEP: f64 = 24.0;
const MIN_DOT_GAP_PX: f64 = 18.0;
/// The side of a default note, for choosing the level of detail.
const DEFAULT_SIDE: f64 = 200.0;

/// Draws the whole frame; `false` if some visible text was left for the next frame.
pub fn draw(s: &mut State) -> bool {
    let State {
        view,
        scene,
        visible,
        pointer,
        selection,
        editor,
        session,
        maps,
        board,
        features,
        ..
    } = s;
    let (rounds, facilitation, comments, since) = (
        &features.rounds,
        &features.facilitation,
        &features.comments,
        &features.since,
    );
    let (ctx, gesture, selection) = (&view.ctx, &pointer.gesture, &selection.ids);
    let (cam, dpr, size) = (view.camera, view.dpr, view.size);
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.set_fill_style_str(PAPER);
    ctx.fill_rect(0.0, 0.0, size[0], size[1]);
    dots(ctx, &cam, size);

    let k = dpr * cam.zoom;
    let _ = ctx.set_transform(k, 0.0, 0.0, k, -cam.origin[0] * k, -cam.origin[1] * k);
    ctx.set_text_baseline("top");
    let view = cam.visible(size);
    scene.visible(view, visible);

    let (dragged, offset) = match gesture {
        Gesture::Drag {
            slots,
            offset,
            moved: true,
            ..
        } => (Some(&slots[..]), *offset),
        _ => (None, [0.0, 0.0]),
    };
    let resized = match gesture {
        Gesture::Resize { slot, size, .. } => Some((*slot, *size)),
        _ => None,
    };
    let editing = editor.as_ref().and_then(|e| scene.slot_of(&e.id));
    let mut pen = Pen::new(ctx, cam.zoom, LAYOUTS_PER_FRAME);

    // Story maps first: they are behind everything (their stories are notes, drawn below).
    let editing_id = editor.as_ref().map(|e| e.id.as_str());
    for &slot in visible.iter() {
        if let Some(item) = scene.slot(slot).filter(|i| i.kind == ItemKind::StoryMap)
            && let Some(laid) = maps.get(&item.id)
        {
            // A map dragged by its title is drawn where the pointer has it.
            let moved = dragged.is_some_and(|d| d.binary_search(&slot).is_ok());
            let (dx, dy) = if moved {
                (offset[0], offset[1])
            } else {
                (0.0, 0.0)
            };
            let _ = ctx.translate(dx, dy);
            storymap::paint::map(ctx, laid, cam.zoom, editing_id);
            let _ = ctx.translate(-dx, -dy);
        }
    }

    if DEFAULT_SIDE * cam.zoom < DETAIL_PX {
        batched(&pen, scene, visible, dragged);
    } else {
        for &slot in visible.iter() {
            if dragged.is_some_and(|d| d.binary_search(&slot).is_ok()) {
                continue;
            }
            let editing = editing == Some(slot);
            if super::raci::draw_slot(ctx, cam.zoom, board, scene, slot, [0.0; 2], editing) {
                continue;
            }
            let Some(item) = scene.slot_mut(slot) else {
                continue;
            };
            let size = match resized {
                Some((s, size)) if s == slot => size,
                _ => item.size,
            };
            let pos = item.pos;
            pen.item(item, pos, size, editing);
        }
    }
    // Dragged items on top, where the pointer has them.
    if let Some(dragged) = dragged {
        for &slot in dragged.iter() {
            if super::raci::draw_slot(ctx, cam.zoom, board, scene, slot, offset, false) {
                continue;
            }
            if let Some(item) = scene.slot_mut(slot) {
                let pos = [item.pos[0] + offset[0], item.pos[1] + offset[1]];
                let size = item.size;
                pen.item(item, pos, size, false);
            }
        }
    }

    if let Some(line) = maps.indicator.filter(|_| dragged.is_some()) {
        storymap::paint::indicator(ctx, line, cam.zoom);
    }
    if let Gesture::MapPart(drag) = gesture
        && drag.moved
    {
        storymap::paint::ghost(ctx, drag.ghost(), cam.zoom);
    }

    arrows(
        ctx, scene, view, cam.zoom, selection, dragged, offset, resized,
    );

    super::rounds::draw(ctx, rounds, scene, visible, cam.zoom);
    super::locks::draw(ctx, &facilitation.locks, scene, maps, cam.zoom, view);
    super::since::draw(ctx, since, scene, cam.zoom, view);
    super::facilitation::private::draw(ctx, facilitation, &cam);
    super::comments::draw(ctx, comments, scene, cam.zoom);

    // Our selection, and the resize handle of a single selected item.
    let z = cam.zoom;
    ctx.set_stroke_style_str(ACCENT);
    ctx.set_line_width(2.0 / z);
    for id in selection.iter() {
        let Some(slot) = scene.slot_of(id) else {
            continue;
        };
        let Some(item) = scene.slot(slot).filter(|i| !i.is_connector() && !i.hidden) else {
            continue;
        };
        let moved = dragged.is_some_and(|d| d.binary_search(&slot).is_ok());
        let pos = if moved {
            [item.pos[0] + offset[0], item.pos[1] + offset[1]]
        } else {
            item.pos
        };
        let size = match resized {
            Some((s, size)) if s == slot => size,
            _ => item.size,
        };
        ctx.stroke_rect(pos[0], pos[1], size[0], size[1]);
        if selection.len() == 1 && item.is_free() && item.kind != ItemKind::Raci {
            let h = HANDLE_PX / z;
            ctx.set_fill_style_str(WHITE);
            ctx.fill_rect(pos[0] + size[0] - h / 2.0, pos[1] + size[1] - h / 2.0, h, h);
            ctx.stroke_rect(pos[0] + size[0] - h / 2.0, pos[1] + size[1] - h / 2.0, h, h);
        }
    }

    if let Some(presence) = &session.presence {
        super::peers::draw(ctx, scene, &cam, dpr, &presence.peers());
    }

    if let Gesture::Marquee { start, now, .. } = gesture {
        let r = rect_of(*start, *now);
        ctx.set_fill_style_str(MARQUEE_FILL);
        ctx.fill_rect(r[0], r[1], r[2], r[3]);
        ctx.set_line_width(1.0 / z);
        ctx.set_stroke_style_str(ACCENT);
        ctx.stroke_rect(r[0], r[1], r[2], r[3]);
    }
    pen.complete
}

/// The arrows whose ends are in view, following their ends while they are dragged.
#[allow(clippy::too_many_arguments)]
fn arrows(
    ctx: &CanvasRenderingContext2d,
    scene: &Scene,
    view: Rect,
    zoom: f64,
    selection: &std::collections::BTreeSet<String>,
    dragged: Option<&[u32]>,
    offset: [f64; 2],
    resized: Option<(u32, [f64; 2])>,
) {
    let rect = |id: Option<&str>| -> Option<Rect> {
        let slot = scene.slot_of(id?)?;
        let item = scene.slot(slot)?;
        let mut r = item.rect();
        if dragged.is_some_and(|d| d.binary_search(&slot).is_ok()) {
            r[0] += offset[0];
            r[1] += offset[1];
        }
        if let Some((s, size)) = resized
            && s == slot
        {
            r[2] = size[0];
            r[3] = size[1];
        }
        Some(r)
    };
    ctx.set_line_width(2.0 / zoom);
    for slot in scene.connectors() {
        let Some(arrow) = scene.slot(*slot) else {
            continue;
        };
        let (Some(a), Some(b)) = (rect(arrow.from.as_deref()), rect(arrow.to.as_deref())) else {
            continue;
        };
        let around = [
            a[0].min(b[0]),
            a[1].min(b[1]),
            (a[0] + a[2]).max(b[0] + b[2]) - a[0].min(b[0]),
            (a[1] + a[3]).max(b[1] + b[3]) - a[1].min(b[1]),
        ];
        if !intersects(around, view) {
            continue;
        }
        let color = if selection.contains(&arrow.id) {
            ACCENT
        } else {
            SLATE
        };
        ctx.set_stroke_style_str(color);
        ctx.set_fill_style_str(color);
        let (from, to) = connector::segment(a, b);
        connector::draw(ctx, from, to, zoom);
    }
}

/// The dot grid, in screen space (the context is at `dpr` scale only).
fn dots(ctx: &CanvasRenderingContext2d, cam: &Camera, size: [f64; 2]) {
    let mut step = DOT_STEP;
    while step * cam.zoom < MIN_DOT_GAP_PX {
        step *= 2.0;
    }
    let view = cam.visible(size);
    let first = [
        (view[0] / step).ceil() * step,
        (view[1] / step).ceil() * step,
    ];
    ctx.set_fill_style_str(DOT);
    ctx.begin_path();
    let mut x = first[0];
    while x <= view[0] + view[2] {
        let sx = (x - cam.origin[0]) * cam.zoom;
        let mut y = first[1];
        while y <= view[1] + view[3] {
            let sy = (y - cam.origin[1]) * cam.zoom;
            ctx.rect(sx - 1.0, sy - 1.0, 2.0, 2.0);
            y += step;
        }
        x += step;
    }
    ctx.fill();
}
