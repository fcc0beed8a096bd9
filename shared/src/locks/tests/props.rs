//! Seeded random runs: a board with notes and a story map, random locks, a person making
//! random edits (each checked, applied to the server only if clean) and a facilitator whose
//! edits the server always applies (and extends the index with). The property: an update
//! that would change a locked item, or the stories of a map locked for placement, is never
//! `Clean`; the extended index refuses at least what one rebuilt from scratch refuses; and
//! few updates are refused that change nothing locked (each a page's whole delete set).

use std::collections::BTreeMap;

use fastrand::Rng;
use yrs::{MapPrelim, ReadTxn, Transact};

use super::*;
use crate::model::{Color, Place};

/// Runs; each a new board and new locks.
const SEEDS: u64 = 40;
/// Edits per run: enough for texts to grow, stories to move and items to go.
const STEPS: usize = 40;
/// In how many edits of ten the facilitator (whose edits are not checked) edits.
const FACILITATOR_SHARE: u8 = 2;

/// What the locks protect, read back: each locked item as JSON, and for each map locked
/// for placement, where each of its stories and parts sits.
type Watched = (Vec<Option<Any>>, Vec<BTreeMap<String, Place>>);

fn watched(board: &Board, locks: &Locks) -> Watched {
    let items = locks.items().map(|id| item_json(board, id)).collect();
    let txn = board.doc().transact();
    let snapshot = board.snapshot(&txn);
    let maps = locks
        .placement_maps()
        .map(|map| {
            snapshot
                .items
                .iter()
                .filter_map(|(id, item)| {
                    let place = item.place.as_ref().filter(|p| p.map == map)?;
                    Some((id.clone(), place.clone()))
                })
                .collect()
        })
        .collect();
    (items, maps)
}

/// Brings `to` up to date with `from`.
fn sync(from: &Board, to: &Board) {
    let sv = to.doc().transact().state_vector();
    let update = from.doc().transact().encode_state_as_update_v1(&sv);
    apply(to, &update);
}

/// The item ids of `board`, sorted (yrs's map order is not the seed's).
fn ids<T: ReadTxn>(board: &Board, txn: &T) -> Vec<String> {
    let mut ids = board.item_ids(txn);
    ids.sort();
    ids
}

/// A random edit, as a page would make it (some fail on the wrong kind of item: no-ops).
fn random_edit(rng: &mut Rng, board: &Board, txn: &mut TransactionMut) {
    let ids = ids(board, txn);
    let Some(id) = (!ids.is_empty()).then(|| ids[rng.usize(..ids.len())].clone()) else {
        return;
    };
    let other = ids[rng.usize(..ids.len())].clone();
    let len = board.text(txn, &id).map_or(0, |t| {
        use yrs::Text;
        t.len(txn)
    });
    let x = f64::from(rng.u16(..1000));
    let _ = match rng.u8(..12) {
        0 => board.move_item(txn, &id, [x, x]),
        1 => board.resize_item(txn, &id, [x + 1.0, 50.0]),
        2 => board.recolor(txn, &id, Color::Blue),
        3 => board.insert_text(txn, &id, rng.u32(..=len), "ab"),
        4 => board.delete_text(txn, &id, rng.u32(..=len), rng.u32(1..4)),
        5 => board.delete_item(txn, &id),
        6 => board.create_note(txn, NewNote::default()).map(drop),
        7 => board.place_story(txn, &id, &other, None, None),
        8 => board.unplace_story(txn, &id, [x, x]),
        9 => {
            let fields = StoryFields {
                estimate: Some(f64::from(rng.u8(..13))),
                ..StoryFields::default()
            };
            board.set_story_fields(txn, &id, &fields)
        }
        10 => {
            board
                .items_root()
                .insert(txn, id.as_str(), MapPrelim::default());
            Ok(())
        }
        _ => board.bring_to_front(txn, &id),
    };
}

