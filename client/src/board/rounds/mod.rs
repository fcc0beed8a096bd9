//! Rounds on the page: dot votes, fist to five, planning poker and impact/effort scoring,
//! and the decision log (issue 12). The server holds every round and every ballot; the page
//! shows what the server tells this person (their own [`RoundView`], "N of M have voted")
//! and what the document holds once a round is revealed (`Board::round_results`,
//! `Board::decisions`). The page greys out what the rules forbid, but never enforces:
//! every request is checked again by the server, and a refusal is shown in its words.
//!
//! # Layout
//!
//! - this file: the connection's news; sending requests (numbered by the connection); what a
//!   click, a key or a pick does;
//! - `state`: [`Rounds`], the page's knowledge of rounds and of the requests in flight;
//! - `ballot`: what a click, a key or a card does to the person's own ballot (pure);
//! - `start`: the Vote dialog (`V`): kind, budget and cap, deck, anonymous, deadline, title;
//! - `bar`: the open round's bar: progress, your dots, the deadline, Reveal and Cancel, the
//!   story stepper for poker; `picker`: its cards and impact/effort pickers;
//! - `panel`: the side panel (`L`): the latest results (spreads, outliers, Accept, Re-run,
//!   dissent) and the decision log (Record decision); `result`: the result itself, and
//!   poker's Accept;
//! - `paint`: count badges, your own dots and the dissent mark on the canvas;
//! - `clock`: times in the person's own time zone.

mod ballot;
mod bar;
mod clock;
mod paint;
mod panel;
mod picker;
mod result;
mod start;
mod state;

use std::sync::atomic::Ordering;

use huddle_shared::json::to_value;
use huddle_shared::model::votes;
use huddle_shared::rounds::{Ballot, Choice, Command, Event, Kind, Status};
use huddle_shared::yrs::Transact;
use wasm_bindgen::prelude::*;

use super::{Page, State, role};
use crate::net::RoundNews;

pub use paint::draw;
pub use state::Rounds;
use state::Ui;

/// Builds the bar, the Vote dialog and the side panel into `stage`.
pub fn install(page: &Page, stage: &web_sys::Element) -> Result<(), JsValue> {
    let bar = bar::build(page, stage)?;
    let dialog = start::build(page, stage)?;
    let panel = panel::build(page, stage)?;
    page.borrow_mut().features.rounds.ui = Some(Ui { bar, dialog, panel });
    Ok(())
}

/// The connection's news: a new `Hello` (forget the open rounds, the server resends them)
/// or an event.
pub fn on_news(s: &mut State, news: RoundNews) {
    match news {
        RoundNews::Hello => {
            s.features.rounds.views.clear();
            s.features.rounds.pending.clear();
            s.features.rounds.held.clear();
        }
        RoundNews::Event(event) => on_event(s, event),
    }
    refresh(s);
    s.request_frame();
}

fn on_event(s: &mut State, event: Event) {
    let r = &mut s.features.rounds;
    match event {
        Event::Ack { req, .. } => r.answered(req, false),
        Event::Refused { req, reason } => {
            r.answered(req, true);
            role::notice(s, &reason);
        }
        Event::Round(view) => {
            let Some(view) = r.hold(view) else {
                return;
            };
            let id = view.round.id.clone();
            let open = view.round.status == Status::Open;
            let newer = r
                .active_view()
                .is_none_or(|a| a.round.opened_at <= view.round.opened_at);
            if open && (newer || r.active.as_deref() == Some(id.as_str())) {
                if r.active.as_deref() != Some(id.as_str()) {
                    r.story = 0;
                }
                r.active = Some(id.clone());
            }
            if !open && view.can_dissent {
                // The panel asks what would change their mind.
                r.shown = Some(id.clone());
                panel::open(s);
            }
            // A closed round is kept only while it asks this person for their dissent.
            if open || view.can_dissent {
                s.features.rounds.views.insert(id, view);
            } else {
                s.features.rounds.views.remove(&id);
            }
        }
        Event::Progress { round, voted, of } => {
            if let Some(view) = r.views.get_mut(&round) {
                view.voted = voted;
                view.of = of;
            }
        }
        Event::Closed { round, status } => {
            r.held.remove(&round);
            let asks = r.views.get(&round).is_some_and(|v| v.can_dissent);
            if !asks {
                r.views.remove(&round);
            } else if let Some(v) = r.views.get_mut(&round) {
                v.round.status = status;
            }
            if r.active.as_deref() == Some(round.as_str()) {
                r.active = r
                    .views
                    .values()
                    .filter(|v| v.round.status == Status::Open)
                    .max_by_key(|v| v.round.opened_at)
                    .map(|v| v.round.id.clone());
                r.story = 0;
            }
            if status == Status::Revealed {
                r.shown = Some(round);
                panel::open(s);
            }
        }
    }
}

/// Sends `cmd`; `false` (and a notice) when the connection is not up.
pub fn send(s: &mut State, cmd: Command) -> bool {
    let cast = match &cmd {
        Command::Cast { round, .. } => s
            .features
            .rounds
            .views
            .get(round)
            .map(|v| (round.clone(), v.mine.clone())),
        _ => None,
    };
    let req = s.session.conn.as_ref().and_then(|c| c.send_round(cmd));
    match req {
        Some(req) => {
            s.features.rounds.sent(req, cast);
            true
        }
        None => {
            role::notice(
                s,
                "Not connected: rounds need the server. Try again when online.",
            );
            false
        }
    }
}

