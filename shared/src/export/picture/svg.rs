//! A small SVG writer: the handful of elements a board picture needs, written straight into
//! one `String` (a 10,000-note board is a few megabytes; no DOM is built). Numbers are world
//! units rounded to hundredths; text is escaped for XML.

use std::fmt::Write;

/// An SVG document being written.
pub struct Svg {
    out: String,
}

/// A number as SVG wants it: at most two decimals, no trailing zeros.
pub fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// `text` with XML's special characters escaped (and the characters XML 1.0 forbids:
/// control characters and U+FFFE/U+FFFF, dropped).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Fill of a shape: a colour and its opacity.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub color: &'static str,
    pub opacity: f64,
}

impl Paint {
    pub const fn solid(color: &'static str) -> Paint {
        Paint {
            color,
            opacity: 1.0,
        }
    }
}

/// How a line of text is set.
#[derive(Debug, Clone, Copy)]
pub struct TextAttrs {
    pub size: f64,
    pub bold: bool,
    pub color: &'static str,
    /// Centred on `x` rather than starting at it.
    pub centred: bool,
    /// Squeezed to at most this width (as the canvas's `fillText` with a maximum width).
    pub squeeze_to: Option<f64>,
}

impl Svg {
    /// Starts a picture of the world rectangle `view` (`[x, y, w, h]`), `w` x `h` CSS px.
    pub fn new(view: [f64; 4], family: &str) -> Svg {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"{x} {y} {w} {h}\" font-family=\"{family}\">",
            x = num(view[0]),
            y = num(view[1]),
            w = num(view[2]),
            h = num(view[3]),
            family = escape(family),
        );
        Svg { out }
    }

    /// Opens a group carrying `data-id` (so tests and scripts find an item's shapes).
    pub fn open_item(&mut self, id: &str, kind: &str) {
        let _ = writeln!(
            self.out,
            "<g data-id=\"{}\" data-kind=\"{}\">",
            escape(id),
            escape(kind)
        );
    }

    pub fn close(&mut self) {
        self.out.push_str("</g>\n");
    }

    /// A rectangle, rounded by `radius` when it is not 0, optionally outlined.
    pub fn rect(
        &mut self,
        r: [f64; 4],
        radius: f64,
        fill: Option<Paint>,
        stroke: Option<(&str, f64)>,
    ) {
        let _ = write!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
            num(r[0]),
            num(r[1]),
            num(r[2].max(0.0)),
            num(r[3].max(0.0))
        );
        if radius > 0.0 {
            let _ = write!(self.out, " rx=\"{}\"", num(radius));
        }
        self.paint(fill, stroke);
        self.out.push_str("/>\n");
    }

    pub fn circle(&mut self, c: [f64; 2], r: f64, fill: Paint) {
        let _ = write!(
            self.out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"",
            num(c[0]),
            num(c[1]),
            num(r)
        );
        self.paint(Some(fill), None);
        self.out.push_str("/>\n");
    }

    pub fn line(&mut self, a: [f64; 2], b: [f64; 2], color: &str, width: f64) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{color}\" stroke-width=\"{}\"/>",
            num(a[0]),
            num(a[1]),
            num(b[0]),
            num(b[1]),
            num(width)
        );
    }

    pub fn polygon(&mut self, points: &[[f64; 2]], fill: Paint) {
        self.out.push_str("<polygon points=\"");
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            let _ = write!(self.out, "{},{}", num(p[0]), num(p[1]));
        }
        self.out.push('"');
        self.paint(Some(fill), None);
        self.out.push_str("/>\n");
    }

    /// One line of text whose alphabetic baseline is at `y`.
    pub fn text(&mut self, x: f64, y: f64, text: &str, a: TextAttrs) {
        if text.is_empty() {
            return;
        }
        let _ = write!(
            self.out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\"",
            num(x),
            num(y),
            num(a.size),
            a.color
        );
        if a.bold {
            self.out.push_str(" font-weight=\"600\"");
        }
        if a.centred {
            self.out.push_str(" text-anchor=\"middle\"");
        }
        if let Some(w) = a.squeeze_to {
            let _ = write!(
                self.out,
                " textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\"",
                num(w.max(1.0))
            );
        }
        // Spaces are kept as typed (several in a row stay several, as on the canvas).
        let _ = writeln!(self.out, " xml:space=\"preserve\">{}</text>", escape(text));
    }

    fn paint(&mut self, fill: Option<Paint>, stroke: Option<(&str, f64)>) {
        match fill {
            Some(p) => {
                let _ = write!(self.out, " fill=\"{}\"", p.color);
                if p.opacity < 1.0 {
                    let _ = write!(self.out, " fill-opacity=\"{}\"", num(p.opacity));
                }
            }
            None => self.out.push_str(" fill=\"none\""),
        }
        if let Some((color, width)) = stroke {
            let _ = write!(
                self.out,
                " stroke=\"{color}\" stroke-width=\"{}\"",
                num(width)
            );
        }
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_escapes() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(2.345), "2.35");
        assert_eq!(
            escape("a<b & \"c\"\u{1}\u{FFFF}"),
            "a&lt;b &amp; &quot;c&quot;"
        );
    }
}
