//! Pictures and minutes, made by the server so that a script, a webhook or the CLI can fetch
//! them: the board, a frame or the selection as SVG or PNG (1x, 2x, or any scale from 0.1 to
//! 4), the board as a PDF with one page per frame (the whole board on one page when it has
//! none), and a session's minutes as Markdown or PDF.
//!
//! The SVG comes from [`huddle_shared::export::picture`] (pure; drawn as the page's canvas
//! draws); here it is measured with the embedded font ([`fonts`]), rasterised by resvg, or
//! turned into PDF pages by svg2pdf. Everything here is CPU work on plain values: callers run
//! it on a blocking thread, never in a room, and at most [`MAX_RENDERS`] at once
//! ([`api`](crate::api)'s route waits for a permit).
//!
//! # Layout
//!
//! - this file: [`Format`], [`Request`] (parsed from the API's query or the CLI's flags),
//!   [`render`], [`PictureError`], the limits.
//! - `fonts`: the embedded DejaVu Sans: metrics for wrapping, the font database for drawing.
//! - `raster`: SVG to PNG.
//! - `pdf`: pictures (or minutes' pages) to one PDF, a page each.
//! - `minutes_pdf`: the minutes' Markdown set on A4 pages.

pub mod fonts;
mod minutes_pdf;
mod pdf;
mod raster;

use huddle_shared::export::minutes::{minutes, session_start};
use huddle_shared::export::picture::{self, Scope};
use huddle_shared::export::slug;
use huddle_shared::model::BoardSnapshot;
use serde::Deserialize;

/// Most pixels in one PNG (about 6,000 x 5,300): 128 MB of RGBA while it is drawn.
pub const MAX_PIXELS: u64 = 32_000_000;
/// Most pictures drawn at once by the server (each may hold a [`MAX_PIXELS`] canvas).
pub const MAX_RENDERS: usize = 2;
/// Scales a PNG may be asked for (the page offers 1 and 2).
pub const SCALES: std::ops::RangeInclusive<f64> = 0.1..=4.0;

/// What is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
    Pdf,
    /// The minutes as Markdown.
    Minutes,
    /// The minutes as PDF.
    MinutesPdf,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Svg,
        Format::Png,
        Format::Pdf,
        Format::Minutes,
        Format::MinutesPdf,
    ];

    /// The `format=` name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Pdf => "pdf",
            Format::Minutes => "minutes",
            Format::MinutesPdf => "minutes-pdf",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Minutes are for the facilitator or an owner; pictures for anyone with a role.
    pub fn is_minutes(self) -> bool {
        matches!(self, Format::Minutes | Format::MinutesPdf)
    }
}

/// The picture options of the API's query (`format` is read by the export route) and the
/// CLI's `huddle export` flags.
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
pub struct PictureArgs {
    /// Pictures: the PNG's scale (1 or 2; any number from 0.1 to 4).
    #[arg(long)]
    pub scale: Option<String>,
    /// Pictures: only this frame (an item id); not with pdf, which has a page per frame.
    #[arg(long)]
    pub frame: Option<String>,
    /// Pictures: only these items (comma-separated ids), e.g. the selection.
    #[arg(long)]
    pub items: Option<String>,
    /// Minutes: the session's start (ms since the Unix epoch); by default when the latest
    /// facilitator took the role.
    #[arg(long)]
    pub since: Option<String>,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub format: Format,
    pub scale: f64,
    pub scope: Scope,
    pub since: Option<u64>,
}

/// Why a picture was not made (all the caller's to fix: HTTP 400).
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("scale must be a number from 0.1 to 4 (1 and 2 are usual), not {0:?}")]
    BadScale(String),
    #[error("since must be milliseconds since the Unix epoch, not {0:?}")]
    BadSince(String),
    #[error("name either frame= or items=, not both")]
    FrameAndItems,
    #[error("{0} has no {1}= (it is always the whole board{2})")]
    NotForFormat(&'static str, &'static str, &'static str),
    #[error(
        "the picture would be {width} x {height} pixels, more than the {max} a PNG may have; \
         export a frame or the selection, use a smaller scale (scale=0.5), or SVG or PDF"
    )]
    TooLarge { width: u64, height: u64, max: u64 },
    #[error(transparent)]
    Scope(#[from] picture::PictureError),
    /// Our own SVG did not parse or a PDF page did not convert: a bug, not the caller's.
    #[error("the picture could not be drawn: {0}")]
    Render(String),
}