/// A board of notes with text, a story map with two steps (and a second map), some notes
/// placed; and locks on a random few items, maybe the map locked for placement.
fn random_board(rng: &mut Rng) -> (Board, Locks) {
    let server = Board::with_client_id(SERVER);
    let mut txn = server.transact_mut();
    let mut steps = Vec::new();
    let mut maps = Vec::new();
    for _ in 0..2 {
        let map = server
            .create_story_map(&mut txn, [0.0, 0.0], "m", "", 0.0)
            .unwrap();
        let activity = server
            .add_activity(&mut txn, &map, None, "a", "", 0.0)
            .unwrap();
        for _ in 0..2 {
            steps.push(
                server
                    .add_step(&mut txn, &activity, None, "s", "", 0.0)
                    .unwrap(),
            );
        }
        maps.push(map);
    }
    for i in 0..6 {
        let text = "note ".repeat(rng.usize(..4));
        let note = NewNote {
            text,
            ..NewNote::default()
        };
        let id = server.create_note(&mut txn, note).unwrap();
        if i % 2 == 0 {
            let step = &steps[rng.usize(..steps.len())];
            server.place_story(&mut txn, &id, step, None, None).unwrap();
        }
    }
    drop(txn);
    let mut locks = Locks::new();
    for id in ids(&server, &server.doc().transact()) {
        if rng.u8(..10) < 3 {
            locks.lock(id);
        }
    }
    if rng.bool() {
        locks.lock_placement(maps[0].clone());
    }
    (server, locks)
}

/// Tallies over all runs, so the test can tell it exercised both verdicts.
#[derive(Debug, Default)]
struct Tally {
    clean: usize,
    touches: usize,
    /// Refused, though applying it would have changed nothing protected as JSON (a locked
    /// item's map replaced by an equal one is a change JSON does not show).
    refused_harmless: usize,
    /// Probes where the extended index refused and a rebuilt one did not.
    extended_stricter: usize,
}

fn run(seed: u64, tally: &mut Tally) {
    let mut rng = Rng::with_seed(seed);
    let (server, locks) = random_board(&mut rng);
    let mut index = LockIndex::build(&state(&server), &locks).unwrap();
    let facilitator = replica(&server, FACILITATOR);
    let mut alice = replica(&server, ALICE);
    let mut next_client = 100;
    for step in 0..STEPS {
        if rng.u8(..10) < FACILITATOR_SHARE {
            sync(&server, &facilitator);
            let update = edit(&facilitator, |b, t| random_edit(&mut rng, b, t));
            index.extend(&apply_encoded(&server, &update)).unwrap();
            continue;
        }
        sync(&server, &alice);
        let update = edit(&alice, |b, t| random_edit(&mut rng, b, t));
        let verdict = index.check(&update).unwrap();
        let probe = replica(&server, 99);
        let before = watched(&probe, &locks);
        apply(&probe, &update);
        let changed = watched(&probe, &locks) != before;
        assert!(
            !changed || verdict != Verdict::Clean,
            "seed {seed} step {step}: a clean update changed what is locked ({locks:?})"
        );
        if verdict == Verdict::Clean {
            tally.clean += 1;
            index.extend(&apply_encoded(&server, &update)).unwrap();
        } else {
            tally.touches += 1;
            tally.refused_harmless += usize::from(!changed);
            // Refused: the page resyncs, dropping its change (a new replica, a new client).
            alice = replica(&server, next_client);
            next_client += 1;
        }
    }
    // The index kept up by `extend` refuses whatever one built afresh refuses.
    let rebuilt = LockIndex::build(&state(&server), &locks).unwrap();
    for _ in 0..10 {
        let probe = replica(&server, next_client);
        next_client += 1;
        let update = edit(&probe, |b, t| random_edit(&mut rng, b, t));
        let fresh = rebuilt.check(&update).unwrap();
        let extended = index.check(&update).unwrap();
        if fresh != Verdict::Clean {
            assert_ne!(
                extended,
                Verdict::Clean,
                "seed {seed}: extend missed a lock"
            );
        }
        tally.extended_stricter += usize::from(fresh == Verdict::Clean && extended != fresh);
    }
}

#[test]
fn random_edits_are_refused_whenever_they_would_change_what_is_locked() {
    let mut tally = Tally::default();
    for seed in 0..SEEDS {
        run(seed, &mut tally);
    }
    println!("{tally:?}");
    assert!(tally.clean > 500 && tally.touches > 100, "{tally:?}");
    // Pages' updates carry the whole delete set; refusing them for old deletions would
    // lock everyone out, not just the locked items.
    assert!(tally.refused_harmless * 20 < tally.touches, "{tally:?}");
}
