//! The connection to a board's room: a WebSocket speaking y-websocket, kept alive.
//!
//! - On open: send sync step 1 (our state vector) and our awareness state; status `online`.
//! - Server's step 1: answer with step 2 (what it lacks, including edits made offline).
//! - Step 2 / updates: apply in a transaction whose origin is [`REMOTE_ORIGIN`].
//! - Local edits: a document observer queues every update whose origin is not remote; the
//!   view calls [`Connection::flush_local`] after each gesture, which sends them and a Huddle
//!   `SaveRequest`; status `saving` until the matching `Saved` arrives, then `saved`.
//! - On close: status `offline`, reconnect after a backoff that doubles up to 10 s, resync.
//!   The window's `online` event reconnects at once (and resets the backoff).
//! - Heartbeat: every 15 s an open connection renews our awareness state and sends sync
//!   step 1, which the server answers; if nothing at all arrived for 30 s, the connection is
//!   dead (browsers answer the server's pings without telling the page), so it is dropped and
//!   a new one opened. So is a connection whose handshake has not finished in 30 s.
//! - Read-only (a viewer or commenter): no local update is ever sent; the server's step 1 is
//!   answered with an empty update, and whether the local copy holds edits the server lacks
//!   is reported (`Events::on_unsent`). A refusal from the server (y-protocols "permission
//!   denied") is reported with its reason; a close with code 4001 (our role changed) too,
//!   and one with code 4009 (a change of ours touched a locked item: `Events::on_locked`).
//! - Offline copy: a board restored from IndexedDB (`offline::LocalStore::restored`) asks
//!   for a save after the first sync, whose step 2 carries the edits made offline; after each
//!   frame and each local flush the store writes the new updates to IndexedDB.
//!
//! This module owns the socket and its handlers; [`session`] holds the sync state and
//! answers messages. The observer only pushes bytes onto a queue, so it holds no JavaScript
//! object and is `Send + Sync` whether or not yrs' `sync` feature is on. No transaction
//! outlives a handler.

mod session;

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};

use huddle_shared::model::{Board, REMOTE_ORIGIN};
use huddle_shared::wire;
use huddle_shared::yrs::Origin;
use huddle_shared::yrs::sync::Awareness;
use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, Event, MessageEvent, WebSocket};

use self::session::{Outcome, Session, lock};
use crate::dom::{self, Listener, js_error, log_error};
use crate::identity::Guest;
use crate::offline::LocalStore;

/// Key of our update observer on the document.
const OBSERVER_KEY: &str = "huddle-net";
/// How often the heartbeat timer looks at the connection.
const TICK_MS: i32 = 5_000;

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

/// What the connection hears about rounds.
// Passed along once per event, never stored in bulk: not boxed, as `wire::Message` is not.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum RoundNews {
    /// This connection said `Hello` (again, after a reconnect): what the page knew about
    /// open rounds is stale; the server sends them afresh.
    Hello,
    /// Something the server said about rounds.
    Event(huddle_shared::rounds::Event),
}

/// What the connection hears about facilitation.
#[derive(Debug)]
pub enum FacilitationNews {
    /// This connection said facilitation's `Hello` (again, after a reconnect) at `at`
    /// (`Date.now()` ms, request number `req`): the server answers with its clock, the
    /// person's private notes and the balance.
    Hello { req: u64, at: f64 },
    /// Something the server said about facilitation, received at `at` (`Date.now()` ms).
    Event {
        event: huddle_shared::facilitation::Event,
        at: f64,
    },
}

/// What the connection hears about comments.
#[derive(Debug)]
pub enum CommentNews {
    /// This connection said comments' `Hello` (again, after a reconnect): the server sends
    /// every thread afresh; what the page queued may be sent now.
    Hello,
    /// Something the server said about comments.
    Event(huddle_shared::comments::Event),
}

