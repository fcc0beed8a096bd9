//! When a board's log is folded into its snapshot ([`CompactionRule`], the one rule: the room
//! runs it, the storage benchmark measures it), and a room's schedule of store work
//! ([`Compactor`]: what the log holds, and the compaction or merge running on a blocking
//! thread).
//!
//! Two kinds of work keep the cost of an edit proportional to the edit, whatever the board:
//!
//! - **Compaction** rewrites the snapshot with the log folded in, O(snapshot + log) bytes. The
//!   rule: compact once the log holds half as many bytes as the snapshot (at least
//!   [`DEFAULT_COMPACT_FLOOR_BYTES`]). The log is then a third of what is rewritten, so each
//!   appended byte pays for at most about three bytes of compaction: amortised, the cost of an
//!   update is proportional to the update, not to the board.
//! - **Merging** keeps the log short between compactions of a big board: every
//!   [`MERGE_RUN`] updates appended one by one become one log entry (yrs's
//!   `merge_updates_v1`, O(the run)). A cold load then reads and serves a few hundred
//!   entries, not tens of thousands of tiny ones (BENCHMARKS.md, "Storing one note move"),
//!   which is what let the old count cap go. A small board's log is folded before it grows
//!   long; it is not merged ([`CompactionRule::merge_due`]).
//!
//! A count cap (`--compact-after-updates`) can still be set; none by default.

use std::sync::Arc;

use futures_util::FutureExt;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use super::{BoardStore, RawBoard, StoreError};

/// Below this much log a board is not compacted for its bytes: rewriting a tiny board every
/// few edits would be busywork, and 64 KiB of log is quick to load.
pub const DEFAULT_COMPACT_FLOOR_BYTES: u64 = 64 << 10;
/// The log is folded once it holds `1 / LOG_SHARE` of the snapshot's bytes. 2: a board
/// loaded after an abrupt stop builds at most half a snapshot's worth of log on top of its
/// snapshot, and each appended byte pays for at most three bytes rewritten.
pub const LOG_SHARE: u64 = 2;
/// Updates appended one by one that are merged into one log entry. 256 note moves merge in
/// about half a millisecond into two thirds of their bytes; `merge_updates_v1` grows much
/// faster than linearly in the number of small updates it is given (BENCHMARKS.md, "Cold
/// load"), but linearly in merged runs.
pub const MERGE_RUN: u64 = 256;
/// Runs the log must be able to hold before its threshold for merging them to be worth it.
pub const RUNS_WORTH_MERGING: u64 = 16;
/// The most loose entries one merge takes, should merges fall behind the appends.
const MAX_MERGE: u64 = 4 * MERGE_RUN;

/// When a board's log is folded into its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactionRule {
    /// The longest log, in updates (`--compact-after-updates`); none by default.
    pub after_updates: Option<u64>,
    /// Log bytes below which the byte threshold does not apply, however small the snapshot.
    pub floor_bytes: u64,
}

impl Default for CompactionRule {
    fn default() -> CompactionRule {
        CompactionRule {
            after_updates: None,
            floor_bytes: DEFAULT_COMPACT_FLOOR_BYTES,
        }
    }
}

/// How much a board's log holds, and the size of the snapshot it would be folded into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogSize {
    /// Updates in the log (a merged entry counts as one when read back from the store).
    pub updates: u64,
    /// Their bytes, as stored.
    pub bytes: u64,
    /// The stored snapshot's update, in bytes.
    pub snapshot_bytes: u64,
}

impl LogSize {
    pub fn of(raw: &RawBoard) -> LogSize {
        LogSize {
            updates: raw.log.len() as u64,
            bytes: raw.log_bytes(),
            snapshot_bytes: raw.snapshot_bytes(),
        }
    }
}

impl CompactionRule {
    /// A count cap of `after_updates` (at least 1; `None`: no cap) with the default floor.
    pub fn after_updates(after_updates: Option<u64>) -> CompactionRule {
        CompactionRule {
            after_updates: after_updates.map(|n| n.max(1)),
            ..CompactionRule::default()
        }
    }

