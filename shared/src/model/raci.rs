//! RACI matrices in the document (see [`crate::raci`] for the rules and why rows are links).
//!
//! A matrix is an item of kind `raci` with its `pos`, `z`, `text` (its title) and three nested
//! `Y.Map`s, written once when the matrix is made:
//!
//! - `rows`: linked item id -> fractional rank. Adding a row writes one key; two people adding
//!   rows at once both land (ties in rank broken by id).
//! - `cols`: column id -> one map value (`kind`, `person`, `label`, `rank`), replaced whole by
//!   a rename.
//! - `cells`: `"{row}|{col}"` -> a letter; absent is empty. One key per cell: concurrent edits
//!   of one cell converge last-writer-wins, edits of different cells never conflict.
//!
//! Removing a row or a column also removes its cells. A cell someone sets concurrently in a
//! row another person removes stays in `cells`, unread (readers show only cells whose row and
//! column exist), and shows again if the row is added back.

use std::collections::HashMap;
use std::sync::Arc;

use yrs::{Any, Map, MapPrelim, MapRef, Out, ReadTxn, TransactionMut};

use super::board::Board;
use super::items::{ItemFields, read_kind};
use super::keys;
use super::values::{check_point, read_string, string_of};
use super::{Color, ItemKind, ModelError, Point};
use crate::raci::{
    ColKind, DEFAULT_TITLE, Letter, MAX_COL_LABEL_CHARS, MAX_RACI_COLS, MAX_RACI_ROWS, NewCol,
    Raci, RaciCol, RaciRow, can_link,
};
use crate::{ids, rank};

/// A matrix to create.
#[derive(Debug, Clone, Default)]
pub struct NewRaci {
    /// Top-left corner.
    pub pos: Point,
    /// `""`: [`DEFAULT_TITLE`].
    pub title: String,
    /// Linked notes, top to bottom (ids that are not notes on the board are refused).
    pub rows: Vec<String>,
    /// Columns, left to right.
    pub cols: Vec<NewCol>,
    pub author: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: f64,
}

impl Board {
    /// Creates a RACI matrix on top of everything else and returns its id. Rows must be notes
    /// on the board; duplicates are taken once.
    pub fn create_raci(
        &self,
        txn: &mut TransactionMut,
        new: NewRaci,
    ) -> Result<String, ModelError> {
        check_point(new.pos)?;
        for row in &new.rows {
            self.check_linkable(txn, row)?;
        }
        for col in &new.cols {
            check_col(col)?;
        }
        if new.rows.len() > MAX_RACI_ROWS || new.cols.len() > MAX_RACI_COLS {
            return Err(too_many());
        }
        let z = rank::after(self.top_z(txn).as_deref());
        let title = if new.title.trim().is_empty() {
            DEFAULT_TITLE
        } else {
            new.title.as_str()
        };
        let id = self.write_item(
            txn,
            ItemFields {
                kind: ItemKind::Raci.as_str(),
                pos: Some(new.pos),
                size: None,
                text: title,
                color: Color::default().name(),
                tags: &[],
                author: &new.author,
                created_at: new.created_at,
                z,
                ends: None,
            },
        );
        let item = self.raci_item(txn, &id)?;
        let rows: MapRef = item.insert(txn, keys::RACI_ROWS, MapPrelim::default());
        item.insert(txn, keys::RACI_CELLS, MapPrelim::default());
        let cols: MapRef = item.insert(txn, keys::RACI_COLS, MapPrelim::default());
        let mut last = None;
        for row in &new.rows {
            if rows.get(txn, row).is_none() {
                let r = rank::after(last.as_deref());
                rows.insert(txn, row.as_str(), r.as_str());
                last = Some(r);
            }
        }
        let mut last = None;
        for col in &new.cols {
            let r = rank::after(last.as_deref());
            cols.insert(txn, ids::new_item_id(), col_value(col, &r));
            last = Some(r);
        }
        Ok(id)
    }

