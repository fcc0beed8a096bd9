//! Export of a board (Markdown backlog, Jira CSV, JSON) and import into a new board (JSON, a
//! CSV backlog from Jira, Trello or Huddle itself).
//!
//! Everything here is pure: text in, plain values or text out, and writes through the typed
//! model into a board the caller made. The server and the `huddle` command line are thin
//! adapters around it, so the HTTP API and the CLI produce the same bytes.
//!
//! Imports parse and check the WHOLE file into a plain value first and only then write, in
//! one transaction into a fresh board: a malformed file creates nothing, and its error names
//! the line and column to fix.
//!
//! # Layout
//!
//! - this file: [`Format`], [`ImportError`], [`slug`].
//! - `markdown`: [`markdown`], every story map as an ordered backlog (with each story's
//!   dots).
//! - `results`: the Markdown's "Results" (dots, fist to five and dissent, impact/effort per
//!   note) and "Decisions" (the decision log) sections.
//! - `comments`: the Markdown's "Comments" section (each thread with its item, replies,
//!   mentions and whether it is resolved).
//! - `jira_csv`: [`jira_csv`], the stories as rows Jira's CSV importer reads.
//! - `board_json`: [`board_json`] and [`parse_board_json`]/[`restore_board`], the whole board.
//! - `csv_reader`: a strict CSV reader that reports line and column.
//! - `import_csv`: [`parse_backlog`] (Jira, Trello, Huddle CSV -> [`Backlog`]) and
//!   [`write_backlog`] (a backlog -> a new story map).
//! - `raci`: RACI matrices as Markdown tables (part of the Markdown backlog) and as
//!   [`raci_csv`], one CSV per matrix.
//! - `outline`: [`Outline`], a map as plain values without ids, to compare two maps.
//! - [`picture`]: the board, a frame or a selection as SVG (the server makes PNG and PDF of
//!   it); [`minutes`]: a session's minutes as Markdown.

mod board_json;
mod comments;
mod csv_reader;
mod facilitation;
mod import_csv;
mod jira_csv;
mod markdown;
pub mod minutes;
mod outline;
pub mod picture;
mod raci;
mod results;

pub use board_json::{
    BOARD_FORMAT_VERSION, BoardExport, MAX_BOARD_ITEMS, MAX_JSON_BYTES, board_json,
    parse_board_json, restore_board,
};
pub use import_csv::{
    Backlog, BacklogStory, CsvSource, DEFAULT_STEP, MAX_CSV_BYTES, MAX_CSV_FIELD_CHARS,
    MAX_CSV_ROWS, NO_EPIC, parse_backlog, write_backlog,
};
pub use jira_csv::jira_csv;
pub use markdown::markdown;
pub use outline::{Outline, OutlineStory};
pub use raci::{raci_csv, raci_matrices};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Markdown,
    Csv,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Markdown, Format::Csv, Format::Json];

    /// The name in `?format=` and `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// The board in this format.
    pub fn export(self, board: &crate::model::BoardSnapshot) -> String {
        match self {
            Format::Markdown => markdown(board),
            Format::Csv => jira_csv(board),
            Format::Json => board_json(board),
        }
    }
}

/// Why an imported file was refused. `line` and `column` count from 1; for CSV the column is
/// the field's number in its row (spreadsheets show those), for JSON serde's character column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ImportError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ImportError {
    pub(crate) fn at(line: usize, column: usize, message: impl Into<String>) -> ImportError {
        ImportError {
            line,
            column,
            message: message.into(),
        }
    }
}

/// A file name for a board title: lowercase ASCII letters and digits joined by `-`
/// ("Sprint 42: Checkout!" -> "sprint-42-checkout"), `board` if nothing is left.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    // A file name, not an essay: 60 characters keep it readable in a download bar.
    let mut out: String = out.trim_end_matches('-').chars().take(60).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "board".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_formats() {
        assert_eq!(slug("Sprint 42: Checkout!"), "sprint-42-checkout");
        assert_eq!(slug("  ***  "), "board");
        assert_eq!(slug("Été 2025"), "t-2025");
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()), Some(f));
        }
        assert_eq!(Format::parse("xml"), None);
    }
}
