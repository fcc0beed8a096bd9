//! A room: the one task that owns a loaded board's document and awareness.
//!
//! - this file: the commands, the task's loop, and the y-sync handlers;
//! - [`loading`]: the first moments, serving fresh clients from stored bytes while the
//!   document builds;
//! - [`awareness`]: who speaks for which awareness client id, and coalescing: a light room
//!   relays each awareness change at once; a busy one at most every [`AWARENESS_FLUSH`]
//!   (50 ms) as ONE frame holding each changed client's latest state, so 50 people moving
//!   cursors at 20 Hz cost the room
//!   ~1,000 frames a second instead of ~50,000 (document updates are never merged; in
//!   rooms of 100 and more each connection's writes wait a short linger to leave together,
//!   see `fanout`);
//! - `fanout`: sending to connections, closing slow ones, removing departed ones;
//! - `housekeeping`: the tick (finished compactions, metadata, idleness) and the room's
//!   tuning; when to compact is the store's rule, scheduled by its `Compactor`;
//! - `rounds`: dot votes, fist to five, poker, impact/effort and the decision log: ballots
//!   held here until the reveal, results written into the document;
//! - `comments`: comment threads, held here and in the store, sent to everyone live;
//! - `since`: the change journal (who created, edited, moved or deleted which item) and
//!   what each person has seen, for "since you last looked";
//! - `gate`: the check every incoming message passes first, by the sender's role and person
//!   (a viewer's writes, presence that claims to be someone else);
//! - `versions`: version history: hourly and end-of-session versions, named ones, restores;
//! - `view`: the board's first view for pages (its items as plain values), kept until the
//!   document changes;
//! - `handle` ([`RoomHandle`]): how connections and the API talk to a room; `context`
//!   ([`RoomContext`]): what a room is given when it starts.
//!
//! Connections talk to it only through its bounded command channel; it talks to them through
//! their [`Outbox`]es with `try_send`, so a slow connection never stalls the room: a full queue
//! closes that connection (it reconnects and resyncs), and no update is ever silently skipped.
//! Each update is encoded once (usually it is the very frame the sender sent) and the same
//! `Bytes` goes to every receiver. No yrs transaction lives across an `.await`: every handler
//! below is synchronous. Besides commands, the loop wakes for durable saves, the tick, and
//! the awareness flush (only while awareness changes are pending).

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use huddle_shared::access::Role;
use huddle_shared::model::{Board, BoardSnapshot};
use huddle_shared::wire::{self, HuddleMessage, Message};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::sleep_until;
use yrs::block::ClientID;
use yrs::sync::Awareness;
use yrs::{ReadTxn, Transact};

use crate::outbox::{Outbox, code};
use crate::store::{BoardMeta, Compactor, StoreError};

mod awareness;
mod comments;
mod context;
mod facilitation;
mod fanout;
mod gate;
mod handle;
mod housekeeping;
pub mod loading;
mod rounds;
mod since;
#[cfg(test)]
mod tests;
pub mod versions;
mod view;

pub use context::RoomContext;
pub use handle::{RoomClosed, RoomHandle};
pub use view::{CachedView, gzip};

pub use awareness::{AWARENESS_BUDGET, AWARENESS_FLUSH};

pub use housekeeping::{RoomConfig, SharedRoomConfig};

pub type ConnId = u64;

/// Who a connection is, as the room checks what it sends: given by the server when it lets
/// the connection in, never by the client.
#[derive(Debug, Clone)]
pub struct Member {
    /// The person's id.
    pub person: Arc<str>,
    /// The role the person holds on this board (an admin holds `Owner`).
    pub role: Role,
    /// The name others see of the person, when they joined (for presence claims).
    pub name: String,
    /// [`Rooms::access_epoch`](crate::rooms::Rooms::access_epoch) before the role was looked
    /// up: if it moved by the time the connection joins, the role may be stale.
    pub epoch: u64,
}

