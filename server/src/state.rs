//! What every request handler and connection shares: the configuration, the store, the
//! registry of rooms, who people are, metrics, and the shutdown signal.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::guard::Guard;
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::people::People;
use crate::room::{RoomConfig, RoomContext};
use crate::rooms::Rooms;
use crate::store::{BoardStore, Store};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub room_config: Arc<RoomConfig>,
    pub store: Store,
    /// The same store, as the rooms see their boards' documents.
    pub boards: Arc<dyn BoardStore>,
    pub rooms: Rooms,
    pub people: Arc<People>,
    pub guard: Arc<Guard>,
    pub metrics: Arc<Metrics>,
    /// Inbox entries and webhooks: rooms and the API report events to it.
    pub notifier: Notifier,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
    pub next_conn_id: Arc<AtomicU64>,
    /// Cluster mode (`--redis`): Redis and the relay to other nodes.
    pub cluster: Option<Arc<crate::relay::Cluster>>,
}

impl AppState {
    pub fn room_context(&self) -> RoomContext {
        RoomContext {
            boards: self.boards.clone(),
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            config: self.room_config.clone(),
            rooms: self.rooms.clone(),
            shutdown: self.shutdown.clone(),
            tracker: self.tracker.clone(),
            notifier: self.notifier.clone(),
        }
    }
}
