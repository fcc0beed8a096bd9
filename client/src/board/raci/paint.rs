//! Drawing a RACI matrix on the canvas: title band, header of column labels, one row per
//! linked note with the note's current text, lettered cells, and the rows that break the
//! rules marked with a red edge and why ("no A", "2 As", "no R").
//!
//! The matrix is read from the document each frame it is visible ([`super::read`]): a board
//! has a handful of matrices of at most a few hundred cells, far cheaper than the text layout
//! of the notes around them, and reading fresh means a renamed story renames its row on the
//! very frame its text arrives, with no cache to keep in step.

use huddle_shared::raci::geometry::{self, COL_W, FOOT_H, LABEL_W, ROW_H, TITLE_H};
use huddle_shared::raci::{DELETED_ROW, Letter, Raci, describe, label_of};
use web_sys::CanvasRenderingContext2d;

use super::REMOVE_W;
use crate::board::scene::{Item, Scene};
use crate::board::style::{
    A_CELL, BAND, C_CELL, DANGER, DANGER_FILL, GOOD, GRID_LINE, I_CELL, INK, LINE, MATRIX_FONT,
    MATRIX_FONT_PX, MATRIX_ITALIC_FONT, MIN_TEXT_PX, R_CELL, SMALL_FONT, TITLE, WHITE,
};

/// Space between text and a cell's edge.
const PAD: f64 = 8.0;
/// Width of the red edge of a row that breaks the rules.
const EDGE_W: f64 = 5.0;

/// Muted text (a row's "why", an empty matrix's hint): the matrix's line colour.
const MUTED: &str = LINE;

/// A cell's fill: the accountable one stands out, the informed one barely.
fn fill(letter: Letter) -> &'static str {
    match letter {
        Letter::R => R_CELL,
        Letter::A => A_CELL,
        Letter::C => C_CELL,
        Letter::I => I_CELL,
    }
}

/// Paints matrix `item` at `pos` (a drag in progress may differ from the item's own).
/// `editing`: its title is in the editor, not painted.
pub fn matrix(
    ctx: &CanvasRenderingContext2d,
    zoom: f64,
    scene: &Scene,
    item: &Item,
    raci: &Raci,
    pos: [f64; 2],
    editing: bool,
) {
    let (rows, cols) = (raci.rows.len(), raci.cols.len());
    let [w, h] = geometry::size(rows, cols);
    let at = |r: [f64; 4]| [pos[0] + r[0], pos[1] + r[1], r[2], r[3]];
    ctx.set_fill_style_str(WHITE);
    ctx.fill_rect(pos[0], pos[1], w, h);
    ctx.set_fill_style_str(BAND);
    ctx.fill_rect(pos[0], pos[1], w, TITLE_H);
    let problems: Vec<_> = raci.rows.iter().map(|r| r.problems()).collect();

    // Rows that break the rules: a light wash and a red edge.
    for (r, p) in problems.iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        let row = at(geometry::label(r));
        ctx.set_fill_style_str(DANGER_FILL);
        ctx.fill_rect(row[0], row[1], w, ROW_H);
        ctx.set_fill_style_str(DANGER);
        ctx.fill_rect(row[0], row[1], EDGE_W, ROW_H);
    }
    // Letters' fills.
    for (r, row) in raci.rows.iter().enumerate() {
        for (c, col) in raci.cols.iter().enumerate() {
            if let Some(letter) = row.cell(&col.id) {
                let b = at(geometry::cell(r, c));
                ctx.set_fill_style_str(fill(letter));
                ctx.fill_rect(b[0] + 1.0, b[1] + 1.0, b[2] - 2.0, b[3] - 2.0);
            }
        }
    }
    grid(ctx, zoom, pos, rows, cols);

    if MATRIX_FONT_PX * zoom < MIN_TEXT_PX {
        return;
    }
    ctx.set_text_baseline("middle");
    let broken = problems.iter().filter(|p| !p.is_empty()).count();
    if !editing {
        ctx.set_font(TITLE.font);
        ctx.set_fill_style_str(INK);
        let title = fit(ctx, label_of(&item.text), w * 0.6 - 2.0 * PAD);
        let _ = ctx.fill_text(&title, pos[0] + PAD, pos[1] + TITLE_H / 2.0);
    }
    ctx.set_font(SMALL_FONT);
    let (summary, color) = match broken {
        0 if rows > 0 => ("rules met".to_owned(), GOOD),
        0 => ("select notes, then + rows".to_owned(), MUTED),
        1 => ("1 row breaks the rules".to_owned(), DANGER),
        n => (format!("{n} rows break the rules"), DANGER),
    };
    ctx.set_fill_style_str(color);
    right(ctx, &summary, pos[0] + w - PAD, pos[1] + TITLE_H / 2.0);

    // Header.
    for (c, col) in raci.cols.iter().enumerate() {
        let b = at(geometry::header(c));
        let person = col.kind == huddle_shared::raci::ColKind::Person;
        ctx.set_font(if person {
            MATRIX_FONT
        } else {
            MATRIX_ITALIC_FONT
        });
        ctx.set_fill_style_str(INK);
        let text = fit(ctx, &col.label, b[2] - 2.0 * PAD);
        centre(ctx, &text, b);
    }
    let add = at(geometry::add_col(cols));
    ctx.set_font(TITLE.font);
    ctx.set_fill_style_str(MUTED);
    centre(ctx, "+", add);

    // Row labels, with what is wrong and the remove mark.
    for (r, row) in raci.rows.iter().enumerate() {
        let b = at(geometry::label(r));
        let mid = b[1] + ROW_H / 2.0;
        let mut room = b[2] - 2.0 * PAD - REMOVE_W;
        if !problems[r].is_empty() {
            ctx.set_font(SMALL_FONT);
            ctx.set_fill_style_str(DANGER);
            let why = describe(&problems[r]);
            let right_edge = b[0] + b[2] - REMOVE_W - 2.0;
            right(ctx, &why, right_edge, mid);
            room -= width(ctx, &why) + PAD;
        }
        match scene.get(&row.item) {
            Some(linked) => {
                ctx.set_font(MATRIX_FONT);
                ctx.set_fill_style_str(INK);
                let text = fit(ctx, label_of(&linked.text), room);
                let _ = ctx.fill_text(&text, b[0] + PAD + EDGE_W, mid);
            }
            None => {
                ctx.set_font(MATRIX_ITALIC_FONT);
                ctx.set_fill_style_str(MUTED);
                let _ = ctx.fill_text(DELETED_ROW, b[0] + PAD + EDGE_W, mid);
            }
        }
        ctx.set_font(MATRIX_FONT);
        ctx.set_fill_style_str(MUTED);
        centre(ctx, "×", [b[0] + b[2] - REMOVE_W, b[1], REMOVE_W, ROW_H]);
        // Letters.
        ctx.set_font(TITLE.font);
        ctx.set_fill_style_str(INK);
        for (c, col) in raci.cols.iter().enumerate() {
            if let Some(letter) = row.cell(&col.id) {
                centre(ctx, letter.as_str(), at(geometry::cell(r, c)));
            }
        }
    }
    let foot = at(geometry::add_rows(rows, cols));
    ctx.set_font(SMALL_FONT);
    ctx.set_fill_style_str(MUTED);
    let _ = ctx.fill_text(
        "+ rows from the selected notes",
        foot[0] + PAD,
        foot[1] + FOOT_H / 2.0,
    );
    ctx.set_text_baseline("top");
}

