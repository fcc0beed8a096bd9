//! Pictures of a board: an SVG of the whole board, a frame or a selection, drawn as the
//! page's canvas draws it (notes with wrapped text and tag chips, frames, text labels,
//! connectors, story maps with their totals, vote badges and dissent marks).
//!
//! The SVG is the one picture: the server turns it into PNG (at 1x or 2x) and PDF, so every
//! format shows the same thing. Text wrapping needs font metrics, which are I/O-free but
//! font-specific, so the caller passes a [`Measure`] (the server's measures the font it
//! embeds and renders with; tests use a fixed-width fake). Lines are wrapped here, with the
//! page's own [`wrap`], and written as one `<text>` per line: SVG does not wrap.
//!
//! What the page shows but a picture leaves out, on purpose: the dot grid, selections,
//! cursors, the story map's "+" buttons and chevrons (controls, not content), private
//! notes, and the outline of a round still open (its ballots are secret until the reveal).
//! RACI matrices are drawn as their outline and title only.
//!
//! # Layout
//!
//! - this file: [`Scope`], [`Measure`], [`Picture`], [`render`], [`pages`].
//! - `scene`: which items are drawn where (story-map cells override a story's own place).
//! - `paint`: notes, frames, labels, connectors (their geometry shared with the page),
//!   badges.
//! - `maps`: story maps: area, title with total, activity and step cards, release slices.
//! - `svg`: the SVG writer.
//! - `wrap`: greedy word wrap (shared with the page's canvas).

mod maps;
mod paint;
mod scene;
mod svg;
#[cfg(test)]
mod tests;
mod wrap;

pub use paint::{exit_point, segment};
pub use svg::{escape, num};
pub use wrap::wrap;

use crate::model::{BoardSnapshot, ItemKind};

/// The font family pictures are set in. The server embeds DejaVu Sans and renders with it,
/// so a PNG or PDF looks the same on every machine; the fallbacks serve an SVG opened
/// elsewhere.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";
/// Empty space around a whole board or a selection, in world units.
pub const MARGIN: f64 = 32.0;
/// The picture of a board with nothing on it.
const EMPTY: [f64; 4] = [0.0, 0.0, 320.0, 200.0];

/// What a picture shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Everything, with a margin.
    Board,
    /// One frame's area, with everything in it (cut at the frame's edge).
    Frame(String),
    /// These items only (a story map with its stories), with a margin.
    Items(Vec<String>),
}

/// Text widths in the font pictures are set in.
pub trait Measure {
    /// The advance width of `text` at `size` px, bold (`600`) or regular.
    fn width(&self, text: &str, size: f64, bold: bool) -> f64;
}

/// Why a picture cannot be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PictureError {
    #[error("no frame {0:?} on this board")]
    NoSuchFrame(String),
    #[error("no item {0:?} on this board")]
    NoSuchItem(String),
    #[error("no items were named")]
    NoItems,
}

/// An SVG picture of a world rectangle.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub svg: String,
    /// The world rectangle shown, `[x, y, w, h]`; 1 world unit is 1 CSS px at 100%.
    pub view: [f64; 4],
}

/// One page of a PDF: a frame (with its title) or the whole board.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub title: String,
    pub scope: Scope,
}

/// Draws `scope` of `board` as SVG.
pub fn render(
    board: &BoardSnapshot,
    scope: &Scope,
    measure: &dyn Measure,
) -> Result<Picture, PictureError> {
    let scene = scene::Scene::build(board, scope)?;
    let view = scene.view.unwrap_or(EMPTY);
    let mut svg = svg::Svg::new(view, FONT_FAMILY);
    paint::paper(&mut svg, view);
    for laid in &scene.maps {
        maps::map(&mut svg, laid, measure);
    }
    for shape in &scene.shapes {
        paint::item(&mut svg, shape, measure);
    }
    for arrow in &scene.arrows {
        paint::arrow(&mut svg, arrow);
    }
    for shape in &scene.shapes {
        paint::marks(&mut svg, shape);
    }
    Ok(Picture {
        svg: svg.finish(),
        view,
    })
}

/// The pages of a board's PDF: one per frame, top to bottom then left to right (the order
/// people read a board in), or the whole board on one page when it has no frame.
pub fn pages(board: &BoardSnapshot) -> Vec<Page> {
    let mut frames: Vec<(&String, &crate::model::ItemSnapshot)> = board
        .items
        .iter()
        .filter(|(_, item)| item.kind == ItemKind::Frame)
        .collect();
    crate::sort::sort_by(&mut frames, |a, b| {
        (a.1.pos[1], a.1.pos[0])
            .partial_cmp(&(b.1.pos[1], b.1.pos[0]))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(b.0))
    });
    if frames.is_empty() {
        let title = if board.meta.title.is_empty() {
            "Board".to_owned()
        } else {
            board.meta.title.clone()
        };
        return vec![Page {
            title,
            scope: Scope::Board,
        }];
    }
    frames
        .into_iter()
        .map(|(id, item)| Page {
            title: if item.text.is_empty() {
                "Frame".to_owned()
            } else {
                item.text.clone()
            },
            scope: Scope::Frame(id.clone()),
        })
        .collect()
}