/// What the connection tells the view. Called with no borrow held, so they may call back in.
pub struct Events {
    pub on_status: Box<dyn Fn(Status)>,
    /// The document changed because of something the server sent.
    pub on_remote_change: Box<dyn Fn()>,
    /// The server's sync step 2 is applied: the document holds what the server has (after
    /// `on_remote_change` for the same frame).
    pub on_synced: Box<dyn Fn()>,
    /// Someone else's awareness state (cursor, selection, name...) changed, came or went.
    pub on_awareness: Box<dyn Fn()>,
    /// The server refused something we sent (y-protocols "permission denied"), and why.
    pub on_denied: Box<dyn Fn(String)>,
    /// Read-only, and the local copy holds edits the server does not have.
    pub on_unsent: Box<dyn Fn()>,
    /// The server closed the connection because our role changed (code 4001).
    pub on_role_changed: Box<dyn Fn()>,
    /// The server closed the connection because something we sent would change a locked
    /// item (code 4009): the local copy holds a change it will never take.
    pub on_locked: Box<dyn Fn()>,
    /// Round news (see [`RoundNews`]), one at a time, in order.
    pub on_round: Box<dyn Fn(RoundNews)>,
    /// Facilitation news (see [`FacilitationNews`]), one at a time, in order.
    pub on_facilitation: Box<dyn Fn(FacilitationNews)>,
    /// Comment news (see [`CommentNews`]), one at a time, in order.
    pub on_comment: Box<dyn Fn(CommentNews)>,
}

/// Close code of a connection whose person's role on the board changed (the server's
/// `code::ROLE_CHANGED`).
const ROLE_CHANGED: u16 = 4001;
/// Close code of a connection that sent a change to a locked item (the server's
/// `code::LOCKED`).
const LOCKED: u16 = 4009;

/// A handle on the board's connection (cheap to clone).
#[derive(Clone)]
pub struct Connection {
    shared: Rc<Shared>,
}

struct Shared {
    session: RefCell<Session>,
    events: Events,
    /// The browser's copy of the board, written after each frame and flush.
    store: LocalStore,
    /// The heartbeat timer's callback (every [`TICK_MS`]).
    tick: Closure<dyn FnMut()>,
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
    /// `store` is the board's copy in the browser, opened (and restored) before this call.
    /// With `read_only` (a viewer or commenter), nothing of the local copy is ever sent.
    pub fn start(
        board: Board,
        board_id: &str,
        guest: &Guest,
        events: Events,
        store: &LocalStore,
        read_only: bool,
    ) -> Result<Connection, JsValue> {
        let window = dom::window()?;
        let location = window.location();
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

        let local_updates: session::UpdateQueue = Arc::new(Mutex::new(Vec::new()));
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

        let mut session = Session::new(url, board, awareness, local_updates);
        session.read_only = read_only;
        if store.restored && !read_only {
            // What came back from IndexedDB may hold edits the server has not seen.
            session.unsaved = true;
        }
        let shared = Rc::new_cyclic(|weak: &Weak<Shared>| {
            let weak = weak.clone();
            Shared {
                session: RefCell::new(session),
                events,
                store: store.clone(),
                tick: Closure::new(move || {
                    if let Some(shared) = weak.upgrade() {
                        heartbeat(&shared);
                    }
                }),
            }
        });
        window.set_interval_with_callback_and_timeout_and_arguments_0(
            shared.tick.as_ref().unchecked_ref(),
            TICK_MS,
        )?;
        // The network is back: try now rather than at the end of the backoff.
        let weak = Rc::downgrade(&shared);
        Listener::new(&window, "online", move |_| {
            if let Some(shared) = weak.upgrade() {
                reconnect_now(&shared);
            }
        })?
        .forever();
        // Leaving the page: tell the others we are gone now rather than after a timeout.
        let weak = Rc::downgrade(&shared);
        Listener::new(&window, "pagehide", move |_| {
            if let Some(shared) = weak.upgrade() {
                shared.session.borrow_mut().leave();
            }
        })?
        .forever();
        connect(&shared);
        Ok(Connection { shared })
    }

    /// Replaces our awareness state and sends it now. Throttling is the caller's business
    /// (`crate::presence`).
    pub fn set_presence(&self, state: serde_json::Value) {
        self.shared.session.borrow_mut().set_presence(state);
    }

    /// Everyone else's awareness state, by awareness client id (ours is left out).
    pub fn peers(&self) -> Vec<(u64, serde_json::Value)> {
        self.shared.session.borrow().peers()
    }

    /// Sends a round request (see `huddle_shared::rounds::Command`); its number, which the
    /// answer repeats, or `None` when the connection is not up.
    pub fn send_round(&self, cmd: huddle_shared::rounds::Command) -> Option<u64> {
        self.shared.session.borrow_mut().send_round(cmd)
    }