    /// Whether the log should be folded into the snapshot now.
    pub fn is_due(&self, log: LogSize) -> bool {
        log.updates > 0
            && (self.after_updates.is_some_and(|cap| log.updates >= cap)
                || log.bytes >= self.threshold_bytes(log))
    }

    /// Whether `loose_entries` appended one by one, `loose_bytes` in all, should be merged
    /// into one entry: once there are [`MERGE_RUN`], if the log may grow to at least
    /// [`RUNS_WORTH_MERGING`] such runs before it is folded. A small board's log is folded
    /// soon anyway, and a cold load serves a few thousand single entries quickly (about
    /// 20 ms for 4,000, merged 256 at a time); merging them first would cost more than it
    /// saves (BENCHMARKS.md, "Storing one note move").
    pub fn merge_due(&self, log: LogSize, loose_entries: u64, loose_bytes: u64) -> bool {
        loose_entries >= MERGE_RUN
            && self.threshold_bytes(log) >= RUNS_WORTH_MERGING.saturating_mul(loose_bytes)
    }

    /// The log's bytes at which it is folded.
    fn threshold_bytes(&self, log: LogSize) -> u64 {
        (log.snapshot_bytes / LOG_SHARE).max(self.floor_bytes)
    }
}

/// One board's store work, for its room: counts what is appended, starts a compaction or a
/// merge on a blocking thread when due (never more than one at a time), and takes in its
/// result. The room stays unaware of which store it has and never waits for either.
pub struct Compactor {
    rule: CompactionRule,
    log: LogSize,
    /// The entries appended one by one since the last merge or compaction (the last ones of
    /// the log): merged once there are [`MERGE_RUN`].
    loose: Run,
    running: Option<Running>,
}

/// Log entries at the log's end: how many and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Run {
    entries: u64,
    bytes: u64,
}

struct Running {
    /// Resolves to the new snapshot's (or merged entry's) size; `None`: nothing was written
    /// (see [`BoardStore::compact`] and [`BoardStore::merge_log`]).
    task: JoinHandle<Result<Option<usize>, StoreError>>,
    job: Job,
}

enum Job {
    /// Folds the log as it was when the compaction started, loose entries included.
    Compaction { log: LogSize, loose: Run },
    /// Merges these loose entries into one.
    Merge(Run),
}

impl Compactor {
    /// The schedule of a board just read from the store. Its log entries count as merged
    /// (the next compaction folds them).
    pub fn new(rule: CompactionRule, raw: &RawBoard) -> Compactor {
        Compactor {
            rule,
            log: LogSize::of(raw),
            loose: Run::default(),
            running: None,
        }
    }