    /// Adds the notes `items` as rows at the end of matrix `raci`, in order; a note already
    /// in the matrix stays where it is. Returns how many rows were added.
    pub fn add_raci_rows(
        &self,
        txn: &mut TransactionMut,
        raci: &str,
        items: &[String],
    ) -> Result<usize, ModelError> {
        for item in items {
            self.check_linkable(txn, item)?;
        }
        let rows = self.raci_part(txn, raci, keys::RACI_ROWS)?;
        let present = rows.len(txn) as usize;
        let fresh: Vec<&String> = items
            .iter()
            .enumerate()
            .filter(|(i, id)| rows.get(txn, id).is_none() && !items[..*i].contains(id))
            .map(|(_, id)| id)
            .collect();
        if present + fresh.len() > MAX_RACI_ROWS {
            return Err(too_many());
        }
        let mut last = max_rank(rows.iter(txn).filter_map(|(_, v)| string_of(&v)));
        for item in &fresh {
            let r = rank::after(last.as_deref());
            rows.insert(txn, item.as_str(), r.as_str());
            last = Some(r);
        }
        Ok(fresh.len())
    }

    /// Removes item `item`'s row (and its letters) from matrix `raci`; the item itself stays.
    pub fn remove_raci_row(
        &self,
        txn: &mut TransactionMut,
        raci: &str,
        item: &str,
    ) -> Result<(), ModelError> {
        let rows = self.raci_part(txn, raci, keys::RACI_ROWS)?;
        if rows.remove(txn, item).is_none() {
            return Err(ModelError::NoSuchItem(item.to_owned()));
        }
        let cols = self.raci_part(txn, raci, keys::RACI_COLS)?;
        let cells = self.raci_part(txn, raci, keys::RACI_CELLS)?;
        let col_ids: Vec<String> = cols.keys(txn).map(str::to_owned).collect();
        for col in col_ids {
            cells.remove(txn, &cell_key(item, &col));
        }
        Ok(())
    }

    /// Adds a column at the right end of matrix `raci` and returns its id.
    pub fn add_raci_col(
        &self,
        txn: &mut TransactionMut,
        raci: &str,
        col: &NewCol,
    ) -> Result<String, ModelError> {
        check_col(col)?;
        let cols = self.raci_part(txn, raci, keys::RACI_COLS)?;
        if cols.len(txn) as usize >= MAX_RACI_COLS {
            return Err(too_many());
        }
        let last = max_rank(
            cols.iter(txn)
                .filter_map(|(id, v)| Some(read_col(id, &v)?.rank)),
        );
        let id = ids::new_item_id();
        cols.insert(
            txn,
            id.as_str(),
            col_value(col, &rank::after(last.as_deref())),
        );
        Ok(id)
    }

    /// Removes column `col` (and its letters) from matrix `raci`.
    pub fn remove_raci_col(
        &self,
        txn: &mut TransactionMut,
        raci: &str,
        col: &str,
    ) -> Result<(), ModelError> {
        let cols = self.raci_part(txn, raci, keys::RACI_COLS)?;
        if cols.remove(txn, col).is_none() {
            return Err(ModelError::NoSuchItem(col.to_owned()));
        }
        let rows = self.raci_part(txn, raci, keys::RACI_ROWS)?;
        let cells = self.raci_part(txn, raci, keys::RACI_CELLS)?;
        let row_ids: Vec<String> = rows.keys(txn).map(str::to_owned).collect();
        for row in row_ids {
            cells.remove(txn, &cell_key(&row, col));
        }
        Ok(())
    }

    /// Renames column `col` of matrix `raci` (its kind, person and place stay).
    pub fn rename_raci_col(
        &self,
        txn: &mut TransactionMut,
        raci: &str,
        col: &str,
        label: &str,
    ) -> Result<(), ModelError> {
        let cols = self.raci_part(txn, raci, keys::RACI_COLS)?;
        let mut current = cols
            .get(txn, col)
            .and_then(|v| read_col(col, &v))
            .ok_or_else(|| ModelError::NoSuchItem(col.to_owned()))?;
        current.label = label.to_owned();
        let new = NewCol {
            kind: current.kind,
            person: current.person,
            label: current.label,
        };
        check_col(&new)?;
        cols.insert(txn, col, col_value(&new, &current.rank));
        Ok(())
    }

