//! Seeded randomized convergence of story maps: replicas concurrently move stories between
//! cells and within them, reorder activities, steps (also across activities) and release
//! slices, add and delete parts, drop free notes into the map and take stories out; updates
//! arrive in random order, some twice.
//!
//! At the end every replica has the identical document and the identical resolved map, and
//! every story is present exactly once: every note placed in the map appears in exactly one
//! cell, no free note appears in the map, and no note was lost (notes are only ever created
//! here, so each replica holds every note ever made).

mod support;

use std::collections::HashMap;

use huddle_shared::model::{Board, BoardSnapshot, ItemKind, NewNote, REMOTE_ORIGIN};
use huddle_shared::storymap::StoryMap;
use proptest::prelude::*;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Transact, Update};

struct Replica {
    board: Board,
    outbox: Vec<Vec<u8>>,
}

fn snapshot(board: &Board) -> BoardSnapshot {
    board.snapshot(&board.doc().transact())
}

fn ids_of(s: &BoardSnapshot, kind: ItemKind) -> Vec<String> {
    s.items
        .iter()
        .filter(|(_, i)| i.kind == kind)
        .map(|(id, _)| id.clone())
        .collect()
}

fn pick<'a>(rng: &mut fastrand::Rng, ids: &'a [String]) -> Option<&'a String> {
    (!ids.is_empty()).then(|| &ids[rng.usize(..ids.len())])
}

/// The map every replica starts from: 3 activities of 2 steps, 3 slices, 12 stories.
fn seed_board(map_title: &str) -> (Board, String) {
    let board = Board::with_client_id(1000);
    let map = {
        let mut txn = board.transact_mut();
        let map = board
            .create_story_map(&mut txn, [0.0, 0.0], map_title, "", 0.0)
            .expect("map");
        let mut steps = Vec::new();
        for a in 0..3 {
            let activity = board
                .add_activity(&mut txn, &map, None, &format!("A{a}"), "", 0.0)
                .expect("activity");
            for s in 0..2 {
                steps.push(
                    board
                        .add_step(&mut txn, &activity, None, &format!("S{a}{s}"), "", 0.0)
                        .expect("step"),
                );
            }
        }
        let releases: Vec<String> = (0..3)
            .map(|r| {
                board
                    .add_release(&mut txn, &map, None, &format!("R{r}"), "", 0.0)
                    .expect("release")
            })
            .collect();
        for n in 0..12 {
            let note = board
                .create_note(
                    &mut txn,
                    NewNote {
                        text: format!("story {n}"),
                        ..NewNote::default()
                    },
                )
                .expect("note");
            board
                .place_story(&mut txn, &note, &steps[n % 6], Some(&releases[n % 3]), None)
                .expect("place");
        }
        map
    };
    (board, map)
}

/// One random gesture (one transaction) on replica `who`. Returns whether it created a note.
fn random_step(r: &mut Replica, map: &str, rng: &mut fastrand::Rng, step: usize) -> bool {
    let board = &r.board;
    let before: StateVector = board.doc().transact().state_vector();
    let s = snapshot(board);
    let notes = ids_of(&s, ItemKind::Note);
    let activities = ids_of(&s, ItemKind::Activity);
    let steps = ids_of(&s, ItemKind::Step);
    let releases = ids_of(&s, ItemKind::Release);
    let mut created = false;
    let mut txn = board.transact_mut();
    let index = |rng: &mut fastrand::Rng| rng.usize(0..6);
    match rng.u8(0..20) {
        // Moves dominate: they are what people do most, and what races.
        0..=6 => {
            if let (Some(note), Some(step)) = (pick(rng, &notes), pick(rng, &steps)) {
                let release = if rng.u8(0..4) == 0 {
                    None
                } else {
                    pick(rng, &releases).map(String::as_str)
                };
                let at = if rng.bool() { Some(index(rng)) } else { None };
                board
                    .place_story(&mut txn, note, step, release, at)
                    .expect("place story");
            }
        }
        7..=8 => {
            if let Some(a) = pick(rng, &activities) {
                let i = index(rng);
                board.move_activity(&mut txn, a, i).expect("move activity");
            }
        }
        9..=10 => {
            if let (Some(st), Some(a)) = (pick(rng, &steps), pick(rng, &activities)) {
                let i = index(rng);
                board.move_step(&mut txn, st, a, i).expect("move step");
            }
        }
        11 => {
            if let Some(rel) = pick(rng, &releases) {
                let i = index(rng);
                board.move_release(&mut txn, rel, i).expect("move release");
            }
        }
        12 => {
            if let Some(note) = pick(rng, &notes) {
                let pos = [rng.f64() * 1000.0, rng.f64() * 1000.0];
                board.unplace_story(&mut txn, note, pos).expect("take out");
            }
        }
        13 => {
            let note = board
                .create_note(
                    &mut txn,
                    NewNote {
                        text: format!("new {step}"),
                        ..NewNote::default()
                    },
                )
                .expect("note");
            created = true;
            if let Some(st) = pick(rng, &steps) {
                board
                    .place_story(&mut txn, &note, st, None, Some(0))
                    .expect("drop into map");
            }
        }
        14 => {
            let name = format!("a{step}");
            board
                .add_activity(&mut txn, map, Some(index(rng)), &name, "", 0.0)
                .expect("add activity");
        }
        15 => {
            if let Some(a) = pick(rng, &activities) {
                let name = format!("s{step}");
                board
                    .add_step(&mut txn, a, None, &name, "", 0.0)
                    .expect("add step");
            }
        }
        16 => {
            let name = format!("r{step}");
            board
                .add_release(&mut txn, map, Some(index(rng)), &name, "", 0.0)
                .expect("add release");
        }
        17 => {
            if let Some(st) = pick(rng, &steps) {
                board.delete_map_part(&mut txn, st).expect("delete step");
            }
        }
        18 => {
            if let Some(rel) = pick(rng, &releases) {
                board
                    .delete_map_part(&mut txn, rel)
                    .expect("delete release");
            }
        }
        _ => {
            if let Some(a) = pick(rng, &activities) {
                board.delete_map_part(&mut txn, a).expect("delete activity");
            }
        }
    }
    drop(txn);
    let update = board.doc().transact().encode_state_as_update_v1(&before);
    r.outbox.push(update);
    created
}

