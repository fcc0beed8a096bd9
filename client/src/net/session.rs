//! The sync state of one board link: what has been sent, what the server confirmed, and how
//! each message from the server is answered. The socket itself is `super`'s business; this
//! only sends frames on it while it is open.

use std::sync::{Arc, Mutex, MutexGuard};

use huddle_shared::model::{Board, REMOTE_ORIGIN};
use huddle_shared::rounds::{self, Command};
use huddle_shared::wire::{self, HuddleMessage, Message};
use huddle_shared::yrs::sync::Awareness;
use huddle_shared::yrs::{ReadTxn, Transact};
use huddle_shared::{comments, facilitation};
use wasm_bindgen::JsValue;
use web_sys::WebSocket;

use super::{CommentNews, FacilitationNews, RoundNews, Socket, Status};
use crate::dom::{self, js_error, log_error};

/// First reconnect delay: quick enough that a server restart goes unnoticed.
const BACKOFF_START_MS: i32 = 500;
/// Longest reconnect delay: a returning network is noticed within ten seconds.
const BACKOFF_MAX_MS: i32 = 10_000;
/// Yjs forgets a peer's awareness state 30 s after its last renewal; renew at half that, as
/// y-protocols' own clients do. The heartbeat's sync step 1 goes with it.
const HEARTBEAT_MS: f64 = 15_000.0;
/// An open connection on which nothing arrived for this long is dead: the server pings
/// every 15 s and answers each heartbeat, so two rounds were missed.
const SILENCE_MS: f64 = 30_000.0;

/// An update v1 with no structs and no deletions.
const EMPTY_UPDATE: [u8; 2] = [0, 0];

/// Local updates queued by the document observer, not sent yet.
pub(super) type UpdateQueue = Arc<Mutex<Vec<Vec<u8>>>>;

pub(super) struct Session {
    pub url: String,
    pub board: Board,
    pub awareness: Awareness,
    /// Filled by the document observer, emptied by [`Session::flush_local`].
    pub local_updates: UpdateQueue,
    pub socket: Option<Socket>,
    /// Numbers sockets, so events of a replaced socket are recognised and ignored.
    pub generation: u64,
    backoff_ms: i32,
    /// Sequence number of the last `SaveRequest` sent; only its `Saved` means "all saved".
    save_seq: u64,
    /// Local edits were made while offline (or restored from IndexedDB): ask for a save once
    /// they went out in step 2.
    pub unsaved: bool,
    /// The current socket has answered the server's sync step 1. Until then local updates
    /// wait: an update sent before the step 2 that carries the edits it follows would
    /// leave a gap, which the server refuses.
    answered: bool,
    /// When the current socket last received a frame (or opened, or was created),
    /// `Date.now()` ms.
    pub last_received: f64,
    /// When the last heartbeat was sent, `Date.now()` ms.
    last_heartbeat: f64,
    status: Status,
    /// The person may not change this board (a viewer or commenter): nothing of the local
    /// copy is sent, and the server's sync step 1 is answered with an empty update.
    pub read_only: bool,
    /// Number of the last round request sent (each request's answer repeats it).
    round_req: u64,
    /// Number of the last facilitation request sent (its own sequence, like rounds').
    facilitation_req: u64,
    /// Number of the last comment request sent (its own sequence).
    comment_req: u64,
    /// The current socket said `Hello` (after answering the server's sync step 1), so it
    /// gets round events and may send round requests.
    said_hello: bool,
}

/// What handling a frame did that the view must hear about (once nothing is borrowed).
#[derive(Debug, Default)]
pub(super) struct Outcome {
    pub remote_change: bool,
    /// The server's sync step 2 came (empty or not): the document holds the server's state.
    pub synced: bool,
    pub awareness_change: bool,
    pub status: Option<Status>,
    /// The server refused something we sent, with this reason.
    pub denied: Option<String>,
    /// Read-only, and the local copy holds edits the server does not have (made before the
    /// role dropped, or offline): they stay here, unsent.
    pub unsent: bool,
    /// Round news, in the order it came (a new `Hello`, the server's round events).
    pub rounds: Vec<RoundNews>,
    /// Facilitation news, in the order it came (a new `Hello`, the server's events).
    pub facilitation: Vec<FacilitationNews>,
    /// Comment news, in the order it came (a new `Hello`, the server's events).
    pub comments: Vec<CommentNews>,
}

