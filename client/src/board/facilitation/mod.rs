//! Facilitation on the page (issue 13): the facilitator and its history, the agenda, the
//! shared timer and the contribution balance. The server holds all of it: it writes what
//! everyone may see into the document (`Board::facilitation`, `Board::locks`), which the
//! page re-reads when those maps change, and sends what is one person's (their private
//! notes, the balance) as events. The page greys out what the rules forbid but never
//! enforces: every request is checked by the server, and a refusal is shown in its words.
//!
//! The channel works like rounds': each request carries a number (the connection's own
//! sequence), kept until the server acknowledges or refuses it; after each (re)connect the
//! connection says `Hello`, and the server answers with its clock, from which the page keeps
//! the offset to its own (server now minus the middle of the hello's round trip), so every
//! page shows the same remaining time whatever its clock says.
//!
//! # Layout
//!
//! - this file: the connection's news, sending requests, who facilitates, the key, the hook;
//! - `state`: [`Facilitation`], what the page knows (public state, requests in flight, clock);
//! - `panel`: the facilitator panel (`G`): the role, "Hand to...", Rotate, Take the role, the
//!   history; `agenda`: the agenda editor and Start / Next / Stop; `timer`: the countdown
//!   badge everyone sees, its sound and the facilitator's timer controls; `balance`: the
//!   contribution bars;
//! - `private`: private notes: written while private writing is on, kept by the page and the
//!   server for their author alone, drawn with a lock, published by the server at the end.

mod agenda;
mod balance;
mod panel;
pub mod private;
mod state;
mod timer;

use std::sync::atomic::Ordering;

use huddle_shared::access::Role;
use huddle_shared::facilitation::{Command, Event, PersonRef};
use huddle_shared::json::to_value;
use huddle_shared::yrs::Transact;
use wasm_bindgen::prelude::*;

use super::{Page, State, role};
use crate::net::FacilitationNews;

pub use state::Facilitation;

/// Builds the facilitator panel and the timer badge into `stage`.
pub fn install(page: &Page, stage: &web_sys::Element) -> Result<(), JsValue> {
    let ui = panel::build(page, stage)?;
    page.borrow_mut().features.facilitation.ui = Some(ui);
    timer::start_ticking(page)?;
    Ok(())
}

/// The connection's news: a new `Hello` (requests in flight on the old socket are lost; the
/// clock is taken afresh) or an event.
pub fn on_news(s: &mut State, news: FacilitationNews) {
    match news {
        FacilitationNews::Hello { req, at } => {
            let f = &mut s.features.facilitation;
            f.pending.clear();
            f.pending.insert(req, state::what(&Command::Hello));
            f.hello_at = Some(at);
        }
        FacilitationNews::Event { event, at } => on_event(s, event, at),
    }
    refresh(s);
}

fn on_event(s: &mut State, event: Event, at: f64) {
    let f = &mut s.features.facilitation;
    match event {
        Event::Ack { req } => {
            f.pending.remove(&req);
        }
        Event::Refused { req, reason } => {
            let what = f.pending.remove(&req).unwrap_or("Facilitation");
            role::notice(s, &format!("{what}: {reason}"));
        }
        Event::Clock { now } => {
            f.clock(now, at);
            f.hello_at = None;
        }
        Event::Private { notes } => private::on_private(s, notes),
        Event::Balance { since, people } => balance::on_balance(s, since, people),
    }
}

/// Sends `cmd`; `false` (and a notice) when the connection is not up.
pub fn send(s: &mut State, cmd: Command) -> bool {
    let what = state::what(&cmd);
    match s
        .session
        .conn
        .as_ref()
        .and_then(|c| c.send_facilitation(cmd))
    {
        Some(req) => {
            s.features.facilitation.pending.insert(req, what);
            true
        }
        None => {
            role::notice(
                s,
                "Not connected: facilitation needs the server. Try again when online.",
            );
            false
        }
    }
}

/// The person's own id as the server knows it.
pub fn me(s: &State) -> &str {
    &s.session.guest.id
}

/// Whether this person facilitates: they hold the role, or nobody does and they own the
/// board (the server's rule; it checks again).
pub fn facilitates(s: &State) -> bool {
    match &s.features.facilitation.public.facilitator {
        Some(f) => f.id == me(s),
        None => s.session.role == Role::Owner,
    }
}

/// Who facilitates, as shown: the facilitator's name, or "the owner" while nobody holds it.
pub fn facilitator_name(s: &State) -> String {
    match &s.features.facilitation.public.facilitator {
        Some(PersonRef { id, .. }) if id == me(s) => "you".to_owned(),
        Some(p) => p.name.clone(),
        None => "the board's owner".to_owned(),
    }
}

/// Re-reads the public state when the document's maps changed (at each frame).
pub fn catch_up(s: &mut State) {
    if !s.features.facilitation.stale.swap(false, Ordering::Relaxed) {
        return;
    }
    let (public, locks) = {
        let txn = s.board.doc().transact();
        (s.board.facilitation(&txn), s.board.locks(&txn))
    };
    let f = &mut s.features.facilitation;
    if f.public.agenda.steps != public.agenda.steps {
        // Someone (or we, acknowledged) set new steps: the editor shows them.
        f.draft = None;
    }
    let handed_on = f.public.facilitator != public.facilitator;
    f.public = public;
    f.locks = locks;
    refresh(s);
    if handed_on {
        // The round bar's Reveal and Cancel, and Re-run, follow the role.
        super::rounds::refresh(s);
    }
}

/// Redraws the panel and the timer badge from what the page knows now.
pub fn refresh(s: &mut State) {
    private::refresh(s);
    panel::render(s);
    timer::render(s);
}

/// Whether the facilitator panel is open (Escape closes it).
pub fn is_open(s: &State) -> bool {
    panel::panel(s).is_some_and(|p| !p.has_attribute("hidden"))
}

/// Opens or closes the facilitator panel.
pub fn toggle_panel(s: &mut State) {
    panel::toggle(s);
}

/// For `window.huddle.facilitation()`: the public state, whether this person facilitates,
/// the clock offset, the timer's remaining ms (server clock), the balance and what is in
/// flight.
pub fn hook_json(s: &State) -> serde_json::Value {
    let f = &s.features.facilitation;
    let now = f.server_now(js_sys::Date::now());
    serde_json::json!({
        "public": to_value(&f.public),
        "locks": to_value(&f.locks),
        "facilitates": facilitates(s),
        "offsetMs": f.offset_ms,
        "clockKnown": f.clock_known,
        "timerLeftMs": f.public.timer.as_ref().map(|t| t.left(now)),
        "balance": f.balance.as_ref().map(|(since, people)| serde_json::json!({
            "since": since,
            "people": to_value(people),
        })),
        "pending": f.pending.len(),
        "private": private::hook_json(s),
    })
}
