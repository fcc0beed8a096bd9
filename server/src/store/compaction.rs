//! When a board's log is folded into its snapshot ([`CompactionRule`], the one rule: the room
//! runs it, the storage benchmark measures it), and a room's schedule of compactions
//! ([`Compactor`]: what the log holds, and the compaction running on a blocking thread).
//!
//! The rule: compact once the log holds as many bytes as the snapshot (at least
//! [`DEFAULT_COMPACT_FLOOR_BYTES`]), or [`CompactionRule::after_updates`] updates. A
//! compaction rewrites the snapshot and the log, O(snapshot + log) bytes; by the byte
//! threshold the log is then at least half of that, so each appended byte pays for at most
//! about two bytes of compaction: amortised, the cost of an update is proportional to the
//! update, not to the board. The count cap bounds what a cold load merges for its first
//! client (the log tail, update by update); it is the one exception, for boards whose
//! snapshot is bigger than the cap's worth of updates (see BENCHMARKS.md, "Storing one note
//! move").

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use super::{BoardStore, RawBoard, StoreError};

/// Default count cap: the longest log tail, in updates. A cold load serves at most this many
/// to its first client (merged 256 at a time): about 24 ms on a 10,000-note board, within
/// its 60 ms goal (BENCHMARKS.md, "Cold load"; 10,000 would take about 65 ms). Up to
/// 5,000 moves of ~50 bytes, boards of up to ~250 KB of snapshot are compacted by the byte
/// threshold, in proportion to what was appended; bigger ones once per 5,000 updates (a
/// fifth of the cost per update of the cap of 1,000 this replaced).
pub const DEFAULT_COMPACT_AFTER_UPDATES: u64 = 5000;
/// Below this much log a board is not compacted for its bytes: rewriting a tiny board every
/// few edits would be busywork, and 64 KiB of log is quick to load.
pub const DEFAULT_COMPACT_FLOOR_BYTES: u64 = 64 << 10;

/// When a board's log is folded into its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactionRule {
    /// The longest log tail, in updates (`--compact-after-updates`).
    pub after_updates: u64,
    /// Log bytes below which the byte threshold does not apply, however small the snapshot.
    pub floor_bytes: u64,
}

impl Default for CompactionRule {
    fn default() -> CompactionRule {
        CompactionRule {
            after_updates: DEFAULT_COMPACT_AFTER_UPDATES,
            floor_bytes: DEFAULT_COMPACT_FLOOR_BYTES,
        }
    }
}

/// How much a board's log holds, and the size of the snapshot it would be folded into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogSize {
    /// Updates in the log.
    pub updates: u64,
    /// Their bytes.
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
    /// The count cap `after_updates` (at least 1) with the default floor.
    pub fn after_updates(after_updates: u64) -> CompactionRule {
        CompactionRule {
            after_updates: after_updates.max(1),
            ..CompactionRule::default()
        }
    }

    /// Whether the log should be folded into the snapshot now.
    pub fn is_due(&self, log: LogSize) -> bool {
        log.updates > 0
            && (log.updates >= self.after_updates
                || log.bytes >= log.snapshot_bytes.max(self.floor_bytes))
    }
}

/// One board's compactions, for its room: counts what is appended, starts a compaction on a
/// blocking thread when the rule says so (never more than one at a time), and takes in its
/// result. The room stays unaware of which store it has and never waits for a compaction.
pub struct Compactor {
    rule: CompactionRule,
    log: LogSize,
    running: Option<Running>,
}

struct Running {
    /// Resolves to the new snapshot's size (`None`: nothing was written, see
    /// [`BoardStore::compact`]).
    task: JoinHandle<Result<Option<usize>, StoreError>>,
    /// The log as it was when the compaction started: what it folds.
    folds: LogSize,
}

impl Compactor {
    /// The schedule of a board just read from the store.
    pub fn new(rule: CompactionRule, raw: &RawBoard) -> Compactor {
        Compactor {
            rule,
            log: LogSize::of(raw),
            running: None,
        }
    }

