//! The connection to a board's room: a WebSocket speaking y-websocket, kept alive.
//!
//! - On open: send sync step 1 (our state vector) and our awareness state; status `online`.
//! - Server's step 1: answer with step 2 (what it lacks, including edits made offline).
//! - Step 2 / updates: apply in a transaction whose origin is [`REMOTE_ORIGIN`].
//! - Local edits: a document observer queues every update whose origin is not remote; the
//!   view calls [`Connection::flush_local`] after each gesture, which sends them and a Huddle
//!   `SaveRequest`; status `saving` until the matching `Saved` arrives, then `saved`.
//! - On close: status `offline`, reconnect after a backoff that doubles up to 10 s, resync.
//!
//! The observer only pushes bytes onto a queue, so it has no JavaScript objects in it and is
//! `Send + Sync` whether or not yrs' `sync` feature is on. No transaction outlives a handler.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};

use huddle_shared::model::Board;
use huddle_shared::wire::{self, HuddleMessage, Message};
use huddle_shared::yrs::sync::Awareness;
use huddle_shared::yrs::{Origin, ReadTxn, Transact};
use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, Event, MessageEvent, WebSocket};

use crate::dom::{self, js_error, log_error};
use crate::identity::Guest;

/// Origin of transactions that apply what the server sent: their updates are not sent back.
const REMOTE_ORIGIN: &str = "huddle-remote";
/// Key of our update observer on the document.
const OBSERVER_KEY: &str = "huddle-net";
/// First reconnect delay: quick enough that a server restart goes unnoticed.
const BACKOFF_START_MS: i32 = 500;
/// Longest reconnect delay: a returning network is noticed within ten seconds.
const BACKOFF_MAX_MS: i32 = 10_000;

/// What the status badge shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Offline,
    Online,
    Saving,
    Saved,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Offline => "offline",
            Status::Online => "online",
            Status::Saving => "saving",
            Status::Saved => "saved",
        }
    }
}

/// What the connection tells the view. Called with no borrow held, so they may call back in.
pub struct Events {
    pub on_status: Box<dyn Fn(Status)>,
    /// The document changed because of something the server sent.
    pub on_remote_change: Box<dyn Fn()>,
}

/// A handle on the board's connection (cheap to clone).
#[derive(Clone)]
pub struct Connection {
    shared: Rc<Shared>,
}

struct Shared {
    state: RefCell<State>,
    events: Events,
}

struct State {
    url: String,
    board: Board,
    awareness: Awareness,
    /// Local updates the observer queued and [`Connection::flush_local`] has not sent yet.
    local_updates: Arc<Mutex<Vec<Vec<u8>>>>,
    socket: Option<Socket>,
    /// Numbers sockets, so events of a replaced socket are recognised and ignored.
    generation: u64,
    backoff_ms: i32,
    /// Sequence number of the last `SaveRequest` sent; only its `Saved` means "all saved".
    save_seq: u64,
    /// Local edits were made while offline: ask for a save once they went out in step 2.
    unsaved: bool,
    status: Status,
}

/// One WebSocket and the handlers registered on it (unregistered when dropped).
struct Socket {
    ws: WebSocket,
    generation: u64,
    open: bool,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(Event)>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

impl Connection {
    /// Connects `board` to `/ws/{board_id}` on this page's host and keeps it connected.
    pub fn start(
        board: Board,
        board_id: &str,
        guest: &Guest,
        events: Events,
    ) -> Result<Connection, JsValue> {
        let location = dom::window()?.location();
        let scheme = if location.protocol()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        let url = format!("{scheme}://{}/ws/{board_id}", location.host()?);

        // wasm32 has no system clock for yrs: awareness timestamps come from JavaScript.
        let mut awareness =
            Awareness::with_clock(board.doc().clone(), || js_sys::Date::now() as u64);
        awareness
            .set_local_state(guest.awareness_state())
            .map_err(js_error)?;

        let local_updates = Arc::new(Mutex::new(Vec::new()));
        let queue = local_updates.clone();
        let remote = Origin::from(REMOTE_ORIGIN);
        board
            .doc()
            .observe_update_v1(OBSERVER_KEY, move |txn, event| {
                if txn.origin() != Some(&remote) {
                    lock(&queue).push(event.update.clone());
                }
            })
            .map_err(js_error)?;

        let state = State {
            url,
            board,
            awareness,
            local_updates,
            socket: None,
            generation: 0,
            backoff_ms: BACKOFF_START_MS,
            save_seq: 0,
            unsaved: false,
            status: Status::Offline,
        };
        let shared = Rc::new(Shared {
            state: RefCell::new(state),
            events,
        });
        connect(&shared);
        Ok(Connection { shared })
    }

