//! The board documents of a sled store (every board's snapshot and log) in a sled database of
//! their own, `{data}/docs/{generation}`, copied into a fresh one while the server runs when
//! its files have grown well past the bytes it holds.
//!
//! sled 0.34 never shrinks its files: the space of rewritten pages and replaced snapshots comes
//! back only as whole segments are reused, so a churned board's directory levels off at 5 to 15
//! times its snapshot (BENCHMARKS.md, "Disk space under churn"), while a fresh database holding
//! the same entries takes 1.05 to 1.2 times their bytes. So when the documents' files pass
//! a quarter more than the bytes they hold (and by at least [`REWRITE_SLACK`]), [`Docs::rewrite_if_due`]
//! copies every board into the next generation, a few boards per step. While a step copies its
//! boards and syncs them, the reads and appends of those boards wait at the step's gate (each
//! board waits for one step, never for the whole copy) and every other board's pass: the
//! write lock is held only to start and to end a step. After each step the rewrite pauses as
//! long as the step took: copied in one go, 1,000 boards' copies and syncs filled the disk and
//! the core the rooms relay on, and every room stalled for a few hundred milliseconds (W3,
//! BENCHMARKS.md "Documents rewritten without stalling the rooms"). A rewrite copies the live
//! bytes `L` and frees at least `L / 4`, so its cost stays proportional to what was written
//! since the last one.
//!
//! The other trees (people, rounds, comments, the journal, versions) stay in the main database,
//! with sled's id generator, which must keep rising: they are not rewritten (yet), and the
//! change journal's churn grows those files as the documents' files grew.
//!
//! # Crash safety
//!
//! `docs/CURRENT` names the generation in use. While boards move from generation `g` to `g + 1`,
//! a board is read and written where it lives: in `g` until its copy is synced in `g + 1` and a
//! marker in `g + 1`'s `moved` tree says so, then in `g + 1`; boards created meanwhile start in
//! `g + 1`. A process that stops half-way finds `g + 1` beside `CURRENT = g` at its next start
//! and finishes the move before serving: boards marked moved are taken from `g + 1`, the others
//! copied again from `g`. When every board has moved, `CURRENT` is replaced (written aside,
//! synced, renamed) and `g` deleted.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use super::{StoreError, corrupt, log_prefix};
use crate::metrics::Metrics;

/// The file naming the generation in use.
const CURRENT: &str = "CURRENT";
/// In the generation being filled: the boards whose copy is complete.
const MOVED: &str = "moved";
/// A rewrite is due only once the files hold at least this much more than the live bytes:
/// small stores are left alone.
pub const REWRITE_SLACK: u64 = 128 * 1024;
/// How often the server measures the files ([`Docs::rewrite_if_due`]: a directory listing).
pub const CHECK_EVERY: Duration = Duration::from_secs(5);
/// One step of a rewrite copies at most this many boards ...
const STEP_BOARDS: usize = 16;
/// ... or about this many bytes (the step's boards wait while it copies, merges and syncs).
const STEP_BYTES: u64 = 256 << 10;
/// The longest pause between two steps (each pauses as long as it took).
const MAX_PAUSE: Duration = Duration::from_millis(100);

/// One generation: a sled database holding the snapshots and logs (layout in `store/mod.rs`).
pub struct DocDb {
    generation: u64,
    dir: PathBuf,
    db: sled::Db,
    pub snapshots: sled::Tree,
    pub log: sled::Tree,
}

impl DocDb {
    fn open(root: &Path, generation: u64) -> Result<DocDb, StoreError> {
        let dir = generation_dir(root, generation);
        let db = super::open_sled(&dir)?;
        Ok(DocDb {
            generation,
            snapshots: db.open_tree("snapshots")?,
            log: db.open_tree("log")?,
            db,
            dir,
        })
    }

