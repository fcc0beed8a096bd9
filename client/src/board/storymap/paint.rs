//! Drawing a story map from its layout: the area, the title with the map's total points,
//! activity cards (with their totals), step cards, release slices (a separator line, the
//! name, points and tech-debt share), the "+" buttons and chevrons. Stories are notes: the
//! board's painter draws them at their cells ([`super::super::scene::Drawn`]).
//!
//! Implicit parts ("Unsorted", "Unscheduled") are drawn in grey, without a card colour, so
//! they read as the map's leftovers rather than as parts someone made.

use huddle_shared::storymap::{GAP, LABEL_WIDTH, PartBox, Rect};
use web_sys::CanvasRenderingContext2d;

use super::chrome::{self, BUTTON};
use super::{Laid, release_summary, with_unit};
use crate::board::style::{
    ACCENT, ACTIVITY_CARD, IMPLICIT, INK, LINE, MAP_FILL, MAP_LINE, MAP_NAME_FONT, MAP_SMALL_FONT,
    MAP_TITLE_FONT, MIN_TEXT_PX, QUIET, STEP_CARD, WHITE,
};

/// Padding of text inside cards and labels.
const PAD: f64 = 8.0;
/// Corner radius of cards and buttons.
const RADIUS: f64 = 6.0;

/// Paints map `laid`; `editing`: the id whose name is in the editor (not painted).
pub fn map(ctx: &CanvasRenderingContext2d, laid: &Laid, zoom: f64, editing: Option<&str>) {
    let l = &laid.layout;
    let text = 15.0 * zoom >= MIN_TEXT_PX;
    let b = l.bounds;
    ctx.set_fill_style_str(MAP_FILL);
    ctx.fill_rect(b.x, b.y, b.w, b.h);
    ctx.set_stroke_style_str(MAP_LINE);
    ctx.set_line_width(1.0 / zoom);
    ctx.stroke_rect(b.x, b.y, b.w, b.h);

    if text && editing != Some(l.map.as_str()) {
        let total: f64 = laid.map.release_totals.iter().map(|t| t.points).sum();
        let title = if laid.map.title.is_empty() {
            "Story map"
        } else {
            laid.map.title.as_str()
        };
        ctx.set_font(MAP_TITLE_FONT);
        ctx.set_fill_style_str(INK);
        let line = format!("{title} - {}", with_unit(total));
        let _ = ctx.fill_text_with_max_width(&line, b.x + 12.0, b.y + 12.0, b.w - 24.0);
    }

    for (i, a) in l.activities.iter().enumerate() {
        let pts = laid.map.activities.get(i).map_or(0.0, |a| a.totals.points);
        card(ctx, a, ACTIVITY_CARD, text, editing);
        if text {
            ctx.set_font(MAP_SMALL_FONT);
            ctx.set_fill_style_str(QUIET);
            let r = a.rect;
            let _ = ctx.fill_text(&with_unit(pts), r.x + PAD, r.bottom() - 22.0);
        }
    }
    for s in &l.steps {
        card(ctx, s, STEP_CARD, text, editing);
    }
    for (i, band) in l.releases.iter().enumerate() {
        let r = band.rect;
        ctx.set_stroke_style_str(LINE);
        ctx.set_line_width(if band.id.is_some() { 2.0 } else { 1.0 } / zoom);
        ctx.begin_path();
        ctx.move_to(r.x, r.y);
        ctx.line_to(r.right(), r.y);
        ctx.stroke();
        if !text || editing.is_some_and(|e| band.id.as_deref() == Some(e)) {
            continue;
        }
        let totals = laid.map.release_totals.get(i).copied().unwrap_or_default();
        ctx.set_font(MAP_NAME_FONT);
        ctx.set_fill_style_str(if band.id.is_some() { INK } else { QUIET });
        let max = LABEL_WIDTH - 2.0 * PAD - chrome::CHEVRON;
        let _ = ctx.fill_text_with_max_width(&band.name, r.x + PAD, r.y + PAD, max);
        ctx.set_font(MAP_SMALL_FONT);
        ctx.set_fill_style_str(QUIET);
        let summary = release_summary(&band.name, &totals);
        let rest = summary.strip_prefix(band.name.as_str()).unwrap_or(&summary);
        let rest = rest.trim_start_matches(" - ");
        if band.collapsed {
            let _ = ctx.fill_text(rest, r.x + LABEL_WIDTH + GAP, r.y + PAD + 4.0);
        } else {
            for (n, part) in rest.split(" - ").enumerate() {
                let y = r.y + PAD + 22.0 + n as f64 * 17.0;
                let _ = ctx.fill_text_with_max_width(part, r.x + PAD, y, LABEL_WIDTH - 2.0 * PAD);
            }
        }
    }
    controls(ctx, laid, zoom, text);
}