    /// What the log holds now (compactions running are not subtracted until they finish).
    pub fn log(&self) -> LogSize {
        self.log
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Counts one update appended to the log (on every edit's path: two additions).
    pub fn appended(&mut self, bytes: usize) {
        self.log.updates += 1;
        self.log.bytes += bytes as u64;
    }

    /// Starts folding the log up to `upto` (the last appended seq) on a blocking thread if the
    /// rule says it is due and no compaction is running. Returns whether it started one.
    pub fn maybe_start(
        &mut self,
        store: &Arc<dyn BoardStore>,
        board: &str,
        upto: u64,
        tracker: &TaskTracker,
    ) -> bool {
        if self.running.is_some() || !self.rule.is_due(self.log) {
            return false;
        }
        let (store, board) = (store.clone(), board.to_owned());
        self.running = Some(Running {
            task: tracker.spawn_blocking(move || {
                let _background = Background::enter();
                let compacted = store.compact(&board, upto);
                give_back_memory();
                compacted
            }),
            folds: self.log,
        });
        true
    }

    /// Takes in a finished compaction (does nothing while it runs): the log it folded is gone
    /// and the snapshot has its new size. A failed one is logged; the rule asks again.
    pub async fn collect(&mut self, board: &str) {
        if !self.running.as_ref().is_some_and(|r| r.task.is_finished()) {
            return;
        }
        let Some(Running { task, folds }) = self.running.take() else {
            return;
        };
        match task.await {
            Ok(Ok(None)) => {}
            Ok(Ok(Some(snapshot_bytes))) => {
                self.log.snapshot_bytes = snapshot_bytes as u64;
                self.log.updates = self.log.updates.saturating_sub(folds.updates);
                self.log.bytes = self.log.bytes.saturating_sub(folds.bytes);
            }
            Ok(Err(e)) => tracing::error!(board = %board, "compaction failed: {e}"),
            Err(e) => tracing::error!(board = %board, "compaction task failed: {e}"),
        }
    }

    /// The room is closing: folds whatever the log holds, whatever the rule, so that the next
    /// cold load is one read; after the compaction still running, if any. Not awaited: the
    /// tracker waits for it at shutdown.
    pub fn close(
        &mut self,
        store: &Arc<dyn BoardStore>,
        board: &str,
        upto: u64,
        tracker: &TaskTracker,
    ) {
        if self.log.updates == 0 {
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
                let _background = Background::enter();
                let compacted = store.compact(&board, upto);
                give_back_memory();
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
        let rule = CompactionRule::after_updates(1);
        assert!(!rule.is_due(log(0, 0, 0)));
        assert!(!rule.is_due(log(0, 0, 10 << 20)));
        assert!(rule.is_due(log(1, 10, 10 << 20)));
    }

    #[test]
    fn the_count_cap_applies_whatever_the_bytes() {
        let rule = CompactionRule::after_updates(10);
        assert!(!rule.is_due(log(9, 90, 1 << 20)));
        assert!(rule.is_due(log(10, 100, 1 << 20)));
    }

    #[test]
    fn a_log_as_large_as_the_snapshot_is_due() {
        let rule = CompactionRule {
            after_updates: u64::MAX,
            floor_bytes: 1000,
        };
        // Big snapshot: the snapshot's size is the threshold.
        assert!(!rule.is_due(log(5, 99_999, 100_000)));
        assert!(rule.is_due(log(5, 100_000, 100_000)));
        // Small snapshot: the floor is.
        assert!(!rule.is_due(log(5, 999, 10)));
        assert!(rule.is_due(log(5, 1000, 10)));
    }

    /// What the rule promises: with the count cap out of the way, appending updates of `u`
    /// bytes to a board whose snapshot grows with them, the bytes compactions rewrite stay
    /// within a small constant times the bytes appended, on a small board and a big one.
    #[test]
    fn compaction_costs_a_constant_per_appended_byte() {
        let rule = CompactionRule {
            after_updates: u64::MAX,
            floor_bytes: DEFAULT_COMPACT_FLOOR_BYTES,
        };
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
                per_byte <= 2.0,
                "{snapshot}: {per_byte} bytes rewritten per byte"
            );
        }
    }
}
