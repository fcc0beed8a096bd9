//! The registry of loaded rooms: finds a board's room, starting it on first use.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::room::{self, Command, RoomContext, RoomHandle};

/// Commands a room can have queued before senders wait: enough for bursts from many
/// connections; a full queue pushes back on the readers (TCP flow control), not on the room.
const ROOM_QUEUE: usize = 4096;

/// How many rooms [`Rooms::ask`] tries: one that was unloading when asked refuses, and the
/// next one (started afresh) takes the question.
const ROOM_ATTEMPTS: usize = 5;

#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

struct Inner {
    map: Mutex<HashMap<String, Entry>>,
    next_generation: AtomicU64,
    /// Bumped by every change of someone's role, anywhere. A connection notes it before its
    /// role is looked up; a room that sees it moved by the time the connection joins closes
    /// the connection to be let in again, so a role changed in between never goes unnoticed.
    access_epoch: AtomicU64,
}

struct Entry {
    tx: mpsc::Sender<Command>,
    /// Distinguishes successive rooms of one board, so an unloading room never unregisters
    /// its successor.
    generation: u64,
}

impl Default for Rooms {
    fn default() -> Self {
        Rooms {
            inner: Arc::new(Inner {
                map: Mutex::new(HashMap::new()),
                next_generation: AtomicU64::new(1),
                access_epoch: AtomicU64::new(0),
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
            return RoomHandle::new(entry.tx.clone());
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
        RoomHandle::new(tx)
    }

    /// Puts a question to the board's room, starting the room if it is not running. A room
    /// that is unloading when asked refuses (`ask` gives `None`) and the question goes to its
    /// successor; `None` after [`ROOM_ATTEMPTS`] refusals.
    pub async fn ask<T, F>(
        &self,
        board: &str,
        ctx: &RoomContext,
        mut ask: impl FnMut(RoomHandle) -> F,
    ) -> Option<T>
    where
        F: Future<Output = Option<T>>,
    {
        for _ in 0..ROOM_ATTEMPTS {
            if let Some(answer) = ask(self.get_or_start(board, ctx)).await {
                return Some(answer);
            }
        }
        None
    }

    /// The board's room if it is loaded.
    pub fn get(&self, board: &str) -> Option<RoomHandle> {
        let map = self.inner.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(board).map(|e| RoomHandle::new(e.tx.clone()))
    }

    /// The access epoch (see `Inner::access_epoch`): read it before looking up a role.
    pub fn access_epoch(&self) -> u64 {
        self.inner
            .access_epoch
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A person's role on `board` changed (it is stored): their open connections are closed,
    /// to come back with the new role, and joins that looked up the old one are turned back.
    pub async fn access_changed(&self, board: &str, person: std::sync::Arc<str>) {
        self.inner
            .access_epoch
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(room) = self.get(board) {
            room.access_changed(person).await;
        }
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