    /// Every board with a snapshot or a log entry here; one seek per board in the log.
    fn boards(&self) -> Result<BTreeSet<String>, StoreError> {
        let mut boards = BTreeSet::new();
        for key in self.snapshots.iter().keys() {
            boards.insert(String::from_utf8_lossy(&key?).into_owned());
        }
        let mut from = Vec::new();
        while let Some(entry) = self.log.range(from.as_slice()..).next() {
            let (key, _) = entry?;
            let board = key
                .len()
                .checked_sub(9)
                .map(|len| &key[..len])
                .ok_or_else(|| corrupt("?", "log key"))?;
            boards.insert(String::from_utf8_lossy(board).into_owned());
            // Past every `{board}/{seq}` key: `0` follows `/` (ids never hold a `/`).
            from = board.to_vec();
            from.push(b'/' + 1);
        }
        Ok(boards)
    }

    /// Copies `board`'s snapshot and log into `to`, the log merged into one entry in its last
    /// one's place (as [`super::Store::merge_log`] does: many small entries take several
    /// times their bytes in sled, one merged entry about its own); returns the bytes written.
    fn copy_board(&self, board: &str, to: &DocDb) -> Result<u64, StoreError> {
        let mut bytes = 0;
        if let Some(snapshot) = self.snapshots.get(board)? {
            bytes += snapshot.len();
            to.snapshots.insert(board, snapshot)?;
        }
        let log = self
            .log
            .scan_prefix(log_prefix(board))
            .collect::<Result<Vec<_>, _>>()?;
        let merged = match log.split_last() {
            Some(((last, _), earlier)) if !earlier.is_empty() => {
                super::boards::merge(board, log.iter().map(|(_, v)| v))
                    .ok()
                    .map(|merged| (last.clone(), merged))
            }
            _ => None,
        };
        if let Some((key, merged)) = merged {
            bytes += merged.len();
            to.log.insert(key, merged)?;
        } else {
            // One entry, or entries that do not merge (kept as they are for loading to judge).
            let mut batch = sled::Batch::default();
            for (key, value) in log {
                bytes += value.len();
                batch.insert(key, value);
            }
            to.log.apply_batch(batch)?;
        }
        Ok(bytes as u64)
    }

    pub(super) fn remove_board(&self, board: &str) -> Result<(), StoreError> {
        self.snapshots.remove(board)?;
        let mut batch = sled::Batch::default();
        for key in self.log.scan_prefix(log_prefix(board)).keys() {
            batch.remove(key?);
        }
        self.log.apply_batch(batch)?;
        Ok(())
    }

    /// The bytes of every snapshot and log entry (what a fresh copy must hold).
    fn live_bytes(&self) -> Result<u64, StoreError> {
        let mut bytes = 0;
        for tree in [&self.snapshots, &self.log] {
            for entry in tree.iter() {
                let (key, value) = entry?;
                bytes += (key.len() + value.len()) as u64;
            }
        }
        Ok(bytes)
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

/// What one rewrite did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrite {
    pub generation: u64,
    pub boards: u64,
    /// Bytes of snapshots and log entries copied.
    pub copied: u64,
    /// The files of the generation before, and of the new one when it was done.
    pub disk_before: u64,
    pub disk_after: u64,
}

/// Where each board's documents are: see the module's documentation.
pub struct Docs {
    root: PathBuf,
    state: RwLock<State>,
    /// A rewrite is running (at most one at a time).
    rewriting: AtomicBool,
    /// The live bytes at the last count (a rewrite is due only past 1.25x them) ...
    live: AtomicU64,
    /// ... and past 1.25x the files a rewrite left (so that one whose copy is no smaller than
    /// what it held is not repeated at every check).
    rewritten_to: AtomicU64,
    metrics: Arc<Metrics>,
}

struct State {
    current: Arc<DocDb>,
    /// While a rewrite moves boards into `current`: where they come from.
    moving: Option<Moving>,
}

struct Moving {
    from: Arc<DocDb>,
    /// Boards still in `from`, read and written there until their step.
    pending: BTreeSet<String>,
    /// The step being copied, if one is.
    step: Option<Step>,
}

/// Boards being copied, and the gate their reads and appends wait at meanwhile: the rewrite
/// holds it locked for the step's length, until the boards have moved.
struct Step {
    boards: BTreeSet<String>,
    gate: Arc<Mutex<()>>,
}

impl State {
    fn db_for(&self, board: &str) -> &DocDb {
        match &self.moving {
            Some(moving) if moving.pending.contains(board) => &moving.from,
            _ => &self.current,
        }
    }

