//! Storing one note move: the room's path for an update (decode, apply to the board, append
//! to the sled log) on a board of 100 notes and on one of 10,000. The goal: the big board
//! costs at most twice the small one, i.e. the cost is per update, not per board.

use std::sync::Arc;
use std::time::{Duration, Instant};

use huddle_server::store::Store;
use huddle_shared::wire;
use yrs::Transact;

use crate::fixtures::{RoomLike, StoreWork, board_with_notes, moves};
use crate::stats::{median, micros, millis};

/// Moves stored per measured round: enough that timer resolution is irrelevant.
const MOVES_PER_ROUND: usize = 2000;
/// Rounds per board size, alternated between sizes so drift on the machine hits both.
const ROUNDS: usize = 9;
/// Moves kept back for the compaction measurement (more than the rule asks for on the big
/// board: its log is folded at half its 3 MB snapshot, about 47,000 merged moves).
const EXTRA_MOVES: usize = 80_000;

struct Fixture {
    notes: usize,
    store: Store,
    server: huddle_shared::model::Board,
    updates: Vec<Vec<u8>>,
    next_seq: u64,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new(notes: usize) -> anyhow::Result<Fixture> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path(), Arc::default())?;
        let (client, state) = board_with_notes(notes);
        store.append("bench", 0, &state)?;
        store.compact("bench", 0)?;
        let server = huddle_shared::model::Board::from_doc(store.load("bench")?.1);
        let updates = moves(
            &client,
            MOVES_PER_ROUND * ROUNDS + EXTRA_MOVES,
            notes as u64,
        );
        Ok(Fixture {
            notes,
            store,
            server,
            updates,
            next_seq: 1,
            _dir: dir,
        })
    }

    /// One round: what the room does for each update. Returns the mean time per update.
    fn round(&mut self, round: usize) -> anyhow::Result<Duration> {
        let batch = &self.updates[round * MOVES_PER_ROUND..(round + 1) * MOVES_PER_ROUND];
        let started = Instant::now();
        for payload in batch {
            let update = wire::decode_update(payload)?;
            self.server.doc().transact_mut().apply_update(update)?;
            self.store.append("bench", self.next_seq, payload)?;
            self.next_seq += 1;
        }
        Ok(started.elapsed() / MOVES_PER_ROUND as u32)
    }
}

/// What the store's work off the room (merges, then the compaction the rule asks for) cost
/// from one compaction to the next.
struct Compacted {
    took: Duration,
    /// The merges before it, and their total time.
    merges: usize,
    merging: Duration,
    /// Updates appended until the rule asked for the compaction.
    updates: usize,
    /// The snapshot it folded them into.
    snapshot_bytes: u64,
}

/// Folds the whole log, then appends moves as the room does (runs merged, the server's own
/// rule, [`CompactionRule::is_due`](huddle_server::store::CompactionRule::is_due), deciding
/// when to fold) until it compacts; times the merges and the compaction.
fn compaction(f: &mut Fixture) -> anyhow::Result<Compacted> {
    f.store.compact("bench", f.next_seq - 1)?;
    let snapshot_bytes = f.store.read("bench")?.snapshot_bytes();
    let mut room = RoomLike::new(&f.store, "bench", f.next_seq - 1)?;
    let (mut merges, mut merging) = (0, Duration::ZERO);
    for (i, payload) in f.updates[MOVES_PER_ROUND * ROUNDS..].iter().enumerate() {
        match room.append(&f.store, payload)? {
            StoreWork::None => {}
            StoreWork::Merged(took) => (merges, merging) = (merges + 1, merging + took),
            StoreWork::Compacted(took) => {
                f.next_seq = room.seq + 1;
                return Ok(Compacted {
                    took,
                    merges,
                    merging,
                    updates: i + 1,
                    snapshot_bytes,
                });
            }
        }
    }
    anyhow::bail!("{EXTRA_MOVES} moves did not reach the rule's threshold")
}

impl Compacted {
    fn amortised(&self) -> Duration {
        (self.merging + self.took) / self.updates as u32
    }
}

pub fn run() -> anyhow::Result<()> {
    println!("## storage: one note move, 100-note board vs 10,000-note board\n");
    let mut small = Fixture::new(100)?;
    let mut big = Fixture::new(10_000)?;
    let (mut small_t, mut big_t) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        small_t.push(small.round(round)?);
        big_t.push(big.round(round)?);
    }
    let (s, b) = (median(&mut small_t), median(&mut big_t));

    // Compaction runs off the room, on a blocking thread; measure it where the server's own
    // rule triggers it and amortise it over the updates that led there.
    let cs = compaction(&mut small)?;
    let cb = compaction(&mut big)?;

    println!(
        "| board | per move (decode + apply + append), median of {ROUNDS} rounds x {MOVES_PER_ROUND} | snapshot | updates per compaction | merges before it (total time) | compaction (off the room) | merges + compaction amortised per update |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (f, t, c) in [(&small, s, &cs), (&big, b, &cb)] {
        println!(
            "| {} notes | {:.2} µs | {} KiB | {} | {} ({:.1} ms) | {:.1} ms | {:.2} µs |",
            f.notes,
            micros(t),
            c.snapshot_bytes >> 10,
            c.updates,
            c.merges,
            millis(c.merging),
            millis(c.took),
            micros(c.amortised())
        );
    }
    let ratio = b.as_secs_f64() / s.as_secs_f64();
    let verdict = if ratio <= 2.0 { "meets" } else { "MISSES" };
    println!("\nratio 10,000 / 100 notes: {ratio:.2} ({verdict} the goal of at most 2.0)");
    let total = (b + cb.amortised()).as_secs_f64() / (s + cs.amortised()).as_secs_f64();
    let verdict = if total <= 2.0 { "meets" } else { "MISSES" };
    println!(
        "ratio including amortised merges and compaction: {total:.2} ({verdict} the goal of at most 2.0)\n"
    );
    Ok(())
}
