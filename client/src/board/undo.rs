//! Undo and redo of this page's own changes only: a yrs `UndoManager` over the `items` and
//! `meta` roots that tracks only transactions with origin [`super::LOCAL_ORIGIN`], so a
//! remote edit is never undone by us. A local stand-in until the model's
//! `Board::undo_manager` lands (issue 3, MODEL part).

use std::collections::HashSet;
use std::sync::Arc;

use huddle_shared::model::Board;
use huddle_shared::yrs::undo::Options;
use huddle_shared::yrs::{Origin, UndoManager};

use super::LOCAL_ORIGIN;
use super::sync::roots;

/// Edits closer together than this (ms) merge into one step unless a gesture ends between
/// them: typing a word is one step, not one per letter.
const CAPTURE_MS: u64 = 500;

pub struct Undo {
    manager: UndoManager,
}

impl Undo {
    /// `clock` gives milliseconds (wasm32 has no clock for yrs: pass `Date.now()`).
    pub fn new(board: &Board, clock: fn() -> u64) -> Undo {
        let options = Options {
            capture_timeout_millis: CAPTURE_MS,
            tracked_origins: HashSet::from([Origin::from(LOCAL_ORIGIN)]),
            capture_transaction: None,
            timestamp: Arc::new(clock),
            init_undo_stack: Vec::new(),
            init_redo_stack: Vec::new(),
        };
        let mut manager = UndoManager::with_options(options);
        let (items, meta) = roots(board.doc());
        manager.expand_scope(board.doc(), &items);
        manager.expand_scope(board.doc(), &meta);
        Undo { manager }
    }

    /// Ends the current step: the next change starts a new one.
    pub fn reset(&mut self) {
        self.manager.reset();
    }

    pub fn undo(&mut self) -> bool {
        self.manager.undo_blocking()
    }

    pub fn redo(&mut self) -> bool {
        self.manager.redo_blocking()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::model::NewNote;
    use huddle_shared::yrs::{ReadTxn, Transact, Update, updates::decoder::Decode};

    fn clock() -> u64 {
        0
    }

    #[test]
    fn undoes_only_local_changes_one_gesture_at_a_time() {
        let board = Board::with_client_id(1);
        let mut undo = Undo::new(&board, clock);
        let id = {
            let mut txn = board.doc().transact_mut_with(LOCAL_ORIGIN);
            board.create_note(&mut txn, NewNote::default()).unwrap()
        };
        undo.reset();
        {
            let mut txn = board.doc().transact_mut_with(LOCAL_ORIGIN);
            board.move_item(&mut txn, &id, [50.0, 50.0]).unwrap();
        }
        undo.reset();

        // Someone else types into the note.
        let other = Board::with_client_id(2);
        let update = board
            .doc()
            .transact()
            .encode_state_as_update_v1(&Default::default());
        other
            .doc()
            .transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        let sv = other.doc().transact().state_vector();
        other
            .insert_text(&mut other.transact_mut(), &id, 0, "theirs")
            .unwrap();
        let theirs = other.doc().transact().encode_diff_v1(&sv);
        board
            .doc()
            .transact_mut_with("huddle-remote")
            .apply_update(Update::decode_v1(&theirs).unwrap())
            .unwrap();

        let pos = |b: &Board| b.item_snapshot(&b.doc().transact(), &id).map(|i| i.pos);
        assert!(undo.undo());
        assert_eq!(pos(&board), Some([0.0, 0.0]));
        let text = board
            .item_snapshot(&board.doc().transact(), &id)
            .map(|i| i.text);
        assert_eq!(text.as_deref(), Some("theirs"));
        assert!(undo.redo());
        assert_eq!(pos(&board), Some([50.0, 50.0]));
        assert!(undo.undo());
        assert!(undo.undo());
        assert!(board.item_snapshot(&board.doc().transact(), &id).is_none());
    }
}