/// What connections and the HTTP API ask of a room.
pub enum Command {
    /// Adds a connection; the reply is `false` if the room is closing (ask the registry again).
    Join {
        conn: ConnId,
        member: Member,
        outbox: Outbox,
        joined: oneshot::Sender<bool>,
    },
    /// Decoded messages of one frame, with the frame itself for forwarding unchanged.
    Frame {
        conn: ConnId,
        messages: Vec<Message>,
        raw: Bytes,
    },
    Leave {
        conn: ConnId,
    },
    Export {
        reply: oneshot::Sender<BoardSnapshot>,
    },
    /// The board's items as the page draws them (see [`view`]).
    View {
        reply: oneshot::Sender<CachedView>,
    },
    /// Closes every connection and stops the room; the caller deletes the stored board.
    Delete {
        done: oneshot::Sender<()>,
    },
    /// A person's role changed or was removed: their connections are closed, to come back
    /// with the new role (or be refused).
    AccessChanged {
        person: Arc<str>,
    },
    /// Sets the board's title in its document.
    Rename {
        title: String,
        done: oneshot::Sender<()>,
    },
    /// Version history: save a version now, restore one.
    Versions(versions::VersionCommand),
}

/// An empty update v1: no structs, no deletions. Clients send it as sync step 2 when they
/// have nothing the server lacks; it is neither stored nor forwarded.
pub(crate) const EMPTY_UPDATE: &[u8] = &[0, 0];

/// How often a room checks for idleness, finished compactions and metadata to write.
const TICK: Duration = Duration::from_secs(1);

struct Conn {
    outbox: Outbox,
    member: Member,
    /// Awareness client ids this connection has announced; removed when it leaves.
    awareness_ids: HashSet<ClientID>,
    /// The last name its presence claimed that passed the gate (checked again only when it
    /// changes, not on every cursor move).
    claimed_name: Option<String>,
}

impl Conn {
    fn new(member: Member, outbox: Outbox) -> Conn {
        Conn {
            outbox,
            member,
            awareness_ids: HashSet::new(),
            claimed_name: None,
        }
    }
}

/// An answer held back until what it answers is on disk ("saved", a round's ack).
struct PendingSave {
    conn: ConnId,
    frame: Bytes,
    /// Store write mark at the time of the request; sent once the durable mark reaches it.
    mark: u64,
}

