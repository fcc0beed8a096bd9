//! Locks against real yrs documents: a server board, a person's replica that edits, and the
//! verdict on each of their updates (checked against what applying it really does).
//!
//! - here: helpers, and the edits a page makes to a locked note;
//! - `crafted`: updates no page writes (origins on old values, resent blocks, cycles), and
//!   the index extended with the facilitator's edits;
//! - `placement`: maps locked for placement;
//! - `props`: random boards, locks and edits, seeded.

mod crafted;
mod placement;
mod props;

use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{Any, Map, MapPrelim, Out, ReadTxn, StateVector, Transact, TransactionMut, Update};

use super::{LockError, LockIndex, Locks, Verdict};
use crate::model::{Board, NewNote, StoryFields};

/// Client id of the server's replica (the one the index is built from).
pub(super) const SERVER: u64 = 1;
/// Client id of the person who edits.
pub(super) const ALICE: u64 = 2;
/// Client id of the facilitator, whose edits of locked items the server applies.
pub(super) const FACILITATOR: u64 = 3;

pub(super) fn state(board: &Board) -> Vec<u8> {
    board
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
}

pub(super) fn apply(board: &Board, update: &[u8]) {
    let update = Update::decode_v1(update).expect("decodes");
    board
        .doc()
        .transact_mut()
        .apply_update(update)
        .expect("applies");
}

/// Applies `update` as the server does, returning what the transaction encodes (the update
/// as applied, with the values yrs deleted because new ones replaced them): what
/// [`LockIndex::extend`] is given.
pub(super) fn apply_encoded(board: &Board, update: &[u8]) -> Vec<u8> {
    let update = Update::decode_v1(update).expect("decodes");
    let mut txn = board.doc().transact_mut();
    txn.apply_update(update).expect("applies");
    txn.encode_update_v1()
}

/// A replica of `from` with its own client id.
pub(super) fn replica(from: &Board, client: u64) -> Board {
    let board = Board::with_client_id(client);
    apply(&board, &state(from));
    board
}

/// The update of one transaction on `board`.
pub(super) fn edit(board: &Board, f: impl FnOnce(&Board, &mut TransactionMut)) -> Vec<u8> {
    let before = board.doc().transact().state_vector();
    {
        let mut txn = board.transact_mut();
        f(board, &mut txn);
    }
    board.doc().transact().encode_state_as_update_v1(&before)
}

/// Item `id` as JSON (`None` if gone), to tell whether an update changed it.
pub(super) fn item_json(board: &Board, id: &str) -> Option<Any> {
    let txn = board.doc().transact();
    match board.items_root().get(&txn, id)? {
        Out::YMap(map) => Some(map.to_json(&txn)),
        other => Some(Any::String(format!("{other:?}").into())),
    }
}

pub(super) fn note(board: &Board, text: &str) -> String {
    let mut txn = board.transact_mut();
    let note = NewNote {
        text: text.to_owned(),
        ..NewNote::default()
    };
    board.create_note(&mut txn, note).expect("note")
}

/// A server board with notes `locked` and `free` ("hello" each), the index with `locked`
/// locked, and Alice's replica.
pub(super) struct Fixture {
    server: Board,
    alice: Board,
    locked: String,
    free: String,
    index: LockIndex,
}

impl Fixture {
    fn new() -> Self {
        let server = Board::with_client_id(SERVER);
        let locked = note(&server, "hello");
        let free = note(&server, "hello");
        let mut locks = Locks::new();
        locks.lock(locked.clone());
        let index = LockIndex::build(&state(&server), &locks).expect("builds");
        let alice = replica(&server, ALICE);
        Fixture {
            server,
            alice,
            locked,
            free,
            index,
        }
    }

