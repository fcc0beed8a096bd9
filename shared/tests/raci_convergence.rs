//! Seeded randomized convergence of RACI matrices: replicas concurrently set and clear cells
//! (often the same cell), add and remove rows, add and remove columns, rename columns and
//! delete or rename linked notes; updates arrive in random order, some twice.
//!
//! At the end every replica has the identical matrix and the identical rule results, every
//! cell letter read back is one some replica wrote, and no row disappeared because its note
//! was deleted (rows go only when someone removes them).

mod support;

use std::collections::HashSet;

use huddle_shared::model::{Board, NewNote, NewRaci, REMOTE_ORIGIN};
use huddle_shared::raci::{Letter, NewCol, Problem, Raci};
use proptest::prelude::*;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Transact, Update};

/// How many notes the board starts with (rows are picked among them).
const NOTES: usize = 6;

struct Replica {
    board: Board,
    outbox: Vec<Vec<u8>>,
}

fn raci(board: &Board, m: &str) -> Raci {
    board
        .raci(&board.doc().transact(), m)
        .expect("the matrix is never deleted here")
}

fn problems(r: &Raci) -> Vec<(String, Vec<Problem>)> {
    r.problems()
}

/// Six notes; a matrix with the first three as rows and two columns.
fn seed_board() -> (Board, String, Vec<String>) {
    let board = Board::with_client_id(1000);
    let mut txn = board.transact_mut();
    let notes: Vec<String> = (0..NOTES)
        .map(|n| {
            board
                .create_note(
                    &mut txn,
                    NewNote {
                        text: format!("story {n}"),
                        ..NewNote::default()
                    },
                )
                .expect("note")
        })
        .collect();
    let m = board
        .create_raci(
            &mut txn,
            NewRaci {
                rows: notes[..3].to_vec(),
                cols: vec![NewCol::person("p1", "Ann"), NewCol::role("Design lead")],
                ..NewRaci::default()
            },
        )
        .expect("matrix");
    drop(txn);
    (board, m, notes)
}

fn pick<'a, T>(rng: &mut fastrand::Rng, all: &'a [T]) -> Option<&'a T> {
    (!all.is_empty()).then(|| &all[rng.usize(..all.len())])
}

/// One random gesture (one transaction) on replica `r`.
fn random_step(r: &mut Replica, m: &str, notes: &[String], rng: &mut fastrand::Rng, step: usize) {
    let board = &r.board;
    let before: StateVector = board.doc().transact().state_vector();
    let current = raci(board, m);
    let rows: Vec<String> = current.rows.iter().map(|r| r.item.clone()).collect();
    let cols: Vec<String> = current.cols.iter().map(|c| c.id.clone()).collect();
    let present: Vec<String> = notes
        .iter()
        .filter(|n| board.kind_of(&board.doc().transact(), n).is_some())
        .cloned()
        .collect();
    let mut txn = board.transact_mut();
    let choice = rng.u8(0..20);
    match choice {
        // Cell edits dominate: they are what people do, and what races.
        0..=8 => {
            if let (Some(row), Some(col)) = (pick(rng, &rows), pick(rng, &cols)) {
                let letter = pick(rng, &Letter::ALL).copied();
                board
                    .set_raci_cell(&mut txn, m, row, col, letter)
                    .expect("set cell");
            }
        }
        9..=10 => {
            if let (Some(row), Some(col)) = (pick(rng, &rows), pick(rng, &cols)) {
                board
                    .set_raci_cell(&mut txn, m, row, col, None)
                    .expect("clear cell");
            }
        }
        11..=12 => {
            if let Some(note) = pick(rng, &present) {
                board
                    .add_raci_rows(&mut txn, m, std::slice::from_ref(note))
                    .expect("add row");
            }
        }
        13 => {
            if let Some(row) = pick(rng, &rows) {
                board.remove_raci_row(&mut txn, m, row).expect("remove row");
            }
        }
        14..=15 => {
            if cols.len() < 6 {
                board
                    .add_raci_col(&mut txn, m, &NewCol::role(&format!("role {step}")))
                    .expect("add col");
            }
        }
        16 => {
            if let Some(col) = pick(rng, &cols) {
                board.remove_raci_col(&mut txn, m, col).expect("remove col");
            }
        }
        17 => {
            if let Some(col) = pick(rng, &cols) {
                board
                    .rename_raci_col(&mut txn, m, col, &format!("renamed {step}"))
                    .expect("rename col");
            }
        }
        18 => {
            if let Some(note) = pick(rng, &present) {
                board
                    .insert_text(&mut txn, note, 0, &format!("{step} "))
                    .expect("rename note");
            }
        }
        _ => {
            // Rarely: a linked note is deleted; its row must stay.
            if rng.u8(0..3) == 0
                && let Some(note) = pick(rng, &present)
            {
                board.delete_item(&mut txn, note).expect("delete note");
            }
        }
    }
    drop(txn);
    // Only removing a row removes one: deleting or renaming its note never does.
    if choice != 13 {
        let after = raci(board, m);
        for row in &rows {
            assert!(after.row(row).is_some(), "step {step} lost row {row}");
        }
    }
    let update = board.doc().transact().encode_state_as_update_v1(&before);
    r.outbox.push(update);
}

