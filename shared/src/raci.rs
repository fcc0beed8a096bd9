//! RACI matrices as plain values: who is Responsible, Accountable, Consulted and Informed
//! for each item, the rules a matrix must meet, and the geometry every page draws it with.
//!
//! A matrix is a board item (kind `raci`, see [`crate::model::Board::create_raci`]) whose rows
//! are *linked* notes or stories on the board: a row stores the item's id, never its text, so
//! renaming the story renames the row. A row whose item was deleted stays (shown as
//! [`DELETED_ROW`], greyed) until someone removes it: a CRDT cannot stop one person from
//! deleting a story while another fills in its row, and dropping the row would lose the
//! letters. Columns are people with a role on the board or named roles ("Design lead").
//!
//! The rules ([`RaciRow::problems`]) are the classic ones: exactly one A per row (one person
//! answers for it) and at least one R (someone does the work). They are checked on read, never
//! enforced on write: two people may each set an A in the same row at the same moment, and
//! after the merge the row shows "2 As" until someone clears one.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{BoardSnapshot, ItemKind, ItemSnapshot, Size};

/// What a row whose linked item is gone shows instead of its text.
pub const DELETED_ROW: &str = "(deleted)";
/// The title of a new matrix when none is given.
pub const DEFAULT_TITLE: &str = "RACI";
/// Most rows and columns a matrix takes: a matrix past this is unreadable on a board (and a
/// bound keeps one paste from making a 10,000-cell item).
pub const MAX_RACI_ROWS: usize = 200;
pub const MAX_RACI_COLS: usize = 40;
/// Longest column label accepted, in characters ("Design lead", a person's name).
pub const MAX_COL_LABEL_CHARS: usize = 80;

/// One letter of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Letter {
    /// Responsible: does the work.
    R,
    /// Accountable: answers for it; exactly one per row.
    A,
    /// Consulted: asked before.
    C,
    /// Informed: told after.
    I,
}

impl Letter {
    pub const ALL: [Letter; 4] = [Letter::R, Letter::A, Letter::C, Letter::I];

    /// The letter as stored in the document and shown in a cell.
    pub fn as_str(self) -> &'static str {
        match self {
            Letter::R => "R",
            Letter::A => "A",
            Letter::C => "C",
            Letter::I => "I",
        }
    }

    /// Parses a stored letter; anything else (a newer client's, garbage) is `None`.
    pub fn parse(s: &str) -> Option<Letter> {
        Letter::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// What a click on a cell holding `cell` makes it: empty -> R -> A -> C -> I -> empty.
    pub fn cycle(cell: Option<Letter>) -> Option<Letter> {
        match cell {
            None => Some(Letter::R),
            Some(Letter::R) => Some(Letter::A),
            Some(Letter::A) => Some(Letter::C),
            Some(Letter::C) => Some(Letter::I),
            Some(Letter::I) => None,
        }
    }
}

impl fmt::Display for Letter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a column stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColKind {
    /// A person with a role on the board (their id is [`RaciCol::person`]).
    Person,
    /// A named role, not tied to anyone ("Design lead").
    Role,
}

impl ColKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ColKind::Person => "person",
            ColKind::Role => "role",
        }
    }

    pub fn parse(s: &str) -> Option<ColKind> {
        [ColKind::Person, ColKind::Role]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A column to add: a person (with their id) or a named role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCol {
    pub kind: ColKind,
    /// The person's id (the server's), for a person column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// What the header shows: the person's name when the column was made, or the role.
    pub label: String,
}

impl NewCol {
    pub fn role(label: &str) -> NewCol {
        NewCol {
            kind: ColKind::Role,
            person: None,
            label: label.to_owned(),
        }
    }

    pub fn person(id: &str, name: &str) -> NewCol {
        NewCol {
            kind: ColKind::Person,
            person: Some(id.to_owned()),
            label: name.to_owned(),
        }
    }
}

/// One column as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaciCol {
    pub id: String,
    pub kind: ColKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    pub label: String,
    /// Fractional rank among the columns (left to right).
    pub rank: String,
}