    /// Sends the local edits made since the last call, then asks the server to confirm they
    /// are saved. Call after every local transaction.
    pub fn flush_local(&self) {
        let status = {
            let mut state = self.shared.state.borrow_mut();
            let updates = std::mem::take(&mut *lock(&state.local_updates));
            if updates.is_empty() {
                None
            } else if state.is_open() {
                for update in &updates {
                    state.send(&wire::encode_update(update));
                }
                state.request_save()
            } else {
                // The next connection's sync step 2 carries them.
                state.unsaved = true;
                None
            }
        };
        self.shared.emit_status(status);
    }
}

impl Shared {
    fn emit_status(&self, status: Option<Status>) {
        if let Some(status) = status {
            (self.events.on_status)(status);
        }
    }
}

/// Opens a new socket (replacing any old one); on failure, retries after the backoff.
fn connect(shared: &Rc<Shared>) {
    let mut state = shared.state.borrow_mut();
    state.generation += 1;
    let generation = state.generation;
    // Drop the old socket first: this runs from a timer, never from one of its own handlers.
    state.socket = None;
    match open_socket(shared, &state.url, generation) {
        Ok(socket) => state.socket = Some(socket),
        Err(err) => {
            log_error("could not open the WebSocket", &err);
            let delay = state.next_backoff();
            drop(state);
            schedule_reconnect(shared, delay);
        }
    }
}

fn open_socket(shared: &Rc<Shared>, url: &str, generation: u64) -> Result<Socket, JsValue> {
    let ws = WebSocket::new(url)?;
    ws.set_binary_type(BinaryType::Arraybuffer);

    let weak = Rc::downgrade(shared);
    let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
        if let Some(shared) = weak.upgrade() {
            opened(&shared, generation);
        }
    });
    let weak = Rc::downgrade(shared);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(shared) = weak.upgrade() {
            received(&shared, generation, &event);
        }
    });
    let weak: Weak<Shared> = Rc::downgrade(shared);
    let on_close = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
        if let Some(shared) = weak.upgrade() {
            closed(&shared, generation);
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    Ok(Socket {
        ws,
        generation,
        open: false,
        _on_open: on_open,
        _on_message: on_message,
        _on_close: on_close,
    })
}

fn opened(shared: &Rc<Shared>, generation: u64) {
    let status = {
        let mut state = shared.state.borrow_mut();
        let Some(socket) = state.current_socket(generation) else {
            return;
        };
        socket.open = true;
        state.backoff_ms = BACKOFF_START_MS;
        // Whatever was queued while offline goes out in our answer to the server's step 1.
        if !lock(&state.local_updates).is_empty() {
            lock(&state.local_updates).clear();
            state.unsaved = true;
        }
        let state_vector = state.board.doc().transact().state_vector();
        state.send(&wire::encode_sync_step1(&state_vector));
        state.send_awareness();
        state.set_status(Status::Online)
    };
    shared.emit_status(status);
}

fn received(shared: &Rc<Shared>, generation: u64, event: &MessageEvent) {
    let Ok(buffer) = event.data().dyn_into::<ArrayBuffer>() else {
        log_error("ignoring a non-binary WebSocket message", &event.data());
        return;
    };
    let frame = Uint8Array::new(&buffer).to_vec();
    let messages = match wire::decode_frame(&frame, &wire::Limits::default()) {
        Ok(messages) => messages,
        Err(err) => return log_error("ignoring a malformed frame from the server", &js_error(err)),
    };
    let (remote_change, status) = {
        let mut state = shared.state.borrow_mut();
        if state.current_socket(generation).is_none() {
            return;
        }
        let mut remote_change = false;
        let mut status = None;
        for message in messages {
            match message {
                Message::SyncStep1(state_vector) => {
                    let diff = state.board.doc().transact().encode_diff_v1(&state_vector);
                    state.send(&wire::encode_sync_step2(&diff));
                    if std::mem::take(&mut state.unsaved) {
                        status = state.request_save().or(status);
                    }
                }
                Message::SyncStep2(update) | Message::Update(update) => {
                    remote_change |= state.apply_remote(&update);
                }
                Message::Awareness(update) => {
                    if let Err(err) = state.awareness.apply_update(update) {
                        log_error("bad awareness update", &js_error(err));
                    }
                }
                Message::AwarenessQuery => state.send_awareness(),
                Message::Auth(Some(reason)) => {
                    log_error("the server denied access", &JsValue::from_str(&reason));
                }
                Message::Auth(None) => {}
                Message::Huddle(HuddleMessage::Saved { seq }) => {
                    if seq == state.save_seq {
                        status = state.set_status(Status::Saved).or(status);
                    }
                }
                Message::Huddle(HuddleMessage::SaveRequest { .. }) => {}
            }
        }
        (remote_change, status)
    };
    if remote_change {
        (shared.events.on_remote_change)();
    }
    shared.emit_status(status);
}

fn closed(shared: &Rc<Shared>, generation: u64) {
    let (status, delay) = {
        let mut state = shared.state.borrow_mut();
        let Some(socket) = state.current_socket(generation) else {
            return;
        };
        // The socket itself is dropped by the next `connect`, not inside its own handler.
        socket.open = false;
        let delay = state.next_backoff();
        (state.set_status(Status::Offline), delay)
    };
    schedule_reconnect(shared, delay);
    shared.emit_status(status);
}

fn schedule_reconnect(shared: &Rc<Shared>, delay_ms: i32) {
    let weak = Rc::downgrade(shared);
    let retry = Closure::once_into_js(move || {
        if let Some(shared) = weak.upgrade() {
            connect(&shared);
        }
    });
    let scheduled = dom::window().and_then(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay_ms)
    });
    if let Err(err) = scheduled {
        log_error("could not schedule a reconnect", &err);
    }
}

impl State {
    fn current_socket(&mut self, generation: u64) -> Option<&mut Socket> {
        self.socket.as_mut().filter(|s| s.generation == generation)
    }

    fn is_open(&self) -> bool {
        self.socket.as_ref().is_some_and(|s| s.open)
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
        self.send(&wire::encode_huddle(HuddleMessage::SaveRequest {
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

    /// The delay before the next reconnect attempt, doubling the one after it.
    fn next_backoff(&mut self) -> i32 {
        let delay = self.backoff_ms;
        self.backoff_ms = (delay * 2).min(BACKOFF_MAX_MS);
        delay
    }
}

/// Locks the update queue. It only holds plain bytes, so a poisoned lock is still usable.
fn lock(queue: &Mutex<Vec<Vec<u8>>>) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