    /// What the log holds now (work running is not subtracted until it finishes).
    pub fn log(&self) -> LogSize {
        self.log
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Counts one update appended to the log (on every edit's path: four additions).
    pub fn appended(&mut self, bytes: usize) {
        self.log.updates += 1;
        self.log.bytes += bytes as u64;
        self.loose.entries += 1;
        self.loose.bytes += bytes as u64;
    }

    /// Starts folding the log up to `upto` (the last appended seq) if the rule says it is
    /// due, or else merging the loose entries if [`CompactionRule::merge_due`], on a
    /// blocking thread, unless something is running. Returns whether it started anything.
    pub fn maybe_start(
        &mut self,
        store: &Arc<dyn BoardStore>,
        board: &str,
        upto: u64,
        tracker: &TaskTracker,
    ) -> bool {
        if self.running.is_some() {
            return false;
        }
        // On every edit's path: nothing is cloned unless work starts.
        if self.rule.is_due(self.log) {
            let (store, board) = (store.clone(), board.to_owned());
            self.running = Some(Running {
                task: tracker.spawn_blocking(move || compact_in_background(&*store, &board, upto)),
                job: Job::Compaction {
                    log: self.log,
                    loose: self.loose,
                },
            });
        } else if self
            .rule
            .merge_due(self.log, self.loose.entries, self.loose.bytes)
        {
            // The loose entries are the last appended, one seq each; the oldest are merged,
            // at most MAX_MERGE of them (merging grows faster than linearly in the entries).
            let from = (upto + 1).saturating_sub(self.loose.entries);
            let entries = self.loose.entries.min(MAX_MERGE);
            let (store, board) = (store.clone(), board.to_owned());
            let run = Run {
                entries,
                // Exact unless merges fell behind; then an estimate, as the byte rule needs.
                bytes: self.loose.bytes * entries / self.loose.entries,
            };
            self.running = Some(Running {
                task: tracker.spawn_blocking(move || {
                    let _background = Background::enter();
                    store.merge_log(&board, from, from + entries - 1)
                }),
                job: Job::Merge(run),
            });
        } else {
            return false;
        }
        true
    }

    /// Takes in finished work (does nothing while it runs; never waits). A finished
    /// compaction: the log it folded is gone and the snapshot has its new size. A finished
    /// merge: its entries are one. A failed compaction is logged and the rule asks again; a
    /// merge that failed or did nothing is not retried (the next compaction folds its entries).
    pub fn collect(&mut self, board: &str) {
        if !self.running.as_ref().is_some_and(|r| r.task.is_finished()) {
            return;
        }
        let Some(Running { mut task, job }) = self.running.take() else {
            return;
        };
        let result = match (&mut task).now_or_never() {
            Some(Ok(result)) => result,
            Some(Err(e)) => Err(StoreError::Join(e)),
            // Finished, but the task's budget for this turn is spent: next time.
            None => {
                self.running = Some(Running { task, job });
                return;
            }
        };
        match (job, result) {
            (Job::Compaction { log, loose }, Ok(Some(snapshot_bytes))) => {
                self.log.snapshot_bytes = snapshot_bytes as u64;
                self.log.updates = self.log.updates.saturating_sub(log.updates);
                self.log.bytes = self.log.bytes.saturating_sub(log.bytes);
                self.loose.entries = self.loose.entries.saturating_sub(loose.entries);
                self.loose.bytes = self.loose.bytes.saturating_sub(loose.bytes);
            }
            (Job::Compaction { .. }, Ok(None)) => {}
            (Job::Compaction { .. }, Err(e)) => {
                tracing::error!(board = %board, "compaction failed: {e}")
            }
            (Job::Merge(run), result) => {
                match result {
                    Ok(Some(merged)) => {
                        self.log.bytes = (self.log.bytes + merged as u64).saturating_sub(run.bytes)
                    }
                    Ok(None) => {}
                    Err(e) => tracing::error!(board = %board, "merging the log failed: {e}"),
                }
                self.loose.entries = self.loose.entries.saturating_sub(run.entries);
                self.loose.bytes = self.loose.bytes.saturating_sub(run.bytes);
            }
        }
    }

    /// The room is closing: folds whatever the log holds, whatever the rule, so that the next
    /// cold load is one read; after the work still running, if any. Then lets go of the
    /// board ([`BoardStore::release`]: in a cluster, another node may take it). Not awaited:
    /// the tracker waits for it at shutdown.
    pub fn close(
        &mut self,
        store: &Arc<dyn BoardStore>,
        board: &str,
        upto: u64,
        tracker: &TaskTracker,
    ) {
        if self.log.updates == 0 && self.running.is_none() {
            store.release(board);
            return;
        }
        let running = self.running.take().map(|r| r.task);
        let (store, board) = (store.clone(), board.to_owned());
        let blocking = tracker.clone();
        tracker.spawn(async move {
            if let Some(running) = running {
                let _ = running.await;
            }
            let compacted = blocking.spawn_blocking(move || {
                let compacted = compact_in_background(&*store, &board, upto);
                store.release(&board);
                (board, compacted)
            });
            match compacted.await {
                Ok((board, Err(e))) => tracing::error!(board = %board, "compaction failed: {e}"),
                Err(e) => tracing::error!("compaction task failed: {e}"),
                Ok((_, Ok(_))) => {}
            }
        });
    }
}

/// One compaction, on the blocking thread that calls it: under `SCHED_IDLE`, and the memory
/// it freed given back afterwards. Then, at normal priority again, the store's check after a
/// compaction: a rewrite of the documents holds back the appends of the boards it is copying,
/// which must not wait for an idle core meanwhile (it paces itself instead).
fn compact_in_background(
    store: &dyn BoardStore,
    board: &str,
    upto: u64,
) -> Result<Option<usize>, StoreError> {
    let compacted = {
        let _background = Background::enter();
        store.compact(board, upto)
    };
    give_back_memory();
    if matches!(compacted, Ok(Some(_))) {
        store.after_compaction();
    }
    compacted
}

/// Returns the memory a compaction freed to the system. A compaction builds the whole board a
/// second time on a blocking thread; glibc keeps what that thread freed in the thread's arena,
/// so a big board's rebuild stayed in the process's RSS for good (about 150 MiB for a
/// 10,000-note board, W5 in BENCHMARKS.md). `malloc_trim` releases free memory in every arena.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Runs the current thread under `SCHED_IDLE` until dropped: a compaction rebuilds the whole
/// board, and on a busy core the rooms relaying edits must get the core the moment they wake,
/// not share it with the rebuild (a lower nice value only changes the share, and a relay that
/// wakes behind a running rebuild still waits out its time slice). Linux schedules each thread
/// on its own.
struct Background;

impl Background {
    fn enter() -> Background {
        set_thread_policy(true);
        Background
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // Blocking threads are pooled: the next task on this one runs normally again.
        set_thread_policy(false);
    }
}

fn set_thread_policy(idle: bool) {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread's own id (0), with a valid parameter.
    // If one fails the thread keeps its policy, which is only a matter of speed.
    unsafe {
        let policy = if idle {
            libc::SCHED_IDLE
        } else {
            libc::SCHED_OTHER
        };
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, policy, &param);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(updates: u64, bytes: u64, snapshot_bytes: u64) -> LogSize {
        LogSize {
            updates,
            bytes,
            snapshot_bytes,
        }
    }

    #[test]
    fn an_empty_log_is_never_due() {
        let rule = CompactionRule::after_updates(Some(1));
        assert!(!rule.is_due(log(0, 0, 0)));
        assert!(!rule.is_due(log(0, 0, 10 << 20)));
        assert!(rule.is_due(log(1, 10, 10 << 20)));
    }

    #[test]
    fn the_count_cap_applies_whatever_the_bytes() {
        let rule = CompactionRule::after_updates(Some(10));
        assert!(!rule.is_due(log(9, 90, 1 << 20)));
        assert!(rule.is_due(log(10, 100, 1 << 20)));
        // None by default.
        assert!(!CompactionRule::default().is_due(log(1_000_000, 60 << 10, 100 << 20)));
    }

    #[test]
    fn a_log_half_as_large_as_the_snapshot_is_due() {
        let rule = CompactionRule {
            after_updates: None,
            floor_bytes: 1000,
        };
        // Big snapshot: half its size is the threshold.
        assert!(!rule.is_due(log(5, 49_999, 100_000)));
        assert!(rule.is_due(log(5, 50_000, 100_000)));
        // Small snapshot: the floor is.
        assert!(!rule.is_due(log(5, 999, 10)));
        assert!(rule.is_due(log(5, 1000, 10)));
    }

    /// What the rule promises: appending updates of `u` bytes to a board whose snapshot grows
    /// with them, the bytes compactions rewrite stay within a small constant times the bytes
    /// appended, on a small board and a big one.
    #[test]
    fn compaction_costs_a_constant_per_appended_byte() {
        let rule = CompactionRule::default();
        for snapshot in [1_000, 100_000, 10_000_000] {
            let (mut size, mut appended, mut rewritten) = (log(0, 0, snapshot), 0u64, 0u64);
            for _ in 0..200_000 {
                size.updates += 1;
                size.bytes += 40;
                appended += 40;
                if rule.is_due(size) {
                    rewritten += size.snapshot_bytes + size.bytes;
                    // A move leaves a little behind (a tombstone): the snapshot grows slowly.
                    size = log(0, 0, size.snapshot_bytes + size.bytes / 10);
                }
            }
            let per_byte = rewritten as f64 / appended as f64;
            assert!(
                per_byte <= 3.0,
                "{snapshot}: {per_byte} bytes rewritten per byte"
            );
        }
    }
}
