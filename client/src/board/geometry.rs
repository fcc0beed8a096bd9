//! Sizes and boxes that drawing and hit-testing must agree on: where a frame's title band
//! ends, how big the resize handle is, where an item's text goes, the marquee's rectangle.
//! Painters ([`super::paint`], [`super::render`]), the pointer handlers ([`super::input`],
//! [`super::hit`]) and the editor overlay ([`super::editor`]) all read them from here, so a
//! press lands on what was drawn.

use huddle_shared::model::ItemKind;

use super::camera::Rect;
use super::style::TITLE;

/// Height (world units) of a frame's title band: a double-click there edits the title, below
/// it creates a note in the frame.
pub const FRAME_TITLE: f64 = 36.0;

/// Where a single selected item's resize handle is: this many screen px square.
pub const HANDLE_PX: f64 = 12.0;

/// Where an item's text goes: a frame's title band, a story map's title row, a release
/// slice's label column, or the whole item.
pub fn text_box(kind: &ItemKind, pos: [f64; 2], size: [f64; 2]) -> [f64; 4] {
    use huddle_shared::storymap::{GAP, HEADER_HEIGHT, LABEL_WIDTH};
    match kind {
        ItemKind::Frame => [pos[0], pos[1], size[0], FRAME_TITLE.min(size[1])],
        ItemKind::StoryMap => [pos[0], pos[1], size[0], HEADER_HEIGHT - GAP],
        // A RACI matrix's title band (its rows and cells are drawn by `super::raci`).
        ItemKind::Raci => [
            pos[0],
            pos[1],
            size[0],
            huddle_shared::raci::geometry::TITLE_H,
        ],
        ItemKind::Release => [pos[0], pos[1], LABEL_WIDTH, TITLE.line + 2.0 * TITLE.pad],
        _ => [pos[0], pos[1], size[0], size[1]],
    }
}

/// The rectangle between two corners.
pub fn rect_of(a: [f64; 2], b: [f64; 2]) -> Rect {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        (a[0] - b[0]).abs(),
        (a[1] - b[1]).abs(),
    ]
}
