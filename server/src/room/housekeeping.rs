//! A room's housekeeping, on its one-second tick: store work (compactions, merges), the board list's
//! metadata, idleness; and the room's tuning. When to compact is the store's rule
//! ([`CompactionRule`]), scheduled by its [`Compactor`](crate::store::Compactor).

use std::sync::Arc;
use std::time::Duration;

use super::Room;
use crate::store::{CompactionRule, now_ms};

impl Room {
    pub(super) async fn on_tick(&mut self) {
        // A room whose board another node took (cluster mode) stops, even with no save due.
        if !self.still_owned() {
            return;
        }
        // Finished store work is taken in (and more started) on every edit; on the tick too,
        // for a room that went quiet.
        self.maybe_compact();
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
        self.store_view_when_quiet();
        self.views.tick();
    }

    /// No connections, nothing running, quiet for a while, and everything it wrote on disk.
    pub(super) fn is_idle(&self) -> bool {
        let quiet = self.conns.is_empty()
            && !self.compactor.is_running()
            && self.last_activity.elapsed() >= self.ctx.config.idle_unload;
        if quiet && !self.ctx.boards.is_durable(self.written_mark) {
            self.ctx.boards.request_flush();
            return false;
        }
        quiet
    }

    /// Takes in finished store work, and starts folding the log into a snapshot (or merging
    /// a run of it) on a blocking thread if due.
    pub(super) fn maybe_compact(&mut self) {
        self.compactor.collect(&self.id);
        let upto = self.next_seq.saturating_sub(1);
        self.compactor
            .maybe_start(&self.ctx.boards, &self.id, upto, &self.ctx.tracker);
    }

    /// Keeps the board list's last-change time current (and the title, [`Room::rename`]).
    pub(super) fn write_meta(&mut self) {
        if !self.meta_dirty {
            return;
        }
        self.meta_dirty = false;
        self.meta.updated_at = now_ms();
        if let Err(e) = self.ctx.boards.put_meta(&self.id, &self.meta) {
            tracing::error!(board = %self.id, "cannot write board metadata: {e}");
        }
    }
}

/// Room tuning, from the command line.
#[derive(Debug, Clone)]
pub struct RoomConfig {
    pub idle_unload: Duration,
    /// How long the board must go unchanged before its room stores its view
    /// ([`Room::store_view_when_quiet`]).
    pub store_view_after: Duration,
    /// When a board's log is folded into its snapshot (`--compact-after-updates` sets its cap).
    pub compaction: CompactionRule,
    /// Version history: how often, how long kept, and its clock.
    pub versions: crate::versions::VersionConfig,
}

pub type SharedRoomConfig = Arc<RoomConfig>;
