//! Storage in sled: per board an append-only log of updates plus a compacted snapshot, and
//! beside them who may do what ([`access`]: people, grants, share links, the server's secrets)
//! and what each person has seen of each board ([`since`]).
//!
//! # Layout
//!
//! - this file: [`Store`], the sled database, its board trees and the group commit;
//! - [`docs`]: where the board trees are: a sled database of their own (`{data}/docs/N`),
//!   copied into a fresh one when its files grow past 1.25x what they hold;
//! - [`boards`]: [`BoardStore`], the board-document part as a room sees it (meta, log,
//!   snapshot, compaction, durability), implemented by [`Store`] and by [`memory`]'s
//!   [`MemoryStore`] (tests); the other trees below stay on the sled `Store` for now;
//! - [`compaction`]: the one rule for when a log is folded into its snapshot, and a room's
//!   schedule of compactions ([`Compactor`]);
//! - [`access`], [`rounds`], [`facilitation`], [`comments`], [`since`], [`versions`], [`views`],
//!   [`notify`]: the other trees, each in its own file.
//!
//! Board trees, in [`docs`]' database (board ids never contain `/`, so prefixes cannot
//! collide):
//! - `snapshots`: `{board}` -> 8 bytes (big-endian seq of the last update it covers), then an
//!   update v1 holding the whole board at that point;
//! - `log`: `{board}/{seq: 8 bytes big-endian}` -> one update as received from a client;
//! - `version_heads`, `version_states`: the board's stored versions ([`versions`]).
//!
//! Snapshots live in their own tree so that a megabyte snapshot never shares a B-tree page
//! with the small log entries appended beside it (sled rewrites a page as it grows, which made
//! every append on a big board cost as much as the snapshot). Appending costs one insert of
//! the update's bytes, whatever the board's size. Compaction (snapshot + log -> new snapshot)
//! runs on a blocking thread, never in a room, when [`CompactionRule`] says so (the log half
//! as large as the snapshot, so its cost per appended byte is bounded): it writes the new
//! snapshot, then deletes the log entries it covers. A crash between the two is harmless, as
//! loading skips log entries that the snapshot covers. Between compactions, runs of log
//! entries are merged into one ([`Store::merge_log`]).
//!
//! Durability is a group commit: appends only write to sled's memory; [`Store::request_flush`]
//! wakes the flusher task, which runs one `flush` (fsync) for everything appended so far and
//! then publishes the new durable mark on a watch channel. Rooms acknowledge "saved" once the
//! durable mark passes the write mark of the client's last update.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use huddle_shared::model::{Board, BoardSnapshot};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use yrs::Transact;

use crate::metrics::Metrics;

pub mod access;
pub mod boards;
pub mod comments;
pub mod compaction;
pub mod docs;
pub mod facilitation;
pub mod kv;
pub mod memory;
pub mod migrate;
pub mod notify;
pub mod redis;
pub mod rounds;
pub mod since;
pub mod versions;
pub mod views;

/// The tree of the board list (board id -> [`BoardMeta`] JSON); in Redis the
/// [`RedisStore`]'s fenced meta writes go to the same tree.
pub(crate) const BOARDS_TREE: &str = "boards";

/// How long a stopping node waits for Redis to acknowledge its last writes.
const REDIS_WAIT: Duration = Duration::from_secs(10);

/// How long [`Store::open`] waits for a database lock that another handle still holds.
const LOCK_WAIT: Duration = Duration::from_secs(2);