impl Request {
    pub fn parse(format: &str, args: &PictureArgs) -> Result<Request, String> {
        let format = Format::parse(format).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown picture format {format:?}; one of {}",
                names.join(", ")
            )
        })?;
        Request::with(format, args).map_err(|e| e.to_string())
    }

    pub fn with(format: Format, args: &PictureArgs) -> Result<Request, PictureError> {
        let scale = match args.scale.as_deref().map(str::trim) {
            None | Some("") => 1.0,
            Some(s) => s
                .trim_end_matches('x')
                .parse::<f64>()
                .ok()
                .filter(|v| SCALES.contains(v))
                .ok_or_else(|| PictureError::BadScale(s.to_owned()))?,
        };
        let frame = args
            .frame
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let items: Option<Vec<String>> = args.items.as_deref().map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        });
        let scope = match (frame, items) {
            (Some(_), Some(_)) => return Err(PictureError::FrameAndItems),
            (Some(f), None) => Scope::Frame(f.to_owned()),
            (None, Some(items)) => Scope::Items(items),
            (None, None) => Scope::Board,
        };
        if scope != Scope::Board {
            let which = if matches!(scope, Scope::Frame(_)) {
                "frame"
            } else {
                "items"
            };
            match format {
                Format::Pdf => {
                    return Err(PictureError::NotForFormat(
                        "pdf",
                        which,
                        ", a page per frame",
                    ));
                }
                Format::Minutes | Format::MinutesPdf => {
                    return Err(PictureError::NotForFormat(format.name(), which, ""));
                }
                _ => {}
            }
        }
        let since = match args.since.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(
                s.parse::<u64>()
                    .map_err(|_| PictureError::BadSince(s.to_owned()))?,
            ),
        };
        Ok(Request {
            format,
            scale,
            scope,
            since,
        })
    }
}

/// A made picture, ready to download.
pub struct Output {
    pub content_type: &'static str,
    pub filename: String,
    pub body: Vec<u8>,
}

/// Makes what `request` asks for from `board` (`now`: ms since the Unix epoch, the end of
/// the minutes' session). CPU-bound: run it on a blocking thread.
pub fn render(board: &BoardSnapshot, request: &Request, now: u64) -> Result<Output, PictureError> {
    let name = slug(&board.meta.title);
    let part = match &request.scope {
        Scope::Board => String::new(),
        Scope::Frame(id) => format!("-frame-{}", slug(id)),
        Scope::Items(_) => "-selection".to_owned(),
    };
    let measure = fonts::metrics();
    let (content_type, ext, body) = match request.format {
        Format::Svg => {
            let p = picture::render(board, &request.scope, measure)?;
            ("image/svg+xml", "svg".to_owned(), p.svg.into_bytes())
        }
        Format::Png => {
            let p = picture::render(board, &request.scope, measure)?;
            let png = raster::png(&p, request.scale)?;
            let ext = if request.scale == 1.0 {
                "png".to_owned()
            } else {
                format!("{}x.png", request.scale)
            };
            ("image/png", ext, png)
        }
        Format::Pdf => {
            let mut pages = Vec::new();
            for page in picture::pages(board) {
                pages.push(picture::render(board, &page.scope, measure)?.svg);
            }
            ("application/pdf", "pdf".to_owned(), pdf::document(&pages)?)
        }
        Format::Minutes | Format::MinutesPdf => {
            let since = request.since.unwrap_or_else(|| session_start(board));
            let md = minutes(board, since, now);
            if request.format == Format::Minutes {
                (
                    "text/markdown; charset=utf-8",
                    "minutes.md".to_owned(),
                    md.into_bytes(),
                )
            } else {
                let pages = minutes_pdf::pages(&md, measure);
                (
                    "application/pdf",
                    "minutes.pdf".to_owned(),
                    pdf::document(&pages)?,
                )
            }
        }
    };
    Ok(Output {
        content_type,
        filename: format!("{name}{part}.{ext}"),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(scale: Option<&str>, frame: Option<&str>, items: Option<&str>) -> PictureArgs {
        PictureArgs {
            scale: scale.map(Into::into),
            frame: frame.map(Into::into),
            items: items.map(Into::into),
            since: None,
        }
    }

    #[test]
    fn parses_requests() {
        let r = Request::with(Format::Png, &args(Some("2"), None, Some("a, b,"))).unwrap();
        assert_eq!(r.scale, 2.0);
        assert_eq!(r.scope, Scope::Items(vec!["a".into(), "b".into()]));
        assert!(Request::with(Format::Png, &args(Some("9"), None, None)).is_err());
        assert!(Request::with(Format::Png, &args(Some("NaN"), None, None)).is_err());
        assert!(Request::with(Format::Png, &args(None, Some("f"), Some("a"))).is_err());
        assert!(Request::with(Format::Pdf, &args(None, Some("f"), None)).is_err());
        assert!(Request::parse("gif", &PictureArgs::default()).is_err());
    }
}
