//! Geometry: grids (what sort and tidy lay items out in), align and distribute.

use super::{Align, Area, Axis, FRAME_PADDING, FRAME_TITLE_BAND, GAP, Piece};
use crate::model::{Point, Size};

/// `[left, top, right, bottom]` around the pieces; `None` for none.
pub(super) fn bounds(pieces: &[Piece]) -> Option<[f64; 4]> {
    pieces.iter().fold(None, |acc, p| {
        let [x, y] = p.item.pos;
        let [w, h] = p.item.size;
        let r = [x, y, x + w, y + h];
        Some(match acc {
            None => r,
            Some(b) => [
                b[0].min(r[0]),
                b[1].min(r[1]),
                b[2].max(r[2]),
                b[3].max(r[3]),
            ],
        })
    })
}

/// Where a grid in `area` starts: the pieces' top-left, or inside the frame below its title.
pub(super) fn origin(pieces: &[Piece], area: Area) -> Point {
    match area {
        Area::Selection => bounds(pieces).map_or([0.0, 0.0], |b| [b[0], b[1]]),
        Area::Frame { pos, .. } => [
            pos[0] + FRAME_PADDING,
            pos[1] + FRAME_TITLE_BAND + FRAME_PADDING,
        ],
    }
}

/// How many columns a grid of `pieces` gets in `area`: about `sqrt(n)` (a squarish block),
/// or as many of the widest piece as fit inside the frame (at least one).
pub(super) fn columns(pieces: &[Piece], area: Area) -> usize {
    let n = pieces.len().max(1);
    let wanted = match area {
        Area::Selection => (n as f64).sqrt().ceil() as usize,
        Area::Frame { size, .. } => {
            let inner = size[0] - 2.0 * FRAME_PADDING;
            let widest = pieces.iter().map(|p| p.item.size[0]).fold(0.0, f64::max);
            ((inner + GAP) / (widest + GAP)).floor().max(1.0) as usize
        }
    };
    wanted.clamp(1, n)
}

/// Lays the pieces out in order as a grid in `area` (see [`origin`], [`columns`]).
pub(super) fn flow(pieces: &[Piece], area: Area) -> Vec<(String, Point)> {
    place(pieces, origin(pieces, area), columns(pieces, area)).0
}

/// Places `pieces` row-major in `columns` columns from `origin`: each column as wide as its
/// widest piece, each row as tall as its tallest, [`GAP`] between them. Returns the new
/// top-left corners and the grid's size.
pub(super) fn place(
    pieces: &[Piece],
    origin: Point,
    columns: usize,
) -> (Vec<(String, Point)>, Size) {
    let columns = columns.max(1);
    let rows = pieces.len().div_ceil(columns);
    let mut widths = vec![0.0_f64; columns];
    let mut heights = vec![0.0_f64; rows];
    for (i, p) in pieces.iter().enumerate() {
        widths[i % columns] = widths[i % columns].max(p.item.size[0]);
        heights[i / columns] = heights[i / columns].max(p.item.size[1]);
    }
    let starts = |sizes: &[f64], from: f64| -> Vec<f64> {
        let mut at = from;
        sizes
            .iter()
            .map(|s| {
                let here = at;
                at += s + GAP;
                here
            })
            .collect()
    };
    let (xs, ys) = (starts(&widths, origin[0]), starts(&heights, origin[1]));
    let moves = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.to_owned(), [xs[i % columns], ys[i / columns]]))
        .collect();
    let span = |sizes: &[f64]| sizes.iter().sum::<f64>() + GAP * (sizes.len().max(1) - 1) as f64;
    (moves, [span(&widths), span(&heights)])
}

/// Lines the pieces up on one edge or centre line of their bounds.
pub(super) fn align(pieces: &[Piece], edge: Align) -> Vec<(String, Point)> {
    let Some([left, top, right, bottom]) = bounds(pieces) else {
        return Vec::new();
    };
    pieces
        .iter()
        .map(|p| {
            let [x, y] = p.item.pos;
            let [w, h] = p.item.size;
            let pos = match edge {
                Align::Left => [left, y],
                Align::Right => [right - w, y],
                Align::Top => [x, top],
                Align::Bottom => [x, bottom - h],
                Align::CenterHorizontal => [(left + right) / 2.0 - w / 2.0, y],
                Align::CenterVertical => [x, (top + bottom) / 2.0 - h / 2.0],
            };
            (p.id.to_owned(), pos)
        })
        .collect()
}

/// Equal gaps between neighbours along `axis` (in the order of their centres); the first
/// and the last stay. Fewer than three pieces have nothing to distribute.
pub(super) fn distribute(pieces: &[Piece], axis: Axis) -> Vec<(String, Point)> {
    let i = match axis {
        Axis::Horizontal => 0,
        Axis::Vertical => 1,
    };
    if pieces.len() < 3 {
        return Vec::new();
    }
    let centre = |p: &Piece| p.item.pos[i] + p.item.size[i] / 2.0;
    let mut sorted = pieces.to_vec();
    crate::sort::sort_by(&mut sorted, |a, b| {
        centre(a).total_cmp(&centre(b)).then_with(|| a.id.cmp(b.id))
    });
    let (first, last) = (sorted[0], sorted[sorted.len() - 1]);
    let start = first.item.pos[i];
    let end = last.item.pos[i] + last.item.size[i];
    let total: f64 = sorted.iter().map(|p| p.item.size[i]).sum();
    let gap = (end - start - total) / (sorted.len() - 1) as f64;
    let mut at = start + first.item.size[i] + gap;
    sorted[1..sorted.len() - 1]
        .iter()
        .map(|p| {
            let mut pos = p.item.pos;
            pos[i] = at;
            at += p.item.size[i] + gap;
            (p.id.to_owned(), pos)
        })
        .collect()
}