/// The outline, the header's and the rows' lines.
fn grid(ctx: &CanvasRenderingContext2d, zoom: f64, pos: [f64; 2], rows: usize, cols: usize) {
    let [w, h] = geometry::size(rows, cols);
    let body_top = pos[1] + TITLE_H;
    let body_bottom = pos[1] + h - FOOT_H;
    ctx.set_stroke_style_str(GRID_LINE);
    ctx.set_line_width(1.0 / zoom);
    ctx.begin_path();
    let mut y = body_top + geometry::HEADER_H;
    for _ in 0..=rows {
        ctx.move_to(pos[0], y);
        ctx.line_to(pos[0] + w, y);
        y += ROW_H;
    }
    let mut x = pos[0] + LABEL_W;
    for _ in 0..=cols {
        ctx.move_to(x, body_top);
        ctx.line_to(x, body_bottom);
        x += COL_W;
    }
    ctx.move_to(pos[0], body_top);
    ctx.line_to(pos[0] + w, body_top);
    ctx.stroke();
    ctx.set_stroke_style_str(LINE);
    ctx.stroke_rect(pos[0], pos[1], w, h);
}

fn width(ctx: &CanvasRenderingContext2d, s: &str) -> f64 {
    ctx.measure_text(s).map_or(0.0, |m| m.width())
}

/// `s` cut with an ellipsis to fit `room`.
fn fit(ctx: &CanvasRenderingContext2d, s: &str, room: f64) -> String {
    if width(ctx, s) <= room {
        return s.to_owned();
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>() + "…";
        if width(ctx, &cut) <= room {
            return cut;
        }
    }
    String::new()
}

fn centre(ctx: &CanvasRenderingContext2d, s: &str, b: [f64; 4]) {
    let w = width(ctx, s);
    let _ = ctx.fill_text(s, b[0] + (b[2] - w) / 2.0, b[1] + b[3] / 2.0);
}

fn right(ctx: &CanvasRenderingContext2d, s: &str, x: f64, y: f64) {
    let _ = ctx.fill_text(s, x - width(ctx, s), y);
}
