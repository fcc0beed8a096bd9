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
    // A cluster's board is read by the node that owns it, and only once it does: what it
    // reads then is everything any node wrote (the previous owner's writes end with its lease).
    if let Some(node) = store.acquire(id)? {
        return Err(StoreError::OwnedElsewhere {
            board: id.to_owned(),
            node,
        });
    }
    let meta = store
        .board_meta(id)?
        .ok_or_else(|| StoreError::NoSuchBoard(id.to_owned()))?;
    Ok((store.read(id)?, meta))
}

/// Log entries merged into one update frame for a fresh client: at most this many, and
/// entries up to this many bytes. yrs's `merge_updates_v1` grows much faster than the number
/// of small updates it is given (on a 10,000-note board: 1,000 moves in 7.6 ms, 5,000 in
/// 176 ms, 10,000 in 762 ms; BENCHMARKS.md, "Cold load"), but linearly in runs the store has
/// already merged ([`MERGE_RUN`](crate::store::compaction::MERGE_RUN) updates each), so a
/// long tail goes out as several frames, which keeps serving it linear.
const TAIL_ENTRIES_PER_FRAME: usize = 256;
const TAIL_BYTES_PER_FRAME: usize = 32 << 10;

/// The frames that bring a client with nothing up to date, from the stored bytes alone.
pub fn fresh_frames(raw: &RawBoard, id: &str) -> Result<Vec<Bytes>, StoreError> {
    let mut fresh = Vec::new();
    // The log tail first, so that by the time the client counts itself synced it has
    // everything.
    let mut frame_of = |group: &[sled::IVec]| -> Result<(), StoreError> {
        let tail = match group {
            [] => return Ok(()),
            [one] => one.to_vec(),
            many => crate::store::boards::merge(id, many)?,
        };
        fresh.push(Bytes::from(wire::encode_update(&tail)));
        Ok(())
    };
    let (mut start, mut bytes) = (0, 0);
    for (i, entry) in raw.log.iter().enumerate() {
        if i > start
            && (i - start >= TAIL_ENTRIES_PER_FRAME || bytes + entry.len() > TAIL_BYTES_PER_FRAME)
        {
            frame_of(&raw.log[start..i])?;
            (start, bytes) = (i, 0);
        }
        bytes += entry.len();
    }
    frame_of(&raw.log[start..])?;
    fresh.push(Bytes::from(wire::encode_sync_step2(
        raw.snapshot().unwrap_or(EMPTY_UPDATE),
    )));
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use huddle_shared::model::{Board, NewNote};
    use huddle_shared::wire::Limits;
    use yrs::{ReadTxn, Transact};

    /// A long tail goes out in several frames; applied in order, they are the whole board,
    /// also once the store has merged runs of it.
    #[test]
    fn a_long_tail_is_served_in_frames_that_make_the_board() {
        let store = MemoryStore::new();
        let board = Board::new();
        let mut sv = yrs::StateVector::default();
        let updates = 2 * TAIL_ENTRIES_PER_FRAME + 3;
        for i in 0..updates {
            {
                let mut txn = board.transact_mut();
                let note = NewNote {
                    pos: [i as f64, 0.0],
                    ..Default::default()
                };
                board.create_note(&mut txn, note).unwrap();
            }
            let update = board.doc().transact().encode_state_as_update_v1(&sv);
            sv = board.doc().transact().state_vector();
            store.append("b", i as u64, &update).unwrap();
        }
        let served = |frames: &[Bytes]| {
            let client = Board::new();
            for frame in frames {
                for message in wire::decode_frame(frame, &Limits::default()).unwrap() {
                    let update = match message {
                        Message::Update(u) | Message::SyncStep2(u) => u,
                        other => panic!("unexpected {other:?}"),
                    };
                    let update = wire::decode_update(&update).unwrap();
                    client.doc().transact_mut().apply_update(update).unwrap();
                }
            }
            client.snapshot(&client.doc().transact())
        };
        let expected = board.snapshot(&board.doc().transact());

        let raw = store.read("b").unwrap();
        let frames = fresh_frames(&raw, "b").unwrap();
        assert!(frames.len() > 3, "several tail frames, then sync step 2");
        assert_eq!(served(&frames), expected);

        // The store merges runs of the log: fewer entries, the same board.
        let run = TAIL_ENTRIES_PER_FRAME as u64;
        assert!(store.merge_log("b", 1, run).unwrap().is_some());
        assert!(store.merge_log("b", run + 1, 2 * run).unwrap().is_some());
        assert_eq!(
            store.merge_log("b", 2 * run + 1, 2 * run + 1).unwrap(),
            None,
            "one entry"
        );
        let raw = store.read("b").unwrap();
        assert_eq!(raw.log.len(), 1 + 2 + 2);
        assert_eq!(served(&fresh_frames(&raw, "b").unwrap()), expected);
    }
}
