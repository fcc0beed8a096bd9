//! Turning a board back to an earlier state of itself (a version's restore), as one
//! transaction: items the version does not have are deleted, items it has are written back
//! under their own ids where they differ, and its template comes back.
//!
//! Written as ordinary changes on top of today's document (never by replacing the document),
//! so that every replica merges the restore like any other edit and nothing of the history a
//! later restore may want is lost.

use yrs::TransactionMut;

use super::board::Board;
use super::snapshot::BoardSnapshot;

/// What a rewind did, by item id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rewound {
    /// Items the board had that the version does not: deleted.
    pub deleted: Vec<String>,
    /// Items written back (missing from the board, or different from the version).
    pub written: Vec<String>,
    /// Items of the version whose stored values the model refuses (a position that is not
    /// a number, ...): left as the board has them. Empty for versions this server wrote
    /// from documents it checked.
    pub refused: Vec<String>,
}

impl Board {
    /// Makes the board's items what `version` holds, given `current`, the board's own
    /// snapshot in this transaction. The title is left alone (the owner's, through Rename);
    /// server-written records (round results, decisions, facilitation, locks) are left as
    /// they are, since the server's own state of them does not go back in time.
    pub fn rewind(
        &self,
        txn: &mut TransactionMut,
        current: &BoardSnapshot,
        version: &BoardSnapshot,
    ) -> Rewound {
        let doomed: Vec<String> = current
            .items
            .keys()
            .filter(|id| !version.items.contains_key(*id))
            .cloned()
            .collect();
        let mut done = Rewound {
            deleted: self.delete_items(txn, &doomed),
            ..Rewound::default()
        };
        for (id, item) in &version.items {
            // Deleting an item above also deletes the connectors attached to it, so look
            // at the document, not only at `current`.
            let same = current.items.get(id) == Some(item) && self.has_item(txn, id);
            if same {
                continue;
            }
            match self.restore_item(txn, id, item) {
                Ok(()) => done.written.push(id.clone()),
                Err(_) => done.refused.push(id.clone()),
            }
        }
        if version.meta.template != current.meta.template
            && let Some(template) = &version.meta.template
        {
            self.set_template(txn, template);
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewNote;
    use yrs::{ReadTxn, StateVector, Transact, Update, updates::decoder::Decode};

    fn note(board: &Board, text: &str) -> String {
        board
            .create_note(
                &mut board.transact_mut(),
                NewNote {
                    text: text.into(),
                    ..NewNote::default()
                },
            )
            .expect("note")
    }

    #[test]
    fn a_rewind_brings_back_deleted_items_and_removes_later_ones() {
        let board = Board::with_client_id(1);
        let kept = note(&board, "kept");
        let gone = note(&board, "deleted later");
        let version = board.snapshot(&board.doc().transact());

        board
            .delete_item(&mut board.transact_mut(), &gone)
            .expect("delete");
        let later = note(&board, "added later");
        board
            .insert_text(&mut board.transact_mut(), &kept, 0, "edited ")
            .expect("edit");

        // Another replica that saw everything so far.
        let other = Board::with_client_id(2);
        let all = board
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        other
            .doc()
            .transact_mut()
            .apply_update(Update::decode_v1(&all).expect("decode"))
            .expect("apply");

        let before = board.doc().transact().state_vector();
        let done = {
            let mut txn = board.transact_mut();
            let current = board.snapshot(&txn);
            board.rewind(&mut txn, &current, &version)
        };
        assert_eq!(done.deleted, vec![later.clone()]);
        assert_eq!(done.written.len(), 2, "{done:?}"); // the edited note and the deleted one
        assert!(done.refused.is_empty());
        assert_eq!(board.snapshot(&board.doc().transact()).items, version.items);

        // The rewind is one update that another replica merges to the same board.
        let update = board.doc().transact().encode_state_as_update_v1(&before);
        other
            .doc()
            .transact_mut()
            .apply_update(Update::decode_v1(&update).expect("decode"))
            .expect("apply");
        assert_eq!(other.snapshot(&other.doc().transact()).items, version.items);
    }

    #[test]
    fn rewinding_to_the_same_state_writes_nothing() {
        let board = Board::with_client_id(1);
        note(&board, "a");
        let version = board.snapshot(&board.doc().transact());
        let mut txn = board.transact_mut();
        let current = board.snapshot(&txn);
        assert_eq!(
            board.rewind(&mut txn, &current, &version),
            Rewound::default()
        );
    }
}
