//! The font pictures are set in: DejaVu Sans (regular and bold), embedded in the binary
//! (`server/fonts/`, licence beside it), so a picture is the same on every machine and needs
//! no fonts installed. It serves twice: its advance widths wrap text ([`Metrics`], for
//! [`huddle_shared::export::picture`]), and resvg and svg2pdf draw with it ([`options`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use huddle_shared::export::picture::Measure;
use resvg::usvg;

static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");
/// The family name inside the files (what the SVG's `font-family` names first).
const FAMILY: &str = "DejaVu Sans";

/// Advance widths of the embedded font, per character, in em (read once; kerning is left
/// out, as it moves a line by a pixel or two at most).
pub struct Metrics {
    regular: Advances,
    bold: Advances,
}

struct Advances {
    per_char: HashMap<char, f32>,
    /// For characters the font lacks (drawn with its "missing" glyph, this wide).
    missing: f32,
}

impl Advances {
    fn read(bytes: &[u8]) -> Advances {
        let Ok(face) = ttf_parser::Face::parse(bytes, 0) else {
            // The embedded files are fonts; this is only reached if they were replaced.
            return Advances {
                per_char: HashMap::new(),
                missing: 0.6,
            };
        };
        let em = f32::from(face.units_per_em().max(1));
        let advance = |g| face.glyph_hor_advance(g).map_or(0.0, |a| f32::from(a) / em);
        let mut per_char = HashMap::new();
        if let Some(table) = face.tables().cmap {
            for sub in table.subtables {
                if !sub.is_unicode() {
                    continue;
                }
                sub.codepoints(|cp| {
                    if let (Some(c), Some(g)) = (char::from_u32(cp), sub.glyph_index(cp)) {
                        per_char.entry(c).or_insert_with(|| advance(g));
                    }
                });
            }
        }
        let missing = advance(ttf_parser::GlyphId(0));
        Advances { per_char, missing }
    }

    fn width(&self, text: &str) -> f64 {
        text.chars()
            .map(|c| f64::from(*self.per_char.get(&c).unwrap_or(&self.missing)))
            .sum()
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics {
    regular: Advances::read(REGULAR),
    bold: Advances::read(BOLD),
});

/// The embedded font's metrics (read on first use).
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Measure for Metrics {
    fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        let a = if bold { &self.bold } else { &self.regular };
        a.width(text) * size
    }
}

static FONTDB: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(REGULAR.to_vec());
    db.load_font_data(BOLD.to_vec());
    // Whatever family an SVG asks for, it gets the embedded font.
    db.set_sans_serif_family(FAMILY);
    db.set_serif_family(FAMILY);
    db.set_monospace_family(FAMILY);
    Arc::new(db)
});

/// usvg's options: the embedded fonts only, nothing read from disk or the network.
pub fn options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: FAMILY.to_owned(),
        fontdb: FONTDB.clone(),
        // Pictures hold no images; a crafted `href` must not read files.
        resources_dir: None,
        ..usvg::Options::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_the_embedded_font() {
        let m = metrics();
        let w = m.width("Hello", 16.0, false);
        // DejaVu Sans: "Hello" at 16 px is about 40 px wide.
        assert!((35.0..45.0).contains(&w), "{w}");
        assert!(m.width("Hello", 16.0, true) > w, "bold is wider");
        assert_eq!(m.width("", 16.0, false), 0.0);
        // A character the font lacks still takes room.
        assert!(m.width("\u{10FFFD}", 16.0, false) > 0.0);
    }
}