/// One row: the linked item and its letters by column id (only columns that exist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaciRow {
    /// Id of the linked note or story.
    pub item: String,
    /// Fractional rank among the rows (top to bottom).
    pub rank: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cells: BTreeMap<String, Letter>,
}

/// A matrix as plain values: rows and columns in display order (rank, then id, so every
/// replica orders concurrent inserts identically).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Raci {
    pub rows: Vec<RaciRow>,
    pub cols: Vec<RaciCol>,
}

/// Why a row breaks the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "problem", content = "count")]
pub enum Problem {
    /// Nobody is accountable.
    NoA,
    /// More than one person is accountable (how many).
    ManyA(usize),
    /// Nobody is responsible.
    NoR,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoA => f.write_str("no A"),
            Problem::ManyA(n) => write!(f, "{n} As"),
            Problem::NoR => f.write_str("no R"),
        }
    }
}

/// The problems of a row with these letters: exactly one A, at least one R.
pub fn check(letters: impl IntoIterator<Item = Letter>) -> Vec<Problem> {
    let (mut a, mut r) = (0, 0);
    for letter in letters {
        match letter {
            Letter::A => a += 1,
            Letter::R => r += 1,
            _ => {}
        }
    }
    let mut problems = Vec::new();
    match a {
        0 => problems.push(Problem::NoA),
        1 => {}
        n => problems.push(Problem::ManyA(n)),
    }
    if r == 0 {
        problems.push(Problem::NoR);
    }
    problems
}

/// Problems joined for a label or a table cell ("no A, no R"); empty for a good row.
pub fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl RaciRow {
    /// The letter in column `col`, if any.
    pub fn cell(&self, col: &str) -> Option<Letter> {
        self.cells.get(col).copied()
    }

    /// What is wrong with this row (empty: it meets the rules).
    pub fn problems(&self) -> Vec<Problem> {
        check(self.cells.values().copied())
    }
}

impl Raci {
    /// Every row that breaks the rules, by linked item id, in row order.
    pub fn problems(&self) -> Vec<(String, Vec<Problem>)> {
        self.rows
            .iter()
            .map(|row| (row.item.clone(), row.problems()))
            .filter(|(_, p)| !p.is_empty())
            .collect()
    }

    /// The row of item `item`, if it is in the matrix.
    pub fn row(&self, item: &str) -> Option<&RaciRow> {
        self.rows.iter().find(|r| r.item == item)
    }

    /// The column with id `id`.
    pub fn col(&self, id: &str) -> Option<&RaciCol> {
        self.cols.iter().find(|c| c.id == id)
    }
}

/// The text a row shows: its linked item's current text (first line, trimmed), or `None` if
/// the item is gone from the board.
pub fn row_label<'a>(board: &'a BoardSnapshot, item: &str) -> Option<&'a str> {
    board.items.get(item).map(|i| label_of(&i.text))
}

/// The first non-blank line of an item's text, trimmed; `(untitled)` for an empty one.
pub fn label_of(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(untitled)")
}

/// Whether an item may be a row: a sticky note (stories are notes).
pub fn can_link(kind: &ItemKind) -> bool {
    *kind == ItemKind::Note
}

/// Every RACI matrix of a board with its item, in creation order (then id).
pub fn matrices(board: &BoardSnapshot) -> Vec<(&String, &ItemSnapshot, &Raci)> {
    let mut all: Vec<_> = board
        .items
        .iter()
        .filter_map(|(id, item)| Some((id, item, item.raci.as_ref()?)))
        .collect();
    crate::sort::sort_by(&mut all, |a, b| {
        a.1.created_at
            .total_cmp(&b.1.created_at)
            .then_with(|| a.0.cmp(b.0))
    });
    all
}

