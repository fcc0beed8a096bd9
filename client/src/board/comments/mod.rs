//! Comments on the page: threads on items and points, a side panel (`Shift+C`) to read,
//! write, reply, edit, delete, resolve and reopen them, `@` completion, and pins on the
//! canvas. The server holds the threads and says who wrote what; the page shows what it is
//! told and sends requests. Every request is kept (`queue`, in localStorage) until the
//! server answers it, so a comment written offline is sent when the connection is back.
//!
//! # Layout
//!
//! - this file: the page's state, the connection's news, sending;
//! - `queue`: the commands waiting for their answer, kept across reloads;
//! - `panel`: the side panel (filters open / mine / mentions me, the threads, the forms);
//! - `paint`: the pins on the canvas.

mod paint;
mod panel;
mod queue;

use std::collections::{BTreeMap, BTreeSet};

use huddle_shared::comments::{Anchor, Command, Event, Mentionable, Thread};
use huddle_shared::json::to_value;
use wasm_bindgen::prelude::*;

use super::{Page, State, role};
use crate::dom;
use crate::net::CommentNews;

pub use paint::draw;
use queue::Queue;

/// Which threads the panel lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    Open,
    Mine,
    Mentions,
    All,
}

/// The page's knowledge of comments.
#[derive(Default)]
pub struct Comments {
    /// Every thread of the board as the server last said, by id.
    pub threads: BTreeMap<String, Thread>,
    /// The people who can be mentioned.
    pub people: Vec<Mentionable>,
    queue: Queue,
    /// The queue was read from localStorage (once, when the page first connects).
    loaded: bool,
    pub filter: Filter,
    /// A new thread being written, and where it goes.
    pub compose: Option<Anchor>,
    /// What is typed into each thread's reply box (kept across the list's rebuilds).
    pub drafts: BTreeMap<String, String>,
    /// The own comment being edited in place (thread, comment), its text in `drafts` under
    /// `edit:{comment}`.
    pub editing: Option<(String, String)>,
    /// The comment whose Delete was pressed once (a second press deletes).
    pub deleting: Option<String>,
    /// A pin was pressed: the panel shows only its threads (until a filter is chosen).
    pub only: Option<Vec<String>>,
    /// Threads whose item was gone at the last look (greyed); a change redraws the panel.
    gone: BTreeSet<String>,
    ui: Option<panel::Ui>,
}

fn storage_key(board: &str) -> String {
    format!("huddle.comments.{board}")
}

fn storage() -> Option<web_sys::Storage> {
    dom::window().ok()?.local_storage().ok()?
}

impl Comments {
    fn load_queue(&mut self, board: &str) {
        if self.loaded {
            return;
        }
        self.loaded = true;
        if let Some(json) = storage().and_then(|s| s.get_item(&storage_key(board)).ok().flatten()) {
            self.queue = Queue::from_json(&json);
        }
    }

    fn keep_queue(&self, board: &str) {
        let Some(storage) = storage() else {
            return;
        };
        let result = if self.queue.is_empty() {
            storage.remove_item(&storage_key(board))
        } else {
            storage.set_item(&storage_key(board), &self.queue.to_json())
        };
        if let Err(err) = result {
            dom::log_error("could not keep the comments waiting to be sent", &err);
        }
    }

    /// Comments waiting for the server.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }
}

/// Builds the side panel into `stage`.
pub fn install(page: &Page, stage: &web_sys::Element) -> Result<(), JsValue> {
    let ui = panel::build(page, stage)?;
    let mut s = page.borrow_mut();
    s.features.comments.ui = Some(ui);
    let id = s.id.clone();
    s.features.comments.load_queue(&id);
    Ok(())
}

