//! Maps locked for placement: no story goes in, moves within, or comes out.

use super::*;

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
    index.extend(&apply_encoded(&m.server, &placed)).unwrap();
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
