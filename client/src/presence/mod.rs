//! Who else is on the board and what they are doing: names and colours, cursors, selections,
//! notes being dragged, viewports. All of it travels as y-protocols awareness, never in the
//! document.
//!
//! [`Presence`] sits between the board and the connection: the board reports local gestures
//! (`set_cursor`, `set_selection`, ...) and forwards net's `on_awareness`; presence throttles
//! what we send, parses what others send, keeps the people panel (`#people`) and tells the
//! board when peers changed (redraw cursors) or where to move its camera (following someone,
//! or summoned).
//!
//! Awareness state schema (JSON, y-websocket compatible: `user` is what Yjs demos use):
//! `{"user": {"name", "color"}, "cursor": {"x", "y"} | null, "selection": [item ids],
//!   "dragging": {item id: [x, y]}, "viewport": {"x", "y", "zoom"} | null, "summon": n}`
//!
//! - [`state`]: that schema both ways (pure);
//! - [`throttle`]: when our state goes out, at most 20 times a second, trailing edge (pure);
//! - [`follow`]: following a peer's view and answering summons (pure);
//! - `panel`: the people panel (DOM).
//!
//! Styles for the panel, to fold into `static/style.css`: `people.css` beside this file.

// Until the board page constructs a `Presence` (CANVAS wires it in), nothing outside this
// module uses it; remove this then.
#![allow(dead_code)]

mod follow;
mod panel;
pub mod state;
pub mod throttle;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use self::follow::Follow;
use self::panel::Panel;
use self::state::{LocalState, parse_peers};
use self::throttle::{Action, Throttle};
use crate::dom::{self, log_error};
use crate::identity::{self, Guest};
use crate::net::Connection;
use serde::{Deserialize, Serialize};

/// What part of the board someone sees: the world point at the centre of their canvas,
/// and their zoom (1.0 = 100%).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Viewport {
    pub x: f64,
    pub y: f64,
    pub zoom: f64,
}

/// Someone else on the board, as their awareness state says.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// Their awareness client id.
    pub client_id: u64,
    pub name: String,
    /// CSS colour of their cursor, avatar and selection outlines.
    pub color: String,
    /// Their pointer in world coordinates, if it is over the canvas.
    pub cursor: Option<[f64; 2]>,
    /// Ids of the items they have selected.
    pub selection: Vec<String>,
    /// Items they are dragging right now, with their current (not yet written) positions.
    pub dragging: Vec<(String, [f64; 2])>,
    pub viewport: Option<Viewport>,
    /// Bumped each time they ask everyone to come to their view ("bring everyone to me").
    pub summon: u64,
}

impl Peer {
    /// The peer as `window.huddle.peers()` lists it:
    /// `{clientId, name, color, cursor: [x, y] | null, selection: [...]}`.
    pub fn to_hook_json(&self) -> serde_json::Value {
        serde_json::json!({
            "clientId": self.client_id,
            "name": self.name,
            "color": self.color,
            "cursor": self.cursor,
            "selection": self.selection,
            "dragging": self.dragging.iter().map(|(id, _)| id).collect::<Vec<_>>(),
        })
    }
}

/// What presence tells the board. Called with nothing borrowed, so they may call back in
/// (`on_follow` typically moves the camera, which calls [`Presence::set_viewport`]).
pub struct PresenceEvents {
    /// Peers changed: the board redraws cursors, selections, dragged notes.
    pub on_peers: Box<dyn Fn()>,
    /// The board moves its camera there (following someone, or summoned). It should not
    /// call [`Presence::stop_following`] for this move, only for the user's own pans/zooms.
    pub on_follow: Box<dyn Fn(Viewport)>,
}

/// A handle on the board's presence (cheap to clone).
#[derive(Clone)]
pub struct Presence {
    inner: Rc<Inner>,
}

struct Inner {
    conn: Connection,
    guest: RefCell<Guest>,
    local: RefCell<LocalState>,
    throttle: RefCell<Throttle>,
    follow: RefCell<Follow>,
    /// Peers as last parsed, sorted by name.
    peers: RefCell<Vec<Peer>>,
    panel: Panel,
    events: PresenceEvents,
    /// The throttle's timer callback (set once the `Rc` exists).
    timer: RefCell<Option<Closure<dyn FnMut()>>>,
}

impl Presence {
    /// Also builds the people panel (`#people`) into `panel_parent`, with a name form if the
    /// guest has not chosen a name yet.
    pub fn new(
        conn: Connection,
        guest: Guest,
        panel_parent: &Element,
        events: PresenceEvents,
    ) -> Result<Presence, JsValue> {
        let panel = Panel::new(panel_parent)?;
        let inner = Rc::new(Inner {
            conn,
            guest: RefCell::new(guest.clone()),
            local: RefCell::new(LocalState::default()),
            throttle: RefCell::new(Throttle::default()),
            follow: RefCell::new(Follow::default()),
            peers: RefCell::new(Vec::new()),
            panel,
            events,
            timer: RefCell::new(None),
        });
        let weak = Rc::downgrade(&inner);
        *inner.timer.borrow_mut() = Some(Closure::new(move || {
            if let Some(inner) = weak.upgrade() {
                let action = inner.throttle.borrow_mut().timer_fired(js_sys::Date::now());
                inner.act(action);
            }
        }));
        let (on_person, on_stop, on_summon) = (
            Rc::downgrade(&inner),
            Rc::downgrade(&inner),
            Rc::downgrade(&inner),
        );
        inner.panel.listen(
            move |id| with(&on_person, |inner| inner.toggle_follow(id)),
            move || with(&on_stop, |inner| inner.stop_following()),
            move || with(&on_summon, |inner| inner.summon()),
        )?;
        if identity::needs_name(&guest) {
            let weak = Rc::downgrade(&inner);
            identity::mount_name_form(&inner.panel.root, &guest, move |renamed| {
                with(&weak, |inner| inner.rename(renamed));
            })?;
        }
        inner.send();
        // Who is here already; no events yet: the board is still setting up (and the summon
        // counters seen now are old ones, which `Follow` only records).
        *inner.peers.borrow_mut() = parse_peers(&inner.conn.peers());
        inner.follow.borrow_mut().update(&inner.peers.borrow());
        inner.render();
        Ok(Presence { inner })
    }

