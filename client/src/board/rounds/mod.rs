//! Rounds on the page: dot votes, fist to five, planning poker and impact/effort scoring,
//! and the decision log (issue 12). The server holds every round and every ballot; the page
//! shows what the server tells this person (their own [`RoundView`], "N of M have voted")
//! and what the document holds once a round is revealed (`Board::round_results`,
//! `Board::decisions`). The page greys out what the rules forbid, but never enforces:
//! every request is checked again by the server, and a refusal is shown in its words.
//!
//! # Layout
//!
//! - this file: [`Rounds`], the page's knowledge of rounds; the connection's news; sending
//!   requests (numbered by the connection) and what their answers do;
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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use huddle_shared::model::{Board, votes};
use huddle_shared::rounds::{
    Ballot, Choice, Command, Decision, Event, Kind, RoundResult, RoundView, Status,
};
use huddle_shared::yrs::{DeepObservable, Transact};
use wasm_bindgen::prelude::*;

use super::{Page, State, role};
use crate::net::RoundNews;

pub use paint::draw;

/// Key of our observers on the document's `rounds` and `decisions` maps.
const OBSERVER_KEY: &str = "huddle-rounds";

/// Everything the page knows about rounds.
pub struct Rounds {
    /// Open rounds as the server last showed them to this person (their own ballot inside),
    /// and revealed fist-to-five rounds still asking this person for their dissent.
    pub views: BTreeMap<String, RoundView>,
    /// The open round the bar shows (the latest opened, unless the person picked one).
    pub active: Option<String>,
    /// Poker over several stories: the place of the story the bar shows.
    pub story: usize,
    /// Requests not answered yet, by number: what to undo if refused.
    pending: HashMap<u64, Pending>,
    /// The server's latest view of a round, held back while this page has casts in flight
    /// for it: a view answering an earlier cast must not undo a later click. Applied once
    /// the last of them is answered.
    held: HashMap<String, RoundView>,
    /// Revealed (and cancelled) results from the document, by round id.
    pub results: BTreeMap<String, RoundResult>,
    /// The decision log from the document, oldest first.
    pub decisions: Vec<Decision>,
    /// Dots per item from each item's latest revealed dot vote (the count badges).
    pub votes: HashMap<String, u32>,
    /// Notes whose latest fist-to-five result holds dissent (marked on the canvas).
    pub dissented: HashSet<String>,
    /// The result the side panel shows (the latest revealed unless the person picked one).
    pub shown: Option<String>,
    /// The document's `rounds` or `decisions` map changed since the last read.
    stale: Arc<AtomicBool>,
    ui: Option<Ui>,
}

/// What a request was, for undoing what the page showed early when the server says no.
enum Pending {
    Cast { round: String, before: Ballot },
    Other,
}

/// The elements rounds live in.
struct Ui {
    bar: web_sys::Element,
    dialog: web_sys::Element,
    panel: web_sys::Element,
}

impl Rounds {
    /// Starts watching the board's results and decision log.
    pub fn observe(board: &Board) -> Rounds {
        let stale = Arc::new(AtomicBool::new(true));
        for root in board.results_roots() {
            let flag = stale.clone();
            root.observe_deep(OBSERVER_KEY, move |_, _| {
                flag.store(true, Ordering::Relaxed)
            });
        }
        Rounds {
            views: BTreeMap::new(),
            active: None,
            story: 0,
            pending: HashMap::new(),
            held: HashMap::new(),
            results: BTreeMap::new(),
            decisions: Vec::new(),
            votes: HashMap::new(),
            dissented: HashSet::new(),
            shown: None,
            stale,
            ui: None,
        }
    }

    /// Whether casts in `round` are waiting for their answer.
    fn casting(&self, round: &str) -> bool {
        self.pending
            .values()
            .any(|p| matches!(p, Pending::Cast { round: r, .. } if r == round))
    }

    /// A cast in `round` was answered (`refused`: with the ballot from before it). Once no
    /// other cast is in flight, the page shows the server's latest view if one came, or else
    /// undoes a refused cast; while others are in flight, their answers will tell.
    fn settle(&mut self, round: &str, refused: Option<Ballot>) {
        if self.casting(round) {
            return;
        }
        let held = self.held.remove(round);
        let Some(view) = self.views.get_mut(round) else {
            return;
        };
        if let Some(latest) = held {
            view.mine = latest.mine;
            view.left = latest.left;
        } else if let Some(before) = refused {
            view.left = view.round.budget_left(&before);
            view.mine = before;
        }
    }

    /// The open round the bar shows.
    pub fn active_view(&self) -> Option<&RoundView> {
        self.active
            .as_ref()
            .and_then(|id| self.views.get(id))
            .filter(|v| v.round.status == Status::Open)
    }

    /// The active round, if it is a dot vote this person may vote in.
    pub fn dot_round(&self) -> Option<&RoundView> {
        self.active_view()
            .filter(|v| v.can_vote && v.round.settings.kind == Kind::Dots)
    }