/// Where the parts of a matrix are drawn, relative to its top-left corner, in board units.
/// Shared by the page (drawing, hit-testing) and the model (an item's size is derived from
/// its rows and columns, never stored, so it cannot disagree with them).
pub mod geometry {
    use super::Size;

    /// The title band (the matrix's text).
    pub const TITLE_H: f64 = 40.0;
    /// The header row with the column labels.
    pub const HEADER_H: f64 = 48.0;
    /// One row: one line of note text at the note font, with air.
    pub const ROW_H: f64 = 40.0;
    /// The row labels' column: room for ~28 characters of a story title.
    pub const LABEL_W: f64 = 280.0;
    /// One letter column: room for a name or a role like "Design lead" in the header.
    pub const COL_W: f64 = 120.0;
    /// The "+" column after the last column (adds a role column).
    pub const ADD_W: f64 = 40.0;
    /// The strip under the last row ("+ rows from the selection").
    pub const FOOT_H: f64 = 32.0;

    /// The size of a matrix of `rows` rows and `cols` columns.
    pub fn size(rows: usize, cols: usize) -> Size {
        [
            LABEL_W + cols as f64 * COL_W + ADD_W,
            TITLE_H + HEADER_H + rows as f64 * ROW_H + FOOT_H,
        ]
    }

    /// `[x, y, w, h]` of cell (`row`, `col`) relative to the matrix's corner.
    pub fn cell(row: usize, col: usize) -> [f64; 4] {
        [
            LABEL_W + col as f64 * COL_W,
            TITLE_H + HEADER_H + row as f64 * ROW_H,
            COL_W,
            ROW_H,
        ]
    }

    /// The header of column `col`.
    pub fn header(col: usize) -> [f64; 4] {
        [LABEL_W + col as f64 * COL_W, TITLE_H, COL_W, HEADER_H]
    }

    /// The label of row `row`.
    pub fn label(row: usize) -> [f64; 4] {
        [0.0, TITLE_H + HEADER_H + row as f64 * ROW_H, LABEL_W, ROW_H]
    }

    /// The "+" header that adds a role column, after `cols` columns.
    pub fn add_col(cols: usize) -> [f64; 4] {
        [LABEL_W + cols as f64 * COL_W, TITLE_H, ADD_W, HEADER_H]
    }

    /// The strip under `rows` rows that adds the selected notes as rows.
    pub fn add_rows(rows: usize, cols: usize) -> [f64; 4] {
        let [w, h] = size(rows, cols);
        [0.0, h - FOOT_H, w, FOOT_H]
    }

    /// What a point `p` (relative to the matrix's corner) is on.
    pub fn spot(rows: usize, cols: usize, p: [f64; 2]) -> Option<Spot> {
        let [w, h] = size(rows, cols);
        let [x, y] = p;
        if !(0.0..=w).contains(&x) || !(0.0..=h).contains(&y) {
            return None;
        }
        if y < TITLE_H {
            return Some(Spot::Title);
        }
        if y >= h - FOOT_H {
            return Some(Spot::AddRows);
        }
        let col = ((x - LABEL_W) / COL_W).floor();
        let in_cols = x >= LABEL_W && (col as usize) < cols;
        if y < TITLE_H + HEADER_H {
            return Some(if x < LABEL_W {
                Spot::Corner
            } else if in_cols {
                Spot::Header(col as usize)
            } else {
                Spot::AddCol
            });
        }
        let row = (((y - TITLE_H - HEADER_H) / ROW_H).floor() as usize).min(rows.saturating_sub(1));
        Some(if x < LABEL_W {
            Spot::Label(row)
        } else if in_cols {
            Spot::Cell(row, col as usize)
        } else {
            Spot::Corner
        })
    }