impl Session {
    pub fn new(
        url: String,
        board: Board,
        awareness: Awareness,
        local_updates: UpdateQueue,
    ) -> Self {
        Session {
            url,
            board,
            awareness,
            local_updates,
            socket: None,
            generation: 0,
            backoff_ms: BACKOFF_START_MS,
            save_seq: 0,
            unsaved: false,
            answered: false,
            last_received: 0.0,
            last_heartbeat: 0.0,
            status: Status::Offline,
            read_only: false,
            round_req: 0,
            facilitation_req: 0,
            comment_req: 0,
            said_hello: false,
        }
    }

    pub fn current_socket(&mut self, generation: u64) -> Option<&mut Socket> {
        self.socket.as_mut().filter(|s| s.generation == generation)
    }

    pub fn is_open(&self) -> bool {
        self.socket.as_ref().is_some_and(|s| s.open)
    }

    /// The socket just opened: sync step 1 and our awareness state.
    pub fn on_open(&mut self) -> Option<Status> {
        self.backoff_ms = BACKOFF_START_MS;
        let now = js_sys::Date::now();
        self.last_received = now;
        self.last_heartbeat = now;
        self.answered = false;
        self.said_hello = false;
        // Whatever is still queued goes out in our answer to the server's step 1.
        let mut queue = lock(&self.local_updates);
        if !queue.is_empty() {
            queue.clear();
            self.unsaved = !self.read_only;
        }
        drop(queue);
        let state_vector = self.board.doc().transact().state_vector();
        self.send(&wire::encode_sync_step1(&state_vector));
        self.send_awareness();
        self.set_status(Status::Online)
    }

    /// The socket closed: the delay before the next attempt, and the new status.
    pub fn on_close(&mut self) -> (i32, Option<Status>) {
        let delay = self.next_backoff();
        (delay, self.set_status(Status::Offline))
    }

    /// The next attempt after a failure waits the shortest delay again.
    pub fn reset_backoff(&mut self) {
        self.backoff_ms = BACKOFF_START_MS;
    }

    /// Whether the open socket heard from the server recently enough to be trusted.
    pub fn is_alive(&self, now: f64) -> bool {
        now - self.last_received < SILENCE_MS
    }

    /// The heartbeat: `false` if the open socket went silent or the connecting one hangs (the
    /// caller replaces it);
    /// otherwise, every [`HEARTBEAT_MS`], renews our awareness state and sends sync step 1,
    /// whose answer proves the connection alive.
    pub fn heartbeat(&mut self, now: f64) -> bool {
        let Some(socket) = &self.socket else {
            return true;
        };
        let connecting = socket.ws.ready_state() == WebSocket::CONNECTING;
        if !socket.open && !connecting {
            // Closed: a reconnect is scheduled already.
            return true;
        }
        if !self.is_alive(now) {
            // Silent while open, or a handshake that never finishes.
            return false;
        }
        if !socket.open {
            return true;
        }
        if now - self.last_heartbeat >= HEARTBEAT_MS {
            self.last_heartbeat = now;
            self.renew_awareness();
            let state_vector = self.board.doc().transact().state_vector();
            self.send(&wire::encode_sync_step1(&state_vector));
        }
        true
    }

    /// The delay before the next reconnect attempt, doubling the one after it.
    pub fn next_backoff(&mut self) -> i32 {
        let delay = self.backoff_ms;
        self.backoff_ms = (delay * 2).min(BACKOFF_MAX_MS);
        delay
    }