pub use access::{Grant, Links, Profile, Secrets};
pub use boards::{BoardStore, RawBoard};
pub use compaction::{CompactionRule, Compactor, LogSize};
pub use facilitation::{EndedPrivate, StoredFacilitation};
pub use memory::MemoryStore;
pub use redis::{Lease, RedisStore};
pub use rounds::{StoredBallot, StoredRound};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored data for board {board} is corrupt: {what}")]
    Corrupt { board: String, what: String },
    #[error("storage task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// Another process (a running `huddle serve`) holds the database's lock.
    #[error("the database in {0} is in use by another process (is a Huddle server running on it?)")]
    Locked(String),
    #[error("no random numbers from the operating system: {0}")]
    Random(#[from] getrandom::Error),
    /// The board is not (or no longer) stored: deleted while a room was starting for it.
    #[error("no board with id {0:?}")]
    NoSuchBoard(String),
    #[error("Redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// Cluster mode: another node holds the board's lease (or took it from this one).
    #[error("this node does not own board {0:?}: another node holds its lease")]
    NotOwner(String),
    /// Cluster mode: the board's room runs on another node.
    #[error("board {board:?} is open on node {node:?}")]
    OwnedElsewhere { board: String, node: String },
    #[error("cannot start a storage thread: {0}")]
    Thread(String),
    #[error("cannot migrate: {0}")]
    Migrate(String),
    #[error("storage error: {0}")]
    Io(#[from] std::io::Error),
}

/// What the board list shows; kept beside the document so listing never loads a board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardMeta {
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    /// Milliseconds since the Unix epoch of the last stored change.
    pub updated_at: u64,
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: kv::Db,
    meta: kv::Tree,
    /// The board documents (sled; in Redis they are the [`RedisStore`]'s).
    docs: Option<docs::Docs>,
    access: access::AccessTrees,
    rounds: rounds::RoundTrees,
    facilitation: facilitation::FacilitationTrees,
    comments: kv::Tree,
    since: since::SinceTrees,
    versions: versions::VersionTrees,
    views: kv::Tree,
    /// Incremented after every append: "how much has been written".
    written: AtomicU64,
    /// Wakes the flusher.
    flush_wanted: Notify,
    /// The `written` value covered by the last completed flush.
    durable: watch::Sender<u64>,
    /// Held while a compaction swaps a snapshot in and while a board is deleted, so that a
    /// compaction that started before a deletion can never write the board back.
    lifecycle: std::sync::Mutex<()>,
    metrics: Arc<Metrics>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn log_prefix(board: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(board.len() + 9);
    k.extend_from_slice(board.as_bytes());
    k.push(b'/');
    k
}

fn log_key(board: &str, seq: u64) -> Vec<u8> {
    let mut k = log_prefix(board);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Opens a sled database. The lock outlives the last handle by a moment (sled's background
/// threads let go of the file after the `Db` is dropped; a stopping server does the same), so a
/// busy lock is retried for a short while before it is reported.
fn open_sled(path: &std::path::Path) -> Result<sled::Db, StoreError> {
    let give_up = Instant::now() + LOCK_WAIT;
    loop {
        match sled::Config::new().path(path).open() {
            Ok(db) => return Ok(db),
            // sled says so only in the message of an I/O error (sled 0.34, config.rs).
            Err(sled::Error::Io(io)) if io.to_string().contains("could not acquire lock") => {
                if Instant::now() >= give_up {
                    return Err(StoreError::Locked(path.display().to_string()));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(StoreError::Sled(e)),
        }
    }
}

fn seq_of_log_key(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

impl Store {
    /// Opens (or creates) the data directory `path`: the main sled database there, the
    /// documents in `path/docs` ([`docs`]). Blocking.
    pub fn open(path: &std::path::Path, metrics: Arc<Metrics>) -> Result<Store, StoreError> {
        let db = open_sled(path)?;
        let docs = docs::Docs::open(path.join("docs"), &db, metrics.clone())?;
        Store::with_db(kv::Db::Sled(db), Some(docs), metrics)
    }

    /// A store whose boards and trees are all in Redis, shared by every node of a cluster
    /// (`huddle serve --redis`): the documents through `redis` (leases, fencing, the
    /// stream log), the other trees as [`kv::Tree`]s.
    pub fn open_redis(redis: RedisStore, metrics: Arc<Metrics>) -> Result<Store, StoreError> {
        Store::with_db(kv::Db::Redis(redis), None, metrics)
    }

    fn with_db(
        db: kv::Db,
        docs: Option<docs::Docs>,
        metrics: Arc<Metrics>,
    ) -> Result<Store, StoreError> {
        let meta = db.open_tree(BOARDS_TREE)?;
        let access = Store::access_trees(&db)?;
        let rounds = Store::round_trees(&db)?;
        let facilitation = Store::facilitation_trees(&db)?;
        let comments = Store::comment_tree(&db)?;
        let since = Store::since_trees(&db)?;
        let versions = Store::version_trees(&db)?;
        let views = Store::view_tree(&db)?;
        let (durable, _) = watch::channel(0);
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                meta,
                docs,
                access,
                rounds,
                facilitation,
                comments,
                since,
                versions,
                views,
                written: AtomicU64::new(0),
                flush_wanted: Notify::new(),
                durable,
                lifecycle: std::sync::Mutex::new(()),
                metrics,
            }),
        })
    }

    /// The Redis store, in cluster mode.
    pub fn redis(&self) -> Option<&RedisStore> {
        match &self.inner.db {
            kv::Db::Redis(redis) => Some(redis),
            kv::Db::Sled(_) => None,
        }
    }

    // ---- board index -------------------------------------------------------------------------

    pub fn list_boards(&self) -> Result<Vec<(String, BoardMeta)>, StoreError> {
        let mut boards = Vec::new();
        for entry in self.inner.meta.iter() {
            let (key, value) = entry?;
            let id = String::from_utf8_lossy(&key).into_owned();
            if let Ok(meta) = serde_json::from_slice(&value) {
                boards.push((id, meta));
            }
        }
        Ok(boards)
    }

    pub fn board_meta(&self, board: &str) -> Result<Option<BoardMeta>, StoreError> {
        Ok(match self.inner.meta.get(board)? {
            Some(v) => serde_json::from_slice(&v).ok(),
            None => None,
        })
    }

    pub fn put_meta(&self, board: &str, meta: &BoardMeta) -> Result<(), StoreError> {
        let json = serde_json::to_vec(meta).unwrap_or_default();
        self.inner.meta.insert(board, json)?;
        Ok(())
    }

    /// Creates a board whose document starts with `initial_update`; it is durable on return.
    pub async fn create_board(
        &self,
        board: &str,
        meta: &BoardMeta,
        initial_update: &[u8],
    ) -> Result<(), StoreError> {
        if let Some(redis) = self.redis() {
            // Durable when Redis answers.
            redis.insert_board(board, meta, initial_update)?;
            return Ok(());
        }
        self.insert_board(board, meta, initial_update)?;
        let target = self.written();
        self.wait_durable(target).await;
        Ok(())
    }

    /// Writes a new board's meta and first update, not yet durable: [`Store::create_board`]
    /// waits for the group commit; the command line calls [`Store::flush_blocking`].
    pub fn insert_board(
        &self,
        board: &str,
        meta: &BoardMeta,
        initial_update: &[u8],
    ) -> Result<(), StoreError> {
        if let Some(redis) = self.redis() {
            redis.insert_board(board, meta, initial_update)?;
            return Ok(());
        }
        self.put_meta(board, meta)?;
        self.append(board, 0, initial_update)
    }

    /// Flushes everything to disk now, on the calling thread (for the command line, which
    /// runs no flusher task).
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        if let Some(docs) = &self.inner.docs {
            docs.flush()?;
        }
        Ok(())
    }

    /// The sled store's documents; every caller has returned first in Redis.
    fn docs(&self) -> &docs::Docs {
        self.inner
            .docs
            .as_ref()
            .expect("a sled store has its documents")
    }

    /// Copies the documents into a fresh generation now ([`docs::Docs::rewrite`]); the server
    /// does so by itself when their files grow past 1.25x what they hold. `None` in Redis or
    /// while another rewrite runs. Blocking.
    pub fn rewrite_documents(&self) -> Result<Option<docs::Rewrite>, StoreError> {
        match &self.inner.docs {
            Some(docs) => docs.rewrite(),
            None => Ok(None),
        }
    }

    /// Rewrites the documents if their files have grown past 1.25x what they hold, as the
    /// server checks every few seconds ([`docs::Docs::rewrite_if_due`]; benchmarks). Blocking.
    pub fn rewrite_documents_if_due(&self) -> Result<Option<docs::Rewrite>, StoreError> {
        match &self.inner.docs {
            Some(docs) => docs.rewrite_if_due(),
            None => Ok(None),
        }
    }

    /// The bytes of the documents' files on disk (sled; 0 in Redis).
    pub fn documents_disk_bytes(&self) -> u64 {
        self.inner.docs.as_ref().map_or(0, |d| d.disk_bytes())
    }

    /// Removes the board, its log and its snapshot.
    pub fn delete_board(&self, board: &str) -> Result<bool, StoreError> {
        let _lifecycle = self
            .inner
            .lifecycle
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // The board's trees first: in Redis their writes check the board's fence, which
        // deleting the board's own keys removes.
        self.delete_access(board)?;
        self.delete_rounds(board)?;
        self.delete_facilitation(board)?;
        self.delete_comments(board)?;
        self.delete_since(board)?;
        self.inner.views.remove(board)?;
        self.delete_all_versions(board)?;
        self.notify_trees()?.delete_board(self, board)?;
        let existed = if let Some(redis) = self.redis() {
            redis.delete_board(board)?
        } else {
            let existed = self.inner.meta.remove(board)?.is_some();
            self.docs().with(board, |db| db.remove_board(board))?;
            existed
        };
        self.inner.written.fetch_add(1, SeqCst);
        self.request_flush();
        Ok(existed)
    }

    // ---- documents ---------------------------------------------------------------------------

    /// Reads a board's stored bytes (fast: no decoding). Blocking: call from a blocking thread.
    pub fn read(&self, board: &str) -> Result<RawBoard, StoreError> {
        if let Some(redis) = self.redis() {
            return BoardStore::read(redis, board);
        }
        self.docs().with(board, |db| self.read_from(db, board))
    }

    fn read_from(&self, db: &docs::DocDb, board: &str) -> Result<RawBoard, StoreError> {
        loop {
            let snapshot = db.snapshots.get(board)?;
            let covered = snapshot
                .as_deref()
                .map(|s| boards::covered_seq(board, s))
                .transpose()?;
            let mut next_seq = covered.map_or(0, |c| c + 1);
            let mut log = Vec::new();
            for entry in db.log.scan_prefix(log_prefix(board)) {
                let (key, value) = entry?;
                let seq = seq_of_log_key(&key).ok_or_else(|| corrupt(board, "log key"))?;
                if covered.is_some_and(|c| seq <= c) {
                    continue; // compacted, but not yet deleted when the process stopped
                }
                log.push(value);
                next_seq = seq + 1;
            }
            // A compaction may have swapped the snapshot and dropped log entries while we
            // read: then what we read may miss updates. Read again (compactions are rare).
            let covered_now = db
                .snapshots
                .get(board)?
                .as_deref()
                .map(|s| boards::covered_seq(board, s))
                .transpose()?;
            if covered_now == covered {
                return Ok(RawBoard {
                    snapshot,
                    log,
                    next_seq,
                });
            }
        }
    }

    /// Reads and builds a board's document. Blocking.
    pub fn load(&self, board: &str) -> Result<(RawBoard, yrs::Doc), StoreError> {
        let raw = self.read(board)?;
        let doc = raw.build(board)?;
        Ok((raw, doc))
    }

    /// Reads a board as plain values without loading it into a room. Blocking.
    pub fn load_snapshot(&self, board: &str) -> Result<BoardSnapshot, StoreError> {
        let board = Board::from_doc(self.load(board)?.1);
        let txn = board.doc().transact();
        Ok(board.snapshot(&txn))
    }

    /// Appends one update to the board's log. Cost: one sled insert of `update.len()` bytes.
    pub fn append(&self, board: &str, seq: u64, update: &[u8]) -> Result<(), StoreError> {
        if let Some(redis) = self.redis() {
            return redis.append(board, seq, update);
        }
        self.docs()
            .with(board, |db| db.log.insert(log_key(board, seq), update))?;
        self.inner.written.fetch_add(1, SeqCst);
        Ok(())
    }

    /// Folds the log up to `upto` (inclusive) into a new snapshot. Blocking: run it on a
    /// blocking thread. Returns the snapshot size in bytes, or `None` if the board was deleted
    /// (or deleted and created anew), or another compaction of it finished, meanwhile, in
    /// which case nothing is written.
    pub fn compact(&self, board: &str, upto: u64) -> Result<Option<usize>, StoreError> {
        if let Some(redis) = self.redis() {
            return redis.compact(board, upto);
        }
        let started_as = self.incarnation(board)?;
        // Read, then folded without holding the documents (a rewrite may move the board
        // meanwhile: the checks and writes below go where it is then, whose log holds the same
        // updates merged into one entry under its last key; removing the keys read may leave
        // that entry, which repeats updates the snapshot holds, and applying an update twice
        // changes nothing).
        let (snapshot, log) = self.docs().with(board, |db| {
            let log = db
                .log
                .range(log_key(board, 0)..=log_key(board, upto))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, StoreError>((db.snapshots.get(board)?, log))
        })?;
        let values = log.iter().map(|(_, value)| Ok(value));
        let (value, snapshot_bytes) = boards::fold(board, snapshot.as_deref(), values, upto)?;
        let _lifecycle = self
            .inner
            .lifecycle
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Deleted (and maybe created anew), or another compaction of the board (a room that
        // closed, and the next one for the same board) swapped the snapshot meanwhile: what
        // was folded may then miss the entries that one removed.
        let covered = |s: Option<&[u8]>| s.map(|s| boards::covered_seq(board, s)).transpose();
        let written = self.docs().with(board, |db| {
            if self.incarnation(board)? != started_as
                || covered(db.snapshots.get(board)?.as_deref())? != covered(snapshot.as_deref())?
            {
                return Ok::<_, StoreError>(false);
            }
            // Snapshot first: if we crash before the log entries go, loading skips them anyway.
            db.snapshots.insert(board, value)?;
            let mut batch = sled::Batch::default();
            for (key, _) in log {
                batch.remove(key);
            }
            db.log.apply_batch(batch)?;
            Ok(true)
        })?;
        if !written {
            return Ok(None);
        }
        self.inner.written.fetch_add(1, SeqCst);
        self.inner.metrics.compactions.fetch_add(1, SeqCst);
        drop(_lifecycle);
        Ok(Some(snapshot_bytes))
    }

    /// [`docs::Docs::rewrite_if_due`] here and now, its outcome logged. Blocking.
    pub(crate) fn rewrite_documents_logged(&self) {
        match self.rewrite_documents_if_due() {
            Ok(Some(done)) => tracing::info!(
                "documents rewritten into generation {}: {} boards, {} KiB copied, files {} -> {} KiB",
                done.generation,
                done.boards,
                done.copied / 1024,
                done.disk_before / 1024,
                done.disk_after / 1024
            ),
            Ok(None) => {}
            Err(e) => tracing::error!("rewriting the documents failed: {e}"),
        }
    }

    /// Which board of this id is stored (its creation time): a board deleted and created anew
    /// while a compaction or merge ran is another board.
    fn incarnation(&self, board: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.board_meta(board)?.map(|m| m.created_at))
    }

    /// Merges the log entries `from..=upto` into one entry `upto`: see
    /// [`BoardStore::merge_log`]. Blocking: O(the entries merged).
    pub fn merge_log(
        &self,
        board: &str,
        from: u64,
        upto: u64,
    ) -> Result<Option<usize>, StoreError> {
        if let Some(redis) = self.redis() {
            return redis.merge_log(board, from, upto);
        }
        let started_as = self.incarnation(board)?;
        let entries = self.docs().with(board, |db| {
            db.log
                .range(log_key(board, from)..=log_key(board, upto))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let Some(((last, _), earlier)) = entries.split_last().filter(|(_, e)| !e.is_empty()) else {
            return Ok(None);
        };
        let merged = boards::merge(board, entries.iter().map(|(_, v)| v))?;
        let _lifecycle = self
            .inner
            .lifecycle
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if self.incarnation(board)? != started_as {
            return Ok(None);
        }
        // The merged entry first, in the last one's place: a reader that sees it has all the
        // others held, whichever of them it saw. A compaction meanwhile may have folded and
        // dropped some of them: the merged entry then repeats what the snapshot holds, which
        // applying ignores (and, if the snapshot covers it, reading skips it).
        let bytes = merged.len();
        self.docs().with(board, |db| {
            db.log.insert(last, merged)?;
            // One by one, not as a batch: sled applies a batch under a lock that every other
            // write waits for, and the room's appends must not wait for 255 deletes.
            for (key, _) in earlier {
                db.log.remove(key)?;
            }
            Ok::<_, StoreError>(())
        })?;
        self.inner.written.fetch_add(1, SeqCst);
        self.inner.metrics.log_merges.fetch_add(1, SeqCst);
        Ok(Some(bytes))
    }

    // ---- durability --------------------------------------------------------------------------

    /// Counts a write outside the board log (access data), so that waiting for the current
    /// write mark to be durable covers it.
    pub(crate) fn mark_written(&self) {
        // In Redis a tree's write is persisted when it returns; only queued writes (the
        // board logs) count on the Redis store's marks.
        if self.redis().is_none() {
            self.inner.written.fetch_add(1, SeqCst);
        }
    }

    /// The write mark: a flush that starts after this call covers everything written so far.
    pub fn written(&self) -> u64 {
        match self.redis() {
            Some(redis) => redis.written(),
            None => self.inner.written.load(SeqCst),
        }
    }

    /// Watches the durable mark (the write mark covered by the last finished flush).
    pub fn durable(&self) -> watch::Receiver<u64> {
        match self.redis() {
            Some(redis) => redis.durable(),
            None => self.inner.durable.subscribe(),
        }
    }

    pub fn is_durable(&self, mark: u64) -> bool {
        match self.redis() {
            Some(redis) => redis.is_durable(mark),
            None => *self.inner.durable.borrow() >= mark,
        }
    }

    /// Asks the flusher for a group commit soon.
    pub fn request_flush(&self) {
        self.inner.flush_wanted.notify_one();
    }

    /// Requests a flush and waits until `mark` is durable.
    pub async fn wait_durable(&self, mark: u64) {
        let mut rx = self.durable();
        self.request_flush();
        let _ = rx.wait_for(|d| *d >= mark).await;
    }

    /// The group-commit loop: one fsync for all appends since the last one. Runs until
    /// `shutdown`, then does a final flush.
    pub async fn run_flusher(self, shutdown: CancellationToken) {
        // The documents' files are measured on a clock of their own: a server whose
        // clients never ask for "saved" runs no group commit (sled flushes by itself).
        let mut maintenance = tokio::time::interval(docs::CHECK_EVERY);
        maintenance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = self.inner.flush_wanted.notified() => {}
                _ = maintenance.tick() => {
                    self.maintain_documents();
                    continue;
                }
                _ = shutdown.cancelled() => break,
            }
            if let Err(e) = self.flush_now().await {
                tracing::error!("flush failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                self.request_flush();
            }
        }
        if let Err(e) = self.flush_now().await {
            tracing::error!("final flush failed: {e}");
        }
    }

    /// Every [`docs::CHECK_EVERY`], on a blocking thread: rewrites the documents into a fresh
    /// generation if their files have grown past 1.25x what they hold
    /// ([`docs::Docs::rewrite_if_due`]).
    fn maintain_documents(&self) {
        if self.inner.docs.as_ref().is_none_or(|d| d.rewriting()) {
            return;
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.rewrite_documents_logged());
    }

    /// Flushes everything written so far and publishes the new durable mark.
    pub async fn flush_now(&self) -> Result<(), StoreError> {
        if let Some(redis) = self.redis() {
            // The Redis store's writer sends what is queued at once; wait for its answer.
            let target = redis.written();
            let mut durable = redis.durable();
            let answered = tokio::time::timeout(REDIS_WAIT, durable.wait_for(|d| *d >= target));
            if answered.await.is_err() {
                tracing::error!("Redis did not acknowledge the last writes in {REDIS_WAIT:?}");
            }
            return Ok(());
        }
        let target = self.written();
        if self.is_durable(target) {
            return Ok(());
        }
        let started = Instant::now();
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.flush_blocking()).await??;
        self.inner.metrics.observe_flush(started.elapsed());
        self.inner.durable.send_if_modified(|d| {
            let advanced = target > *d;
            *d = (*d).max(target);
            advanced
        });
        Ok(())
    }
}

pub(crate) fn corrupt(board: &str, what: &str) -> StoreError {
    StoreError::Corrupt {
        board: board.to_owned(),
        what: what.to_owned(),
    }
}

/// The update that adds a note at `x` to `board`, as a client would send it (tests of the
/// store and the room).
#[cfg(test)]
pub(crate) fn note_update(board: &Board, x: f64) -> Vec<u8> {
    use huddle_shared::model::NewNote;
    use yrs::ReadTxn;
    let before = board.doc().transact().state_vector();
    {
        let mut txn = board.transact_mut();
        let note = NewNote {
            pos: [x, 0.0],
            ..Default::default()
        };
        board.create_note(&mut txn, note).unwrap();
    }
    board.doc().transact().encode_state_as_update_v1(&before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn log_snapshot_and_compaction_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let board = Board::new();
        for i in 0..10 {
            store
                .append("b", i, &note_update(&board, i as f64))
                .unwrap();
        }
        let want = board.snapshot(&board.doc().transact());

        let raw = store.read("b").unwrap();
        assert_eq!((raw.next_seq, raw.log.len()), (10, 10));
        assert_eq!(store.load_snapshot("b").unwrap(), want);

        // Merging a run: one entry in the last one's place, the same board.
        assert!(store.merge_log("b", 2, 5).unwrap().is_some());
        let raw = store.read("b").unwrap();
        assert_eq!((raw.next_seq, raw.log.len()), (10, 7));
        assert_eq!(store.load_snapshot("b").unwrap(), want);
        assert_eq!(
            store.merge_log("b", 3, 5).unwrap(),
            None,
            "one entry left there"
        );

        store.compact("b", 6).unwrap();
        let raw = store.read("b").unwrap();
        assert_eq!((raw.next_seq, raw.log.len()), (10, 3));
        assert_eq!(store.load_snapshot("b").unwrap(), want);

        store.compact("b", 9).unwrap();
        let raw = store.read("b").unwrap();
        assert_eq!((raw.next_seq, raw.log.len()), (10, 0));
        assert_eq!(store.load_snapshot("b").unwrap(), want);

        // Another board sharing a prefix is untouched by deleting this one.
        store
            .append("b2", 0, &note_update(&Board::new(), 1.0))
            .unwrap();
        store.delete_board("b").unwrap();
        assert!(store.load_snapshot("b").unwrap().items.is_empty());
        assert_eq!(store.load_snapshot("b2").unwrap().items.len(), 1);
    }

    #[tokio::test]
    async fn flush_advances_the_durable_mark() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let shutdown = CancellationToken::new();
        let flusher = tokio::spawn(store.clone().run_flusher(shutdown.clone()));
        store
            .append("b", 0, &note_update(&Board::new(), 0.0))
            .unwrap();
        let mark = store.written();
        assert!(!store.is_durable(mark));
        store.wait_durable(mark).await;
        assert!(store.is_durable(mark));
        shutdown.cancel();
        flusher.await.unwrap();
    }
}