    /// The gate to wait at before touching `board`, if a step is copying it.
    fn gate_for(&self, board: &str) -> Option<Arc<Mutex<()>>> {
        let step = self.moving.as_ref()?.step.as_ref()?;
        step.boards.contains(board).then(|| step.gate.clone())
    }
}

impl Docs {
    /// Opens the documents under `root` (`{data}/docs`), moving them there from `main` (data
    /// directories from before generations kept them in the main database), and finishes a
    /// rewrite that a stop interrupted. Blocking.
    pub fn open(root: PathBuf, main: &sled::Db, metrics: Arc<Metrics>) -> Result<Docs, StoreError> {
        std::fs::create_dir_all(&root)?;
        let (generation, first) = match read_current(&root)? {
            Some(generation) => (generation, None),
            None => {
                // New, or from before generations: start generation 1 with what `main` holds.
                remove_dir_if_there(&generation_dir(&root, 1))?;
                let first = DocDb::open(&root, 1)?;
                let names = main.tree_names();
                for (name, to) in [("snapshots", &first.snapshots), ("log", &first.log)] {
                    if names.iter().any(|n| n == name.as_bytes()) {
                        for entry in main.open_tree(name)?.iter() {
                            let (key, value) = entry?;
                            to.insert(key, value)?;
                        }
                    }
                }
                first.flush()?;
                write_current(&root, 1)?;
                (1, Some(first))
            }
        };
        // Copied into generation 1 above (or before a stop): no longer read from `main`.
        for name in ["snapshots", "log"] {
            main.drop_tree(name)?;
        }
        for entry in std::fs::read_dir(&root)? {
            let entry = entry?;
            let number = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u64>().ok());
            if number.is_some_and(|n| n != generation && n != generation + 1) {
                // A generation rewritten away whose deletion a stop cut short.
                std::fs::remove_dir_all(entry.path())?;
            }
        }
        let current = match first {
            Some(db) => db,
            None => DocDb::open(&root, generation)?,
        };
        let resume = generation_dir(&root, generation + 1).exists();
        let docs = Docs {
            root: root.clone(),
            state: RwLock::new(State {
                current: Arc::new(current),
                moving: None,
            }),
            rewriting: AtomicBool::new(false),
            live: Default::default(),
            rewritten_to: Default::default(),
            metrics,
        };
        if resume {
            // Stopped while moving boards into the next generation: finish before serving.
            let to = DocDb::open(&root, generation + 1)?;
            let moved = to
                .db
                .open_tree(MOVED)?
                .iter()
                .keys()
                .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
                .collect::<Result<BTreeSet<_>, StoreError>>()?;
            let mut state = docs.write();
            let from = state.current.clone();
            let mut pending = from.boards()?;
            pending.retain(|b| !moved.contains(b));
            for board in &pending {
                to.remove_board(board)?; // a copy the stop cut short
            }
            state.current = Arc::new(to);
            state.moving = Some(Moving {
                from,
                pending,
                step: None,
            });
            drop(state);
            let disk_before = dir_bytes(&generation_dir(&root, generation));
            // Before serving: nobody to make room for, so no pauses.
            docs.finish(disk_before, false)?;
        } else {
            docs.read().current.db.drop_tree(MOVED)?;
        }
        Ok(docs)
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read()
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write()
    }

    /// Runs `f` on the database that holds `board` now. A rewrite's step copying `board`
    /// makes it wait until the board has moved, and a step starts only once no `f` runs, so
    /// what `f` writes is never left behind in a generation the board has moved out of. `f`
    /// must not call back into [`Docs`].
    pub fn with<R>(&self, board: &str, f: impl FnOnce(&DocDb) -> R) -> R {
        loop {
            let state = self.read();
            let Some(gate) = state.gate_for(board) else {
                return f(state.db_for(board));
            };
            drop(state);
            // Open once the step has moved its boards; then `board` is read afresh.
            drop(gate.lock());
        }
    }

