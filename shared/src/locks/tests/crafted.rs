//! Updates no page writes, and the index kept up to date by `extend`.

use super::*;

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

/// A board whose last block is a locked note's `pos` value (clock below 0x7F, so updates
/// can name it in one byte): the board, the note, the value's clock, the index.
fn locked_pos_last() -> (Board, String, u8, LockIndex) {
    let server = Board::with_client_id(SERVER);
    let locked = note(&server, "hi");
    let mut txn = server.transact_mut();
    server.move_item(&mut txn, &locked, [1.0, 1.0]).unwrap();
    drop(txn);
    let (_, old) = last_block(&server);
    let old = u8::try_from(old)
        .ok()
        .filter(|&c| c < 0x7F)
        .expect("a one-byte clock");
    let mut locks = Locks::new();
    locks.lock(locked.clone());
    let index = LockIndex::build(&state(&server), &locks).unwrap();
    (server, locked, old, index)
}

/// Whether applying `update` to a copy of `server` changes item `id`.
fn changes(server: &Board, id: &str, update: &[u8]) -> bool {
    let probe = replica(server, 99);
    let before = item_json(&probe, id);
    apply(&probe, update);
    item_json(&probe, id) != before
}

#[test]
fn a_resent_block_with_a_false_parent_does_not_hide_the_real_one() {
    let (server, locked, old, index) = locked_pos_last();
    // A block claiming the pos value's id with a root parent, then a value hung on it.
    #[rustfmt::skip]
    let update = [
        1, 2, SERVER as u8, old, // one section of two blocks, from the pos value's clock
        0x08, 1, 1, b'm', 1, 125, 0, // root "m", Any int 0 (yrs drops it: the board has it)
        0x80 | 8, SERVER as u8, old, 1, 125, 2, // origin: the pos value; Any int 1
        0,
    ];
    assert!(changes(&server, &locked, &update));
    assert_eq!(index.check(&update), Ok(Verdict::Touches { item: locked }));
}

#[test]
fn a_resent_block_alone_is_dropped_by_yrs_and_passes() {
    let (server, locked, old, index) = locked_pos_last();
    // The pos value's id again, now claiming to be `items[locked]`: yrs drops it.
    let mut update = vec![1, 1, SERVER as u8, old, 0x20 | 8, 1];
    update.push(u8::try_from(keys_items().len()).unwrap());
    update.extend_from_slice(keys_items().as_bytes());
    update.push(u8::try_from(locked.len()).unwrap());
    update.extend_from_slice(locked.as_bytes());
    update.extend_from_slice(&[1, 125, 0, 0]);
    assert!(!changes(&server, &locked, &update));
    assert_eq!(index.check(&update), Ok(Verdict::Clean));
}

#[test]
fn a_block_yrs_cuts_hangs_on_the_boards_block_before_it() {
    let (server, locked, old, index) = locked_pos_last();
    // Two characters from the pos value's clock, parent root "m": yrs keeps the second and
    // gives it the pos value as left origin, replacing the note's position.
    #[rustfmt::skip]
    let update = [
        1, 1, SERVER as u8, old, // one section of one block, from the pos value's clock
        0x04, 1, 1, b'm', 2, b'a', b'b', // root "m", string "ab"
        0,
    ];
    assert!(changes(&server, &locked, &update));
    assert_eq!(index.check(&update), Ok(Verdict::Touches { item: locked }));
}

/// The root map of items' name, as the model spells it.
fn keys_items() -> &'static str {
    crate::model::keys::ITEMS
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
    f.index.extend(&apply_encoded(&f.server, &theirs)).unwrap();
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

#[test]
fn delete_ranges_out_of_order_are_all_checked() {
    let f = Fixture::new();
    let (_, last) = last_block(&f.server);
    let last = u8::try_from(last)
        .ok()
        .filter(|&c| c < 0x7F)
        .expect("a one-byte clock");
    // No blocks; deletes the free note's last value, then clock 0: the locked note's map.
    #[rustfmt::skip]
    let update = [0, 1, SERVER as u8, 2, last, 1, 0, 1];
    let probe = replica(&f.server, 99);
    apply(&probe, &update);
    assert_eq!(
        item_json(&probe, &f.locked),
        None,
        "the locked note is gone"
    );
    assert_eq!(f.index.check(&update), Ok(f.touches()));
}
