//! A room's first moments: the stored bytes are read (fast, no decoding) and the document is
//! built from them on a blocking thread (O(board)). Meanwhile a client that has nothing yet (an
//! empty state vector in its sync step 1, the usual case when a board is opened) is answered at
//! once from the stored bytes: the log tail merged into one update, then sync step 2 with the
//! snapshot. So a cold board is served as fast as sled can read it, not as fast as yrs can
//! build it. Everything else waits, in order, until the document is ready.

use bytes::Bytes;
use huddle_shared::wire::{self, Message};
use tokio::sync::mpsc;

use super::{Command, ConnId, EMPTY_UPDATE, Member, RoomContext};
use crate::outbox::{Outbox, code};
use crate::store::{BoardMeta, BoardStore, RawBoard, StoreError};

/// A board ready to become a room.
pub(super) struct Loaded {
    pub doc: yrs::Doc,
    pub raw: RawBoard,
    pub meta: BoardMeta,
    /// Connections that joined while the document was being built, in order.
    pub joined: Vec<(ConnId, Member, Outbox)>,
    /// Commands that need the document, in the order they arrived.
    pub buffered: Vec<Command>,
    /// The frames fresh clients were served while loading (see [`fresh_frames`]).
    pub fresh: Vec<Bytes>,
}

pub(super) async fn load(
    id: &str,
    ctx: &RoomContext,
    rx: &mut mpsc::Receiver<Command>,
) -> Result<Loaded, StoreError> {
    let (raw, meta) = {
        let (store, id) = (ctx.boards.clone(), id.to_owned());
        tokio::task::spawn_blocking(move || read(&*store, &id)).await??
    };
    // The build starts first; the frames for fresh clients are prepared beside it.
    let mut build = {
        let (raw, id) = (raw.clone(), id.to_owned());
        tokio::task::spawn_blocking(move || raw.build(&id))
    };
    let fresh = {
        let (raw, id) = (raw.clone(), id.to_owned());
        tokio::task::spawn_blocking(move || fresh_frames(&raw, &id)).await??
    };
    let mut joined: Vec<(ConnId, Member, Outbox)> = Vec::new();
    let mut buffered = Vec::new();
    let doc = loop {
        tokio::select! {
            doc = &mut build => break doc??,
            cmd = rx.recv() => match cmd {
                None => break (&mut build).await??,
                Some(Command::Join { conn, member, outbox, joined: reply }) => {
                    if reply.send(true).is_ok() {
                        joined.push((conn, member, outbox));
                    }
                }
                Some(Command::Frame { conn, messages, .. }) if is_fresh_sync(&messages) => {
                    if let Some((_, _, outbox)) = joined.iter().find(|(c, ..)| *c == conn) {
                        ctx.metrics.syncs_while_loading.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        for frame in &fresh {
                            if outbox.send(frame.clone()).is_err() {
                                outbox.closer.close(code::TRY_AGAIN, "too slow: outbound queue full; reconnect to resync");
                                break;
                            }
                        }
                    }
                }
                Some(cmd) => buffered.push(cmd),
            },
        }
    };
    Ok(Loaded {
        doc,
        raw,
        meta,
        joined,
        buffered,
        fresh,
    })
}

/// A sync step 1 with an empty state vector and nothing else: the client has nothing yet.
fn is_fresh_sync(messages: &[Message]) -> bool {
    matches!(messages, [Message::SyncStep1(sv)] if sv.is_empty())
}

/// Reads the stored bytes and the board's metadata. Boards are created explicitly (the API or
/// the page, by a person who then owns them); a room never creates one.
pub fn read(store: &dyn BoardStore, id: &str) -> Result<(RawBoard, BoardMeta), StoreError> {
    let meta = store
        .board_meta(id)?
        .ok_or_else(|| StoreError::NoSuchBoard(id.to_owned()))?;
    Ok((store.read(id)?, meta))
}

/// The frames that bring a client with nothing up to date, from the stored bytes alone.
pub fn fresh_frames(raw: &RawBoard, id: &str) -> Result<Vec<Bytes>, StoreError> {
    let mut fresh = Vec::with_capacity(2);
    // The log tail first (the compaction threshold keeps it short, and merging is cheap at that
    // size), so that by the time the client counts itself synced it has everything.
    let tail = match raw.log.as_slice() {
        [] => None,
        [one] => Some(one.to_vec()),
        many => Some(
            yrs::merge_updates_v1(many).map_err(|e| StoreError::Corrupt {
                board: id.to_owned(),
                what: e.to_string(),
            })?,
        ),
    };
    if let Some(tail) = tail {
        fresh.push(Bytes::from(wire::encode_update(&tail)));
    }
    fresh.push(Bytes::from(wire::encode_sync_step2(
        raw.snapshot().unwrap_or(EMPTY_UPDATE),
    )));
    Ok(fresh)
}
