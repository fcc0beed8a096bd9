//! RACI matrices out: a Markdown table per matrix (in the Markdown backlog, rows that break
//! the rules flagged with why) and one CSV per matrix (`Item`, then one column per person or
//! role, then the letters), for a spreadsheet.
//!
//! Row labels are the linked items' text at export time ([`crate::raci::row_label`]), so the
//! export says what the board says now; a row whose item is gone reads [`DELETED_ROW`].

use std::fmt::Write;

use crate::model::BoardSnapshot;
use crate::raci::{DELETED_ROW, Raci, describe, matrices, row_label};

/// What the check column says of a row that meets the rules.
const OK: &str = "ok";

/// Every matrix of the board as a Markdown section (nothing for a board without one).
pub(super) fn write_racis(out: &mut String, board: &BoardSnapshot) {
    for (_, item, raci) in matrices(board) {
        let _ = writeln!(out, "\n## RACI: {}", cell(&item.text));
        write_table(out, board, raci);
    }
}

fn write_table(out: &mut String, board: &BoardSnapshot, raci: &Raci) {
    if raci.rows.is_empty() {
        out.push_str("\n_No rows._\n");
        return;
    }
    out.push_str("\n| Item |");
    for col in &raci.cols {
        let _ = write!(out, " {} |", cell(&col.label));
    }
    out.push_str(" Check |\n| --- |");
    for _ in &raci.cols {
        out.push_str(" :-: |");
    }
    out.push_str(" --- |\n");
    for row in &raci.rows {
        let label = match row_label(board, &row.item) {
            Some(text) => cell(text),
            None => format!("_{DELETED_ROW}_"),
        };
        let _ = write!(out, "| {label} |");
        for col in &raci.cols {
            let _ = write!(out, " {} |", row.cell(&col.id).map_or("", |l| l.as_str()));
        }
        let problems = row.problems();
        if problems.is_empty() {
            let _ = writeln!(out, " {OK} |");
        } else {
            let _ = writeln!(out, " ⚠ {} |", describe(&problems));
        }
    }
}

/// Matrix `id` of the board as CSV, or `None` if there is no such matrix.
pub fn raci_csv(board: &BoardSnapshot, id: &str) -> Option<String> {
    let raci = board.items.get(id)?.raci.as_ref()?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = std::iter::once("Item").chain(raci.cols.iter().map(|c| c.label.as_str()));
    // Writing to a Vec cannot fail, and every row has the header's length.
    let _ = writer.write_record(header);
    for row in &raci.rows {
        let label = row_label(board, &row.item).unwrap_or(DELETED_ROW);
        let letters = raci
            .cols
            .iter()
            .map(|c| row.cell(&c.id).map_or("", |l| l.as_str()));
        let _ = writer.write_record(std::iter::once(label).chain(letters));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    Some(String::from_utf8(bytes).unwrap_or_default())
}

/// Ids and titles of the board's matrices, in creation order (for choosing one to export).
pub fn raci_matrices(board: &BoardSnapshot) -> Vec<(String, String)> {
    matrices(board)
        .into_iter()
        .map(|(id, item, _)| (id.clone(), crate::raci::label_of(&item.text).to_owned()))
        .collect()
}

/// Text for one table cell: one line, `|` escaped.
fn cell(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        "(untitled)".into()
    } else {
        joined.replace('|', "\\|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, NewNote, NewRaci};
    use crate::raci::{Letter, NewCol};
    use yrs::Transact;

    /// "Checkout" (ok), "Refunds" (no A), a deleted note (2 As, no R), with Ann and Design lead.
    fn board() -> (Board, String) {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        board.init_meta(&mut txn, "Sprint", 0.0);
        let note = |txn: &mut yrs::TransactionMut, text: &str| {
            board
                .create_note(
                    txn,
                    NewNote {
                        text: text.into(),
                        ..NewNote::default()
                    },
                )
                .expect("note")
        };
        let rows = vec![
            note(&mut txn, "Checkout"),
            note(&mut txn, "Refunds | returns\nsecond line"),
            note(&mut txn, "Gone"),
        ];
        let m = board
            .create_raci(
                &mut txn,
                NewRaci {
                    title: "Owners".into(),
                    rows: rows.clone(),
                    cols: vec![NewCol::person("p1", "Ann"), NewCol::role("Design lead")],
                    ..NewRaci::default()
                },
            )
            .expect("matrix");
        let cols: Vec<String> = board
            .raci(&txn, &m)
            .expect("read")
            .cols
            .into_iter()
            .map(|c| c.id)
            .collect();
        let mut set = |row: &str, col: &str, l| {
            board
                .set_raci_cell(&mut txn, &m, row, col, Some(l))
                .expect("cell")
        };
        set(&rows[0], &cols[0], Letter::A);
        set(&rows[0], &cols[1], Letter::R);
        set(&rows[1], &cols[1], Letter::R);
        set(&rows[2], &cols[0], Letter::A);
        set(&rows[2], &cols[1], Letter::A);
        board.delete_item(&mut txn, &rows[2]).expect("delete");
        drop(txn);
        (board, m)
    }

    #[test]
    fn markdown_has_a_table_per_matrix_with_broken_rows_flagged() {
        let (board, _) = board();
        let md = super::super::markdown(&board.snapshot(&board.doc().transact()));
        let expected = "\n## RACI: Owners\n\n\
            | Item | Ann | Design lead | Check |\n\
            | --- | :-: | :-: | --- |\n\
            | Checkout | A | R | ok |\n\
            | Refunds \\| returns |  | R | ⚠ no A |\n\
            | _(deleted)_ | A | A | ⚠ 2 As, no R |\n";
        assert!(md.contains(expected), "{md}");
    }

    #[test]
    fn csv_has_one_column_per_person_or_role() {
        let (board, m) = board();
        let snap = board.snapshot(&board.doc().transact());
        let csv = raci_csv(&snap, &m).expect("matrix");
        assert_eq!(
            csv,
            "Item,Ann,Design lead\n\
             Checkout,A,R\n\
             Refunds | returns,,R\n\
             (deleted),A,A\n"
        );
        assert_eq!(raci_csv(&snap, "nope"), None);
        assert_eq!(raci_matrices(&snap), [(m, "Owners".to_owned())]);
    }

    #[test]
    fn renaming_the_story_renames_the_row() {
        let (board, m) = board();
        let first = board.raci(&board.doc().transact(), &m).expect("read").rows[0]
            .item
            .clone();
        {
            let mut txn = board.transact_mut();
            board
                .insert_text(&mut txn, &first, 0, "Fast ")
                .expect("text");
        }
        let csv = raci_csv(&board.snapshot(&board.doc().transact()), &m).expect("csv");
        assert!(csv.contains("\nFast Checkout,A,R\n"), "{csv}");
    }
}
