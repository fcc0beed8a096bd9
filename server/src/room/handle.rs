//! How connections and the HTTP API talk to a room: its bounded command channel, behind
//! one method per command.

use std::sync::Arc;

use bytes::Bytes;
use huddle_shared::model::BoardSnapshot;
use huddle_shared::wire::Message;
use tokio::sync::{mpsc, oneshot};

use super::{Command, ConnId, Member};
use crate::outbox::Outbox;

/// A connection's (or the API's) handle on one room.
#[derive(Clone)]
pub struct RoomHandle {
    tx: mpsc::Sender<Command>,
}

/// The room is gone (unloaded, deleted or stopped).
#[derive(Debug)]
pub struct RoomClosed;

impl RoomHandle {
    pub(crate) fn new(tx: mpsc::Sender<Command>) -> RoomHandle {
        RoomHandle { tx }
    }

    /// Joins the room as `member`; `false` if it is closing (start over with
    /// [`Rooms::get_or_start`](crate::rooms::Rooms::get_or_start)).
    pub async fn join(&self, conn: ConnId, member: Member, outbox: Outbox) -> bool {
        let (joined, rx) = oneshot::channel();
        if self
            .tx
            .send(Command::Join {
                conn,
                member,
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

    /// The board's items as the page draws them (see [`super::view`]).
    pub async fn view(&self) -> Result<super::CachedView, RoomClosed> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::View { reply })
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

    /// Closes `person`'s connections (their role changed or was removed); they reconnect and
    /// are let in again with their new role, or not at all.
    pub async fn access_changed(&self, person: Arc<str>) {
        let _ = self.tx.send(Command::AccessChanged { person }).await;
    }

    /// Sends a version history command (its reply comes on the command's own channel).
    pub async fn versions(&self, cmd: super::versions::VersionCommand) -> Result<(), RoomClosed> {
        self.tx
            .send(Command::Versions(cmd))
            .await
            .map_err(|_| RoomClosed)
    }

    /// Renames the board: the title in its document changes, as one update everybody gets.
    pub async fn rename(&self, title: String) -> Result<(), RoomClosed> {
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Command::Rename { title, done })
            .await
            .map_err(|_| RoomClosed)?;
        rx.await.map_err(|_| RoomClosed)
    }
}
