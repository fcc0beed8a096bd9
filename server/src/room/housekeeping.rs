//! A room's housekeeping, on its one-second tick: finished compactions, the board list's
//! metadata, idleness; and the compaction policy.

use std::sync::Arc;
use std::time::Duration;

use super::{Compaction, Room};
use crate::store::now_ms;

impl Room {
    pub(super) async fn on_tick(&mut self) {
        if let Some(c) = &self.compaction
            && c.task.is_finished()
            && let Some(c) = self.compaction.take()
        {
            match c.task.await {
                Ok(Ok(None)) => {}
                Ok(Ok(Some(snapshot_bytes))) => {
                    self.snapshot_bytes = snapshot_bytes as u64;
                    self.log_len = self.log_len.saturating_sub(c.log_len);
                    self.log_bytes = self.log_bytes.saturating_sub(c.log_bytes);
                }
                Ok(Err(e)) => tracing::error!(board = %self.id, "compaction failed: {e}"),
                Err(e) => tracing::error!(board = %self.id, "compaction task failed: {e}"),
            }
        }
        self.write_meta();
        self.close_due_rounds();
        self.facilitation_tick();
        self.versions_tick();
        // Keep the cached full sync only while joins keep using it.
        match &mut self.full_sync {
            Some(cached) if cached.used => cached.used = false,
            Some(_) => self.full_sync = None,
            None => {}
        }
    }

    /// No connections, nothing running, quiet for a while, and everything it wrote on disk.
    pub(super) fn is_idle(&self) -> bool {
        let quiet = self.conns.is_empty()
            && self.compaction.is_none()
            && self.last_activity.elapsed() >= self.ctx.config.idle_unload;
        if quiet && !self.ctx.store.is_durable(self.written_mark) {
            self.ctx.store.request_flush();
            return false;
        }
        quiet
    }

    /// Starts folding the log into a snapshot on a blocking thread once it is long enough.
    pub(super) fn maybe_compact(&mut self) {
        let config = &self.ctx.config;
        if self.compaction.is_some()
            || (self.log_len < config.compact_after_updates
                && self.log_bytes < config.compact_after_bytes)
        {
            return;
        }
        let (store, id, upto) = (self.ctx.store.clone(), self.id.clone(), self.next_seq - 1);
        self.compaction = Some(Compaction {
            task: self.ctx.tracker.spawn_blocking(move || {
                let _background = Background::enter();
                let compacted = store.compact(&id, upto);
                give_back_memory();
                compacted
            }),
            log_len: self.log_len,
            log_bytes: self.log_bytes,
        });
    }

    /// Keeps the board list's last-change time current (and the title, [`Room::rename`]).
    pub(super) fn write_meta(&mut self) {
        if !self.meta_dirty {
            return;
        }
        self.meta_dirty = false;
        self.meta.updated_at = now_ms();
        if let Err(e) = self.ctx.store.put_meta(&self.id, &self.meta) {
            tracing::error!(board = %self.id, "cannot write board metadata: {e}");
        }
    }
}

/// Default longest log tail (updates) before compaction; a cold load merges at most this
/// many updates for its first client, which takes a few milliseconds at this size.
pub const DEFAULT_COMPACT_AFTER_UPDATES: u64 = 1000;
/// Default log size that always triggers compaction.
pub const DEFAULT_COMPACT_AFTER_BYTES: u64 = 4 << 20;

/// Room tuning, from the command line.
#[derive(Debug, Clone)]
pub struct RoomConfig {
    pub idle_unload: Duration,
    /// Longest log tail: bounds what a cold load merges for its first client.
    pub compact_after_updates: u64,
    /// Log bytes that always justify a compaction, however big the board.
    pub compact_after_bytes: u64,
    /// Version history: how often, how long kept, and its clock.
    pub versions: crate::versions::VersionConfig,
}

impl RoomConfig {
    /// Whether a board's log should be folded into its snapshot: when it holds many updates,
    /// or when it has grown as large as the snapshot itself (so rewriting the snapshot costs
    /// at most as much as what was appended: amortised, storage stays per update).
    pub fn should_compact(&self, log_len: u64, log_bytes: u64, snapshot_bytes: u64) -> bool {
        log_len >= self.compact_after_updates
            || log_bytes >= self.compact_after_bytes
            || (log_len > 0 && log_bytes >= snapshot_bytes.max(MIN_COMPACT_BYTES))
    }
}

/// Below this much log, compacting a tiny board would be busywork.
const MIN_COMPACT_BYTES: u64 = 64 << 10;

pub type SharedRoomConfig = Arc<RoomConfig>;

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