struct Room {
    id: String,
    ctx: RoomContext,
    board: Board,
    awareness: Awareness,
    conns: HashMap<ConnId, Conn>,
    /// Every connection's current linger ([`fanout::linger_for`] the room's size).
    linger: Duration,
    /// Which connection speaks for each awareness client id.
    awareness_owners: HashMap<ClientID, ConnId>,
    /// Awareness changes waiting for the next flush.
    pending_awareness: awareness::PendingAwareness,
    pending_saves: Vec<PendingSave>,
    meta: BoardMeta,
    meta_dirty: bool,
    next_seq: u64,
    /// What the log holds, and the compaction running, if any.
    compactor: Compactor,
    last_activity: Instant,
    /// Store write mark after this room's last write: it unloads only once that is durable.
    written_mark: u64,
    /// Set when the room must stop: shutdown, deletion, or a failure that makes its state
    /// suspect (it is then reloaded from storage by the next connection).
    stop: Option<(u16, &'static str)>,
    /// Set by [`Command::Delete`]: answered once the room has let go of the board.
    deleted: Option<oneshot::Sender<()>>,
    /// The sync step 2 for a client that has nothing yet (most joins), encoding the whole board:
    /// O(board) to make, so made once and reused until the document changes. When a meeting
    /// starts, everyone opens the board within seconds. Dropped on a tick nobody used it in;
    /// not kept for small boards ([`FULL_SYNC_CACHE_MIN_BYTES`]).
    full_sync: Option<FullSync>,
    /// The board's first view for pages, kept like `full_sync` (see [`view`]).
    views: view::ViewCache,
    /// The board's rounds, their ballots and its decision log.
    rounds: rounds::Rounds,
    /// Who facilitates, the agenda and timer, private notes, locks, the contribution counts.
    facilitation: facilitation::Facilitation,
    /// The board's comment threads.
    comments: comments::Comments,
    /// The change journal and seen marks ("since you last looked").
    since: since::Since,
    /// Who edited since the board's last version, and when versions are due.
    versions: versions::RoomVersions,
}

struct FullSync {
    /// A sync step 2, or (fresh from loading) the stored log tail as an update, then a sync
    /// step 2 with the stored snapshot: the same board, as [`loading`] serves it.
    frames: Vec<Bytes>,
    used: bool,
}

/// Boards encoding to less are not worth a cache: encoding them again takes a fraction of a
/// millisecond, while 1,000 small rooms each keeping a copy would cost megabytes.
pub const FULL_SYNC_CACHE_MIN_BYTES: usize = 64 << 10;

impl FullSync {
    /// A cache of `frames`, if they are big enough to be worth keeping.
    fn worth_keeping(frames: Vec<Bytes>) -> Option<FullSync> {
        let bytes: usize = frames.iter().map(Bytes::len).sum();
        (bytes >= FULL_SYNC_CACHE_MIN_BYTES).then_some(FullSync {
            frames,
            // Counts as used: it was made for a join; it goes after a tick with no other.
            used: true,
        })
    }
}

/// Closes a connection whose role was looked up before someone's role changed: it may be
/// stale, so the client comes back and has it looked up again.
fn stale_role(outbox: &Outbox) {
    let why = "roles on this board changed while you joined; reconnect";
    outbox.closer.close(code::ROLE_CHANGED, why);
}

/// Loads the board and runs the room until it unloads, is deleted, fails, or the server stops.
pub async fn run(id: String, generation: u64, mut rx: mpsc::Receiver<Command>, ctx: RoomContext) {
    let metrics = ctx.metrics.clone();
    metrics
        .rooms_loaded
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match Room::load(id.clone(), ctx.clone(), &mut rx).await {
        Ok(mut room) => {
            room.serve(&mut rx, generation).await;
            room.finish();
            if let Some(done) = room.deleted.take() {
                ctx.rooms.unregister(&id, generation);
                let _ = done.send(());
            }
        }
        Err(StoreError::OwnedElsewhere { node, .. }) => {
            tracing::debug!(board = %id, node, "the board is open on another node");
        }
        Err(e) => {
            tracing::error!(board = %id, "cannot load board: {e}");
            ctx.boards.release(&id);
        }
    }
    ctx.rooms.unregister(&id, generation);
    // Whatever is still queued: joins are told to ask the registry again, which starts a
    // fresh room; everything else gets the best answer available.
    rx.close();
    while let Ok(cmd) = rx.try_recv() {
        match cmd {
            Command::Join { outbox, joined, .. } => {
                if joined.send(false).is_err() {
                    outbox
                        .closer
                        .close(code::GOING_AWAY, "board closed; reconnect");
                }
            }
            Command::Delete { done } => drop(done.send(())),
            Command::Export { .. }
            | Command::View { .. }
            | Command::Frame { .. }
            | Command::Leave { .. }
            | Command::AccessChanged { .. }
            | Command::Rename { .. }
            | Command::Versions(_) => {}
        }
    }
    metrics
        .rooms_loaded
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
}

impl Room {
    async fn load(
        id: String,
        ctx: RoomContext,
        rx: &mut mpsc::Receiver<Command>,
    ) -> Result<Room, StoreError> {
        let loaded = loading::load(&id, &ctx, rx).await?;
        let board = Board::from_doc(loaded.doc);
        // A page asks for the board's first view as it opens, so the view is often the first
        // thing waiting: answered now, before the room reads the parts the view does not need
        // (rounds, comments, the journal's titles of every item). Only views asked for before
        // any other command, so that each answer is the board as it was when asked.
        let mut buffered = loaded.buffered.into_iter().peekable();
        let mut views = view::ViewCache::default();
        while let Some(Command::View { reply }) =
            buffered.next_if(|cmd| matches!(cmd, Command::View { .. }))
        {
            let _ = reply.send(views.get_or_read(&board));
        }
        let awareness = Awareness::new(board.doc().clone());
        let rounds = rounds::Rounds::load(&board, &ctx.store, &id)?;
        let facilitation = facilitation::Facilitation::load(&board, &ctx.store, &id)?;
        let comments = comments::Comments::load(&ctx.store, &id)?;
        let since = since::Since::load(&board, &ctx.store, &id)?;
        let versions = versions::RoomVersions::load(&ctx.store, &ctx.config.versions, &id)?;
        let mut meta = loaded.meta;
        // The document's title is the board's as it was loaded (releases before issue 11 let
        // any client write it and copied it to the list): from here on only Rename changes it.
        if let Some(title) = board.title(&board.doc().transact()) {
            meta.title = title;
        }
        let compactor = Compactor::new(ctx.config.compaction, &loaded.raw);
        let mut room = Room {
            id,
            ctx,
            board,
            awareness,
            conns: HashMap::new(),
            linger: Duration::ZERO,
            awareness_owners: HashMap::new(),
            pending_awareness: Default::default(),
            pending_saves: Vec::new(),
            meta,
            meta_dirty: false,
            next_seq: loaded.raw.next_seq,
            compactor,
            last_activity: Instant::now(),
            written_mark: 0,
            stop: None,
            deleted: None,
            // What fresh clients got while it loaded is still the board, until it changes
            // (handling the buffered commands below may already change it).
            full_sync: FullSync::worth_keeping(loaded.fresh),
            views,
            rounds,
            facilitation,
            comments,
            since,
            versions,
        };
        // Connections that joined during the load are in; what they sent meanwhile is applied
        // before the server's own sync step 1 goes out, so that its state vector includes their
        // edits and they do not send them all again.
        let joined: Vec<ConnId> = loaded.joined.iter().map(|(conn, ..)| *conn).collect();
        for (conn, member, outbox) in loaded.joined {
            if room.ctx.rooms.access_epoch() != member.epoch {
                stale_role(&outbox);
                continue;
            }
            room.conns.insert(conn, Conn::new(member, outbox));
        }
        for cmd in buffered {
            room.handle(cmd);
        }
        for conn in joined {
            room.greet(conn);
        }
        // Rounds whose deadline passed while the board was not loaded (or the server down).
        room.close_due_rounds();
        room.maybe_compact();
        Ok(room)
    }