    /// Sends a facilitation request (see `huddle_shared::facilitation::Command`); its
    /// number, which the answer repeats, or `None` when the connection is not up.
    pub fn send_facilitation(&self, cmd: huddle_shared::facilitation::Command) -> Option<u64> {
        self.shared.session.borrow_mut().send_facilitation(cmd)
    }

    /// Sends a comment request (see `huddle_shared::comments::Command`); its number, which
    /// the answer repeats, or `None` when the connection is not up (the page keeps it).
    pub fn send_comment(&self, cmd: huddle_shared::comments::Command) -> Option<u64> {
        self.shared.session.borrow_mut().send_comment(cmd)
    }

    /// Sends the local edits made since the last call, then asks the server to confirm they
    /// are saved. Call after every local transaction.
    pub fn flush_local(&self) {
        self.shared.store.persist();
        let status = self.shared.session.borrow_mut().flush_local();
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
    let mut session = shared.session.borrow_mut();
    session.generation += 1;
    let generation = session.generation;
    // Drop the old socket first: this runs from a timer, never from one of its own handlers.
    session.socket = None;
    match open_socket(shared, &session.url, generation) {
        Ok(socket) => {
            session.socket = Some(socket);
            // The heartbeat gives the handshake as long as an open socket gets to be silent.
            session.last_received = js_sys::Date::now();
        }
        Err(err) => {
            log_error("could not open the WebSocket", &err);
            let delay = session.next_backoff();
            drop(session);
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
    let weak = Rc::downgrade(shared);
    let on_close = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        let code = event.dyn_ref::<web_sys::CloseEvent>().map(|e| e.code());
        if let Some(shared) = weak.upgrade() {
            if code == Some(ROLE_CHANGED) {
                (shared.events.on_role_changed)();
            }
            if code == Some(LOCKED) {
                (shared.events.on_locked)();
            }
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
        let mut session = shared.session.borrow_mut();
        let Some(socket) = session.current_socket(generation) else {
            return;
        };
        socket.open = true;
        session.on_open()
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
    let mut outcome = Outcome::default();
    {
        let mut session = shared.session.borrow_mut();
        if session.current_socket(generation).is_none() {
            return;
        }
        session.last_received = js_sys::Date::now();
        for message in messages {
            session.handle(message, &mut outcome);
        }
    }
    if outcome.remote_change {
        shared.store.persist();
        (shared.events.on_remote_change)();
    }
    if outcome.synced {
        (shared.events.on_synced)();
    }
    if outcome.awareness_change {
        (shared.events.on_awareness)();
    }
    if let Some(reason) = outcome.denied {
        (shared.events.on_denied)(reason);
    }
    if outcome.unsent {
        (shared.events.on_unsent)();
    }
    for news in outcome.rounds {
        (shared.events.on_round)(news);
    }
    for news in outcome.facilitation {
        (shared.events.on_facilitation)(news);
    }
    for news in outcome.comments {
        (shared.events.on_comment)(news);
    }
    shared.emit_status(outcome.status);
}

fn closed(shared: &Rc<Shared>, generation: u64) {
    let (delay, status) = {
        let mut session = shared.session.borrow_mut();
        let Some(socket) = session.current_socket(generation) else {
            return;
        };
        // The socket itself is dropped by the next `connect`, not inside its own handler.
        socket.open = false;
        session.on_close()
    };
    schedule_reconnect(shared, delay);
    shared.emit_status(status);
}

/// Every [`TICK_MS`]: drops a connection that went silent, keeps a live one talking.
fn heartbeat(shared: &Rc<Shared>) {
    let alive = shared.session.borrow_mut().heartbeat(js_sys::Date::now());
    if !alive {
        log_error(
            "no message from the server for 30 s; reconnecting",
            &JsValue::UNDEFINED,
        );
        reconnect_now(shared);
    }
}

/// Replaces the socket now (if it is not open or is dead), with the backoff reset. Runs from
/// a timer or a window event, never from one of the socket's own handlers.
fn reconnect_now(shared: &Rc<Shared>) {
    let status = {
        let mut session = shared.session.borrow_mut();
        if session.is_open() && session.is_alive(js_sys::Date::now()) {
            return;
        }
        session.socket = None;
        let status = session.on_close().1;
        session.reset_backoff();
        status
    };
    shared.emit_status(status);
    connect(shared);
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