    /// The generation in use (tests, benchmarks).
    pub fn generation(&self) -> u64 {
        self.read().current.generation
    }

    /// Syncs every generation in use to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        let dbs: Vec<Arc<DocDb>> = {
            let state = self.read();
            std::iter::once(state.current.clone())
                .chain(state.moving.as_ref().map(|m| m.from.clone()))
                .collect()
        };
        for db in dbs {
            db.flush()?;
        }
        Ok(())
    }

    /// Whether a rewrite runs now.
    pub fn rewriting(&self) -> bool {
        self.rewriting.load(SeqCst)
    }

    /// Measures the files and rewrites the documents into a fresh generation when they have
    /// grown past 1.25x the bytes they hold (and by [`REWRITE_SLACK`]). Blocking: a directory
    /// listing, a count of the live bytes only when the files look big enough, and a rewrite
    /// when due (seconds on a big store, in steps that each hold back the appends of the at
    /// most [`STEP_BOARDS`] boards they copy, with their logs merged, and pause after).
    pub fn rewrite_if_due(&self) -> Result<Option<Rewrite>, StoreError> {
        // A rewrite an error cut short is finished first: until then the boards not yet
        // moved keep their old generation, which the measure below does not see.
        if self.read().moving.is_some() {
            return self.rewrite();
        }
        let current = self.read().current.clone();
        let on_disk = dir_bytes(&current.dir);
        self.metrics.docs_disk_bytes.store(on_disk as i64, SeqCst);
        let due = |live: u64| {
            let floor = live.max(self.rewritten_to.load(SeqCst));
            on_disk.saturating_mul(4) > floor.saturating_mul(5) && on_disk >= live + REWRITE_SLACK
        };
        if !due(self.live.load(SeqCst)) {
            return Ok(None);
        }
        let live = current.live_bytes()?;
        self.live.store(live, SeqCst);
        self.metrics.docs_live_bytes.store(live as i64, SeqCst);
        if !due(live) {
            return Ok(None);
        }
        drop(current);
        self.rewrite()
    }

    /// Copies every board into a fresh generation now (or finishes a rewrite an error cut
    /// short). `None` if another rewrite is running. Blocking.
    pub fn rewrite(&self) -> Result<Option<Rewrite>, StoreError> {
        if self.rewriting.swap(true, SeqCst) {
            return Ok(None);
        }
        let result = self.start_and_finish();
        self.rewriting.store(false, SeqCst);
        result.map(Some)
    }

    fn start_and_finish(&self) -> Result<Rewrite, StoreError> {
        let (from, resume) = {
            let state = self.read();
            let from = state.moving.as_ref().map_or(&state.current, |m| &m.from);
            (from.clone(), state.moving.is_some())
        };
        let (disk_before, from_generation) = (dir_bytes(&from.dir), from.generation);
        drop(from); // the rewrite's end deletes it once nobody holds it
        if !resume {
            let generation = from_generation + 1;
            remove_dir_if_there(&generation_dir(&self.root, generation))?;
            let to = Arc::new(DocDb::open(&self.root, generation)?);
            let mut state = self.write();
            // Listed under the lock: a board created after this starts in `to`.
            let pending = state.current.boards()?;
            state.moving = Some(Moving {
                from: std::mem::replace(&mut state.current, to),
                pending,
                step: None,
            });
        }
        self.finish(disk_before, true)
    }

    /// Moves the pending boards step by step, then makes the new generation current.
    /// `pace`: pause after each step as long as it took (while the server serves).
    fn finish(&self, disk_before: u64, pace: bool) -> Result<Rewrite, StoreError> {
        let (from, to) = {
            let state = self.read();
            let moving = state.moving.as_ref().expect("a rewrite is under way");
            (moving.from.clone(), state.current.clone())
        };
        let moved = to.db.open_tree(MOVED)?;
        let (mut boards, mut copied) = (0, 0);
        loop {
            let step_started = Instant::now();
            let gate = Arc::new(Mutex::new(()));
            let closed = gate.lock();
            // Started under the write lock, so no read or append of these boards is under
            // way; from here on theirs wait at the gate, and every other board's pass.
            let step: Vec<String> = {
                let mut state = self.write();
                let moving = state.moving.as_mut().expect("a rewrite is under way");
                let step: Vec<String> = moving.pending.iter().take(STEP_BOARDS).cloned().collect();
                if step.is_empty() {
                    break;
                }
                moving.step = Some(Step {
                    boards: step.iter().cloned().collect(),
                    gate: gate.clone(),
                });
                step
            };
            let copies = (|| {
                let (mut done, mut bytes) = (Vec::new(), 0);
                for board in &step {
                    if bytes >= STEP_BYTES {
                        break;
                    }
                    bytes += from.copy_board(board, &to)?;
                    done.push(board);
                }
                // The copies on disk before a marker says the board lives here.
                to.flush()?;
                Ok::<_, StoreError>((done, bytes))
            })();
            let mut state = self.write();
            let moving = state.moving.as_mut().expect("a rewrite is under way");
            moving.step = None;
            let (done, bytes) = copies?;
            for board in &done {
                moved.insert(board.as_bytes(), &[])?;
                moving.pending.remove(*board);
            }
            // Appends waiting for this step go before the next one.
            RwLockWriteGuard::unlock_fair(state);
            drop(closed);
            boards += done.len() as u64;
            copied += bytes;
            // As long again before the next step: the rooms' appends and the group commit
            // share the disk and the core with the copy.
            if pace {
                std::thread::sleep(step_started.elapsed().min(MAX_PAUSE));
            }
        }
        to.flush()?;
        write_current(&self.root, to.generation)?;
        drop(from);
        let from = self
            .write()
            .moving
            .take()
            .map(|m| m.from)
            .expect("a rewrite is under way");
        to.db.drop_tree(MOVED)?;
        drop_generation(from);
        self.metrics.docs_rewrites.fetch_add(1, SeqCst);
        let disk_after = dir_bytes(&to.dir);
        self.rewritten_to.store(disk_after, SeqCst);
        self.metrics
            .docs_disk_bytes
            .store(disk_after as i64, SeqCst);
        Ok(Rewrite {
            generation: to.generation,
            boards,
            copied,
            disk_before,
            disk_after,
        })
    }

    /// The bytes of the documents' files in the generation in use.
    pub fn disk_bytes(&self) -> u64 {
        dir_bytes(&self.read().current.dir)
    }
}