    /// The latest revealed result (by closing time).
    pub fn latest(&self) -> Option<&RoundResult> {
        self.results
            .values()
            .filter(|r| r.round.status == Status::Revealed)
            .max_by_key(|r| {
                (
                    r.round.closed_at.unwrap_or(r.round.opened_at),
                    r.round.id.clone(),
                )
            })
    }
}

/// Builds the bar, the Vote dialog and the side panel into `stage`.
pub fn install(page: &Page, stage: &web_sys::Element) -> Result<(), JsValue> {
    let bar = bar::build(page, stage)?;
    let dialog = start::build(page, stage)?;
    let panel = panel::build(page, stage)?;
    page.borrow_mut().rounds.ui = Some(Ui { bar, dialog, panel });
    Ok(())
}

/// The connection's news: a new `Hello` (forget the open rounds, the server resends them)
/// or an event.
pub fn on_news(s: &mut State, news: RoundNews) {
    match news {
        RoundNews::Hello => {
            s.rounds.views.clear();
            s.rounds.pending.clear();
            s.rounds.held.clear();
        }
        RoundNews::Event(event) => on_event(s, event),
    }
    refresh(s);
    s.request_frame();
}

fn on_event(s: &mut State, event: Event) {
    let r = &mut s.rounds;
    match event {
        Event::Ack { req, .. } => {
            if let Some(Pending::Cast { round, .. }) = r.pending.remove(&req) {
                r.settle(&round, None);
            }
        }
        Event::Refused { req, reason } => {
            if let Some(Pending::Cast { round, before }) = r.pending.remove(&req) {
                r.settle(&round, Some(before));
            }
            role::notice(s, &reason);
        }
        Event::Round(view) if r.casting(&view.round.id) => {
            r.held.insert(view.round.id.clone(), view);
        }
        Event::Round(view) => {
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
                s.rounds.views.insert(id, view);
            } else {
                s.rounds.views.remove(&id);
            }
        }
        Event::Progress { round, voted, of } => {
            if let Some(view) = r.views.get_mut(&round) {
                view.voted = voted;
                view.of = of;
            }
        }
        Event::Closed { round, status } => {
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
        Command::Cast { round, .. } => s.rounds.views.get(round).map(|v| Pending::Cast {
            round: round.clone(),
            before: v.mine.clone(),
        }),
        _ => None,
    };
    let req = s.conn.as_ref().and_then(|c| c.send_round(cmd));
    match req {
        Some(req) => {
            s.rounds.pending.insert(req, cast.unwrap_or(Pending::Other));
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
    let Some(view) = s.rounds.views.get(round) else {
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
    if send(s, cmd)
        && let Some(view) = s.rounds.views.get_mut(round)
    {
        view.left = view.round.budget_left(&ballot);
        view.mine = ballot;
    }
    refresh(s);
    s.request_frame();
}

/// A click on `item` during a dot vote: a dot more (or, with `remove`, one fewer). `true`
/// when the click was a vote (so it selects and drags nothing).
pub fn click_item(s: &mut State, item: &str, remove: bool) -> bool {
    let Some(view) = s.rounds.dot_round() else {
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
    let Some(view) = s.rounds.active_view().filter(|v| v.can_vote) else {
        return false;
    };
    let round = view.round.id.clone();
    match (view.round.settings.kind, key) {
        (Kind::Dots, "d" | "D") => {
            let remove = key == "D";
            let items: Vec<String> = s.selection.iter().cloned().collect();
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
            let item = bar::current_item(&s.rounds, view);
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
    let Some(view) = s.rounds.views.get(round) else {
        return;
    };
    match ballot::choose(view, item, choice) {
        Some(new) => cast(s, round, new),
        None => role::notice(s, "That choice is not part of this round."),
    }
}

/// Opens the Vote dialog (owners and editors).
pub fn open_vote_dialog(s: &mut State) {
    if !s.may_edit() {
        role::notice(s, "Only the board's owner and editors start rounds.");
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
    if !s.rounds.stale.swap(false, Ordering::Relaxed) {
        return;
    }
    let (results, decisions) = {
        let txn = s.board.doc().transact();
        (s.board.round_results(&txn), s.board.decisions(&txn))
    };
    let r = &mut s.rounds;
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
    huddle_shared::model::latest_result(&s.rounds.results, item, Kind::FistToFive)
        .map(|r| r.dissent.clone())
        .unwrap_or_default()
}

/// For `window.huddle.rounds()`: the open rounds as this person sees them, the active one,
/// and the document's results and decisions.
pub fn hook_json(s: &State) -> serde_json::Value {
    serde_json::json!({
        "open": s.rounds.views.values().collect::<Vec<_>>(),
        "active": s.rounds.active,
        "story": s.rounds.story,
        "results": s.rounds.results,
        "decisions": s.rounds.decisions,
        "votes": s.rounds.votes,
        "dissented": s.rounds.dissented,
    })
}
