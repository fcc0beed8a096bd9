//! What every room needs from the server.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::SharedRoomConfig;
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::rooms::Rooms;
use crate::store::{BoardStore, Store};

/// Handed to every room when it starts.
#[derive(Clone)]
pub struct RoomContext {
    /// The board's document: meta, log, snapshot, compaction, durability. The room does not
    /// know which implementation it is (sled in the server, memory in tests).
    pub boards: Arc<dyn BoardStore>,
    /// Everything else the room keeps (rounds, comments, journal, versions...), in sled.
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub config: SharedRoomConfig,
    pub rooms: Rooms,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
    /// Decisions, reveals and rounds that need ballots are reported here (never waits).
    pub notifier: Notifier,
}
