//! The board-document part of the store, as the room sees it: [`BoardStore`]. A room is given
//! an `Arc<dyn BoardStore>` and never learns which implementation it has: sled ([`Store`],
//! the server's), or memory ([`MemoryStore`](super::memory::MemoryStore), for tests of the
//! room and of compaction without a disk). DESIGN.md's Redis store is meant to be a third.
//!
//! Only the document is behind the trait for now: the board's meta, its update log and
//! snapshot, compaction, and the durability marks. Everything else the room keeps beside the
//! document (access, rounds, facilitation, comments, the change journal, versions,
//! notifications) stays on the sled [`Store`] in its own trees. In the server the board store
//! *is* that `Store`, so a write to any tree counts on the same write mark and one flush covers
//! them all; a room run on the memory store (tests) counts everything as durable at once.

use huddle_shared::wire;
use tokio::sync::watch;
use yrs::{ReadTxn, StateVector, Transact};

use super::{BoardMeta, Store, StoreError, corrupt};

/// A board's document as stored, for one room: meta, log, snapshot, compaction, durability.
///
/// Methods that touch the data are blocking (sled's are quick: no fsync), except `compact`,
/// which is O(board) and belongs on a blocking thread. Boards are created and deleted by the
/// API on the [`Store`]; a room never creates one.
pub trait BoardStore: Send + Sync + 'static {
    /// What the board list shows; `None` if there is no such board.
    fn board_meta(&self, board: &str) -> Result<Option<BoardMeta>, StoreError>;

    fn put_meta(&self, board: &str, meta: &BoardMeta) -> Result<(), StoreError>;

    /// The stored bytes: snapshot and log tail (no decoding).
    fn read(&self, board: &str) -> Result<RawBoard, StoreError>;

    /// Appends one update as the log's entry `seq`. Its cost must be proportional to
    /// `update.len()`, whatever the board's size: it is on every edit's path.
    fn append(&self, board: &str, seq: u64, update: &[u8]) -> Result<(), StoreError>;

    /// Folds the log up to `upto` (inclusive) into a new snapshot and drops those entries.
    /// Returns the new snapshot's size in bytes, or `None` if the board was deleted (or
    /// deleted and created anew), or another compaction of it swapped the snapshot,
    /// meanwhile: then nothing is written (the rule asks again later). O(board).
    fn compact(&self, board: &str, upto: u64) -> Result<Option<usize>, StoreError>;

    /// A compaction just replaced a snapshot (blocking; called at normal priority, after the
    /// compaction's own idle-priority work): the sled store checks whether its documents are
    /// due for a rewrite, since the replaced snapshot is garbage of its size.
    fn after_compaction(&self) {}

    /// Merges the log entries `from..=upto` (those there are) into one entry `upto`, so that
    /// a cold load reads, serves and applies a few merged entries instead of thousands of
    /// small ones. O(the entries merged). Returns the merged entry's size, or `None` if there
    /// were fewer than two entries or the board was deleted meanwhile (nothing is written).
    /// A reader never misses an update: the merged entry replaces the last one before the
    /// others go, and a crash between the two leaves duplicates, which applying ignores.
    fn merge_log(&self, board: &str, from: u64, upto: u64) -> Result<Option<usize>, StoreError>;

    /// The write mark: a flush that starts after this call covers everything written so far.
    fn written(&self) -> u64;

    /// Watches the durable mark (the write mark covered by the last finished flush).
    fn durable(&self) -> watch::Receiver<u64>;

    fn is_durable(&self, mark: u64) -> bool;

    /// Asks for a group commit soon.
    fn request_flush(&self);

    /// Whether this node may still write the board. Always, on one node; in a cluster
    /// ([`RedisStore`](super::RedisStore)) until another node takes the board's lease: a
    /// room that no longer owns its board acknowledges no save and stops.
    fn owns(&self, _board: &str) -> bool {
        true
    }

    /// Takes the board for this node before its room loads it: `Ok(None)` when this node
    /// owns it now, `Ok(Some(node))` when another node does (a cluster; that node's room is
    /// the one its clients must reach). Blocking. One node always owns every board.
    fn acquire(&self, _board: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    /// Lets go of the board once what this node wrote of it is stored (its room closed), so
    /// another node may take it at once.
    fn release(&self, _board: &str) {}
}

/// A board's bytes as stored: the snapshot and the log entries after it, in order. Enough
/// to answer a new client before the document is built from them.
#[derive(Debug, Clone, Default)]
pub struct RawBoard {
    /// Header (covered seq) + update v1 with the whole board; see [`RawBoard::snapshot`].
    pub(super) snapshot: Option<sled::IVec>,
    /// Updates after the snapshot, in sequence order.
    pub log: Vec<sled::IVec>,
    /// Sequence number the next appended update gets.
    pub next_seq: u64,
}