    /// Sets (`Some`) or clears (`None`) the cell of item `row` and column `col`. Both must be
    /// in the matrix.
    pub fn set_raci_cell(
        &self,
        txn: &mut TransactionMut,
        raci: &str,
        row: &str,
        col: &str,
        letter: Option<Letter>,
    ) -> Result<(), ModelError> {
        for (part, id) in [(keys::RACI_ROWS, row), (keys::RACI_COLS, col)] {
            if self.raci_part(txn, raci, part)?.get(txn, id).is_none() {
                return Err(ModelError::NoSuchItem(id.to_owned()));
            }
        }
        let cells = self.raci_part(txn, raci, keys::RACI_CELLS)?;
        let key = cell_key(row, col);
        match letter {
            Some(l) => {
                cells.insert(txn, key, l.as_str());
            }
            None => {
                cells.remove(txn, &key);
            }
        }
        Ok(())
    }

    /// Matrix `raci` as plain values, or `None` if there is no such matrix.
    pub fn raci<T: ReadTxn>(&self, txn: &T, raci: &str) -> Option<Raci> {
        match self.items.get(txn, raci)? {
            Out::YMap(item) if read_kind(txn, &item) == ItemKind::Raci => {
                Some(read_raci(txn, &item))
            }
            _ => None,
        }
    }

    /// Ids of every RACI matrix on the board, in no order.
    pub fn raci_ids<T: ReadTxn>(&self, txn: &T) -> Vec<String> {
        self.items
            .iter(txn)
            .filter_map(|(id, v)| match v {
                Out::YMap(item) if read_kind(txn, &item) == ItemKind::Raci => Some(id.to_owned()),
                _ => None,
            })
            .collect()
    }

    fn check_linkable<T: ReadTxn>(&self, txn: &T, id: &str) -> Result<(), ModelError> {
        match self.kind_of(txn, id) {
            None => Err(ModelError::NoSuchItem(id.to_owned())),
            Some(kind) if !can_link(&kind) => Err(ModelError::WrongKind {
                id: id.to_owned(),
                expected: "sticky note or story",
            }),
            Some(_) => Ok(()),
        }
    }

    fn raci_item<T: ReadTxn>(&self, txn: &T, id: &str) -> Result<MapRef, ModelError> {
        match self.items.get(txn, id) {
            Some(Out::YMap(item)) if read_kind(txn, &item) == ItemKind::Raci => Ok(item),
            Some(_) => Err(ModelError::WrongKind {
                id: id.to_owned(),
                expected: "RACI matrix",
            }),
            None => Err(ModelError::NoSuchItem(id.to_owned())),
        }
    }

    /// One of a matrix's nested maps. A matrix missing one (written by something else than
    /// this model) gets it now.
    fn raci_part(
        &self,
        txn: &mut TransactionMut,
        raci: &str,
        part: &str,
    ) -> Result<MapRef, ModelError> {
        let item = self.raci_item(txn, raci)?;
        Ok(match item.get(txn, part) {
            Some(Out::YMap(map)) => map,
            _ => item.insert(txn, part, MapPrelim::default()),
        })
    }
}

/// Whether `raci` may be written back as an item of `kind` (board import): a matrix, within
/// the bounds, with valid ranks and column names. Rows may name notes that are gone: a
/// matrix keeps such rows (see [`crate::raci`]).
pub(super) fn check_raci(kind: &ItemKind, raci: &Raci) -> Result<(), ModelError> {
    let bad = |reason: String| ModelError::BadField {
        field: "raci",
        reason,
    };
    if *kind != ItemKind::Raci {
        return Err(bad(format!("a {} item has no RACI matrix", kind.as_str())));
    }
    if raci.rows.len() > MAX_RACI_ROWS || raci.cols.len() > MAX_RACI_COLS {
        return Err(too_many());
    }
    let ranks = raci
        .rows
        .iter()
        .map(|r| &r.rank)
        .chain(raci.cols.iter().map(|c| &c.rank));
    if let Some(r) = ranks.into_iter().find(|r| !rank::is_valid(r)) {
        return Err(bad(format!("{r:?} is not a rank")));
    }
    for col in &raci.cols {
        check_col(&NewCol {
            kind: col.kind,
            person: col.person.clone(),
            label: col.label.clone(),
        })?;
    }
    Ok(())
}

