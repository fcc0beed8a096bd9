//! Undo and redo of your own changes only.
//!
//! Every local gesture is a transaction with origin [`LOCAL_ORIGIN`]; updates from the server
//! use [`REMOTE_ORIGIN`] and updates restored from the browser's storage [`RESTORE_ORIGIN`].
//! The undo manager of [`Board::undo_manager`] tracks only [`LOCAL_ORIGIN`], so undo never
//! reverts what someone else did (DESIGN.md: "Undo and redo undo your own changes only").
//!
//! Undo through [`Board::undo`] and [`Board::redo`], not the manager's own methods: yrs (like
//! Yjs) cannot always bring back an overwritten map value. When you delete a note while
//! someone else moves or restacks it, undoing the delete restores the note but not the keys
//! they changed, and a note without a `z` rank would sort unpredictably. These wrappers give
//! such items a fresh rank in a follow-up transaction (origin `huddle-repair`, not undoable).
//! A lost position reads as `[0, 0]`; a lost colour or size reads as the default.
//!
//! yrs gets the time from the caller: wasm32 has no system clock for it (the browser passes
//! `js_sys::Date::now()`), and yrs 0.28 has no `undo::Options::default()` there.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use yrs::sync::Clock;
use yrs::{Map, Origin, Out, Transact, TransactionMut};

use super::Board;
use super::keys;
use super::values::read_string;
use crate::rank;

/// Origin of transactions made by this replica's user: the only origin undo tracks.
pub const LOCAL_ORIGIN: &str = "huddle-local";
/// Origin of updates received from the server.
pub const REMOTE_ORIGIN: &str = "huddle-remote";
/// Origin of updates restored from local storage (IndexedDB) when a board opens.
pub const RESTORE_ORIGIN: &str = "huddle-restore";
/// Origin of the fix-ups [`Board::undo`] makes after an undo: sent like local edits, but not
/// themselves undoable (and so they do not clear the redo stack).
const REPAIR_ORIGIN: &str = "huddle-repair";

/// Local transactions closer together than this merge into one undo step, so typing a word is
/// one step, not one per key. Call [`UndoManager::reset`] at the end of a gesture to cut a step
/// early (a drop, a delete, a paste).
pub const UNDO_CAPTURE_MS: u64 = 500;

/// The undo manager Huddle uses (no per-step metadata).
pub type UndoManager = yrs::undo::UndoManager<()>;

/// Makes the caller's clock monotonic: yrs subtracts timestamps as `u64`, and a wall clock that
/// steps back (NTP, a user changing the time) would underflow.
struct MonotonicClock<F> {
    now_ms: F,
    last: AtomicU64,
}

impl<F: Fn() -> u64 + Send + Sync> Clock for MonotonicClock<F> {
    fn now(&self) -> u64 {
        let now = (self.now_ms)();
        let prev = self.last.fetch_max(now, Ordering::Relaxed);
        now.max(prev)
    }
}