/// Delivers every pending update to every other replica, in a random order, one twice.
fn deliver(rs: &mut [Replica], rng: &mut fastrand::Rng) {
    let outboxes = rs
        .iter_mut()
        .map(|r| std::mem::take(&mut r.outbox))
        .collect();
    let boards: Vec<&Board> = rs.iter().map(|r| &r.board).collect();
    support::deliver(&boards, outboxes, rng);
}

/// Every note placed in `map` appears in exactly one cell; no other note appears at all.
fn assert_each_story_once(s: &BoardSnapshot, map_id: &str, seed: u64) {
    let map = StoryMap::build(s, map_id).expect("the map is never deleted here");
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (_, _, _, id) in map.stories_in_order() {
        *seen.entry(id).or_default() += 1;
    }
    for (id, item) in &s.items {
        let placed =
            item.kind == ItemKind::Note && item.place.as_ref().is_some_and(|p| p.map == map_id);
        let expected = usize::from(placed);
        assert_eq!(
            seen.get(id.as_str()).copied().unwrap_or(0),
            expected,
            "seed {seed}: story {id} ({:?}) should appear {expected} time(s)",
            item.text
        );
    }
    assert_eq!(
        seen.values().sum::<usize>(),
        seen.len(),
        "seed {seed}: a story appears twice"
    );
}

fn run_scenario(seed: u64, replicas: usize, rounds: usize, steps_per_round: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (origin, map) = seed_board("Map");
    let initial = origin
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let mut rs: Vec<Replica> = (0..replicas)
        .map(|i| {
            let board = Board::with_client_id(i as u64 + 1);
            {
                let mut txn = board.doc().transact_mut_with(REMOTE_ORIGIN);
                txn.apply_update(Update::decode_v1(&initial).expect("decode"))
                    .expect("apply");
            }
            Replica {
                board,
                outbox: Vec::new(),
            }
        })
        .collect();
    let mut notes = 12;
    let mut step = 0;
    for _ in 0..rounds {
        for _ in 0..steps_per_round {
            let who = rng.usize(..replicas);
            if random_step(&mut rs[who], &map, &mut rng, step) {
                notes += 1;
            }
            assert_each_story_once(&snapshot(&rs[who].board), &map, seed);
            step += 1;
        }
        if rng.bool() {
            deliver(&mut rs, &mut rng);
        }
    }
    deliver(&mut rs, &mut rng);

    let first = snapshot(&rs[0].board);
    let first_map = StoryMap::build(&first, &map);
    for (i, r) in rs.iter().enumerate() {
        let s = snapshot(&r.board);
        assert_eq!(s, first, "seed {seed}: replica {i} differs");
        assert_eq!(
            StoryMap::build(&s, &map),
            first_map,
            "seed {seed}: replica {i} resolves another map"
        );
    }
    assert_each_story_once(&first, &map, seed);
    assert_eq!(
        ids_of(&first, ItemKind::Note).len(),
        notes,
        "seed {seed}: a note was lost"
    );
}

#[test]
fn fixed_seeds_converge_with_every_story_once() {
    for seed in 0..32 {
        run_scenario(seed, 3, 10, 8);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn random_map_edits_converge_with_every_story_once(
        seed in any::<u64>(),
        replicas in 2usize..5,
        rounds in 1usize..12,
        steps in 1usize..10,
    ) {
        run_scenario(seed, replicas, rounds, steps);
    }
}