/// Casts `ballot` in `round`: shown at once, sent whole, undone if the server refuses.
pub fn cast(s: &mut State, round: &str, ballot: Ballot) {
    let Some(view) = s.features.rounds.views.get(round) else {
        return;
    };
    if !view.can_vote {
        role::notice(s, "You can only look at this round: viewers cannot vote.");
        return;
    }
    let cmd = Command::Cast {
        round: round.to_owned(),
        ballot: ballot.clone(),
    };
    if send(s, cmd) {
        s.features.rounds.show_cast(round, ballot);
    }
    refresh(s);
    s.request_frame();
}

/// A click on `item` during a dot vote: a dot more (or, with `remove`, one fewer). `true`
/// when the click was a vote (so it selects and drags nothing).
pub fn click_item(s: &mut State, item: &str, remove: bool) -> bool {
    let Some(view) = s.features.rounds.dot_round() else {
        return false;
    };
    if !view.round.targets.iter().any(|t| t == item) {
        return false;
    }
    let round = view.round.id.clone();
    match ballot::dot(view, item, !remove) {
        Some(new) => cast(s, &round, new),
        None if !remove => role::notice(s, "No dot left for this item (budget or cap)."),
        None => {}
    }
    true
}

/// Round keys (see `keys::SHORTCUTS`): digits pick a card, `,` and `.` step through poker's
/// stories, `D` / `Shift+D` put a dot on / take one off the selected items. `true` if the
/// key was the round's.
pub fn key(s: &mut State, key: &str) -> bool {
    let Some(view) = s.features.rounds.active_view().filter(|v| v.can_vote) else {
        return false;
    };
    let round = view.round.id.clone();
    match (view.round.settings.kind, key) {
        (Kind::Dots, "d" | "D") => {
            let remove = key == "D";
            let items: Vec<String> = s.selection.ids.iter().cloned().collect();
            for item in items {
                click_item(s, &item, remove);
            }
            true
        }
        (Kind::Poker, "," | ".") => {
            bar::step(s, key == ".");
            true
        }
        (Kind::FistToFive | Kind::Poker, _) => {
            let Some(digit) = key
                .chars()
                .next()
                .filter(|_| key.len() == 1)
                .and_then(|c| c.to_digit(10))
            else {
                return false;
            };
            let item = bar::current_item(&s.features.rounds, view);
            if let (Some(item), Some(choice)) = (item, ballot::card_for_digit(view, digit)) {
                pick(s, &round, &item, choice);
            }
            true
        }
        _ => false,
    }
}

/// Puts `choice` on `item` in `round` (a card, fingers, a score).
pub fn pick(s: &mut State, round: &str, item: &str, choice: Choice) {
    let Some(view) = s.features.rounds.views.get(round) else {
        return;
    };
    match ballot::choose(view, item, choice) {
        Some(new) => cast(s, round, new),
        None => role::notice(s, "That choice is not part of this round."),
    }
}

/// Opens the Vote dialog (the facilitator: the server refuses rounds from anyone else).
pub fn open_vote_dialog(s: &mut State) {
    if !s.may_edit() {
        role::notice(s, "Only the board's owner and editors start rounds.");
        return;
    }
    if !super::facilitation::facilitates(s) {
        let who = super::facilitation::facilitator_name(s);
        role::notice(
            s,
            &format!("Only the facilitator starts rounds: ask {who} (G shows the panel)."),
        );
        return;
    }
    start::show(s);
}

/// Opens or closes the side panel (results and decision log).
pub fn toggle_panel(s: &mut State) {
    panel::toggle(s);
}

/// Re-reads results and decisions when the document's maps changed (at each frame).
pub fn catch_up(s: &mut State) {
    if !s.features.rounds.stale.swap(false, Ordering::Relaxed) {
        return;
    }
    let (results, decisions) = {
        let txn = s.board.doc().transact();
        (s.board.round_results(&txn), s.board.decisions(&txn))
    };
    let r = &mut s.features.rounds;
    r.votes = votes(&results);
    r.dissented = results
        .values()
        .filter(|res| res.round.settings.kind == Kind::FistToFive && !res.dissent.is_empty())
        .filter_map(|res| {
            let item = res.round.targets.first()?;
            let latest = huddle_shared::model::latest_result(&results, item, Kind::FistToFive)?;
            (latest.round.id == res.round.id).then(|| item.clone())
        })
        .collect();
    r.results = results;
    r.decisions = decisions;
    refresh(s);
    super::story_panel::refresh(s);
}

/// Redraws the bar and the side panel from what the page knows now.
pub fn refresh(s: &mut State) {
    bar::render(s);
    panel::render(s);
}

/// Dissent on note `item` from its latest fist-to-five round (for the story panel).
pub fn dissent_on(s: &State, item: &str) -> Vec<huddle_shared::rounds::Dissent> {
    huddle_shared::model::latest_result(&s.features.rounds.results, item, Kind::FistToFive)
        .map(|r| r.dissent.clone())
        .unwrap_or_default()
}

/// For `window.huddle.rounds()`: the open rounds as this person sees them, the active one,
/// and the document's results and decisions.
pub fn hook_json(s: &State) -> serde_json::Value {
    let r = &s.features.rounds;
    serde_json::json!({
        "open": to_value(&r.views.values().collect::<Vec<_>>()),
        "active": to_value(&r.active),
        "story": to_value(&r.story),
        "results": to_value(&r.results),
        "decisions": to_value(&r.decisions),
        "votes": to_value(&r.votes),
        "dissented": to_value(&r.dissented),
    })
}

#[cfg(test)]
mod tests;
