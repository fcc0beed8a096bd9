//! Drawing private notes: like a note (its colour, its text), with a dashed border and a
//! small lock in the corner, so their author sees at a glance that nobody else does. They are
//! drawn above the board's items (they are not in its stacking order: they are not on the
//! board yet).

use huddle_shared::model::Color;
use web_sys::CanvasRenderingContext2d;

use super::super::Facilitation;
use crate::board::State;
use crate::board::camera::Camera;
use crate::board::layout::wrap;
use crate::board::style::{ACCENT, DARK_SLATE, INK, NOTE};

/// The border of a private note and its lock: a dark slate, readable on every note colour.
const LINE: &str = DARK_SLATE;
/// Text as the board sets a note's.
const FONT: &str = NOTE.font;
const LINE_H: f64 = NOTE.line;
const PAD: f64 = NOTE.pad;
/// The lock's size in world units at the note's top-right corner.
const LOCK: f64 = 14.0;
/// Dash and gap of the border, in screen px.
const DASH: f64 = 6.0;

/// Draws the person's private notes (the context is in world units, `zoom` per unit), and
/// keeps the text field over the one being edited.
pub fn draw(ctx: &CanvasRenderingContext2d, f: &Facilitation, camera: &Camera) {
    let p = &f.private;
    let zoom = camera.zoom;
    for l in p.notes.values() {
        let n = &l.note;
        let [x, y] = n.pos;
        let [w, h] = n.size;
        let fill = Color::from_name(&n.color).unwrap_or_default().hex();
        ctx.set_fill_style_str(fill);
        ctx.fill_rect(x, y, w, h);
        let dash = js_sys::Array::of2(&(DASH / zoom).into(), &(DASH / zoom).into());
        let _ = ctx.set_line_dash(&dash);
        let selected = p.selected.as_deref() == Some(n.id.as_str());
        ctx.set_stroke_style_str(if selected { ACCENT } else { LINE });
        ctx.set_line_width(if selected { 2.5 } else { 1.5 } / zoom);
        ctx.stroke_rect(x, y, w, h);
        let _ = ctx.set_line_dash(&js_sys::Array::new());
        lock(ctx, [x + w - LOCK - 6.0, y + 6.0], zoom);
        if p.field.as_ref().is_some_and(|fl| fl.id == n.id) {
            continue;
        }
        ctx.set_font(FONT);
        ctx.set_fill_style_str(INK);
        let measure = |t: &str| ctx.measure_text(t).map(|m| m.width()).unwrap_or(0.0);
        let max_lines = ((h - 2.0 * PAD) / LINE_H).floor().max(1.0) as usize;
        for (i, line) in wrap(&n.text, w - 2.0 * PAD - LOCK, max_lines, &measure)
            .iter()
            .enumerate()
        {
            let _ = ctx.fill_text(line, x + PAD, y + PAD + i as f64 * LINE_H);
        }
    }
    if let Some(field) = &p.field
        && let Some(l) = p.notes.get(&field.id)
    {
        super::field::place(field, &l.note, camera);
    }
}

/// A small padlock with its top-left corner at `at` (world units).
fn lock(ctx: &CanvasRenderingContext2d, at: [f64; 2], zoom: f64) {
    let [x, y] = at;
    ctx.set_fill_style_str(LINE);
    ctx.fill_rect(x, y + LOCK * 0.45, LOCK, LOCK * 0.55);
    ctx.set_stroke_style_str(LINE);
    ctx.set_line_width(2.0_f64.max(1.5 / zoom));
    ctx.begin_path();
    let _ = ctx.arc_with_anticlockwise(
        x + LOCK / 2.0,
        y + LOCK * 0.45,
        LOCK * 0.3,
        std::f64::consts::PI,
        0.0,
        false,
    );
    ctx.stroke();
}

/// Sets the canvas's tooltip while the pointer is over a private note (and clears it after).
pub fn hover_title(s: &State, title: Option<&str>) {
    let now = s.view.canvas.get_attribute("title");
    match title {
        Some(t) if now.as_deref() != Some(t) => {
            let _ = s.view.canvas.set_attribute("title", t);
        }
        None if now.is_some() => {
            let _ = s.view.canvas.remove_attribute("title");
        }
        _ => {}
    }
}
