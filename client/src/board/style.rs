//! The board's look on the canvas: every colour and font string the painters use, named, in
//! one place, and the text styles of item kinds (the editor overlay sets text with the same
//! numbers). Painters import from here; nothing else defines a canvas colour or font, so a
//! colour changes in one line and two painters cannot drift apart.
//!
//! Strings are constants, so nothing is formatted per item per frame (the few fonts sized in
//! screen pixels at any zoom, [`badge_font`], are the exception). Note colours are the
//! document's ([`huddle_shared::model::Color::hex`]); peers' colours are their profiles'.
//!
//! Sizes and boxes that hit-testing must agree on are not here but in [`super::geometry`].

use huddle_shared::model::ItemKind;

/// A font in the UI's system stack (the same stack as the page's CSS), at `$size` (with an
/// optional weight or style before it): one family string for every canvas font.
macro_rules! ui_font {
    ($size:literal) => {
        concat!(
            $size,
            " system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
        )
    };
}

// Neutrals.

/// Text on notes, frames, cards and matrices.
pub const INK: &str = "#1f2328";
/// Secondary text on story maps (totals, implicit parts' names).
pub const QUIET: &str = "#6e7781";
/// Arrows between items, and the padlock of an ordinary lock (the UI's quiet ink).
pub const SLATE: &str = "#57606a";
/// A private note's dashed border and lock: a dark slate, readable on every note colour.
pub const DARK_SLATE: &str = "#495057";
/// Outlines of frames and matrices, slice separators, muted text in matrices.
pub const LINE: &str = "#8c959f";
/// A RACI matrix's cell grid.
pub const GRID_LINE: &str = "#d0d7de";
/// A story map's outline.
pub const MAP_LINE: &str = "#afb8c1";
/// Implicit story-map parts ("Unsorted", "Unscheduled"): grey, no card colour.
pub const IMPLICIT: &str = "#eaeef2";
/// Paper of matrices and buttons, resize handles, text on coloured badges and pins, the
/// outline of peers' cursors.
pub const WHITE: &str = "#ffffff";
/// The board behind everything.
pub const PAPER: &str = "#f6f8fa";
/// The dot grid on the paper.
pub const DOT: &str = "#c9d1d9";
/// Under a note, offset: a hint of depth.
pub const SHADOW: &str = "rgba(0,0,0,0.10)";
/// Behind a tag chip.
pub const CHIP_BG: &str = "rgba(0,0,0,0.09)";
/// A frame's area (translucent: the dot grid shows through).
pub const FRAME_FILL: &str = "rgba(255,255,255,0.75)";
/// A story map's area.
pub const MAP_FILL: &str = "rgba(255,255,255,0.7)";
/// Title bands of frames and matrices.
pub const BAND: &str = "rgba(0,0,0,0.04)";
/// Behind a padlock, so it reads on any note colour.
pub const HALO: &str = "rgba(255,255,255,0.9)";

// The accent (selection, the marquee, story-map buttons, the selected private note).

/// The board's accent.
pub const ACCENT: &str = "#3b5bdb";
/// The marquee's fill: the accent, faint.
pub const MARQUEE_FILL: &str = "rgba(59,91,219,0.08)";

// Cards and cells.

/// Story-map activity cards.
pub const ACTIVITY_CARD: &str = "#d0ebff";
/// Story-map step cards.
pub const STEP_CARD: &str = "#e7f5ff";
/// RACI "R" cells: the activity cards' blue.
pub const R_CELL: &str = ACTIVITY_CARD;
/// RACI "A" cells: the accountable one stands out.
pub const A_CELL: &str = "#ffd8a8";
/// RACI "C" cells.
pub const C_CELL: &str = "#e5dbff";
/// RACI "I" cells: the informed one barely.
pub const I_CELL: &str = "#f1f3f5";

// Status.

