//! The lock check's own cost, in-process, beside the `locks` scenario's latencies: on the
//! scenario's board (its notes and the backbone, all 64 parts locked), what the room does per
//! note move while locks exist, [`LockIndex::check`] then [`LockIndex::extend`], timed per
//! update with no network and no other work in between. A shared machine's noise moves a
//! run's p99 by more than this; here the cost is seen directly.

use std::time::{Duration, Instant};

use huddle_shared::locks::{LockIndex, Locks, Verdict};
use huddle_shared::model::ItemKind;
use yrs::{ReadTxn, StateVector, Transact};

use super::latency::Summary;
use super::locks::{backbone_of, with_backbone};

/// Note moves timed (each is one update, as a participant sends it).
const MOVES: usize = 5_000;
/// Where the moves go (anywhere on a board of this extent).
const EXTENT: f64 = 20_000.0;

/// Prints the per-update cost of the check on a board of `notes` notes with the backbone
/// locked, and the index's build (once per change of the locks).
pub fn print_cost(notes: usize) -> anyhow::Result<()> {
    let board = with_backbone(notes)?;
    let mut locks = Locks::new();
    for id in backbone_of(&board) {
        locks.lock(id);
    }
    let state = board
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let built = Instant::now();
    let mut index = LockIndex::build(&state, &locks)?;
    let build = built.elapsed();
    let notes_ids: Vec<String> = {
        let txn = board.doc().transact();
        board
            .item_ids(&txn)
            .into_iter()
            .filter(|id| board.kind_of(&txn, id) == Some(ItemKind::Note))
            .collect()
    };
    let mut rng = fastrand::Rng::with_seed(13);
    // Nanoseconds per update.
    let mut samples: Vec<u32> = Vec::with_capacity(MOVES);
    for _ in 0..MOVES {
        let id = &notes_ids[rng.usize(..notes_ids.len())];
        let update = {
            let mut txn = board.transact_mut();
            board.move_item(&mut txn, id, [rng.f64() * EXTENT, rng.f64() * EXTENT])?;
            txn.encode_update_v1()
        };
        let started = Instant::now();
        let verdict = index.check(&update)?;
        index.extend(&update)?;
        samples.push(nanos(started.elapsed()));
        if verdict != Verdict::Clean {
            anyhow::bail!("a note move was found to touch a lock: {verdict:?}");
        }
    }
    let cost = Summary::of(&mut samples);
    println!(
        "- in-process, the check itself on this board ({notes} notes, the backbone's 64 items locked): check + extend per note move p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({} moves); the index's build {:.1} ms (once per change of the locks)\n",
        cost.p50,
        cost.p99,
        cost.max,
        cost.count,
        build.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Nanoseconds: [`Summary`] takes microseconds, so its figures then read in microseconds.
fn nanos(d: Duration) -> u32 {
    u32::try_from(d.as_nanos()).unwrap_or(u32::MAX)
}