    /// Our pointer in world coordinates (`None`: it left the canvas). Throttled.
    pub fn set_cursor(&self, world: Option<[f64; 2]>) {
        self.inner.update(false, |local| {
            std::mem::replace(&mut local.cursor, world) != world
        });
    }

    /// The items we have selected. Sent at once: others see a selection the moment it is made.
    pub fn set_selection(&self, ids: &[String]) {
        self.inner.update(true, |local| {
            let changed = local.selection != ids;
            if changed {
                local.selection = ids.to_vec();
            }
            changed
        });
    }

    /// Items being dragged with their current positions; throttled. Empty = the drag ended,
    /// sent at once (the document gets the final position; ghosts must not linger).
    pub fn set_dragging(&self, items: &[(String, [f64; 2])]) {
        self.inner.update(items.is_empty(), |local| {
            let changed = local.dragging != items;
            if changed {
                local.dragging = items.to_vec();
            }
            changed
        });
    }

    /// What we see (for those who follow us, and for summons). Throttled.
    pub fn set_viewport(&self, viewport: Viewport) {
        self.inner.update(false, |local| {
            local.viewport.replace(viewport) != Some(viewport)
        });
    }

    /// Everyone else, parsed, sorted by name.
    pub fn peers(&self) -> Vec<Peer> {
        self.inner.peers.borrow().clone()
    }

    /// Someone's awareness changed: the board forwards net's `on_awareness` here.
    pub fn awareness_changed(&self) {
        self.inner.refresh();
    }

    /// Stops following anyone (the board calls it when the user pans or zooms).
    pub fn stop_following(&self) {
        self.inner.stop_following();
    }

    /// Who we are, with the name chosen in the panel's form if it was (for note authors).
    pub fn guest(&self) -> Guest {
        self.inner.guest.borrow().clone()
    }

    /// Whom we follow, if anyone.
    pub fn following(&self) -> Option<u64> {
        self.inner.follow.borrow().following()
    }
}

/// Runs `f` on the presence if it still exists.
fn with(weak: &Weak<Inner>, f: impl FnOnce(&Rc<Inner>)) {
    if let Some(inner) = weak.upgrade() {
        f(&inner);
    }
}

impl Inner {
    /// Applies `change` to our state; if it changed anything, sends now (`urgent`) or when
    /// the throttle allows.
    fn update(&self, urgent: bool, change: impl FnOnce(&mut LocalState) -> bool) {
        if !change(&mut self.local.borrow_mut()) {
            return;
        }
        let now = js_sys::Date::now();
        let action = {
            let mut throttle = self.throttle.borrow_mut();
            if urgent {
                throttle.urgent(now)
            } else {
                throttle.changed(now)
            }
        };
        self.act(action);
    }

    fn act(&self, action: Action) {
        match action {
            Action::Send => self.send(),
            Action::Arm(ms) => self.arm(ms),
            Action::Wait => {}
        }
    }

    fn send(&self) {
        let state = {
            let guest = self.guest.borrow();
            self.local.borrow().to_json(&guest.name, &guest.color)
        };
        self.conn.set_presence(state);
    }

    fn arm(&self, ms: f64) {
        let timer = self.timer.borrow();
        let Some(timer) = timer.as_ref() else {
            return;
        };
        let armed = dom::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                timer.as_ref().unchecked_ref(),
                ms.ceil() as i32,
            )
        });
        if let Err(err) = armed {
            // Without a timer the trailing state would never go out: send it now instead.
            log_error("could not arm the presence timer", &err);
            self.send();
        }
    }

    /// Re-reads the peers, updates following and the panel, then tells the board.
    fn refresh(&self) {
        let peers = parse_peers(&self.conn.peers());
        let outcome = self.follow.borrow_mut().update(&peers);
        *self.peers.borrow_mut() = peers;
        self.render();
        (self.events.on_peers)();
        if let Some(viewport) = outcome.go_to {
            (self.events.on_follow)(viewport);
        }
    }

    fn render(&self) {
        let guest = self.guest.borrow();
        let following = self.follow.borrow().following();
        let peers = self.peers.borrow();
        let shown = self
            .panel
            .render((&guest.name, &guest.color), &peers, following);
        if let Err(err) = shown {
            log_error("could not show the people on the board", &err);
        }
    }

    fn toggle_follow(&self, client_id: u64) {
        let go_to = {
            let peers = self.peers.borrow();
            self.follow.borrow_mut().toggle(client_id, &peers)
        };
        self.render();
        if let Some(viewport) = go_to {
            (self.events.on_follow)(viewport);
        }
    }

    fn stop_following(&self) {
        if self.follow.borrow_mut().stop() {
            self.render();
        }
    }

    /// "Bring everyone here": bump our counter, sent at once with our viewport.
    fn summon(&self) {
        self.stop_following();
        self.local.borrow_mut().summon += 1;
        let action = self.throttle.borrow_mut().urgent(js_sys::Date::now());
        self.act(action);
    }

    /// The guest chose a name: show it, and tell the others at once.
    fn rename(&self, guest: Guest) {
        *self.guest.borrow_mut() = guest;
        self.render();
        let action = self.throttle.borrow_mut().urgent(js_sys::Date::now());
        self.act(action);
    }
}