/// An activity or step card with its name.
fn card(
    ctx: &CanvasRenderingContext2d,
    part: &PartBox,
    fill: &str,
    text: bool,
    editing: Option<&str>,
) {
    let r = part.rect;
    let implicit = part.id.is_none();
    ctx.set_fill_style_str(if implicit { IMPLICIT } else { fill });
    ctx.begin_path();
    let _ = ctx.round_rect_with_f64(r.x, r.y, r.w, r.h, RADIUS);
    ctx.fill();
    if text && (part.id.is_none() || part.id.as_deref() != editing) {
        ctx.set_font(MAP_NAME_FONT);
        ctx.set_fill_style_str(if implicit { QUIET } else { INK });
        let max = r.w - 2.0 * PAD - chrome::CHEVRON;
        let _ = ctx.fill_text_with_max_width(&part.name, r.x + PAD, r.y + PAD, max);
    }
}

/// The "+" buttons and the chevrons.
fn controls(ctx: &CanvasRenderingContext2d, laid: &Laid, zoom: f64, text: bool) {
    let l = &laid.layout;
    let mut buttons: Vec<(Rect, &str)> = vec![(chrome::add_activity(l), "+")];
    buttons.extend(chrome::add_steps(l).into_iter().map(|(_, r)| (r, "+")));
    buttons.push((chrome::add_release(l), "+ Slice"));
    ctx.set_line_width(1.0 / zoom);
    for (r, label) in &buttons {
        ctx.set_fill_style_str(WHITE);
        ctx.set_stroke_style_str(ACCENT);
        ctx.begin_path();
        let _ = ctx.round_rect_with_f64(r.x, r.y, r.w, r.h, RADIUS);
        ctx.fill();
        ctx.stroke();
        if text {
            ctx.set_font(MAP_NAME_FONT);
            ctx.set_fill_style_str(ACCENT);
            let w = ctx.measure_text(label).map_or(8.0, |m| m.width());
            let _ = ctx.fill_text(label, r.x + (r.w - w) / 2.0, r.y + (BUTTON - 15.0) / 2.0);
        }
    }
    if !text {
        return;
    }
    let collapsed = |id: &Option<String>, activity: bool| {
        if activity {
            l.activities.iter().any(|a| a.id == *id && a.collapsed)
        } else {
            l.releases.iter().any(|b| b.id == *id && b.collapsed)
        }
    };
    ctx.set_font(MAP_NAME_FONT);
    ctx.set_fill_style_str(QUIET);
    for (id, activity, r) in chrome::chevrons(l) {
        let glyph = if collapsed(&id, activity) {
            "▸"
        } else {
            "▾"
        };
        let _ = ctx.fill_text(glyph, r.x + 7.0, r.y + 4.0);
    }
}

/// Where a dragged story would land: a line across the target cell.
pub fn indicator(ctx: &CanvasRenderingContext2d, line: Rect, zoom: f64) {
    ctx.set_fill_style_str(ACCENT);
    let h = (4.0 / zoom).max(line.h);
    ctx.fill_rect(line.x, line.y - h / 2.0, line.w, h);
}

/// A part being dragged: its outline where the pointer has it.
pub fn ghost(ctx: &CanvasRenderingContext2d, r: Rect, zoom: f64) {
    ctx.set_global_alpha(0.5);
    ctx.set_fill_style_str(ACTIVITY_CARD);
    ctx.fill_rect(r.x, r.y, r.w, r.h);
    ctx.set_global_alpha(1.0);
    ctx.set_stroke_style_str(ACCENT);
    ctx.set_line_width(2.0 / zoom);
    ctx.stroke_rect(r.x, r.y, r.w, r.h);
}