    async fn serve(&mut self, rx: &mut mpsc::Receiver<Command>, generation: u64) {
        let mut durable: watch::Receiver<u64> = self.ctx.boards.durable();
        // Saves asked for while the board loaded were queued before this receiver existed: the
        // flush they requested may already be done, and then no change would ever wake them.
        self.ack_saves();
        let mut tick = tokio::time::interval(TICK);
        let shutdown = self.ctx.shutdown.clone();
        while self.stop.is_none() {
            self.flush_awareness_if_due();
            let awareness_due = self.pending_awareness.due;
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => self.handle(cmd),
                    None => break,
                },
                Ok(()) = durable.changed(), if !self.pending_saves.is_empty() => self.ack_saves(),
                () = sleep_until(awareness_due.unwrap_or_else(tokio::time::Instant::now)), if awareness_due.is_some() => {
                    self.flush_awareness()
                }
                _ = tick.tick() => {
                    self.on_tick().await;
                    if self.is_idle() && self.ctx.rooms.unregister(&self.id, generation) {
                        tracing::debug!(board = %self.id, "unloading idle board");
                        break;
                    }
                }
                _ = shutdown.cancelled() => self.stop = Some((code::GOING_AWAY, "server shutting down")),
            }
        }
    }

    /// Closes every connection and writes what is left to write.
    fn finish(&mut self) {
        let (code, reason) = self
            .stop
            .unwrap_or((code::GOING_AWAY, "board closed; reconnect"));
        if self.deleted.is_none() {
            self.since_all_seen();
        }
        for (_, conn) in self.conns.drain() {
            conn.outbox.closer.close(code, reason);
        }
        if self.deleted.is_some() || !self.ctx.boards.owns(&self.id) {
            return; // nothing of the board may be written any more (here)
        }
        self.write_meta();
        // The end of a session; not of a board whose memory may hold a refused update.
        if matches!(self.stop, None | Some((code::GOING_AWAY, _))) {
            self.versions_session_end();
            self.store_view();
        }
        // Fold the log into the snapshot so the next cold load is one read.
        let upto = self.next_seq.saturating_sub(1);
        self.compactor
            .close(&self.ctx.boards, &self.id, upto, &self.ctx.tracker);
        self.ctx.boards.request_flush();
    }

    fn handle(&mut self, cmd: Command) {
        self.last_activity = Instant::now();
        match cmd {
            Command::Join {
                conn,
                member,
                outbox,
                joined,
            } => self.join(conn, member, outbox, joined),
            Command::Frame {
                conn,
                messages,
                raw,
            } => self.frame(conn, messages, raw),
            Command::Leave { conn } => self.remove(vec![(conn, None)]),
            Command::Export { reply } => {
                let _ = reply.send(self.board.snapshot(&self.board.doc().transact()));
            }
            Command::View { reply } => {
                let _ = reply.send(self.view());
            }
            Command::Delete { done } => {
                self.stop = Some((code::BOARD_DELETED, "board deleted"));
                self.deleted = Some(done);
            }
            Command::AccessChanged { person } => self.access_changed(&person),
            Command::Rename { title, done } => {
                self.rename(&title);
                let _ = done.send(());
            }
            Command::Versions(cmd) => self.version_command(cmd),
        }
    }

    fn join(
        &mut self,
        conn: ConnId,
        member: Member,
        outbox: Outbox,
        joined: oneshot::Sender<bool>,
    ) {
        if joined.send(true).is_ok() {
            if self.ctx.rooms.access_epoch() != member.epoch {
                return stale_role(&outbox);
            }
            outbox.linger.set(self.linger);
            self.conns.insert(conn, Conn::new(member, outbox));
            self.retune_linger();
            self.greet(conn);
        } // else the connection gave up waiting
    }

    /// Sends a connection the server's half of the handshake.
    fn greet(&mut self, conn: ConnId) {
        // Server-initiated half of the handshake: our state vector (the client answers with
        // what we lack), then who is here.
        let sv = self.board.doc().transact().state_vector();
        self.send(conn, Bytes::from(wire::encode_sync_step1(&sv)));
        if let Some(frame) = self.awareness_snapshot() {
            self.send(conn, frame);
        }
    }

    fn frame(&mut self, conn: ConnId, messages: Vec<Message>, raw: Bytes) {
        // A frame holding exactly one message can be forwarded as it came.
        let single = messages.len() == 1;
        for message in messages {
            if !self.conns.contains_key(&conn) || self.stop.is_some() {
                return; // closed while handling an earlier message of this frame
            }
            let Some(message) = self.admit(conn, message) else {
                continue;
            };
            match message {
                Message::SyncStep1(sv) if sv.is_empty() => {
                    for frame in self.full_sync_frames() {
                        self.send(conn, frame);
                    }
                }
                Message::SyncStep1(sv) => {
                    let update = self.board.doc().transact().encode_state_as_update_v1(&sv);
                    self.send(conn, Bytes::from(wire::encode_sync_step2(&update)));
                }
                Message::SyncStep2(update) => self.apply(conn, update, None),
                Message::Update(update) => self.apply(conn, update, single.then(|| raw.clone())),
                Message::Awareness(update) => self.awareness(conn, update),
                Message::AwarenessQuery => {
                    if let Some(frame) = self.awareness_snapshot() {
                        self.send(conn, frame);
                    }
                }
                Message::Auth(_) => {}
                Message::Huddle(HuddleMessage::SaveRequest { seq }) => self.save_request(conn, seq),
                Message::Huddle(
                    HuddleMessage::Saved { .. }
                    | HuddleMessage::RoundEvent(_)
                    | HuddleMessage::FacilitationEvent(_)
                    | HuddleMessage::CommentEvent(_),
                ) => {}
                Message::Huddle(HuddleMessage::RoundRequest(request)) => {
                    self.round_request(conn, request)
                }
                Message::Huddle(HuddleMessage::FacilitationRequest(request)) => {
                    self.facilitation_request(conn, request)
                }
                Message::Huddle(HuddleMessage::CommentRequest(request)) => {
                    self.comment_request(conn, request)
                }
            }
        }
    }

    /// Applies a client's update, appends it to the log, and forwards it to everyone else.
    fn apply(&mut self, conn: ConnId, payload: Vec<u8>, frame: Option<Bytes>) {
        if payload == EMPTY_UPDATE {
            return;
        }
        let update = match wire::decode_update(&payload) {
            Ok(update) => update,
            Err(e) => return self.reject(conn, &e.to_string()),
        };
        // Only what applies completely: yrs would keep the rest pending (see
        // `validate::Dependencies`). The client resyncs when it reconnects.
        let limits = wire::validate::Limits::from_clients();
        let missing = match wire::validate::dependencies(&payload, &limits) {
            Ok(deps) => deps.first_missing(&self.board.doc().transact().state_vector()),
            Err(e) => return self.reject(conn, &e.to_string()),
        };
        if let Some(missing) = missing {
            return self.reject(conn, &format!("update refused: {missing}; resync"));
        }
        if let Some(reason) = self.locked_refusal(conn, &payload) {
            // Refused whole: nothing of it is applied, stored or forwarded. The sender keeps
            // it in its own copy, so it is closed to resync (the page reloads the board).
            self.ctx
                .metrics
                .refused_writes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.deny(conn, &reason);
            if let Some(c) = self.conns.get(&conn) {
                c.outbox.closer.close_after_queued(code::LOCKED, &reason);
            }
            return self.remove(vec![(conn, None)]);
        }
        self.board_changing();
        // While a lock index exists, it learns what the transaction did (yrs deletes a
        // replaced map value itself; that deletion is not in the received bytes).
        let indexing = self.indexes_locks();
        let mut integrated = None;
        let doc = self.board.doc();
        let applied = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            // yrs integrates an update block by block and can refuse one midway (a parent that
            // is not a type): then the blocks before it are in the document already. What it
            // could not integrate must not stay either (the check above should rule it out).
            let applied = txn.apply_update(update);
            let pending = wire::has_pending(&txn);
            let changed = pending || *txn.before_state() != txn.state_vector();
            match applied {
                Err(e) => Err((e.to_string(), changed)),
                Ok(()) if pending => Err(("it needs changes the board does not have".into(), true)),
                Ok(()) => {
                    if indexing {
                        integrated = Some(txn.encode_update_v1());
                    }
                    Ok(())
                }
            }
        }));
        match applied {
            Ok(Ok(())) => {}
            Ok(Err((e, partly_applied))) => {
                self.reject(conn, &format!("update rejected: {e}"));
                if partly_applied {
                    // Nothing of it is stored or was forwarded; reloading the board from
                    // storage drops what got into memory before anyone can sync it.
                    tracing::warn!(board = %self.id, "a refused update was partly applied; reloading the board");
                    self.stop = Some((code::INTERNAL, "board reloading; reconnect"));
                }
                return;
            }
            Err(_) => {
                tracing::error!(board = %self.id, "yrs panicked applying an update; reloading the board");
                self.stop = Some((code::INTERNAL, "internal error; reconnect"));
                return;
            }
        }
        self.ctx
            .metrics
            .updates_received
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.commit(Some(conn), &payload, frame);
        self.since_applied(conn); // the journal: which items this person changed, and how
        if let Some(integrated) = integrated {
            self.locks_applied(&integrated);
        }
        self.count_update(conn); // the contribution balance: an edit, and the notes it created
        self.keep_title(conn);
        self.keep_results(conn);
        self.keep_facilitation(conn);
    }

    /// The title is the owner's to change, through the API ([`Room::rename`]); the page never
    /// writes it. One that a client wrote into the document is put back at once (the rest of
    /// its update stands), counted as a refused write, and the client is told.
    fn keep_title(&mut self, conn: ConnId) {
        let title = self.board.title(&self.board.doc().transact());
        if title.unwrap_or_default() == self.meta.title || self.stop.is_some() {
            return;
        }
        self.ctx
            .metrics
            .refused_writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.deny(
            conn,
            "the title is the owner's to change (Rename, on the board list); it was put back",
        );
        let title = self.meta.title.clone();
        self.rename(&title);
    }

    /// Appends an applied update to the log and sends it to every connection but `from`
    /// (`frame`: the update already framed, if the sender's frame held only it).
    fn commit(&mut self, from: Option<ConnId>, payload: &[u8], frame: Option<Bytes>) {
        if let Err(e) = self.ctx.boards.append(&self.id, self.next_seq, payload) {
            if !self.still_owned() {
                return; // another node took the board: the clients go there (1013)
            }
            tracing::error!(board = %self.id, "cannot store update: {e}");
            self.stop = Some((code::INTERNAL, "storage failure; reconnect"));
            return;
        }
        self.next_seq += 1;
        self.written_mark = self.ctx.boards.written();
        self.compactor.appended(payload.len());
        self.meta_dirty = true;
        self.version_edited(from);
        let frame = frame.unwrap_or_else(|| Bytes::from(wire::encode_update(payload)));
        let sent = self.broadcast(from, frame);
        self.ctx
            .metrics
            .updates_sent
            .fetch_add(sent as u64, std::sync::atomic::Ordering::Relaxed);
        self.maybe_compact();
    }

    /// Writes into the document as the server (results, decisions, moved notes, the
    /// facilitation state), stores the update and sends it to everyone.
    fn write_server(&mut self, write: impl FnOnce(&Board, &mut yrs::TransactionMut)) {
        self.board_changing();
        let update = {
            let mut txn = self.board.transact_mut();
            write(&self.board, &mut txn);
            txn.encode_update_v1()
        };
        // The server's own write is not a client's: the watches on its maps forget it.
        self.rounds.forget_touch();
        self.facilitation.forget_touch();
        self.since.forget();
        if update != EMPTY_UPDATE {
            self.commit(None, &update, None);
            self.locks_applied(&update);
        }
    }

    /// The board's new title, written by the server into its document (the owner renamed it
    /// through the API) and sent to everyone as any update is.
    fn rename(&mut self, title: &str) {
        self.meta.title = title.to_owned();
        self.board_changing();
        let update = {
            let mut txn = self.board.transact_mut();
            self.board.set_title(&mut txn, title);
            txn.encode_update_v1()
        };
        self.since.forget();
        self.commit(None, &update, None);
        self.locks_applied(&update);
        self.write_meta();
    }

    /// Closes the connections of a person whose role changed, with [`code::ROLE_CHANGED`].
    fn access_changed(&mut self, person: &str) {
        let theirs = self
            .conns
            .iter()
            .filter(|(_, c)| &*c.member.person == person)
            .map(|(id, _)| {
                let why = "your role on this board changed; reconnect".to_owned();
                (*id, Some((code::ROLE_CHANGED, why)))
            })
            .collect();
        self.remove(theirs);
    }

    /// The frames that bring a client with an empty state vector up to date, from the cache
    /// if the board has not changed since it was made.
    fn full_sync_frames(&mut self) -> Vec<Bytes> {
        if let Some(cached) = &mut self.full_sync {
            cached.used = true;
            self.ctx
                .metrics
                .full_syncs_cached
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return cached.frames.clone();
        }
        let update = self
            .board
            .doc()
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        let frames = vec![Bytes::from(wire::encode_sync_step2(&update))];
        self.full_sync = FullSync::worth_keeping(frames.clone());
        frames
    }

    fn save_request(&mut self, conn: ConnId, seq: u64) {
        let frame = Bytes::from(wire::encode_huddle(&HuddleMessage::Saved { seq }));
        self.send_when_durable(conn, frame);
    }

    /// Sends `frame` to `conn` once everything written so far is on disk.
    fn send_when_durable(&mut self, conn: ConnId, frame: Bytes) {
        let mark = self.ctx.boards.written();
        if self.ctx.boards.is_durable(mark) && self.still_owned() {
            self.send(conn, frame);
        } else {
            self.pending_saves.push(PendingSave { conn, frame, mark });
            self.ctx.boards.request_flush();
        }
    }

    fn ack_saves(&mut self) {
        if !self.still_owned() {
            return;
        }
        let (done, pending): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_saves)
            .into_iter()
            .partition(|p| self.ctx.boards.is_durable(p.mark));
        self.pending_saves = pending;
        for p in done {
            self.send(p.conn, p.frame);
        }
    }

    /// Whether this node still owns the board (always, on one node). In a cluster, another
    /// node may have taken it (this one paused past its lease, or was cut off): then its
    /// writes here were refused, so nothing may be acknowledged as saved, and the room stops;
    /// its clients reconnect, reach the owner and send again what it lacks.
    pub(super) fn still_owned(&mut self) -> bool {
        if self.ctx.boards.owns(&self.id) {
            return true;
        }
        if self.stop.is_none() {
            tracing::warn!(board = %self.id, "another node owns the board now; closing the room");
            self.pending_saves.clear();
            self.stop = Some((
                code::TRY_AGAIN,
                "the board moved to another server; reconnect",
            ));
        }
        false
    }

    fn reject(&mut self, conn: ConnId, reason: &str) {
        self.ctx
            .metrics
            .rejected_messages
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(board = %self.id, conn, "closing connection: {reason}");
        self.remove(vec![(conn, Some((code::INVALID, reason.to_owned())))]);
    }
}
