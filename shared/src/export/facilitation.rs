//! The facilitation part of the Markdown backlog: who facilitated the board, from when to
//! when (the history the server keeps in the document), and the locks in place.

use std::fmt::Write;

use super::results::utc;
use crate::model::BoardSnapshot;

/// Appends "## Facilitation" when the board has a history or locks.
pub(super) fn write_facilitation(out: &mut String, board: &BoardSnapshot) {
    let history = &board.facilitation.history;
    if history.is_empty() && board.locks.is_empty() {
        return;
    }
    out.push_str("\n## Facilitation\n");
    if let Some(f) = &board.facilitation.facilitator {
        let _ = writeln!(out, "\nFacilitator now: {}", one_line(&f.name));
    }
    if !history.is_empty() {
        out.push_str("\n| facilitator | from | to |\n|---|---|---|\n");
        for turn in history {
            let to = turn.to.map_or_else(|| "now".to_owned(), utc);
            let _ = writeln!(out, "| {} | {} | {} |", cell(&turn.name), utc(turn.from), to);
        }
    }
    if !board.locks.is_empty() {
        let _ = writeln!(out, "\nLocked items: {}", board.locks.len());
        for (id, lock) in &board.locks {
            let what = board
                .items
                .get(id)
                .map(|i| one_line(&i.text))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| id.clone());
            let placement = if lock.placement { ", placement too" } else { "" };
            let _ = writeln!(out, "- {what} (by {}{placement})", one_line(&lock.by));
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilitation::{PersonRef, Turn};
    use crate::model::Board;
    use yrs::Transact;

    #[test]
    fn the_history_is_a_table_in_utc() {
        let board = Board::new();
        let mut snap = board.snapshot(&board.doc().transact());
        let mut out = String::new();
        write_facilitation(&mut out, &snap);
        assert!(out.is_empty(), "a board without facilitation writes nothing");
        snap.facilitation.facilitator = Some(PersonRef {
            id: "b".into(),
            name: "Bo | B".into(),
        });
        snap.facilitation.history = vec![
            Turn {
                person: "a".into(),
                name: "Ana".into(),
                from: 0,
                to: Some(3_600_000),
            },
            Turn {
                person: "b".into(),
                name: "Bo | B".into(),
                from: 3_600_000,
                to: None,
            },
        ];
        write_facilitation(&mut out, &snap);
        assert!(out.contains("Facilitator now: Bo | B"), "{out}");
        assert!(
            out.contains("| Ana | 1970-01-01 00:00 UTC | 1970-01-01 01:00 UTC |"),
            "{out}"
        );
        assert!(out.contains("| Bo \\| B | 1970-01-01 01:00 UTC | now |"), "{out}");
    }
}