    /// Answers one message from the server.
    pub fn handle(&mut self, message: Message, outcome: &mut Outcome) {
        match message {
            Message::SyncStep1(state_vector) if self.read_only => {
                // Nothing of ours may go in; say whether we hold anything the server lacks.
                let ours = self.board.doc().transact().state_vector();
                outcome.unsent |= ours
                    .iter()
                    .any(|(client, clock)| *clock > state_vector.get(client));
                self.send(&wire::encode_sync_step2(&EMPTY_UPDATE));
                self.unsaved = false;
                self.say_hello(outcome);
            }
            Message::SyncStep1(state_vector) => {
                let diff = self.board.doc().transact().encode_diff_v1(&state_vector);
                self.send(&wire::encode_sync_step2(&diff));
                self.answered = true;
                // Whatever was queued went out in it.
                lock(&self.local_updates).clear();
                if std::mem::take(&mut self.unsaved) {
                    outcome.status = self.request_save().or(outcome.status);
                }
                self.say_hello(outcome);
            }
            // An empty update (the usual answer to a heartbeat) changes nothing.
            Message::Update(update) if update == EMPTY_UPDATE => {}
            Message::SyncStep2(update) => {
                if update != EMPTY_UPDATE {
                    outcome.remote_change |= self.apply_remote(&update);
                }
                outcome.synced = true;
                dom::mark("huddle-synced");
            }
            Message::Update(update) => {
                outcome.remote_change |= self.apply_remote(&update);
            }
            Message::Awareness(update) => match self.awareness.apply_update_summary(update) {
                Ok(summary) => outcome.awareness_change |= summary.is_some(),
                Err(err) => log_error("bad awareness update", &js_error(err)),
            },
            Message::AwarenessQuery => self.send_awareness(),
            Message::Auth(Some(reason)) => {
                log_error("the server refused", &JsValue::from_str(&reason));
                outcome.denied = Some(reason);
            }
            Message::Auth(None) => {}
            Message::Huddle(HuddleMessage::Saved { seq }) => {
                if seq == self.save_seq {
                    outcome.status = self.set_status(Status::Saved).or(outcome.status);
                }
            }
            Message::Huddle(
                HuddleMessage::SaveRequest { .. }
                | HuddleMessage::RoundRequest(_)
                | HuddleMessage::FacilitationRequest(_)
                | HuddleMessage::CommentRequest(_),
            ) => {}
            Message::Huddle(HuddleMessage::CommentEvent(event)) => {
                outcome.comments.push(CommentNews::Event(event));
            }
            Message::Huddle(HuddleMessage::FacilitationEvent(event)) => {
                outcome.facilitation.push(FacilitationNews::Event {
                    event,
                    at: js_sys::Date::now(),
                });
            }
            Message::Huddle(HuddleMessage::RoundEvent(event)) => {
                outcome.rounds.push(RoundNews::Event(event));
            }
        }
    }

    /// Once per socket, after the sync handshake: "I speak rounds" (the server then sends
    /// the open rounds and their progress) and "I speak facilitation" (its clock, my
    /// private notes, the balance).
    fn say_hello(&mut self, outcome: &mut Outcome) {
        if self.said_hello {
            return;
        }
        self.said_hello = true;
        self.send_round_now(Command::Hello);
        outcome.rounds.push(RoundNews::Hello);
        let at = js_sys::Date::now();
        let req = self.send_facilitation_now(facilitation::Command::Hello);
        outcome
            .facilitation
            .push(FacilitationNews::Hello { req, at });
        self.send_comment_now(comments::Command::Hello);
        outcome.comments.push(CommentNews::Hello);
    }

    /// Sends a comment request; its number, or `None` when not connected (the page keeps
    /// the comment and sends it again after the next hello).
    pub fn send_comment(&mut self, cmd: comments::Command) -> Option<u64> {
        if !self.is_open() || !self.said_hello {
            return None;
        }
        Some(self.send_comment_now(cmd))
    }

    fn send_comment_now(&mut self, cmd: comments::Command) -> u64 {
        self.comment_req += 1;
        let req = self.comment_req;
        let message = HuddleMessage::CommentRequest(comments::Request { req, cmd });
        self.send(&wire::encode_huddle(&message));
        req
    }

    /// Sends a facilitation request; its number, or `None` when not connected (nothing is
    /// queued, as for rounds).
    pub fn send_facilitation(&mut self, cmd: facilitation::Command) -> Option<u64> {
        if !self.is_open() || !self.said_hello {
            return None;
        }
        Some(self.send_facilitation_now(cmd))
    }

    fn send_facilitation_now(&mut self, cmd: facilitation::Command) -> u64 {
        self.facilitation_req += 1;
        let req = self.facilitation_req;
        let message = HuddleMessage::FacilitationRequest(facilitation::Request { req, cmd });
        self.send(&wire::encode_huddle(&message));
        req
    }