/// The connection's news.
pub fn on_news(s: &mut State, news: CommentNews) {
    match news {
        CommentNews::Hello => {
            let id = s.id.clone();
            s.features.comments.load_queue(&id);
            s.features.comments.queue.reconnected();
            send_queued(s);
        }
        CommentNews::Event(event) => match event {
            Event::Ack { req } => {
                if s.features.comments.queue.answered(req) {
                    s.features.comments.keep_queue(&s.id);
                }
            }
            Event::Refused { req, reason } => {
                if s.features.comments.queue.answered(req) {
                    s.features.comments.keep_queue(&s.id);
                }
                role::notice(s, &format!("Comment not saved: {reason}"));
            }
            Event::Threads { threads } => {
                let by_id = threads.into_iter().map(|t| (t.id.clone(), t));
                s.features.comments.threads = huddle_shared::sort::map_of(by_id);
            }
            Event::Thread { thread } => {
                s.features
                    .comments
                    .threads
                    .insert(thread.id.clone(), thread);
            }
            Event::People { people } => s.features.comments.people = people,
        },
    }
    panel::refresh(s);
    s.request_frame();
}

/// Sends what waits in the queue (after a hello, or when something was added).
fn send_queued(s: &mut State) {
    let Some(conn) = s.session.conn.clone() else {
        return;
    };
    for (index, cmd) in s.features.comments.queue.unsent() {
        match conn.send_comment(cmd) {
            Some(req) => s.features.comments.queue.sent(index, req),
            None => break, // offline: it goes after the next hello
        }
    }
}

/// Keeps `cmd` until the server answers it, and sends it if the connection is up.
pub fn submit(s: &mut State, cmd: Command) {
    if !s.session.role.may_comment() {
        role::notice(s, "Viewers can read comments but not write them.");
        return;
    }
    if !s.features.comments.queue.push(cmd) {
        role::notice(
            s,
            "Too many comments are waiting to be sent; reconnect first.",
        );
        return;
    }
    s.features.comments.keep_queue(&s.id);
    send_queued(s);
    panel::refresh(s);
}

/// `Shift+C`: opens the panel with a new thread on the selected item (one), or on the
/// middle of the view (none or several).
pub fn comment_on_selection(s: &mut State) {
    let anchor = match (s.selection.ids.len(), s.selection.ids.iter().next()) {
        (1, Some(id)) => Anchor::Item { item: id.clone() },
        _ => {
            let v = s.view.camera.viewport(s.view.size);
            Anchor::Point { pos: [v.x, v.y] }
        }
    };
    s.features.comments.compose = Some(anchor);
    s.features.comments.only = None;
    panel::open(s);
}

/// What `huddle.comments()` shows tests: the threads as the page knows them, and how many
/// requests wait for the server.
pub fn hook_json(s: &State) -> serde_json::Value {
    serde_json::json!({
        "threads": to_value(&s.features.comments.threads.values().collect::<Vec<_>>()),
        "waiting": s.features.comments.waiting(),
    })
}

/// A press on the canvas at `world`: on a pin, the panel opens with that pin's threads
/// (and its item selected); `true` if it was on one.
pub fn pin_press(s: &mut State, world: [f64; 2]) -> bool {
    let Some(pin) = paint::pin_at(&s.features.comments, &s.scene, world, s.view.camera.zoom) else {
        return false;
    };
    let threads: Vec<String> = pin.threads.iter().map(|t| (*t).to_owned()).collect();
    let item = pin.item.map(str::to_owned);
    s.features.comments.only = Some(threads);
    if let Some(item) = item {
        s.set_selection([item].into_iter().collect());
    }
    panel::open(s);
    true
}

/// Toggles the side panel.
pub fn toggle_panel(s: &mut State) {
    panel::toggle(s);
}

pub fn is_open(s: &State) -> bool {
    panel::is_open(s)
}

/// At each frame: a thread whose item appeared or went is redrawn in the panel.
pub fn catch_up(s: &mut State) {
    if s.features.comments.threads.is_empty() {
        return;
    }
    let gone: BTreeSet<String> = s
        .features
        .comments
        .threads
        .values()
        .filter(|t| t.anchor.item().is_some_and(|i| s.scene.get(i).is_none()))
        .map(|t| t.id.clone())
        .collect();
    if gone != s.features.comments.gone {
        s.features.comments.gone = gone;
        panel::refresh(s);
    }
}
