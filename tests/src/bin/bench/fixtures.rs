//! Boards and edit streams the benchmarks run on.

use std::time::{Duration, Instant};

use huddle_server::store::{CompactionRule, LogSize, Store};
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

/// Appends updates to one board of a sled store as a room does: each to the log, runs merged
/// into one entry when [`CompactionRule::merge_due`], and the log folded into the snapshot when the
/// server's [`CompactionRule`] says so (inline here, on a blocking thread in the server), so
/// that what the benchmarks measure is the rule the server runs.
pub struct RoomLike {
    pub board: &'static str,
    /// The last appended seq.
    pub seq: u64,
    rule: CompactionRule,
    log: LogSize,
    /// Entries appended since the last merge, and their bytes.
    loose: (u64, u64),
}

/// What one append led to, and how long that took.
pub enum StoreWork {
    None,
    Merged(Duration),
    Compacted(Duration),
}

impl RoomLike {
    /// A board whose log is empty after `seq` (just compacted).
    pub fn new(store: &Store, board: &'static str, seq: u64) -> anyhow::Result<RoomLike> {
        Ok(RoomLike {
            board,
            seq,
            rule: CompactionRule::default(),
            log: LogSize {
                snapshot_bytes: store.read(board)?.snapshot_bytes(),
                ..LogSize::default()
            },
            loose: (0, 0),
        })
    }

    /// Whether appending `update` would make the rule fold the log.
    pub fn would_compact(&self, update: &[u8]) -> bool {
        let mut log = self.log;
        log.updates += 1;
        log.bytes += update.len() as u64;
        self.rule.is_due(log)
    }

    pub fn append(&mut self, store: &Store, update: &[u8]) -> anyhow::Result<StoreWork> {
        self.seq += 1;
        store.append(self.board, self.seq, update)?;
        self.log.updates += 1;
        self.log.bytes += update.len() as u64;
        self.loose.0 += 1;
        self.loose.1 += update.len() as u64;
        let started = Instant::now();
        if self.rule.is_due(self.log) {
            let snapshot = store.compact(self.board, self.seq)?;
            let took = started.elapsed();
            // As the server does after a compaction (not timed: the rooms do not wait for it).
            if snapshot.is_some() {
                huddle_server::store::BoardStore::after_compaction(store);
            }
            self.log = LogSize {
                snapshot_bytes: snapshot.unwrap_or_default() as u64,
                ..LogSize::default()
            };
            self.loose = (0, 0);
            return Ok(StoreWork::Compacted(took));
        }
        let (entries, bytes) = self.loose;
        if self.rule.merge_due(self.log, entries, bytes) {
            let merged = store.merge_log(self.board, self.seq + 1 - entries, self.seq)?;
            let took = started.elapsed();
            let merged = merged.ok_or_else(|| anyhow::anyhow!("nothing merged"))?;
            self.log.bytes = self.log.bytes - bytes + merged as u64;
            self.loose = (0, 0);
            return Ok(StoreWork::Merged(took));
        }
        Ok(StoreWork::None)
    }
}