    /// A part of a matrix.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Spot {
        Title,
        /// The empty corners (above the labels, right of the rows).
        Corner,
        Header(usize),
        AddCol,
        Label(usize),
        Cell(usize, usize),
        AddRows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_want_exactly_one_a_and_at_least_one_r() {
        use Letter::*;
        assert_eq!(check([R, A]), vec![]);
        assert_eq!(check([R, R, A, C, I]), vec![]);
        assert_eq!(check([]), vec![Problem::NoA, Problem::NoR]);
        assert_eq!(check([R, C]), vec![Problem::NoA]);
        assert_eq!(check([A, A, R]), vec![Problem::ManyA(2)]);
        assert_eq!(check([A, C, I]), vec![Problem::NoR]);
        assert_eq!(check([A, A, A]), vec![Problem::ManyA(3), Problem::NoR]);
        assert_eq!(describe(&check([A, A])), "2 As, no R");
        assert_eq!(describe(&check([])), "no A, no R");
        assert_eq!(describe(&check([R, A])), "");
    }

    #[test]
    fn a_matrix_lists_only_the_rows_that_break_the_rules() {
        let row = |item: &str, cells: &[(&str, Letter)]| RaciRow {
            item: item.into(),
            rank: "a0".into(),
            cells: cells.iter().map(|(c, l)| (c.to_string(), *l)).collect(),
        };
        let raci = Raci {
            rows: vec![
                row("ok", &[("x", Letter::R), ("y", Letter::A)]),
                row("none", &[]),
                row("two", &[("x", Letter::A), ("y", Letter::A)]),
            ],
            cols: vec![],
        };
        assert_eq!(
            raci.problems(),
            vec![
                ("none".to_owned(), vec![Problem::NoA, Problem::NoR]),
                ("two".to_owned(), vec![Problem::ManyA(2), Problem::NoR]),
            ]
        );
        assert_eq!(raci.row("ok").and_then(|r| r.cell("y")), Some(Letter::A));
    }

    #[test]
    fn a_click_cycles_through_the_letters_and_back_to_empty() {
        let mut cell = None;
        let mut seen = Vec::new();
        for _ in 0..5 {
            cell = Letter::cycle(cell);
            seen.push(cell);
        }
        assert_eq!(
            seen,
            [
                Some(Letter::R),
                Some(Letter::A),
                Some(Letter::C),
                Some(Letter::I),
                None
            ]
        );
        for l in Letter::ALL {
            assert_eq!(Letter::parse(l.as_str()), Some(l));
        }
        assert_eq!(Letter::parse("X"), None);
    }

    #[test]
    fn labels_are_the_first_line_of_the_text() {
        assert_eq!(label_of("  Pay by card \nmore"), "Pay by card");
        assert_eq!(label_of("\n\n  "), "(untitled)");
    }

    #[test]
    fn points_find_their_cell() {
        use geometry::*;
        let (rows, cols) = (2, 3);
        let at = |r: [f64; 4]| [r[0] + 1.0, r[1] + 1.0];
        assert_eq!(spot(rows, cols, at(cell(1, 2))), Some(Spot::Cell(1, 2)));
        assert_eq!(spot(rows, cols, at(header(0))), Some(Spot::Header(0)));
        assert_eq!(spot(rows, cols, at(add_col(cols))), Some(Spot::AddCol));
        assert_eq!(spot(rows, cols, at(label(1))), Some(Spot::Label(1)));
        assert_eq!(
            spot(rows, cols, at(add_rows(rows, cols))),
            Some(Spot::AddRows)
        );
        assert_eq!(spot(rows, cols, [5.0, 5.0]), Some(Spot::Title));
        assert_eq!(spot(rows, cols, [-1.0, 5.0]), None);
        let [w, h] = size(rows, cols);
        assert_eq!(spot(rows, cols, [w + 1.0, h / 2.0]), None);
        // An empty matrix: the body is just the header and the "+ rows" strip.
        assert_eq!(spot(0, 0, at(add_col(0))), Some(Spot::AddCol));
    }
}