    /// Alice's edit: its verdict, after checking it really does (or does not) change the
    /// locked note when applied.
    fn alice(&self, f: impl FnOnce(&Board, &mut TransactionMut)) -> Verdict {
        let update = edit(&self.alice, f);
        let verdict = self.index.check(&update).expect("checks");
        let probe = replica(&self.server, 99);
        let before = item_json(&probe, &self.locked);
        apply(&probe, &update);
        let changed = item_json(&probe, &self.locked) != before;
        assert_eq!(
            changed,
            verdict != Verdict::Clean,
            "verdict {verdict:?}, changed {changed}"
        );
        verdict
    }

    fn touches(&self) -> Verdict {
        Verdict::Touches {
            item: self.locked.clone(),
        }
    }
}

#[test]
fn moving_resizing_and_recolouring_a_locked_note_touches_it() {
    let f = Fixture::new();
    let id = f.locked.clone();
    assert_eq!(
        f.alice(|b, t| b.move_item(t, &id, [5.0, 6.0]).unwrap()),
        f.touches()
    );
    assert_eq!(
        f.alice(|b, t| b.resize_item(t, &id, [50.0, 60.0]).unwrap()),
        f.touches()
    );
    assert_eq!(
        f.alice(|b, t| b.recolor(t, &id, crate::model::Color::Blue).unwrap()),
        f.touches()
    );
}

#[test]
fn typing_anywhere_in_a_locked_note_or_deleting_its_text_touches_it() {
    let f = Fixture::new();
    let id = f.locked.clone();
    for at in [0, 2, 5] {
        assert_eq!(
            f.alice(|b, t| b.insert_text(t, &id, at, "x").unwrap()),
            f.touches(),
            "insert at {at}"
        );
    }
    assert_eq!(
        f.alice(|b, t| b.delete_text(t, &id, 1, 2).unwrap()),
        f.touches()
    );
}

#[test]
fn deleting_or_replacing_a_locked_note_touches_it() {
    let f = Fixture::new();
    let id = f.locked.clone();
    assert_eq!(f.alice(|b, t| b.delete_item(t, &id).unwrap()), f.touches());
    let f = Fixture::new();
    let id = f.locked.clone();
    assert_eq!(
        f.alice(|b, t| {
            b.items_root().insert(t, id.as_str(), MapPrelim::default());
        }),
        f.touches()
    );
}

#[test]
fn a_new_key_on_a_locked_note_touches_it() {
    let f = Fixture::new();
    let id = f.locked.clone();
    let fields = StoryFields {
        estimate: Some(3.0),
        ..StoryFields::default()
    };
    assert_eq!(
        f.alice(|b, t| b.set_story_fields(t, &id, &fields).unwrap()),
        f.touches()
    );
}

#[test]
fn edits_of_unlocked_items_pass_and_a_mix_does_not() {
    let f = Fixture::new();
    let (free, locked) = (f.free.clone(), f.locked.clone());
    assert_eq!(
        f.alice(|b, t| {
            b.move_item(t, &free, [1.0, 1.0]).unwrap();
            b.insert_text(t, &free, 5, " world").unwrap();
            b.delete_text(t, &free, 0, 1).unwrap();
        }),
        Verdict::Clean
    );
    assert_eq!(
        f.alice(|b, t| b.delete_item(t, &free).unwrap()),
        Verdict::Clean
    );
    assert_eq!(
        f.alice(|b, t| {
            let n = b.create_note(t, NewNote::default()).unwrap();
            b.move_item(t, &n, [3.0, 3.0]).unwrap();
        }),
        Verdict::Clean
    );
    assert_eq!(
        f.alice(|b, t| {
            b.insert_text(t, &locked, 0, "!").unwrap();
        }),
        f.touches()
    );
    let f = Fixture::new();
    let (free, locked) = (f.free.clone(), f.locked.clone());
    assert_eq!(
        f.alice(|b, t| {
            b.move_item(t, &free, [1.0, 1.0]).unwrap();
            b.move_item(t, &locked, [1.0, 1.0]).unwrap();
        }),
        f.touches()
    );
}
