//! The registry of loaded rooms: finds a board's room, starting it on first use.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use huddle_shared::model::BoardSnapshot;
use huddle_shared::wire::Message;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::room::{self, Command, ConnId, SharedRoomConfig};
use crate::store::Store;

/// Commands a room can have queued before senders wait: enough for bursts from many
/// connections; a full queue pushes back on the readers (TCP flow control), not on the room.
const ROOM_QUEUE: usize = 4096;

/// What every room needs from the server.
#[derive(Clone)]
pub struct RoomContext {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub config: SharedRoomConfig,
    pub rooms: Rooms,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
}

#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

struct Inner {
    map: Mutex<HashMap<String, Entry>>,
    next_generation: AtomicU64,
}

struct Entry {
    tx: mpsc::Sender<Command>,
    /// Distinguishes successive rooms of one board, so an unloading room never unregisters
    /// its successor.
    generation: u64,
}

/// A connection's (or the API's) handle on one room.
#[derive(Clone)]
pub struct RoomHandle {
    tx: mpsc::Sender<Command>,
}

/// The room is gone (unloaded, deleted or stopped).
#[derive(Debug)]
pub struct RoomClosed;

impl Default for Rooms {
    fn default() -> Self {
        Rooms {
            inner: Arc::new(Inner {
                map: Mutex::new(HashMap::new()),
                next_generation: AtomicU64::new(1),
            }),
        }
    }
}

impl Rooms {
    /// The board's room, started (and the board loaded or created) if it is not running.
    pub fn get_or_start(&self, board: &str, ctx: &RoomContext) -> RoomHandle {
        let mut map = self.inner.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = map.get(board)
            && !entry.tx.is_closed()
        {
            return RoomHandle {
                tx: entry.tx.clone(),
            };
        }
        let (tx, rx) = mpsc::channel(ROOM_QUEUE);
        let generation = self.inner.next_generation.fetch_add(1, Relaxed);
        map.insert(
            board.to_owned(),
            Entry {
                tx: tx.clone(),
                generation,
            },
        );
        ctx.tracker
            .spawn(room::run(board.to_owned(), generation, rx, ctx.clone()));
        RoomHandle { tx }
    }

    /// The board's room if it is loaded.
    pub fn get(&self, board: &str) -> Option<RoomHandle> {
        let map = self.inner.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(board).map(|e| RoomHandle { tx: e.tx.clone() })
    }

    /// Removes the room from the registry if it is still the registered one.
    pub fn unregister(&self, board: &str, generation: u64) -> bool {
        let mut map = self.inner.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(board).is_some_and(|e| e.generation == generation) {
            map.remove(board);
            true
        } else {
            false
        }
    }
}

impl RoomHandle {
    /// Joins the room; `false` if it is closing (start over with [`Rooms::get_or_start`]).
    pub async fn join(&self, conn: ConnId, outbox: Outbox) -> bool {
        let (joined, rx) = oneshot::channel();
        if self
            .tx
            .send(Command::Join {
                conn,
                outbox,
                joined,
            })
            .await
            .is_err()
        {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    pub async fn frame(
        &self,
        conn: ConnId,
        messages: Vec<Message>,
        raw: Bytes,
    ) -> Result<(), RoomClosed> {
        self.tx
            .send(Command::Frame {
                conn,
                messages,
                raw,
            })
            .await
            .map_err(|_| RoomClosed)
    }

    pub async fn leave(&self, conn: ConnId) {
        let _ = self.tx.send(Command::Leave { conn }).await;
    }

    pub async fn export(&self) -> Result<BoardSnapshot, RoomClosed> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Export { reply })
            .await
            .map_err(|_| RoomClosed)?;
        rx.await.map_err(|_| RoomClosed)
    }

    /// Closes the room's connections and waits until it has let go of the board.
    pub async fn delete(&self) {
        let (done, rx) = oneshot::channel();
        if self.tx.send(Command::Delete { done }).await.is_ok() {
            let _ = rx.await;
        }
    }
}
