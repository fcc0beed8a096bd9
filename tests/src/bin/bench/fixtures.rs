//! Boards and edit streams the benchmarks run on.

use huddle_shared::model::{Board, NewNote};
use huddle_shared::rank;
use yrs::{ReadTxn, StateVector, Transact};

/// The client id the fixture boards are written by. Below 2^32, as Yjs in a browser picks
/// them: y-sweet 0.9.1 (yrs 0.19) decodes client ids as 32-bit numbers, and a larger one
/// arrives there as another client (a finding of the side-by-side runs).
pub const FIXTURE_CLIENT: u64 = 0x7e57_b0a2;

/// A board with `notes` notes laid out on a grid, built in one transaction (as an import
/// would); returns the board and its full state as an update.
pub fn board_with_notes(notes: usize) -> (Board, Vec<u8>) {
    let board = Board::with_client_id(FIXTURE_CLIENT);
    {
        let mut txn = board.transact_mut();
        board.init_meta(&mut txn, "bench", 0.0);
        let mut z = rank::FIRST.to_owned();
        for i in 0..notes {
            let note = NewNote {
                pos: [(i % 100) as f64 * 220.0, (i / 100) as f64 * 220.0],
                text: format!("Story {i}: as a user I want to refine the backlog"),
                author: "bench".into(),
                z: Some(z.clone()),
                ..Default::default()
            };
            board.create_note(&mut txn, note).expect("valid note");
            z = rank::after(Some(&z));
        }
    }
    let state = board
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    (board, state)
}

/// `count` note moves made on `board`, each encoded as the update a client would send.
pub fn moves(board: &Board, count: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let ids = board.item_ids(&board.doc().transact());
    (0..count)
        .map(|_| {
            let id = &ids[rng.usize(..ids.len())];
            let mut txn = board.transact_mut();
            board
                .move_item(&mut txn, id, [rng.f64() * 20_000.0, rng.f64() * 20_000.0])
                .expect("move");
            txn.encode_update_v1()
        })
        .collect()
}
