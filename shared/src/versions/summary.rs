//! What changed between two states of a board, for the list of versions: how many items were
//! added, changed and removed, item by item (an item whose any value differs, from its text
//! to its position, counts once as changed).

use serde::{Deserialize, Serialize};

use crate::model::BoardSnapshot;

/// Items added, changed and removed since the version before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub added: u32,
    pub changed: u32,
    pub removed: u32,
}

impl Summary {
    pub fn is_empty(&self) -> bool {
        *self == Summary::default()
    }
}

/// What changed from `before` (`None`: an empty board) to `after`.
pub fn summarize(before: Option<&BoardSnapshot>, after: &BoardSnapshot) -> Summary {
    let mut summary = Summary::default();
    let Some(before) = before else {
        summary.added = after.items.len() as u32;
        return summary;
    };
    for (id, item) in &after.items {
        match before.items.get(id) {
            None => summary.added += 1,
            Some(old) if old != item => summary.changed += 1,
            Some(_) => {}
        }
    }
    summary.removed = before
        .items
        .keys()
        .filter(|id| !after.items.contains_key(*id))
        .count() as u32;
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, NewNote};
    use yrs::Transact;

    #[test]
    fn counts_items_added_changed_and_removed() {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        let a = board.create_note(&mut txn, NewNote::default()).expect("a");
        let b = board.create_note(&mut txn, NewNote::default()).expect("b");
        let _c = board.create_note(&mut txn, NewNote::default()).expect("c");
        let before = board.snapshot(&txn);
        assert_eq!(
            summarize(None, &before),
            Summary {
                added: 3,
                changed: 0,
                removed: 0
            }
        );
        board.move_item(&mut txn, &a, [50.0, 50.0]).expect("move");
        board.delete_item(&mut txn, &b).expect("delete");
        board.create_note(&mut txn, NewNote::default()).expect("d");
        board.create_note(&mut txn, NewNote::default()).expect("e");
        let after = board.snapshot(&txn);
        drop(txn);
        assert_eq!(
            summarize(Some(&before), &after),
            Summary {
                added: 2,
                changed: 1,
                removed: 1
            }
        );
        assert!(summarize(Some(&after), &after).is_empty());
        let _ = board.doc().transact();
    }
}