    /// Sends a round request; its number, or `None` when not connected (nothing is queued:
    /// a vote cast while offline would be a surprise when it lands later).
    pub fn send_round(&mut self, cmd: Command) -> Option<u64> {
        if !self.is_open() || !self.said_hello {
            return None;
        }
        Some(self.send_round_now(cmd))
    }

    fn send_round_now(&mut self, cmd: Command) -> u64 {
        self.round_req += 1;
        let req = self.round_req;
        let message = HuddleMessage::RoundRequest(rounds::Request { req, cmd });
        self.send(&wire::encode_huddle(&message));
        req
    }

    /// Sends the queued local updates and a `SaveRequest` covering them.
    pub fn flush_local(&mut self) -> Option<Status> {
        let updates = std::mem::take(&mut *lock(&self.local_updates));
        if updates.is_empty() || self.read_only {
            return None;
        }
        if !self.is_open() || !self.answered {
            // Our next sync step 2 carries them.
            self.unsaved = true;
            return None;
        }
        for update in &updates {
            self.send(&wire::encode_update(update));
        }
        self.request_save()
    }

    /// Re-announces our awareness state (a new clock) so that peers keep it.
    pub fn renew_awareness(&mut self) {
        if !self.is_open() {
            return;
        }
        if let Some(json) = self.awareness.local_state_raw() {
            self.awareness.set_local_state_raw(json);
            self.send_awareness();
        }
    }

    /// Replaces our awareness state and sends it (if connected; the next connection sends
    /// the latest state anyway).
    pub fn set_presence(&mut self, state: serde_json::Value) {
        match self.awareness.set_local_state(state) {
            Ok(()) => self.send_awareness(),
            Err(err) => log_error("could not set the awareness state", &js_error(err)),
        }
    }

    /// Everyone else's awareness state, by client id.
    pub fn peers(&self) -> Vec<(u64, serde_json::Value)> {
        let own = self.awareness.client_id();
        self.awareness
            .iter()
            .filter(|(id, _)| *id != own)
            .filter_map(|(id, state)| {
                let json = state.data.as_deref()?;
                Some((id.get(), huddle_shared::json::from_str(json).ok()?))
            })
            .collect()
    }

    /// Tells the others we left (the page is going away).
    pub fn leave(&mut self) {
        self.awareness.clean_local_state();
        self.send_awareness();
    }

    fn send(&self, frame: &[u8]) {
        let Some(socket) = self.socket.as_ref().filter(|s| s.open) else {
            return;
        };
        if let Err(err) = socket.ws.send_with_u8_array(frame) {
            log_error("WebSocket send failed", &err);
        }
    }

    fn send_awareness(&self) {
        match self
            .awareness
            .update_with_clients([self.awareness.client_id()])
        {
            Ok(update) => self.send(&wire::encode_awareness(&update)),
            Err(err) => log_error("no local awareness state", &js_error(err)),
        }
    }

    /// Applies an update from the server; whether it was applied.
    fn apply_remote(&self, update: &[u8]) -> bool {
        let update = match wire::decode_update(update) {
            Ok(update) => update,
            Err(err) => {
                log_error("ignoring an undecodable update", &js_error(err));
                return false;
            }
        };
        let mut txn = self.board.doc().transact_mut_with(REMOTE_ORIGIN);
        match txn.apply_update(update) {
            Ok(()) => true,
            Err(err) => {
                log_error("could not apply an update", &js_error(err));
                false
            }
        }
    }

    /// Sends a `SaveRequest` covering everything sent so far.
    fn request_save(&mut self) -> Option<Status> {
        self.save_seq += 1;
        self.send(&wire::encode_huddle(&HuddleMessage::SaveRequest {
            seq: self.save_seq,
        }));
        self.set_status(Status::Saving)
    }

    /// Sets the status; `Some` if it changed (for the caller to report once unborrowed).
    fn set_status(&mut self, status: Status) -> Option<Status> {
        (self.status != status).then(|| {
            self.status = status;
            status
        })
    }
}

/// Locks the update queue. It only holds plain bytes, so a poisoned lock is still usable.
pub(super) fn lock(queue: &Mutex<Vec<Vec<u8>>>) -> MutexGuard<'_, Vec<Vec<u8>>> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