impl Board {
    /// Opens a read-write transaction for a local gesture (origin [`LOCAL_ORIGIN`]): what the
    /// undo manager records.
    pub fn transact_local(&self) -> TransactionMut<'_> {
        self.doc().transact_mut_with(LOCAL_ORIGIN)
    }

    /// An undo manager over the board's `items` and `meta` that records only transactions
    /// opened with [`Board::transact_local`]. `now_ms` is a clock in milliseconds (any epoch).
    ///
    /// Must not be called while a transaction on the board is open (yrs registers an observer).
    pub fn undo_manager(&self, now_ms: impl Fn() -> u64 + Send + Sync + 'static) -> UndoManager {
        let options = yrs::undo::Options {
            capture_timeout_millis: UNDO_CAPTURE_MS,
            // The manager adds its own origin (for its undo/redo transactions) in
            // `expand_scope`; with two origins tracked, transactions without an origin are not.
            tracked_origins: HashSet::from([Origin::from(LOCAL_ORIGIN)]),
            capture_transaction: None,
            timestamp: Arc::new(MonotonicClock {
                now_ms,
                last: AtomicU64::new(0),
            }),
            init_undo_stack: Vec::new(),
            init_redo_stack: Vec::new(),
        };
        let mut undo = UndoManager::with_options(options);
        undo.expand_scope(self.doc(), &self.items);
        undo.expand_scope(self.doc(), &self.meta);
        undo
    }

    /// Undoes the last local step, then repairs what the undo could not restore (see the
    /// module docs). Returns whether anything changed. No transaction may be open.
    pub fn undo(&self, undo: &mut UndoManager) -> bool {
        let changed = undo.undo_blocking();
        if changed {
            self.repair_ranks();
        }
        changed
    }

    /// Redoes the last undone step, with the same repair as [`Board::undo`].
    pub fn redo(&self, undo: &mut UndoManager) -> bool {
        let changed = undo.redo_blocking();
        if changed {
            self.repair_ranks();
        }
        changed
    }

    /// Gives every item without a valid rank one on top (in id order, so the fix is the same
    /// whoever makes it). A linear scan, once per undo.
    fn repair_ranks(&self) {
        let mut broken: Vec<(String, yrs::MapRef)> = {
            let txn = self.doc().transact();
            self.items
                .iter(&txn)
                .filter_map(|(id, value)| match value {
                    Out::YMap(item) => {
                        let z = read_string(&txn, &item, keys::Z);
                        let ok = z.is_some_and(|z| rank::is_valid(&z));
                        (!ok).then(|| (id.to_owned(), item))
                    }
                    _ => None,
                })
                .collect()
        };
        if broken.is_empty() {
            return;
        }
        crate::sort::sort_by(&mut broken, |a, b| a.0.cmp(&b.0));
        let mut txn = self.doc().transact_mut_with(REPAIR_ORIGIN);
        let mut top = self.top_z(&txn);
        for (_, item) in broken {
            let z = rank::after(top.as_deref());
            item.insert(&mut txn, keys::Z, z.as_str());
            top = Some(z);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use yrs::updates::decoder::Decode;
    use yrs::{ReadTxn, Transact, Update};

    use super::*;
    use crate::model::{Color, NewNote};

    /// Sends everything `from` has that `to` lacks, as the network would (origin remote).
    fn sync(from: &Board, to: &Board) {
        let sv = to.doc().transact().state_vector();
        let update = from.doc().transact().encode_state_as_update_v1(&sv);
        let mut txn = to.doc().transact_mut_with(REMOTE_ORIGIN);
        txn.apply_update(Update::decode_v1(&update).expect("decode"))
            .expect("apply");
    }

    fn note(board: &Board, text: &str) -> String {
        let mut txn = board.transact_local();
        let note = NewNote {
            text: text.into(),
            ..Default::default()
        };
        board.create_note(&mut txn, note).expect("create")
    }

    fn texts(board: &Board) -> Vec<String> {
        let snapshot = board.snapshot(&board.doc().transact());
        let mut texts: Vec<_> = snapshot.items.into_values().map(|i| i.text).collect();
        texts.sort();
        texts
    }

    /// A test clock that jumps past the capture window on every read, so each transaction is
    /// its own undo step.
    fn stepping_clock() -> impl Fn() -> u64 + Send + Sync + 'static {
        let t = Arc::new(AtomicU64::new(1));
        move || t.fetch_add(UNDO_CAPTURE_MS + 1, Ordering::Relaxed)
    }

    #[test]
    fn undo_reverts_only_local_changes_and_syncs() {
        let (a, b) = (Board::with_client_id(1), Board::with_client_id(2));
        let mut undo = a.undo_manager(stepping_clock());
        let mine = note(&a, "mine");
        sync(&a, &b);
        let theirs = note(&b, "theirs");
        sync(&b, &a);
        {
            let mut txn = b.transact_local();
            b.recolor(&mut txn, &mine, Color::Blue).expect("recolor");
        }
        sync(&b, &a);
        // A recolor by B is a remote change on A: undo skips it and removes A's note.
        assert!(undo.undo_blocking());
        assert_eq!(texts(&a), ["theirs"]);
        assert!(!undo.undo_blocking(), "nothing of A's left to undo");
        sync(&a, &b);
        assert_eq!(texts(&b), ["theirs"], "the undo travels like any edit");
        assert!(undo.redo_blocking());
        assert_eq!(texts(&a), ["mine", "theirs"]);
        sync(&a, &b);
        assert_eq!(texts(&b), ["mine", "theirs"]);
        let txn = a.doc().transact();
        assert!(a.item_snapshot(&txn, &theirs).is_some());
    }

    #[test]
    fn undo_keeps_a_concurrent_remote_edit_of_the_same_item() {
        let (a, b) = (Board::with_client_id(1), Board::with_client_id(2));
        let mut undo = a.undo_manager(stepping_clock());
        let id = note(&b, "shared");
        sync(&b, &a);
        {
            let mut txn = a.transact_local();
            a.move_item(&mut txn, &id, [300.0, 40.0]).expect("move");
        }
        {
            let mut txn = b.transact_local();
            b.recolor(&mut txn, &id, Color::Green).expect("recolor");
        }
        sync(&a, &b);
        sync(&b, &a);
        assert!(undo.undo_blocking());
        sync(&a, &b);
        for board in [&a, &b] {
            let item = board
                .item_snapshot(&board.doc().transact(), &id)
                .expect("item");
            assert_eq!(item.pos, [0.0, 0.0], "A's move is undone");
            assert_eq!(item.color, "green", "B's recolor stays");
        }
        assert!(undo.redo_blocking());
        let item = a.item_snapshot(&a.doc().transact(), &id).expect("item");
        assert_eq!((item.pos, item.color.as_str()), ([300.0, 40.0], "green"));
    }

    #[test]
    fn undoing_a_delete_that_raced_an_edit_leaves_a_valid_rank() {
        let (a, b) = (Board::with_client_id(1), Board::with_client_id(2));
        let mut undo = a.undo_manager(stepping_clock());
        let id = note(&b, "raced");
        note(&b, "other");
        sync(&b, &a);
        {
            let mut txn = a.transact_local();
            a.delete_item(&mut txn, &id).expect("delete");
        }
        {
            let mut txn = b.transact_local();
            b.send_to_back(&mut txn, std::slice::from_ref(&id));
            b.move_item(&mut txn, &id, [5.0, 5.0]).expect("move");
        }
        sync(&b, &a);
        sync(&a, &b);
        assert!(a.undo(&mut undo));
        sync(&a, &b);
        for board in [&a, &b] {
            let item = board
                .item_snapshot(&board.doc().transact(), &id)
                .expect("back");
            assert!(crate::rank::is_valid(&item.z), "{:?}", item.z);
            assert_eq!(item.text, "raced");
        }
        assert!(
            !undo.can_redo() || undo.redo_stack().len() == 1,
            "repair is not a step"
        );
        assert_eq!(undo.undo_stack().len(), 0);
    }

    #[test]
    fn remote_restore_and_originless_transactions_are_not_tracked() {
        let board = Board::with_client_id(1);
        let mut undo = board.undo_manager(stepping_clock());
        for origin in [REMOTE_ORIGIN, RESTORE_ORIGIN] {
            let mut txn = board.doc().transact_mut_with(origin);
            board
                .create_note(&mut txn, NewNote::default())
                .expect("create");
        }
        {
            let mut txn = board.transact_mut();
            board
                .create_note(&mut txn, NewNote::default())
                .expect("create");
        }
        assert!(!undo.can_undo());
        assert!(!undo.undo_blocking());
        assert_eq!(board.item_count(&board.doc().transact()), 3);
    }

    #[test]
    fn quick_edits_merge_until_reset() {
        let board = Board::with_client_id(1);
        let clock = Arc::new(AtomicU64::new(1000));
        let now = clock.clone();
        let mut undo = board.undo_manager(move || now.load(Ordering::Relaxed));
        let id = note(&board, "");
        undo.reset();
        for (i, c) in ["a", "b", "c"].into_iter().enumerate() {
            let mut txn = board.transact_local();
            board.insert_text(&mut txn, &id, i as u32, c).expect("type");
            clock.fetch_add(10, Ordering::Relaxed);
        }
        assert_eq!(texts(&board), ["abc"]);
        assert!(undo.undo_blocking());
        assert_eq!(texts(&board), [""], "one burst of typing is one step");
        assert!(undo.undo_blocking());
        assert!(texts(&board).is_empty());
    }

    #[test]
    fn a_clock_going_back_does_not_panic() {
        let board = Board::with_client_id(1);
        let t = Arc::new(AtomicU64::new(10_000));
        let now = t.clone();
        let mut undo = board.undo_manager(move || now.fetch_sub(1000, Ordering::Relaxed));
        note(&board, "x");
        note(&board, "y");
        assert!(undo.undo_blocking());
        assert_eq!(board.item_count(&board.doc().transact()), 0);
    }
}
