//! The minutes' Markdown set as A4 pages (SVG, then PDF like any picture): headings in bold,
//! list items with a bullet and a hanging indent, `**bold**` marks dropped, long lines
//! wrapped with the embedded font's widths.

use std::fmt::Write;

use huddle_shared::export::picture::{FONT_FAMILY, Measure, escape, num, wrap};

/// A4 in CSS px (210 x 297 mm at 96 px per inch).
const PAGE: [f64; 2] = [794.0, 1123.0];
/// Margins: about 2 cm.
const MARGIN: f64 = 76.0;
const INK: &str = "#1f2328";

/// One line set on a page.
struct Line {
    text: String,
    size: f64,
    bold: bool,
    indent: f64,
    /// Space above it.
    before: f64,
}

/// The pages of `markdown`, each an SVG document.
pub fn pages(markdown: &str, measure: &dyn Measure) -> Vec<String> {
    let width = PAGE[0] - 2.0 * MARGIN;
    let mut lines = Vec::new();
    for raw in markdown.lines() {
        let plain = raw.replace("**", "");
        let (text, size, bold, indent, before, bullet) = if let Some(t) = plain.strip_prefix("### ")
        {
            (t, 14.0, true, 0.0, 10.0, false)
        } else if let Some(t) = plain.strip_prefix("## ") {
            (t, 17.0, true, 0.0, 16.0, false)
        } else if let Some(t) = plain.strip_prefix("# ") {
            (t, 22.0, true, 0.0, 0.0, false)
        } else if let Some(t) = plain.strip_prefix("- ") {
            (t, 12.0, false, 16.0, 2.0, true)
        } else {
            (plain.as_str(), 12.0, false, 0.0, 2.0, false)
        };
        if text.trim().is_empty() {
            continue;
        }
        let wrapped = wrap(text, width - indent, usize::MAX, &|s| {
            measure.width(s, size, bold)
        });
        for (i, part) in wrapped.into_iter().enumerate() {
            let text = if bullet && i == 0 {
                format!("• {part}")
            } else {
                part
            };
            lines.push(Line {
                text,
                size,
                bold,
                indent: if bullet && i == 0 {
                    indent - 10.0
                } else {
                    indent
                },
                before: if i == 0 { before } else { 0.0 },
            });
        }
    }
    let mut pages = Vec::new();
    let mut page = start();
    let mut y = MARGIN;
    for line in &lines {
        let height = line.size * 1.4;
        if y + line.before + height > PAGE[1] - MARGIN && y > MARGIN {
            pages.push(finish(page));
            page = start();
            y = MARGIN;
        }
        y += if y > MARGIN { line.before } else { 0.0 };
        let _ = writeln!(
            page,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\"{} fill=\"{INK}\" xml:space=\"preserve\">{}</text>",
            num(MARGIN + line.indent),
            num(y + line.size),
            num(line.size),
            if line.bold {
                " font-weight=\"600\""
            } else {
                ""
            },
            escape(&line.text)
        );
        y += height;
    }
    pages.push(finish(page));
    pages
}

fn start() -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"{FONT_FAMILY}\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
        w = PAGE[0],
        h = PAGE[1]
    )
}

fn finish(mut page: String) -> String {
    page.push_str("</svg>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mono;
    impl Measure for Mono {
        fn width(&self, text: &str, size: f64, _bold: bool) -> f64 {
            text.chars().count() as f64 * size * 0.5
        }
    }

    #[test]
    fn long_minutes_take_several_pages() {
        let mut md = String::from("# Minutes: X\n\n## Who took part\n\n");
        for i in 0..200 {
            md.push_str(&format!(
                "- Person {i} <with> & a rather long name that wraps\n"
            ));
        }
        let pages = pages(&md, &Mono);
        assert!(pages.len() >= 4, "{}", pages.len());
        assert!(pages[0].contains(">Minutes: X<"));
        assert!(pages.iter().any(|p| p.contains("&lt;with&gt; &amp;")));
    }
}