/// A rule broken (a RACI row), a placement lock: it stops more.
pub const DANGER: &str = "#cf222e";
/// Behind a RACI row that breaks the rules.
pub const DANGER_FILL: &str = "rgba(207,34,46,0.06)";
/// A RACI row that keeps the rules.
pub const GOOD: &str = "#1a7f37";
/// The outline of an item changed since you last looked (amber: noticed, not alarming).
pub const CHANGED: &str = "#f59e0b";
/// The change "Next change" centred last: a darker amber.
pub const CURRENT_CHANGE: &str = "#d97706";
/// The mark on a proposal whose fist to five holds dissent: the same darker amber.
pub const DISSENT: &str = CURRENT_CHANGE;
/// Your own dots in an open dot vote.
pub const MY_DOTS: &str = "#dc2626";
/// A revealed dot vote's count badge.
pub const VOTE_BADGE: &str = "#1e3a8a";
/// The dashed outline of the open round's items: the badge's navy, translucent.
pub const ROUND_TARGETS: &str = "rgba(30,58,138,0.55)";
/// Comment pins.
pub const COMMENT_PIN: &str = "#7c3aed";

// Fonts.

/// Tag chips on notes; name labels under peers' cursors; small matrix text.
pub const SMALL_FONT: &str = ui_font!("12px");
/// The placement-lock label (at screen size).
pub const SMALL_BOLD_FONT: &str = ui_font!("600 12px");
/// Story-map totals and buttons.
pub const MAP_SMALL_FONT: &str = ui_font!("13px");
/// RACI matrix rows and cells.
pub const MATRIX_FONT: &str = ui_font!("14px");
/// Font size of [`MATRIX_FONT`], for centring text in a row.
pub const MATRIX_FONT_PX: f64 = 14.0;
/// A RACI row whose note was deleted.
pub const MATRIX_ITALIC_FONT: &str = ui_font!("italic 14px");
/// Story-map activity and step names.
pub const MAP_NAME_FONT: &str = ui_font!("600 15px");
/// A story map's title.
pub const MAP_TITLE_FONT: &str = ui_font!("600 18px");

/// Count badges and pins, sized in screen pixels at any zoom: `px` is already divided by
/// the zoom (formatted per badge, since the size changes with the zoom).
pub fn badge_font(px: f64) -> String {
    format!("bold {px}px system-ui, sans-serif")
}

/// Below this on-screen font size (px) text is not drawn (unreadable anyway).
pub const MIN_TEXT_PX: f64 = 6.0;

/// How an item's text is set, in world units (CSS px at 100%). The editor overlay uses the
/// same numbers, so text does not jump when editing starts.
pub struct TextStyle {
    pub font: &'static str,
    pub size: f64,
    pub line: f64,
    pub pad: f64,
    /// CSS `font-weight` for the editor.
    pub weight: u16,
}

/// Notes (and private notes, drawn like them).
pub const NOTE: TextStyle = TextStyle {
    font: ui_font!("16px"),
    size: 16.0,
    line: 20.0,
    pad: 12.0,
    weight: 400,
};
/// Text labels: large, bold.
pub const LABEL: TextStyle = TextStyle {
    font: ui_font!("600 24px"),
    size: 24.0,
    line: 30.0,
    pad: 6.0,
    weight: 600,
};
/// Titles of frames, matrices, story maps and their parts (also a matrix's title band).
pub const TITLE: TextStyle = TextStyle {
    font: ui_font!("600 16px"),
    size: 16.0,
    line: 20.0,
    pad: 8.0,
    weight: 600,
};

/// The text style of an item kind.
pub fn text_style(kind: &ItemKind) -> &'static TextStyle {
    match kind {
        ItemKind::Text => &LABEL,
        ItemKind::Frame
        | ItemKind::Raci
        | ItemKind::StoryMap
        | ItemKind::Activity
        | ItemKind::Step
        | ItemKind::Release => &TITLE,
        _ => &NOTE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The family is shared: a font reads exactly as it did when each painter spelled it out.
    #[test]
    fn fonts_keep_their_strings() {
        assert_eq!(
            NOTE.font,
            "16px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
        );
        assert_eq!(
            MATRIX_ITALIC_FONT,
            "italic 14px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
        );
        assert_eq!(badge_font(12.0), "bold 12px system-ui, sans-serif");
        assert_eq!(badge_font(5.5), "bold 5.5px system-ui, sans-serif");
    }
}