fn deliver(rs: &mut [Replica], rng: &mut fastrand::Rng) {
    let outboxes = rs
        .iter_mut()
        .map(|r| std::mem::take(&mut r.outbox))
        .collect();
    let boards: Vec<&Board> = rs.iter().map(|r| &r.board).collect();
    support::deliver(&boards, outboxes, rng);
}

fn run_scenario(seed: u64, replicas: usize, rounds: usize, steps_per_round: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (origin, m, notes) = seed_board();
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
    let mut step = 0;
    for _ in 0..rounds {
        for _ in 0..steps_per_round {
            let who = rng.usize(..replicas);
            random_step(&mut rs[who], &m, &notes, &mut rng, step);
            step += 1;
        }
        if rng.bool() {
            deliver(&mut rs, &mut rng);
        }
    }
    deliver(&mut rs, &mut rng);

    let first = raci(&rs[0].board, &m);
    let first_problems = problems(&first);
    let first_snapshot = rs[0].board.snapshot(&rs[0].board.doc().transact());
    for (i, r) in rs.iter().enumerate() {
        let mine = raci(&r.board, &m);
        assert_eq!(mine, first, "seed {seed}: replica {i} has another matrix");
        assert_eq!(
            problems(&mine),
            first_problems,
            "seed {seed}: replica {i} checks the rules differently"
        );
        let snap = r.board.snapshot(&r.board.doc().transact());
        assert_eq!(snap, first_snapshot, "seed {seed}: replica {i} differs");
        assert_eq!(
            huddle_shared::export::markdown(&snap),
            huddle_shared::export::markdown(&first_snapshot),
            "seed {seed}: replica {i} exports another table"
        );
    }
    // Every cell is in a row and column that exist, and rows are unique.
    let cols: HashSet<&str> = first.cols.iter().map(|c| c.id.as_str()).collect();
    let mut seen = HashSet::new();
    for row in &first.rows {
        assert!(
            seen.insert(&row.item),
            "seed {seed}: row {} twice",
            row.item
        );
        assert!(row.cells.keys().all(|c| cols.contains(c.as_str())));
    }
}

#[test]
fn fixed_seeds_converge_with_the_same_rule_results() {
    for seed in 0..48 {
        run_scenario(seed, 3, 10, 8);
    }
}

#[test]
fn two_people_setting_one_cell_at_once_end_with_one_letter() {
    let (origin, m, notes) = seed_board();
    let initial = origin
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let boards: Vec<Board> = (1..=2)
        .map(|i| {
            let b = Board::with_client_id(i);
            b.doc()
                .transact_mut_with(REMOTE_ORIGIN)
                .apply_update(Update::decode_v1(&initial).expect("decode"))
                .expect("apply");
            b
        })
        .collect();
    let col = raci(&boards[0], &m).cols[0].id.clone();
    let mut outboxes = Vec::new();
    for (b, letter) in boards.iter().zip([Letter::A, Letter::R]) {
        let sv = b.doc().transact().state_vector();
        b.set_raci_cell(&mut b.transact_mut(), &m, &notes[0], &col, Some(letter))
            .expect("cell");
        outboxes.push(vec![b.doc().transact().encode_state_as_update_v1(&sv)]);
    }
    let refs: Vec<&Board> = boards.iter().collect();
    support::deliver(&refs, outboxes, &mut fastrand::Rng::with_seed(7));
    let (a, b) = (raci(&boards[0], &m), raci(&boards[1], &m));
    assert_eq!(a, b);
    let letter = a.row(&notes[0]).and_then(|r| r.cell(&col));
    assert!(matches!(letter, Some(Letter::A | Letter::R)), "{letter:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn random_raci_edits_converge(
        seed in any::<u64>(),
        replicas in 2usize..5,
        rounds in 1usize..12,
        steps in 1usize..10,
    ) {
        run_scenario(seed, replicas, rounds, steps);
    }
}