/// Writes `raci` (checked by [`check_raci`]) into a fresh matrix item's map, keeping its row
/// and column ids, so cells still meet their rows.
pub(super) fn write_raci(txn: &mut TransactionMut, item: &MapRef, raci: &Raci) {
    let rows: MapRef = item.insert(txn, keys::RACI_ROWS, MapPrelim::default());
    let cols: MapRef = item.insert(txn, keys::RACI_COLS, MapPrelim::default());
    let cells: MapRef = item.insert(txn, keys::RACI_CELLS, MapPrelim::default());
    for col in &raci.cols {
        let new = NewCol {
            kind: col.kind,
            person: col.person.clone(),
            label: col.label.clone(),
        };
        cols.insert(txn, col.id.as_str(), col_value(&new, &col.rank));
    }
    for row in &raci.rows {
        rows.insert(txn, row.item.as_str(), row.rank.as_str());
        for (col, letter) in &row.cells {
            cells.insert(txn, cell_key(&row.item, col), letter.as_str());
        }
    }
}

/// A matrix item's rows, columns and cells; anything malformed is skipped.
pub(super) fn read_raci<T: ReadTxn>(txn: &T, item: &MapRef) -> Raci {
    let part = |key: &str| match item.get(txn, key) {
        Some(Out::YMap(map)) => Some(map),
        _ => None,
    };
    let mut cols: Vec<RaciCol> = part(keys::RACI_COLS)
        .map(|m| m.iter(txn).filter_map(|(id, v)| read_col(id, &v)).collect())
        .unwrap_or_default();
    crate::sort::sort_by(&mut cols, |a, b| (&a.rank, &a.id).cmp(&(&b.rank, &b.id)));
    let cells = part(keys::RACI_CELLS);
    let mut rows: Vec<RaciRow> = part(keys::RACI_ROWS)
        .map(|m| {
            m.iter(txn)
                .map(|(id, v)| RaciRow {
                    item: id.to_owned(),
                    rank: string_of(&v).unwrap_or_default(),
                    cells: crate::sort::map_of(cols.iter().filter_map(|c| {
                        let cells = cells.as_ref()?;
                        let letter = read_string(txn, cells, &cell_key(id, &c.id))?;
                        Some((c.id.clone(), Letter::parse(&letter)?))
                    })),
                })
                .collect()
        })
        .unwrap_or_default();
    crate::sort::sort_by(&mut rows, |a, b| {
        (&a.rank, &a.item).cmp(&(&b.rank, &b.item))
    });
    Raci { rows, cols }
}

fn cell_key(row: &str, col: &str) -> String {
    format!("{row}{}{col}", keys::RACI_CELL_SEP)
}

fn col_value(col: &NewCol, rank: &str) -> Any {
    let mut map = HashMap::new();
    map.insert(keys::COL_KIND.to_owned(), Any::from(col.kind.as_str()));
    if let Some(person) = &col.person {
        map.insert(keys::COL_PERSON.to_owned(), Any::from(person.as_str()));
    }
    map.insert(keys::COL_LABEL.to_owned(), Any::from(col.label.as_str()));
    map.insert(keys::COL_RANK.to_owned(), Any::from(rank));
    Any::Map(Arc::new(map))
}

fn read_col(id: &str, value: &Out) -> Option<RaciCol> {
    let Out::Any(Any::Map(map)) = value else {
        return None;
    };
    let text = |key: &str| match map.get(key) {
        Some(Any::String(s)) => Some(s.to_string()),
        _ => None,
    };
    Some(RaciCol {
        id: id.to_owned(),
        kind: ColKind::parse(&text(keys::COL_KIND)?)?,
        person: text(keys::COL_PERSON),
        label: text(keys::COL_LABEL).unwrap_or_default(),
        rank: text(keys::COL_RANK).unwrap_or_default(),
    })
}

fn check_col(col: &NewCol) -> Result<(), ModelError> {
    let bad = |reason: &str| ModelError::BadField {
        field: "column",
        reason: reason.to_owned(),
    };
    if col.label.trim().is_empty() {
        return Err(bad("a column needs a name"));
    }
    if col.label.chars().count() > MAX_COL_LABEL_CHARS {
        return Err(bad(&format!(
            "a column name is at most {MAX_COL_LABEL_CHARS} characters"
        )));
    }
    if (col.kind == ColKind::Person) != col.person.is_some() {
        return Err(bad("a person column names its person, a role column none"));
    }
    Ok(())
}

