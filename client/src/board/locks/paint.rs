//! The padlock marks: a small padlock in the top-right corner of each locked item (a story
//! map's on its title row), the same size on screen at any zoom, and for a map locked for
//! placement a red padlock and "Placement locked" on the title row. Hovering a locked item
//! sets the canvas's tooltip to "Locked by NAME".
//!
//! Locks are few (a backbone is tens of items), so the marks are found by walking the locks,
//! not the scene, and drawn after the items so that nothing covers them.

use std::collections::BTreeMap;

use huddle_shared::facilitation::Lock;
use huddle_shared::model::ItemKind;
use web_sys::CanvasRenderingContext2d;

use super::super::State;
use super::super::camera::Rect;
use super::super::scene::{Scene, contains, intersects};
use super::super::storymap::Maps;
use super::super::style::{DANGER, HALO, SLATE, SMALL_BOLD_FONT};

/// The padlock's side on screen (px): readable, small enough not to hide a note's text.
const MARK_PX: f64 = 14.0;
/// Gap between the padlock and the item's corner (screen px).
const INSET_PX: f64 = 4.0;
/// An ordinary lock's colour (the UI's quiet ink).
const INK: &str = SLATE;
/// A placement lock's colour: it stops more (no story may enter or leave the map).
const PLACEMENT: &str = DANGER;
/// The placement label's font, at screen size (the label is drawn unscaled).
const LABEL_FONT: &str = SMALL_BOLD_FONT;
const LABEL: &str = "Placement locked";

/// Where a locked item is drawn: a map's title row, else its scene rectangle (hidden and
/// unknown items have none).
fn shown_rect(scene: &Scene, maps: &Maps, id: &str) -> Option<Rect> {
    if let Some(laid) = maps.get(id) {
        let t = laid.layout.title;
        return Some([t.x, t.y, t.w, t.h]);
    }
    let item = scene.get(id).filter(|i| !i.hidden && !i.is_connector())?;
    Some(item.rect())
}

/// Draws every visible lock's padlock (the context is in world units at `zoom`).
pub fn draw(
    ctx: &CanvasRenderingContext2d,
    locks: &BTreeMap<String, Lock>,
    scene: &Scene,
    maps: &Maps,
    zoom: f64,
    view: Rect,
) {
    if locks.is_empty() {
        return;
    }
    let u = MARK_PX / zoom;
    let inset = INSET_PX / zoom;
    for (id, lock) in locks {
        let Some(r) = shown_rect(scene, maps, id) else {
            continue;
        };
        if !intersects(r, view) {
            continue;
        }
        let x = r[0] + r[2] - u - inset;
        let y = r[1] + inset;
        let color = if lock.placement { PLACEMENT } else { INK };
        padlock(ctx, x, y, u, color);
        if lock.placement && maps.get(id).is_some() {
            // Drawn at screen size: scaled down by the zoom rather than a font per zoom.
            ctx.save();
            let _ = ctx.translate(x - inset, y);
            let _ = ctx.scale(1.0 / zoom, 1.0 / zoom);
            ctx.set_font(LABEL_FONT);
            ctx.set_fill_style_str(PLACEMENT);
            ctx.set_text_align("right");
            let _ = ctx.fill_text(LABEL, 0.0, 1.0);
            ctx.restore();
        }
    }
}

/// A padlock of side `u` with its top-left corner at (`x`, `y`).
fn padlock(ctx: &CanvasRenderingContext2d, x: f64, y: f64, u: f64, color: &str) {
    ctx.set_fill_style_str(HALO);
    ctx.fill_rect(x - u * 0.15, y - u * 0.15, u * 1.3, u * 1.3);
    // The shackle: a half ring over the body.
    ctx.set_stroke_style_str(color);
    ctx.set_line_width(u * 0.14);
    ctx.begin_path();
    let (cx, cy, radius) = (x + u * 0.5, y + u * 0.42, u * 0.26);
    ctx.move_to(cx - radius, y + u * 0.5);
    ctx.line_to(cx - radius, cy);
    let _ = ctx.arc(cx, cy, radius, std::f64::consts::PI, 0.0);
    ctx.line_to(cx + radius, y + u * 0.5);
    ctx.stroke();
    // The body.
    ctx.set_fill_style_str(color);
    ctx.fill_rect(x + u * 0.1, y + u * 0.45, u * 0.8, u * 0.55);
}

/// The locked item under `world` (the smallest: a note on a locked map names the note).
fn locked_at(s: &State, world: [f64; 2]) -> Option<&Lock> {
    s.features
        .facilitation
        .locks
        .iter()
        .filter_map(|(id, lock)| {
            let r = match s.maps.get(id) {
                Some(laid) => {
                    let b = laid.layout.bounds;
                    [b.x, b.y, b.w, b.h]
                }
                None => shown_rect(&s.scene, &s.maps, id)?,
            };
            contains(r, world).then_some((lock, r[2] * r[3]))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(lock, _)| lock)
}

/// Pointer moved over the canvas with nothing pressed: "Locked by NAME" as the canvas's
/// tooltip over a locked item, none elsewhere.
pub fn hover(s: &State, world: [f64; 2]) {
    let text = locked_at(s, world).map(|lock| format!("Locked by {}", lock.by));
    let now = s.view.canvas.get_attribute("title");
    if now == text {
        return;
    }
    let _ = match text {
        Some(t) => s.view.canvas.set_attribute("title", &t),
        None => s.view.canvas.remove_attribute("title"),
    };
}

/// Ids that have a padlock drawn now (for the page's test hook).
pub fn marked(s: &State) -> Vec<String> {
    s.features
        .facilitation
        .locks
        .keys()
        .filter(|id| {
            shown_rect(&s.scene, &s.maps, id).is_some()
                || s.scene
                    .get(id)
                    .is_some_and(|i| i.kind == ItemKind::StoryMap)
        })
        .cloned()
        .collect()
}