/// Closes a generation no longer current and deletes its files, once the flusher (the only
/// other holder, for a moment) has let go of it.
fn drop_generation(db: Arc<DocDb>) {
    let dir = db.dir.clone();
    let mut db = db;
    let give_up = Instant::now() + Duration::from_secs(10);
    loop {
        match Arc::try_unwrap(db) {
            Ok(db) => {
                drop(db);
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    tracing::warn!("cannot delete {}: {e}", dir.display());
                }
                return;
            }
            Err(still_held) if Instant::now() < give_up => {
                db = still_held;
                std::thread::sleep(Duration::from_millis(10));
            }
            // Deleted at the next start instead.
            Err(_) => return,
        }
    }
}

fn generation_dir(root: &Path, generation: u64) -> PathBuf {
    root.join(generation.to_string())
}

fn read_current(root: &Path) -> Result<Option<u64>, StoreError> {
    match std::fs::read_to_string(root.join(CURRENT)) {
        Ok(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| corrupt("*", &format!("{}: {text:?}", root.join(CURRENT).display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Replaces `CURRENT` atomically: written aside, synced, renamed, the directory synced.
fn write_current(root: &Path, generation: u64) -> Result<(), StoreError> {
    let aside = root.join(format!("{CURRENT}.new"));
    let mut file = std::fs::File::create(&aside)?;
    writeln!(file, "{generation}")?;
    file.sync_all()?;
    std::fs::rename(&aside, root.join(CURRENT))?;
    std::fs::File::open(root)?.sync_all()?;
    Ok(())
}

fn remove_dir_if_there(dir: &Path) -> Result<(), StoreError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// Bytes in the files under `dir` (their lengths, as `du --apparent-size`).
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use huddle_shared::model::Board;

    use super::*;
    use crate::store::{Store, log_key, note_update};

    /// Notes on each board of `store`, as read back.
    fn notes(store: &Store, board: &str) -> usize {
        store.load_snapshot(board).unwrap().items.len()
    }

    /// A board whose log is churned: `n` notes appended, compacted every 50 (each compaction
    /// followed by the store's check, as the server's compaction task runs it).
    fn churn(store: &Store, board: &str, n: u64) {
        let model = Board::new();
        for seq in 0..n {
            store
                .append(board, seq, &note_update(&model, seq as f64))
                .unwrap();
            if seq % 50 == 49 {
                store.compact(board, seq).unwrap();
                crate::store::BoardStore::after_compaction(store);
                store.flush_blocking().unwrap();
            }
        }
        store.flush_blocking().unwrap();
    }

    #[test]
    fn a_rewrite_keeps_every_board_gives_space_back_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        for b in ["a", "a-1", "b"] {
            churn(&store, b, 400);
        }
        // The garbage of replaced snapshots set rewrites off by themselves.
        let generation = store.docs().generation();
        assert!(generation > 1, "no rewrite while churning");
        let done = store.rewrite_documents().unwrap().unwrap();
        assert_eq!(
            (done.generation, done.boards),
            (generation + 1, 3),
            "{done:?}"
        );
        // A fresh copy takes about what it holds.
        assert!(
            done.disk_after <= done.copied * 3 / 2 + 64 * 1024,
            "{done:?}"
        );
        let docs = dir.path().join("docs");
        assert!(!generation_dir(&docs, generation).exists());
        assert!(generation_dir(&docs, generation + 1).exists());
        for b in ["a", "a-1", "b"] {
            assert_eq!(notes(&store, b), 400, "{b}");
        }
        // Writes go on in the new generation, and a restart opens it.
        store
            .append("b", 400, &note_update(&Board::new(), 1.0))
            .unwrap();
        store.flush_blocking().unwrap();
        drop(store);
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        assert_eq!(store.docs().generation(), generation + 1);
        assert_eq!(notes(&store, "a-1"), 400);
        assert_eq!(notes(&store, "b"), 401);
    }

    #[test]
    fn appends_during_a_rewrite_are_never_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let boards: Vec<String> = (0..200).map(|i| format!("board{i}")).collect();
        let update = note_update(&Board::new(), 0.0);
        for board in &boards {
            store.append(board, 0, &update).unwrap();
        }
        let writer = {
            let (store, boards) = (store.clone(), boards.clone());
            std::thread::spawn(move || {
                let model = Board::new();
                for seq in 1..=30u64 {
                    for board in &boards {
                        store
                            .append(board, seq, &note_update(&model, seq as f64))
                            .unwrap();
                    }
                }
            })
        };
        let mut rewrites = 0;
        // Back to back, a few rewrites meet the writer at every point of one: its appends to
        // the boards a step copies wait at the step's gate, the others pass meanwhile.
        while !writer.is_finished() && rewrites < 8 {
            rewrites += store.rewrite_documents().unwrap().is_some() as u32;
            std::thread::sleep(Duration::from_millis(20));
        }
        writer.join().unwrap();
        assert!(rewrites > 0);
        for board in &boards {
            // Every note, in entries merged by the copies.
            assert_eq!(store.read(board).unwrap().next_seq, 31, "{board}");
            assert_eq!(notes(&store, board), 31, "{board}");
        }
    }

    #[test]
    fn a_step_holds_back_its_own_boards_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let update = note_update(&Board::new(), 0.0);
        for board in ["copied", "other"] {
            store.append(board, 0, &update).unwrap();
        }
        // A rewrite as its step over "copied" leaves it: "other" waits for a later step.
        let docs = store.docs();
        let old = docs.generation();
        let to = Arc::new(DocDb::open(&dir.path().join("docs"), old + 1).unwrap());
        let gate = Arc::new(Mutex::new(()));
        let closed = gate.lock();
        {
            let mut state = docs.write();
            let from = std::mem::replace(&mut state.current, to.clone());
            state.moving = Some(Moving {
                from,
                pending: ["copied", "other"].map(String::from).into(),
                step: Some(Step {
                    boards: ["copied".to_owned()].into(),
                    gate: gate.clone(),
                }),
            });
        }
        let generation_of = |board: &'static str| {
            let store = store.clone();
            std::thread::spawn(move || store.docs().with(board, |db| db.generation))
        };
        let copied = generation_of("copied");
        assert_eq!(
            generation_of("other").join().unwrap(),
            old,
            "passes the closed gate"
        );
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !copied.is_finished(),
            "waits at the gate while its step copies it"
        );
        {
            let mut state = docs.write();
            let moving = state.moving.as_mut().unwrap();
            moving.step = None;
            moving.pending.remove("copied");
        }
        drop(closed);
        assert_eq!(
            copied.join().unwrap(),
            old + 1,
            "then goes where the board moved"
        );
    }

    #[test]
    fn a_rewrite_cut_short_is_finished_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("docs");
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        for b in ["b1", "b2", "b3", "b4"] {
            churn(&store, b, 60);
        }
        drop(store);
        {
            // As a stop would leave it: b1 and b2 moved (b1 written to since), b3 copied but
            // not marked, b4 not reached, "new" created in the next generation meanwhile.
            let from = DocDb::open(&root, 1).unwrap();
            let to = DocDb::open(&root, 2).unwrap();
            let moved = to.db.open_tree(MOVED).unwrap();
            for b in ["b1", "b2", "b3"] {
                from.copy_board(b, &to).unwrap();
            }
            for b in ["b1", "b2"] {
                moved.insert(b, &[]).unwrap();
            }
            let model = Board::new();
            to.log
                .insert(log_key("b1", 60), note_update(&model, 9.0))
                .unwrap();
            // A stale write that the stop left in the old generation: b1 lives in `to`.
            from.log
                .insert(log_key("b1", 61), note_update(&model, 8.0))
                .unwrap();
            to.log
                .insert(log_key("new", 0), note_update(&model, 7.0))
                .unwrap();
            from.flush().unwrap();
            to.flush().unwrap();
        }
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        assert_eq!(store.docs().generation(), 2);
        assert!(!generation_dir(&root, 1).exists());
        assert_eq!(notes(&store, "b1"), 61);
        for b in ["b2", "b3", "b4"] {
            let raw = store.read(b).unwrap();
            assert_eq!(notes(&store, b), 60, "{b}");
            assert!(raw.log.len() < 60, "{b}: compacted as before");
        }
        assert_eq!(notes(&store, "new"), 1);
    }

    #[test]
    fn a_data_directory_from_before_generations_is_moved_into_one() {
        let dir = tempfile::tempdir().unwrap();
        let model = Board::new();
        {
            let db = sled::open(dir.path()).unwrap();
            let log = db.open_tree("log").unwrap();
            for seq in 0..5u64 {
                log.insert(log_key("old", seq), note_update(&model, seq as f64))
                    .unwrap();
            }
            db.flush().unwrap();
        }
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        assert_eq!(notes(&store, "old"), 5);
        assert_eq!(store.docs().generation(), 1);
        drop(store);
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        assert_eq!(notes(&store, "old"), 5);
        drop(store);
        let names = super::super::open_sled(dir.path()).unwrap().tree_names();
        assert!(
            !names
                .iter()
                .any(|n| &n[..] == b"log" || &n[..] == b"snapshots"),
            "{names:?}"
        );
    }
}