fn too_many() -> ModelError {
    ModelError::BadField {
        field: "raci",
        reason: format!("a matrix has at most {MAX_RACI_ROWS} rows and {MAX_RACI_COLS} columns"),
    }
}

/// The highest valid rank of `ranks` (invalid ones, from other replicas, are skipped).
fn max_rank(ranks: impl Iterator<Item = String>) -> Option<String> {
    ranks.filter(|r| rank::is_valid(r)).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LOCAL_ORIGIN, NewNote};
    use crate::raci::Problem;
    use yrs::Transact;

    fn notes(board: &Board, texts: &[&str]) -> Vec<String> {
        let mut txn = board.transact_mut();
        texts
            .iter()
            .map(|t| {
                board
                    .create_note(
                        &mut txn,
                        NewNote {
                            text: (*t).into(),
                            ..NewNote::default()
                        },
                    )
                    .expect("note")
            })
            .collect()
    }

    #[test]
    fn a_matrix_is_made_edited_and_read_back() {
        let board = Board::with_client_id(1);
        let n = notes(&board, &["Checkout", "Refunds", "Invoices"]);
        let mut txn = board.transact_mut();
        let m = board
            .create_raci(
                &mut txn,
                NewRaci {
                    pos: [10.0, 20.0],
                    rows: vec![n[0].clone(), n[1].clone(), n[0].clone()],
                    cols: vec![NewCol::person("p1", "Ann"), NewCol::role("Design lead")],
                    ..NewRaci::default()
                },
            )
            .expect("matrix");
        let raci = board.raci(&txn, &m).expect("read");
        let items: Vec<_> = raci.rows.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(items, [n[0].as_str(), n[1].as_str()], "duplicates once");
        let labels: Vec<_> = raci.cols.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["Ann", "Design lead"]);
        assert_eq!(raci.cols[0].person.as_deref(), Some("p1"));
        let (ann, lead) = (raci.cols[0].id.clone(), raci.cols[1].id.clone());

        board
            .set_raci_cell(&mut txn, &m, &n[0], &ann, Some(Letter::A))
            .expect("cell");
        board
            .set_raci_cell(&mut txn, &m, &n[0], &lead, Some(Letter::R))
            .expect("cell");
        assert_eq!(
            board.add_raci_rows(&mut txn, &m, &[n[2].clone(), n[0].clone()]),
            Ok(1)
        );
        let col = board
            .add_raci_col(&mut txn, &m, &NewCol::role("QA"))
            .expect("col");
        board
            .rename_raci_col(&mut txn, &m, &lead, "Design")
            .expect("rename");
        let raci = board.raci(&txn, &m).expect("read");
        assert_eq!(raci.rows.len(), 3);
        assert_eq!(raci.rows[2].item, n[2]);
        assert_eq!(raci.cols[2].id, col);
        assert_eq!(raci.cols[1].label, "Design");
        assert!(raci.rows[0].problems().is_empty());
        assert_eq!(raci.rows[1].problems(), [Problem::NoA, Problem::NoR]);

        let snap = board.item_snapshot(&txn, &m).expect("item");
        assert_eq!(snap.kind, ItemKind::Raci);
        assert_eq!(snap.text, DEFAULT_TITLE);
        assert_eq!(snap.size, crate::raci::geometry::size(3, 3));
        assert_eq!(snap.raci.as_ref(), Some(&raci));

        // Clearing, removing a column and a row take their letters with them.
        board
            .set_raci_cell(&mut txn, &m, &n[0], &ann, None)
            .expect("clear");
        assert_eq!(board.raci(&txn, &m).expect("read").rows[0].cell(&ann), None);
        board
            .remove_raci_col(&mut txn, &m, &lead)
            .expect("remove col");
        board
            .remove_raci_row(&mut txn, &m, &n[0])
            .expect("remove row");
        let raci = board.raci(&txn, &m).expect("read");
        assert_eq!(raci.rows.len(), 2);
        assert_eq!(raci.cols.len(), 2);
        assert!(raci.rows.iter().all(|r| r.cells.is_empty()));
        board
            .add_raci_rows(&mut txn, &m, &[n[0].clone()])
            .expect("back");
        assert!(board.raci(&txn, &m).expect("read").rows[2].cells.is_empty());
    }

    #[test]
    fn bad_rows_columns_and_cells_are_refused() {
        let board = Board::with_client_id(1);
        let n = notes(&board, &["a"]);
        let mut txn = board.transact_mut();
        let frame = board
            .create_frame(&mut txn, [0.0, 0.0], None, "F", "", 0.0)
            .expect("frame");
        let m = board
            .create_raci(&mut txn, NewRaci::default())
            .expect("empty matrix");
        assert!(matches!(
            board.add_raci_rows(&mut txn, &m, std::slice::from_ref(&frame)),
            Err(ModelError::WrongKind { .. })
        ));
        assert!(matches!(
            board.add_raci_rows(&mut txn, &m, &["nope".into()]),
            Err(ModelError::NoSuchItem(_))
        ));
        assert!(matches!(
            board.add_raci_rows(&mut txn, &frame, &n),
            Err(ModelError::WrongKind { .. })
        ));
        assert!(
            board
                .add_raci_col(&mut txn, &m, &NewCol::role("  "))
                .is_err()
        );
        let person_without_id = NewCol {
            kind: ColKind::Person,
            person: None,
            label: "Ann".into(),
        };
        assert!(
            board
                .add_raci_col(&mut txn, &m, &person_without_id)
                .is_err()
        );
        let col = board
            .add_raci_col(&mut txn, &m, &NewCol::role("Dev"))
            .expect("col");
        assert!(
            board
                .set_raci_cell(&mut txn, &m, &n[0], &col, Some(Letter::R))
                .is_err(),
            "the note is not a row yet"
        );
        assert_eq!(board.raci(&txn, &n[0]), None);
    }

    #[test]
    fn a_matrix_survives_a_json_export_and_import() {
        let board = Board::with_client_id(1);
        let n = notes(&board, &["a", "b"]);
        let m = {
            let mut txn = board.transact_mut();
            let m = board
                .create_raci(
                    &mut txn,
                    NewRaci {
                        rows: n.clone(),
                        cols: vec![NewCol::person("p1", "Ann"), NewCol::role("QA")],
                        ..NewRaci::default()
                    },
                )
                .expect("matrix");
            let col = board.raci(&txn, &m).expect("read").cols[1].id.clone();
            board
                .set_raci_cell(&mut txn, &m, &n[1], &col, Some(Letter::A))
                .expect("cell");
            board.delete_item(&mut txn, &n[0]).expect("delete");
            m
        };
        let before = board.snapshot(&board.doc().transact());
        let json = crate::export::board_json(&before);
        let parsed = crate::export::parse_board_json(&json).expect("parse");
        let copy = Board::with_client_id(2);
        {
            let mut txn = copy.transact_mut();
            crate::export::restore_board(&copy, &mut txn, &parsed, "T", 0.0).expect("restore");
        }
        let after = copy.snapshot(&copy.doc().transact());
        assert_eq!(after.items[&m], before.items[&m]);
        assert_eq!(after.items[&m].raci.as_ref().map(|r| r.rows.len()), Some(2));

        let mut bad = before.items[&m].clone();
        bad.kind = ItemKind::Note;
        let mut txn = copy.transact_mut();
        assert!(copy.restore_item(&mut txn, "x", &bad).is_err());
    }

    #[test]
    fn undo_takes_back_one_click() {
        let board = Board::with_client_id(1);
        let n = notes(&board, &["a"]);
        let (m, col) = {
            let mut txn = board.transact_mut();
            let m = board
                .create_raci(
                    &mut txn,
                    NewRaci {
                        rows: n.clone(),
                        cols: vec![NewCol::role("Dev")],
                        ..NewRaci::default()
                    },
                )
                .expect("matrix");
            let col = board.raci(&txn, &m).expect("read").cols[0].id.clone();
            (m, col)
        };
        let mut undo = board.undo_manager(|| 0);
        {
            let mut txn = board.doc().transact_mut_with(LOCAL_ORIGIN);
            board
                .set_raci_cell(&mut txn, &m, &n[0], &col, Some(Letter::R))
                .expect("cell");
        }
        let read = || board.raci(&board.doc().transact(), &m).expect("read");
        assert_eq!(read().rows[0].cell(&col), Some(Letter::R));
        assert!(undo.undo_blocking());
        assert_eq!(read().rows[0].cell(&col), None);
    }
}
