//! Seeded randomized convergence of the board model, in the style of yrs's `run_scenario`:
//! several replicas make random concurrent edits through the typed API, their updates are
//! delivered in random order (with duplicates), and every replica ends identical.

use huddle_shared::model::{Board, Color, NewNote};
use huddle_shared::rank;
use proptest::prelude::*;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, Transact, Update};

/// One replica and the updates it produced that others have not seen yet.
struct Replica {
    board: Board,
    outbox: Vec<Vec<u8>>,
}

fn utf16_offset(s: &str, chars: usize) -> u32 {
    s.chars().take(chars).map(char::len_utf16).sum::<usize>() as u32
}

/// One random edit through the model's API, as one transaction; returns its update.
fn random_edit(board: &Board, rng: &mut fastrand::Rng, step: usize) -> Vec<u8> {
    let ids = board.item_ids(&board.doc().transact());
    let snapshot = board.snapshot(&board.doc().transact());
    let mut txn = board.transact_mut();
    let pick = |rng: &mut fastrand::Rng| ids[rng.usize(..ids.len())].clone();
    match (rng.u8(0..12), ids.is_empty()) {
        (0..=2, _) | (_, true) => {
            let note = NewNote {
                pos: [rng.f64() * 1000.0, rng.f64() * 1000.0],
                text: format!("n{step}"),
                color: Color::ALL[rng.usize(..8)],
                tags: vec![format!("t{}", rng.u8(0..3))],
                ..Default::default()
            };
            board.create_note(&mut txn, note).expect("create");
        }
        (3, false) => board
            .move_item(&mut txn, &pick(rng), [rng.f64() * 1000.0, 0.0])
            .expect("move"),
        (4, false) => board
            .resize_item(&mut txn, &pick(rng), [1.0 + rng.f64() * 300.0, 120.0])
            .expect("resize"),
        (5, false) => board
            .recolor(&mut txn, &pick(rng), Color::ALL[rng.usize(..8)])
            .expect("recolor"),
        (6, false) => board
            .set_tags(&mut txn, &pick(rng), &[format!("t{}", rng.u8(0..3))])
            .expect("tags"),
        (7, false) => board.bring_to_front(&mut txn, &pick(rng)).expect("z"),
        (8..=9, false) => {
            let id = pick(rng);
            let text = &snapshot.items[&id].text;
            let at = utf16_offset(text, rng.usize(..=text.chars().count()));
            let word = ["ab", "é", "🙂", " "][rng.usize(..4)];
            board.insert_text(&mut txn, &id, at, word).expect("insert");
        }
        (10, false) => {
            let id = pick(rng);
            let text = &snapshot.items[&id].text;
            let n = text.chars().count();
            if n > 0 {
                let start = rng.usize(..n);
                let (a, b) = (utf16_offset(text, start), utf16_offset(text, start + 1));
                board
                    .delete_text(&mut txn, &id, a, b - a)
                    .expect("delete text");
            }
        }
        _ => board.delete_item(&mut txn, &pick(rng)).expect("delete"),
    }
    txn.encode_update_v1()
}

/// Delivers every pending update to every other replica in a random order (some twice).
fn deliver(replicas: &mut [Replica], rng: &mut fastrand::Rng) {
    let mut in_flight: Vec<(usize, Vec<u8>)> = Vec::new();
    for (from, r) in replicas.iter_mut().enumerate() {
        in_flight.extend(r.outbox.drain(..).map(|u| (from, u)));
    }
    for (to, replica) in replicas.iter().enumerate() {
        let mut mine: Vec<&Vec<u8>> = in_flight
            .iter()
            .filter(|(from, _)| *from != to)
            .map(|(_, u)| u)
            .collect();
        rng.shuffle(&mut mine);
        if let Some(&dup) = mine.first() {
            mine.push(dup); // updates are idempotent: a duplicate changes nothing
        }
        let doc = replica.board.doc();
        let mut txn = doc.transact_mut();
        for update in mine {
            txn.apply_update(Update::decode_v1(update).expect("decode"))
                .expect("apply");
        }
    }
}

fn run_scenario(seed: u64, replicas: usize, rounds: usize, edits_per_round: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut rs: Vec<Replica> = (0..replicas)
        .map(|i| Replica {
            board: Board::with_client_id(i as u64 + 1),
            outbox: Vec::new(),
        })
        .collect();
    let mut step = 0;
    for _ in 0..rounds {
        for _ in 0..edits_per_round {
            let who = rng.usize(..replicas);
            let update = random_edit(&rs[who].board, &mut rng, step);
            rs[who].outbox.push(update);
            step += 1;
        }
        // Deliver only sometimes, so edits pile up concurrently across rounds.
        if rng.bool() {
            deliver(&mut rs, &mut rng);
        }
    }
    deliver(&mut rs, &mut rng);

    let first = rs[0].board.snapshot(&rs[0].board.doc().transact());
    for (i, r) in rs.iter().enumerate().skip(1) {
        let txn = r.board.doc().transact();
        assert_eq!(
            r.board.snapshot(&txn),
            first,
            "seed {seed}: replica {i} differs from replica 0"
        );
        assert_eq!(
            txn.state_vector(),
            rs[0].board.doc().transact().state_vector(),
            "seed {seed}: state vectors differ"
        );
    }
    // Stacking order is total and identical: ranks valid, ties broken by id.
    let order: Vec<_> = first
        .items_by_z()
        .into_iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(order.len(), first.items.len());
    assert!(
        first.items.values().all(|i| rank::is_valid(&i.z)),
        "seed {seed}: invalid rank"
    );
}

#[test]
fn fixed_seeds_converge() {
    for seed in 0..20 {
        run_scenario(seed, 4, 12, 8);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn random_scenarios_converge(seed in any::<u64>(), replicas in 2usize..6, rounds in 1usize..15, edits in 1usize..10) {
        run_scenario(seed, replicas, rounds, edits);
    }
}
