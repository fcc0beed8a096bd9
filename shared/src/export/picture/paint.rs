//! Items as the page's canvas paints them (`client/src/board/paint.rs`, `connector.rs`,
//! `rounds/paint.rs`), at 100% zoom: the same colours, sizes, paddings and line heights, so
//! a picture and a screenshot of the board at 100% agree within anti-aliasing and font
//! hinting.

use super::Measure;
use super::scene::{Arrow, Rect, Shape};
use super::svg::{Paint, Svg, TextAttrs};
use super::wrap::wrap;
use crate::model::{Color, ItemKind};

/// How a kind's text is set (the page's `TextStyle`s).
struct Style {
    size: f64,
    line: f64,
    pad: f64,
    bold: bool,
}

const NOTE: Style = Style {
    size: 16.0,
    line: 20.0,
    pad: 12.0,
    bold: false,
};
const LABEL: Style = Style {
    size: 24.0,
    line: 30.0,
    pad: 6.0,
    bold: true,
};
const TITLE: Style = Style {
    size: 16.0,
    line: 20.0,
    pad: 8.0,
    bold: true,
};
const CHIP_SIZE: f64 = 12.0;
const CHIP_H: f64 = 18.0;
const RADIUS: f64 = 6.0;
/// A frame's title band (the page's `FRAME_TITLE`).
const FRAME_TITLE: f64 = 36.0;
/// Where the alphabetic baseline sits below the top of the em box, as a share of the font
/// size (the canvas sets text with `textBaseline = "top"`; DejaVu Sans's ascent is 0.93 of
/// its 1.16 em line, so the em box's top is 0.8 em above the baseline).
pub const BASELINE: f64 = 0.8;

pub const PAPER: &str = "#f6f8fa";
pub const INK: &str = "#1f2328";
const BLACK: &str = "#000000";
const WHITE: &str = "#ffffff";
const FRAME_LINE: &str = "#8c959f";
const ARROW: &str = "#57606a";
/// Arrowhead length and half-width (screen px on the page; world units here, at 100%).
const HEAD: f64 = 12.0;
const HEAD_HALF: f64 = 5.0;
/// Vote badge and dissent mark: radius, colours.
const BADGE_R: f64 = 11.0;
const BADGE_FILL: &str = "#1e3a8a";
const DISSENT_FILL: &str = "#d97706";

pub fn paper(svg: &mut Svg, view: Rect) {
    svg.rect(view, 0.0, Some(Paint::solid(PAPER)), None);
}

fn style(kind: &ItemKind) -> &'static Style {
    match kind {
        ItemKind::Text => &LABEL,
        ItemKind::Frame | ItemKind::Raci => &TITLE,
        _ => &NOTE,
    }
}

fn kind_name(kind: &ItemKind) -> &str {
    match kind {
        ItemKind::Note => "note",
        ItemKind::Frame => "frame",
        ItemKind::Text => "text",
        ItemKind::Raci => "raci",
        ItemKind::Other(name) => name,
        _ => "item",
    }
}

/// One item: its shapes and text, in a group that names it.
pub fn item(svg: &mut Svg, shape: &Shape, measure: &dyn Measure) {
    let r = shape.rect;
    let kind = &shape.item.kind;
    svg.open_item(shape.id, kind_name(kind));
    match kind {
        ItemKind::Frame | ItemKind::Raci => {
            svg.rect(
                r,
                0.0,
                Some(Paint {
                    color: WHITE,
                    opacity: 0.75,
                }),
                None,
            );
            let band = [r[0], r[1], r[2], FRAME_TITLE.min(r[3])];
            svg.rect(
                band,
                0.0,
                Some(Paint {
                    color: BLACK,
                    opacity: 0.04,
                }),
                None,
            );
            svg.rect(r, 0.0, None, Some((FRAME_LINE, 1.0)));
            text(svg, shape, band, measure);
        }
        ItemKind::Text => text(svg, shape, r, measure),
        _ => {
            svg.rect(
                [r[0] + 1.0, r[1] + 3.0, r[2], r[3]],
                0.0,
                Some(Paint {
                    color: BLACK,
                    opacity: 0.10,
                }),
                None,
            );
            let color = Color::from_name(&shape.item.color).unwrap_or_default();
            svg.rect(r, RADIUS, Some(Paint::solid(color.hex())), None);
            text(svg, shape, r, measure);
        }
    }
    svg.close();
}

