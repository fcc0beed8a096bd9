//! Text layout for notes: greedy word wrap into lines that fit the note's width.
//!
//! Measuring text is the slow part of drawing a note, so the renderer lays a note out once
//! (in world units, independent of zoom) and caches the result in the scene until the note's
//! text, tags or size change. The wrapping itself is pure and lives in `shared`
//! (the server's pictures wrap with it too), unit-tested there with a fake measure.

/// A note's text, wrapped, plus its tag chips with their widths.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextLayout {
    pub lines: Vec<String>,
    /// `#tag` labels and their text widths.
    pub chips: Vec<(String, f64)>,
}

// The wrapping itself is shared with the server's pictures, so both break lines alike.
pub use huddle_shared::export::picture::wrap;
