//! Locks against real yrs documents: a server board, a person's replica that edits, and the
//! verdict on each of their updates (checked against what applying it really does).

use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{Any, Map, MapPrelim, Out, ReadTxn, StateVector, Transact, TransactionMut, Update};

use super::{LockError, LockIndex, Locks, Verdict};
use crate::model::{Board, NewNote, StoryFields};

/// Client id of the server's replica (the one the index is built from).
const SERVER: u64 = 1;
/// Client id of the person who edits.
const ALICE: u64 = 2;
/// Client id of the facilitator, whose edits of locked items the server applies.
const FACILITATOR: u64 = 3;

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

fn note(board: &Board, text: &str) -> String {
    let mut txn = board.transact_mut();
    let note = NewNote {
        text: text.to_owned(),
        ..NewNote::default()
    };
    board.create_note(&mut txn, note).expect("note")
}

/// A server board with notes `locked` and `free` ("hello" each), the index with `locked`
/// locked, and Alice's replica.
struct Fixture {
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

/// Writes an update of one block: client `client` at `clock`, left origin `origin`, holding
/// `Any` array [x, y] (a `pos` value).
fn crafted_pos(client: u64, clock: u32, origin: (u64, u32), right: Option<(u64, u32)>) -> Vec<u8> {
    let mut out = Vec::new();
    let var = |out: &mut Vec<u8>, mut v: u64| {
        while v >= 0x80 {
            out.push((v as u8 & 0x7F) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    };
    out.push(1); // one client section
    out.push(1); // one block
    var(&mut out, client);
    var(&mut out, clock.into());
    out.push(0x80 | if right.is_some() { 0x40 } else { 0 } | 8); // origin(s), Any content
    var(&mut out, origin.0);
    var(&mut out, origin.1.into());
    if let Some((c, k)) = right {
        var(&mut out, c);
        var(&mut out, k.into());
    }
    // One Any value: an array of two float64.
    out.extend_from_slice(&[1, 117, 2]);
    for v in [777.0f64, 777.0] {
        out.push(123);
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.push(0); // empty delete set
    out
}

/// The id of `board`'s last block: callers make sure it is the value they mean (yrs does not
/// tell a map entry's id).
fn last_block(board: &Board) -> (u64, u32) {
    let sv = board.doc().transact().state_vector();
    (SERVER, sv.get(&yrs::block::ClientID::new(SERVER)) - 1)
}

#[test]
fn a_crafted_value_hung_on_an_old_deleted_pos_touches_the_note() {
    let server = Board::with_client_id(SERVER);
    let locked = note(&server, "hi");
    let mut txn = server.transact_mut();
    server.move_item(&mut txn, &locked, [1.0, 1.0]).unwrap();
    drop(txn);
    let old = last_block(&server);
    let mut txn = server.transact_mut();
    server.move_item(&mut txn, &locked, [2.0, 2.0]).unwrap();
    drop(txn);
    let mut locks = Locks::new();
    locks.lock(locked.clone());
    let index = LockIndex::build(&state(&server), &locks).unwrap();

    let update = crafted_pos(ALICE, 0, old, None);
    let probe = replica(&server, 99);
    let before = item_json(&probe, &locked);
    apply(&probe, &update);
    assert_ne!(
        item_json(&probe, &locked),
        before,
        "the crafted update moves it"
    );
    assert_eq!(
        index.check(&update),
        Ok(Verdict::Touches {
            item: locked.clone()
        })
    );

    // The same with a left origin the index does not know (an unlocked note's block) and the
    // locked block as right origin: the union of both counts.
    let free = note(&server, "x");
    let index = LockIndex::build(&state(&server), &locks).unwrap();
    let _ = free;
    let update = crafted_pos(ALICE, 0, (SERVER, 0), Some(old));
    assert_eq!(index.check(&update), Ok(Verdict::Touches { item: locked }));
}

#[test]
fn a_resent_block_with_a_false_parent_does_not_hide_the_real_one() {
    let server = Board::with_client_id(SERVER);
    let locked = note(&server, "hi");
    let mut txn = server.transact_mut();
    server.move_item(&mut txn, &locked, [1.0, 1.0]).unwrap();
    drop(txn);
    let (client, old) = last_block(&server);
    assert!(old < 0x7F, "clocks fit one byte");
    let mut locks = Locks::new();
    locks.lock(locked.clone());
    let index = LockIndex::build(&state(&server), &locks).unwrap();
    // A block claiming the pos value's id with a root parent, then a value hung on it.
    let update = vec![
        1,
        2,
        client as u8,
        old as u8, // one section of two blocks from the pos value's clock
        0x08,
        1,
        1,
        b'm',
        1,
        125,
        0, // root "m", Any int 0 (yrs drops it: the board has it)
        0x80 | 8,
        client as u8,
        old as u8,
        1,
        125,
        2, // origin: the pos value, Any int 1
        0,
    ];
    let probe = replica(&server, 99);
    let before = item_json(&probe, &locked);
    apply(&probe, &update);
    assert_ne!(
        item_json(&probe, &locked),
        before,
        "the update changes the note"
    );
    assert_eq!(index.check(&update), Ok(Verdict::Touches { item: locked }));
}

#[test]
fn the_facilitators_edits_extend_the_index() {
    let mut f = Fixture::new();
    let facilitator = replica(&f.server, FACILITATOR);
    let id = f.locked.clone();
    let theirs = edit(&facilitator, |b, t| {
        b.insert_text(t, &id, 5, " there").unwrap()
    });
    assert!(matches!(
        f.index.check(&theirs),
        Ok(Verdict::Touches { .. })
    ));
    apply(&f.server, &theirs);
    f.index.extend(&theirs).unwrap();
    apply(&f.alice, &theirs);
    // Alice types after the facilitator's words: her origin is in their new block.
    assert_eq!(
        f.alice(|b, t| b.insert_text(t, &id, 11, "!").unwrap()),
        f.touches()
    );
    // Rebuilt from scratch, the index says the same.
    let rebuilt = LockIndex::build(&state(&f.server), f.index.locks()).unwrap();
    let update = edit(&replica(&f.server, 50), |b, t| {
        b.delete_text(t, &id, 7, 2).unwrap()
    });
    assert_eq!(rebuilt.check(&update), f.index.check(&update));
    assert_eq!(f.index.check(&update), Ok(f.touches()));
}

#[test]
fn blocks_naming_each_other_in_a_circle_are_refused() {
    let f = Fixture::new();
    // Client 9's block has origin (8, 0); client 8's block has origin (9, 0).
    let update = vec![
        2, // two sections
        1,
        9,
        0,
        0x80 | 8,
        8,
        0,
        1,
        125,
        0, // client 9: origin (8,0), Any int 0
        1,
        8,
        0,
        0x80 | 8,
        9,
        0,
        1,
        125,
        0, // client 8: origin (9,0), Any int 0
        0,
    ];
    assert!(matches!(
        f.index.check(&update),
        Err(LockError::Cycle { .. })
    ));
}

/// A board with a story map (one activity, one step), notes `inside` (placed in it) and
/// `outside`, and a second map.
struct Maps {
    server: Board,
    map: String,
    other_map: String,
    step: String,
    other_step: String,
    inside: String,
    outside: String,
}

fn maps() -> Maps {
    let server = Board::with_client_id(SERVER);
    let mut txn = server.transact_mut();
    let map = server
        .create_story_map(&mut txn, [0.0, 0.0], "m", "", 0.0)
        .unwrap();
    let activity = server
        .add_activity(&mut txn, &map, None, "a", "", 0.0)
        .unwrap();
    let step = server
        .add_step(&mut txn, &activity, None, "s", "", 0.0)
        .unwrap();
    let other_map = server
        .create_story_map(&mut txn, [0.0, 900.0], "o", "", 0.0)
        .unwrap();
    let other_activity = server
        .add_activity(&mut txn, &other_map, None, "a", "", 0.0)
        .unwrap();
    let other_step = server
        .add_step(&mut txn, &other_activity, None, "s", "", 0.0)
        .unwrap();
    let inside = server.create_note(&mut txn, NewNote::default()).unwrap();
    let outside = server.create_note(&mut txn, NewNote::default()).unwrap();
    server
        .place_story(&mut txn, &inside, &step, None, None)
        .unwrap();
    drop(txn);
    Maps {
        server,
        map,
        other_map,
        step,
        other_step,
        inside,
        outside,
    }
}

#[test]
fn a_map_locked_for_placement_takes_no_story_in_or_out() {
    let m = maps();
    let mut locks = Locks::new();
    locks.lock_placement(m.map.clone());
    let index = LockIndex::build(&state(&m.server), &locks).unwrap();
    let alice = replica(&m.server, ALICE);
    let check = |f: &dyn Fn(&Board, &mut TransactionMut)| {
        let update = edit(&replica(&alice, ALICE + 100), |b, t| f(b, t));
        index.check(&update).unwrap()
    };
    let touches = Verdict::Touches {
        item: m.map.clone(),
    };
    let (inside, outside, step, other_step) = (&m.inside, &m.outside, &m.step, &m.other_step);
    // In, out, within, deleted: refused.
    assert_eq!(
        check(&|b, t| b.place_story(t, outside, step, None, None).unwrap()),
        touches
    );
    assert_eq!(
        check(&|b, t| b.unplace_story(t, inside, [0.0, 0.0]).unwrap()),
        touches
    );
    assert_eq!(
        check(&|b, t| b.place_story(t, inside, other_step, None, None).unwrap()),
        touches
    );
    assert_eq!(check(&|b, t| b.delete_item(t, inside).unwrap()), touches);
    assert_eq!(
        check(&|b, t| {
            b.items_root()
                .insert(t, inside.as_str(), MapPrelim::default());
        }),
        touches
    );
    // Editing a placed story, or the map itself, or placing into another map: fine.
    assert_eq!(
        check(&|b, t| b.insert_text(t, inside, 0, "x").unwrap()),
        Verdict::Clean
    );
    assert_eq!(
        check(&|b, t| b.move_item(t, &m.map, [9.0, 9.0]).unwrap()),
        Verdict::Clean
    );
    assert_eq!(
        check(&|b, t| b.place_story(t, outside, other_step, None, None).unwrap()),
        Verdict::Clean
    );
    let _ = &m.other_map;
}

#[test]
fn a_story_the_facilitator_places_is_watched_after_extend() {
    let m = maps();
    let mut locks = Locks::new();
    locks.lock_placement(m.map.clone());
    let mut index = LockIndex::build(&state(&m.server), &locks).unwrap();
    let facilitator = replica(&m.server, FACILITATOR);
    let placed = edit(&facilitator, |b, t| {
        b.place_story(t, &m.outside, &m.step, None, None).unwrap()
    });
    apply(&m.server, &placed);
    index.extend(&placed).unwrap();
    let alice = replica(&m.server, ALICE);
    let out = edit(&alice, |b, t| {
        b.unplace_story(t, &m.outside, [0.0, 0.0]).unwrap()
    });
    assert_eq!(
        index.check(&out),
        Ok(Verdict::Touches {
            item: m.map.clone()
        })
    );
}
