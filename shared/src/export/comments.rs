//! The comments part of the Markdown backlog: every thread, under what it is attached to
//! (the item's text, "a point on the board", or "a deleted item"), open ones first, each
//! comment with its author, time (UTC), and edits; deleted comments say so.
//!
//! The threads are not in the document: the server puts them into the snapshot it exports
//! ([`BoardSnapshot::comments`]), so a snapshot without them writes no section.

use std::fmt::Write;

use super::results::utc;
use crate::comments::{Anchor, Thread};
use crate::model::BoardSnapshot;

/// Appends "## Comments" when the board has threads.
pub(super) fn write_comments(out: &mut String, board: &BoardSnapshot) {
    if board.comments.is_empty() {
        return;
    }
    let mut threads: Vec<&Thread> = board.comments.iter().collect();
    // Open first, then in the order they were started.
    crate::sort::sort_by_key(&mut threads, |t| {
        (
            !t.is_open(),
            t.comments.first().map_or(0, |c| c.created_at),
            t.id.clone(),
        )
    });
    out.push_str("\n## Comments\n");
    for t in threads {
        let on = match &t.anchor {
            Anchor::Item { item } => match board.items.get(item) {
                Some(i) if !one_line(&i.text).is_empty() => format!("On \"{}\"", one_line(&i.text)),
                Some(i) => format!("On a {}", i.kind.as_str()),
                None => "On a deleted item".to_owned(),
            },
            Anchor::Point { pos } => format!("On the board at ({:.0}, {:.0})", pos[0], pos[1]),
        };
        let state = match &t.resolved {
            Some(r) => format!("resolved by {} {}", one_line(&r.name), utc(r.at)),
            None => "open".to_owned(),
        };
        let _ = writeln!(out, "\n### {on} ({state})\n");
        for c in &t.comments {
            if c.deleted {
                let _ = writeln!(
                    out,
                    "- _deleted comment_ ({}, {})",
                    one_line(&c.name),
                    utc(c.created_at)
                );
                continue;
            }
            let edited = if c.edited_at.is_some() {
                ", edited"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "- **{}** ({}{edited}): {}",
                one_line(&c.name),
                utc(c.created_at),
                one_line(&c.text)
            );
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comments::{Comment, Resolution};
    use crate::model::{Board, NewNote};
    use yrs::Transact;

    fn comment(id: &str, name: &str, text: &str, at: u64) -> Comment {
        Comment {
            id: id.into(),
            author: format!("p-{name}"),
            name: name.into(),
            text: text.into(),
            mentions: Vec::new(),
            created_at: at,
            edited_at: None,
            deleted: false,
        }
    }

    #[test]
    fn threads_are_listed_under_their_item_open_first_with_deleted_ones_marked() {
        let board = Board::new();
        let note = {
            let mut txn = board.transact_mut();
            board
                .create_note(
                    &mut txn,
                    NewNote {
                        text: "Pay with saved card".into(),
                        ..NewNote::default()
                    },
                )
                .unwrap()
        };
        let mut snap = board.snapshot(&board.doc().transact());
        assert!(!crate::export::markdown(&snap).contains("## Comments"));
        let mut gone = comment("c3", "Cy", "was here", 3_000);
        gone.deleted = true;
        gone.text.clear();
        snap.comments = vec![
            Thread {
                id: "t-resolved".into(),
                anchor: Anchor::Item { item: note.clone() },
                comments: vec![comment("c1", "Ann", "Is this small?", 1_000)],
                resolved: Some(Resolution {
                    by: "p-Bo".into(),
                    name: "Bo".into(),
                    at: 2_000,
                }),
            },
            Thread {
                id: "t-open".into(),
                anchor: Anchor::Item {
                    item: "gone".into(),
                },
                comments: vec![comment("c2", "Bo", "Why?", 2_500), gone],
                resolved: None,
            },
        ];
        let md = crate::export::markdown(&snap);
        let section = &md[md.find("## Comments").unwrap()..];
        let open = section.find("On a deleted item (open)").unwrap();
        let resolved = section
            .find("On \"Pay with saved card\" (resolved by Bo")
            .unwrap();
        assert!(open < resolved, "{section}");
        assert!(section.contains("- **Ann** ("));
        assert!(section.contains(": Is this small?"));
        assert!(section.contains("- _deleted comment_ (Cy,"));
        assert!(!section.contains("was here"));
    }
}
