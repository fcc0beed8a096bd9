//! What the seeded convergence tests share: random delivery of replicas' updates.

use huddle_shared::model::{Board, REMOTE_ORIGIN};
use yrs::Transact;
use yrs::updates::decoder::Decode;

/// Delivers every update in `outboxes[i]` (what replica `i` sent) to every other replica, in
/// a random order per receiver, one of them twice (updates are idempotent: a duplicate must
/// change nothing). Applied with the remote origin, so undo managers ignore them.
pub fn deliver(boards: &[&Board], outboxes: Vec<Vec<Vec<u8>>>, rng: &mut fastrand::Rng) {
    let in_flight: Vec<(usize, Vec<u8>)> = outboxes
        .into_iter()
        .enumerate()
        .flat_map(|(from, updates)| updates.into_iter().map(move |u| (from, u)))
        .collect();
    for (to, board) in boards.iter().enumerate() {
        let mut mine: Vec<&Vec<u8>> = in_flight
            .iter()
            .filter(|(from, _)| *from != to)
            .map(|(_, u)| u)
            .collect();
        rng.shuffle(&mut mine);
        if let Some(&dup) = mine.first() {
            mine.push(dup);
        }
        for update in mine {
            let mut txn = board.doc().transact_mut_with(REMOTE_ORIGIN);
            txn.apply_update(yrs::Update::decode_v1(update).expect("decode"))
                .expect("apply");
        }
    }
}