impl RawBoard {
    /// The snapshot's update (without its header).
    pub fn snapshot(&self) -> Option<&[u8]> {
        self.snapshot
            .as_ref()
            .map(|s| s.get(SNAPSHOT_HEADER..).unwrap_or_default())
    }

    pub fn snapshot_bytes(&self) -> u64 {
        self.snapshot().map_or(0, |s| s.len() as u64)
    }

    pub fn log_bytes(&self) -> u64 {
        self.log.iter().map(|e| e.len() as u64).sum()
    }

    /// Builds the document: the snapshot, then the log, in order. Blocking: O(board).
    pub fn build(&self, board: &str) -> Result<yrs::Doc, StoreError> {
        let doc = yrs::Doc::with_options(huddle_shared::model::doc_options());
        {
            let mut txn = doc.transact_mut();
            if let Some(snapshot) = self.snapshot() {
                apply_stored(board, &mut txn, snapshot)?;
            }
            for update in &self.log {
                apply_stored(board, &mut txn, update)?;
            }
        }
        Ok(doc)
    }
}

/// Bytes before the update in a snapshot value: the big-endian seq of the last update covered.
pub(super) const SNAPSHOT_HEADER: usize = 8;

/// The last log entry a stored snapshot value covers (its header).
pub(super) fn covered_seq(board: &str, snapshot: &[u8]) -> Result<u64, StoreError> {
    let header = snapshot
        .get(..SNAPSHOT_HEADER)
        .ok_or_else(|| corrupt(board, "snapshot header"))?;
    let header: [u8; SNAPSHOT_HEADER] = header
        .try_into()
        .map_err(|_| corrupt(board, "snapshot header"))?;
    Ok(u64::from_be_bytes(header))
}

/// Compaction's work, the same for every implementation: the stored snapshot value (with its
/// header) and the log entries it folds in, in order, become a new snapshot value covering
/// `upto`. Returns the value and the size of its update.
pub(super) fn fold<T: AsRef<[u8]>>(
    board: &str,
    snapshot: Option<&[u8]>,
    log: impl IntoIterator<Item = Result<T, StoreError>>,
    upto: u64,
) -> Result<(Vec<u8>, usize), StoreError> {
    let doc = yrs::Doc::with_options(huddle_shared::model::doc_options());
    {
        let mut txn = doc.transact_mut();
        if let Some(s) = snapshot {
            apply_stored(
                board,
                &mut txn,
                s.get(SNAPSHOT_HEADER..).unwrap_or_default(),
            )?;
        }
        for update in log {
            apply_stored(board, &mut txn, update?.as_ref())?;
        }
    }
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let mut value = Vec::with_capacity(SNAPSHOT_HEADER + state.len());
    value.extend_from_slice(&upto.to_be_bytes());
    value.extend_from_slice(&state);
    Ok((value, state.len()))
}

/// Log entries merged into one update (yrs's `merge_updates_v1`; no document is built).
pub(crate) fn merge<T: AsRef<[u8]>>(
    board: &str,
    entries: impl IntoIterator<Item = T>,
) -> Result<Vec<u8>, StoreError> {
    yrs::merge_updates_v1(entries).map_err(|e| corrupt(board, &e.to_string()))
}

pub(super) fn apply_stored(
    board: &str,
    txn: &mut yrs::TransactionMut,
    bytes: &[u8],
) -> Result<(), StoreError> {
    let update = wire::decode_update(bytes).map_err(|e| corrupt(board, &e.to_string()))?;
    txn.apply_update(update)
        .map_err(|e| corrupt(board, &e.to_string()))
}

/// The server's board store: sled, the code in [`Store`] itself.
impl BoardStore for Store {
    fn board_meta(&self, board: &str) -> Result<Option<BoardMeta>, StoreError> {
        Store::board_meta(self, board)
    }

    fn put_meta(&self, board: &str, meta: &BoardMeta) -> Result<(), StoreError> {
        Store::put_meta(self, board, meta)
    }

    fn read(&self, board: &str) -> Result<RawBoard, StoreError> {
        Store::read(self, board)
    }

    fn append(&self, board: &str, seq: u64, update: &[u8]) -> Result<(), StoreError> {
        Store::append(self, board, seq, update)
    }

    fn compact(&self, board: &str, upto: u64) -> Result<Option<usize>, StoreError> {
        Store::compact(self, board, upto)
    }

    fn after_compaction(&self) {
        self.rewrite_documents_logged();
    }

    fn merge_log(&self, board: &str, from: u64, upto: u64) -> Result<Option<usize>, StoreError> {
        Store::merge_log(self, board, from, upto)
    }

    fn written(&self) -> u64 {
        Store::written(self)
    }

    fn durable(&self) -> watch::Receiver<u64> {
        Store::durable(self)
    }

    fn is_durable(&self, mark: u64) -> bool {
        Store::is_durable(self, mark)
    }

    fn request_flush(&self) {
        Store::request_flush(self)
    }
}