/// The item's wrapped text in box `b`, and its chips (badges, then `#tags`) along the bottom.
fn text(svg: &mut Svg, shape: &Shape, b: Rect, measure: &dyn Measure) {
    let st = style(&shape.item.kind);
    let chips: Vec<String> = shape
        .badges
        .iter()
        .cloned()
        .chain(shape.item.tags.iter().map(|t| format!("#{t}")))
        .collect();
    let chips_h = if chips.is_empty() { 0.0 } else { CHIP_H + 6.0 };
    let max_lines = ((b[3] - 2.0 * st.pad - chips_h) / st.line).floor().max(1.0) as usize;
    let lines = wrap(&shape.item.text, b[2] - 2.0 * st.pad, max_lines, &|s| {
        measure.width(s, st.size, st.bold)
    });
    let attrs = TextAttrs {
        size: st.size,
        bold: st.bold,
        color: INK,
        centred: false,
        squeeze_to: None,
    };
    let mut top = b[1] + st.pad + (st.line - st.size) / 2.0;
    for line in &lines {
        svg.text(b[0] + st.pad, top + BASELINE * st.size, line, attrs);
        top += st.line;
    }
    let mut x = b[0] + st.pad;
    let y = b[1] + b[3] - st.pad - CHIP_H;
    for label in &chips {
        let width = measure.width(label, CHIP_SIZE, false) + 12.0;
        if x + width > b[0] + b[2] - st.pad {
            break;
        }
        svg.rect(
            [x, y, width, CHIP_H],
            CHIP_H / 2.0,
            Some(Paint {
                color: BLACK,
                opacity: 0.09,
            }),
            None,
        );
        let chip = TextAttrs {
            size: CHIP_SIZE,
            ..attrs
        };
        svg.text(x + 6.0, y + 3.0 + BASELINE * CHIP_SIZE, label, chip);
        x += width + 4.0;
    }
}

/// An arrow from one item to another, between their borders (the page's `connector`).
pub fn arrow(svg: &mut Svg, arrow: &Arrow) {
    let (a, b) = segment(arrow.from, arrow.to);
    svg.line(a, b, ARROW, 2.0);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy);
    if len == 0.0 {
        return;
    }
    let (ux, uy) = (dx / len, dy / len);
    svg.polygon(
        &[
            b,
            [
                b[0] - ux * HEAD - uy * HEAD_HALF,
                b[1] - uy * HEAD + ux * HEAD_HALF,
            ],
            [
                b[0] - ux * HEAD + uy * HEAD_HALF,
                b[1] - uy * HEAD - ux * HEAD_HALF,
            ],
        ],
        Paint::solid(ARROW),
    );
}

fn centre(r: Rect) -> [f64; 2] {
    [r[0] + r[2] / 2.0, r[1] + r[3] / 2.0]
}

/// Where the ray from the centre of `r` towards `to` leaves `r`.
pub fn exit_point(r: Rect, to: [f64; 2]) -> [f64; 2] {
    let c = centre(r);
    let (dx, dy) = (to[0] - c[0], to[1] - c[1]);
    if dx == 0.0 && dy == 0.0 {
        return c;
    }
    let tx = if dx != 0.0 {
        (r[2] / 2.0) / dx.abs()
    } else {
        f64::INFINITY
    };
    let ty = if dy != 0.0 {
        (r[3] / 2.0) / dy.abs()
    } else {
        f64::INFINITY
    };
    let t = tx.min(ty).min(1.0);
    [c[0] + dx * t, c[1] + dy * t]
}

/// The arrow from rectangle `a` to rectangle `b`: start and end on their borders (the page's
/// canvas draws and hit-tests its arrows with this too).
pub fn segment(a: Rect, b: Rect) -> ([f64; 2], [f64; 2]) {
    (exit_point(a, centre(b)), exit_point(b, centre(a)))
}

/// A vote badge (dots of the latest revealed dot vote) at the top right, a dissent mark at
/// the top left.
pub fn marks(svg: &mut Svg, shape: &Shape) {
    let [x, y, w, _] = shape.rect;
    let label = TextAttrs {
        size: 12.0,
        bold: true,
        color: WHITE,
        centred: true,
        squeeze_to: None,
    };
    // The canvas centres the text on the middle of its em box.
    let middle = (BASELINE - 0.5) * 12.0;
    if shape.votes > 0 {
        let (cx, cy) = (x + w - BADGE_R * 0.4, y + BADGE_R * 0.4);
        svg.open_item(shape.id, "votes");
        svg.circle([cx, cy], BADGE_R, Paint::solid(BADGE_FILL));
        svg.text(cx, cy + middle, &shape.votes.to_string(), label);
        svg.close();
    }
    if shape.dissent {
        let (cx, cy) = (x + BADGE_R * 0.4, y + BADGE_R * 0.4);
        let r = BADGE_R;
        svg.open_item(shape.id, "dissent");
        svg.polygon(
            &[[cx, cy - r], [cx + r, cy + r * 0.8], [cx - r, cy + r * 0.8]],
            Paint::solid(DISSENT_FILL),
        );
        svg.text(cx, cy + r * 0.15 + middle, "!", label);
        svg.close();
    }
}
