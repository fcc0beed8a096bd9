//! A [`BoardStore`] in memory: boards in a map, nothing on disk. For tests of the room and of
//! compaction without sled; everything is durable as soon as it is written (there is nowhere
//! else for it to go), so "saved" is immediate. The server itself always runs on sled.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use tokio::sync::watch;

use super::boards::{self, BoardStore, RawBoard};
use super::{BoardMeta, StoreError};

#[derive(Default)]
struct Board {
    meta: Option<BoardMeta>,
    /// As sled stores it: header (covered seq) + update v1.
    snapshot: Option<sled::IVec>,
    log: BTreeMap<u64, sled::IVec>,
}

/// Boards kept in memory; see the module's docs.
pub struct MemoryStore {
    boards: Mutex<HashMap<String, Board>>,
    /// Incremented on every write, as sled's store does.
    written: AtomicU64,
    /// Always `u64::MAX`: every mark is durable.
    durable: watch::Sender<u64>,
    /// Compactions that wrote a snapshot (tests watch it).
    compactions: AtomicU64,
    /// Merges of log entries that wrote one.
    merges: AtomicU64,
    /// Boards "another node took" ([`MemoryStore::disown`]).
    disowned: Mutex<std::collections::HashSet<String>>,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore {
            boards: Mutex::default(),
            written: AtomicU64::new(0),
            durable: watch::Sender::new(u64::MAX),
            compactions: AtomicU64::new(0),
            merges: AtomicU64::new(0),
            disowned: Mutex::default(),
        }
    }
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Creates a board with its meta and first update (seq 0), as the API does on sled.
    pub fn insert_board(
        &self,
        board: &str,
        meta: &BoardMeta,
        initial_update: &[u8],
    ) -> Result<(), StoreError> {
        self.put_meta(board, meta)?;
        self.append(board, 0, initial_update)
    }

    /// How many compactions wrote a snapshot.
    pub fn compactions(&self) -> u64 {
        self.compactions.load(SeqCst)
    }

    /// How many merges of log entries wrote one.
    pub fn merges(&self) -> u64 {
        self.merges.load(SeqCst)
    }

    /// Acts as if another node had taken the board: [`BoardStore::owns`] is false from now on
    /// (tests of the room's cluster rule).
    pub fn disown(&self, board: &str) {
        self.disowned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(board.to_owned());
    }

    fn boards(&self) -> std::sync::MutexGuard<'_, HashMap<String, Board>> {
        // Nothing here can panic while holding the lock in a way that leaves a board half
        // written: every change is one map operation.
        self.boards.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl BoardStore for MemoryStore {
    fn board_meta(&self, board: &str) -> Result<Option<BoardMeta>, StoreError> {
        Ok(self.boards().get(board).and_then(|b| b.meta.clone()))
    }

    fn put_meta(&self, board: &str, meta: &BoardMeta) -> Result<(), StoreError> {
        self.boards().entry(board.to_owned()).or_default().meta = Some(meta.clone());
        self.written.fetch_add(1, SeqCst);
        Ok(())
    }

    fn read(&self, board: &str) -> Result<RawBoard, StoreError> {
        let boards = self.boards();
        let Some(b) = boards.get(board) else {
            return Ok(RawBoard::default());
        };
        let covered = b
            .snapshot
            .as_deref()
            .map(|s| boards::covered_seq(board, s))
            .transpose()?;
        let log = match covered {
            Some(c) => b.log.range(c.saturating_add(1)..),
            None => b.log.range(0..),
        };
        let log: Vec<(u64, sled::IVec)> = log.map(|(s, u)| (*s, u.clone())).collect();
        let next_seq = log
            .last()
            .map(|(s, _)| s + 1)
            .or(covered.map(|c| c + 1))
            .unwrap_or(0);
        Ok(RawBoard {
            snapshot: b.snapshot.clone(),
            log: log.into_iter().map(|(_, u)| u).collect(),
            next_seq,
        })
    }

    fn append(&self, board: &str, seq: u64, update: &[u8]) -> Result<(), StoreError> {
        self.boards()
            .entry(board.to_owned())
            .or_default()
            .log
            .insert(seq, update.into());
        self.written.fetch_add(1, SeqCst);
        Ok(())
    }

    fn compact(&self, board: &str, upto: u64) -> Result<Option<usize>, StoreError> {
        // Read under the lock (cheap clones), fold without it, as sled's store does.
        let (created_at, snapshot, log) = {
            let boards = self.boards();
            let Some(b) = boards.get(board) else {
                return Ok(None);
            };
            let log: Vec<sled::IVec> = b.log.range(..=upto).map(|(_, u)| u.clone()).collect();
            (
                b.meta.as_ref().map(|m| m.created_at),
                b.snapshot.clone(),
                log,
            )
        };
        let (value, snapshot_bytes) = boards::fold(
            board,
            snapshot.as_deref(),
            log.iter().map(Ok::<_, StoreError>),
            upto,
        )?;
        let mut boards = self.boards();
        let Some(b) = boards.get_mut(board) else {
            return Ok(None);
        };
        // Deleted and created anew, or another compaction swapped the snapshot meanwhile.
        if b.meta.as_ref().map(|m| m.created_at) != created_at || b.snapshot != snapshot {
            return Ok(None);
        }
        b.snapshot = Some(value.into());
        b.log = b.log.split_off(&upto.saturating_add(1));
        self.written.fetch_add(1, SeqCst);
        self.compactions.fetch_add(1, SeqCst);
        Ok(Some(snapshot_bytes))
    }

    fn merge_log(&self, board: &str, from: u64, upto: u64) -> Result<Option<usize>, StoreError> {
        // Under the lock throughout: a merge is quick, and this store is for tests.
        let mut boards = self.boards();
        let Some(b) = boards.get_mut(board) else {
            return Ok(None);
        };
        let seqs: Vec<u64> = b.log.range(from..=upto).map(|(seq, _)| *seq).collect();
        let Some((&last, earlier)) = seqs.split_last().filter(|(_, e)| !e.is_empty()) else {
            return Ok(None);
        };
        let merged = boards::merge(board, b.log.range(from..=upto).map(|(_, u)| u))?;
        let bytes = merged.len();
        for seq in earlier {
            b.log.remove(seq);
        }
        b.log.insert(last, merged.into());
        self.written.fetch_add(1, SeqCst);
        self.merges.fetch_add(1, SeqCst);
        Ok(Some(bytes))
    }

    fn written(&self) -> u64 {
        self.written.load(SeqCst)
    }

    fn durable(&self) -> watch::Receiver<u64> {
        self.durable.subscribe()
    }

    fn is_durable(&self, _mark: u64) -> bool {
        true
    }

    fn request_flush(&self) {}

    fn owns(&self, board: &str) -> bool {
        !self
            .disowned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(board)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::note_update;
    use huddle_shared::model::Board as Model;
    use std::sync::Arc;
    use yrs::Transact;

    fn meta() -> BoardMeta {
        BoardMeta {
            title: "t".into(),
            created_at: 1,
            updated_at: 1,
        }
    }

    /// The same calls on both implementations read back the same boards.
    #[test]
    fn memory_and_sled_agree() {
        let dir = tempfile::tempdir().unwrap();
        let sled = Store::open(dir.path(), Arc::default()).unwrap();
        let memory = MemoryStore::new();
        let stores: [&dyn BoardStore; 2] = [&sled, &memory];
        let board = Model::new();
        let updates: Vec<Vec<u8>> = (0..10).map(|i| note_update(&board, i as f64)).collect();
        let want = board.snapshot(&board.doc().transact());
        for store in stores {
            store.put_meta("b", &meta()).unwrap();
            for (seq, u) in updates.iter().enumerate() {
                store.append("b", seq as u64, u).unwrap();
            }
        }
        let check = |store: &dyn BoardStore, next_seq: u64, log_len: usize| {
            let raw = store.read("b").unwrap();
            assert_eq!((raw.next_seq, raw.log.len()), (next_seq, log_len));
            let doc = Model::from_doc(raw.build("b").unwrap());
            assert_eq!(doc.snapshot(&doc.doc().transact()), want);
        };
        for store in stores {
            check(store, 10, 10);
            assert!(store.compact("b", 6).unwrap().is_some());
            check(store, 10, 3);
            assert!(store.compact("b", 9).unwrap().is_some());
            check(store, 10, 0);
            assert_eq!(store.board_meta("b").unwrap(), Some(meta()));
            assert!(store.board_meta("nope").unwrap().is_none());
            assert!(store.read("nope").unwrap().log.is_empty());
        }
        assert_eq!(
            sled.read("b").unwrap().snapshot(),
            memory.read("b").unwrap().snapshot()
        );
    }
}
