//! [`Rounds`]: what the page knows about rounds. Open rounds as the server shows them to
//! this person, the requests in flight (a cast is shown at once, and the server's answers
//! never undo a later click: its views wait until every cast is answered), and what the
//! document holds (results, the decision log, the count badges), re-read when it changes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use huddle_shared::model::Board;
use huddle_shared::rounds::{Ballot, Decision, Kind, RoundResult, RoundView, Status};
use huddle_shared::yrs::DeepObservable;

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
    pub(super) pending: HashMap<u64, Pending>,
    /// The server's latest view of a round, held back while this page has casts in flight
    /// for it: a view answering an earlier cast must not undo a later click. Applied once
    /// the last of them is answered.
    pub(super) held: HashMap<String, RoundView>,
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
    pub(super) stale: Arc<AtomicBool>,
    pub(super) ui: Option<Ui>,
}

/// What a request was, for undoing what the page showed early when the server says no.
pub(super) enum Pending {
    Cast { round: String, before: Ballot },
    Other,
}

/// The elements rounds live in.
pub(super) struct Ui {
    pub(super) bar: web_sys::Element,
    pub(super) dialog: web_sys::Element,
    pub(super) panel: web_sys::Element,
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

    /// Request `req` was sent; `cast`: it casts a ballot in this round, which held `before`.
    pub(super) fn sent(&mut self, req: u64, cast: Option<(String, Ballot)>) {
        let pending = match cast {
            Some((round, before)) => Pending::Cast { round, before },
            None => Pending::Other,
        };
        self.pending.insert(req, pending);
    }

    /// Shows `ballot` as the person's own in `round` at once (before the server answers).
    pub(super) fn show_cast(&mut self, round: &str, ballot: Ballot) {
        if let Some(view) = self.views.get_mut(round) {
            view.left = view.round.budget_left(&ballot);
            view.mine = ballot;
        }
    }

    /// Request `req` was acknowledged or refused.
    pub(super) fn answered(&mut self, req: u64, refused: bool) {
        if let Some(Pending::Cast { round, before }) = self.pending.remove(&req) {
            self.settle(&round, refused.then_some(before));
        }
    }

    /// Keeps a view of the server's while this page's casts in its round are in flight;
    /// otherwise gives it back to be shown.
    pub(super) fn hold(&mut self, view: RoundView) -> Option<RoundView> {
        if self.casting(&view.round.id) {
            self.held.insert(view.round.id.clone(), view);
            None
        } else {
            Some(view)
        }
    }

    /// Whether casts in `round` are waiting for their answer.
    pub(super) fn casting(&self, round: &str) -> bool {
        self.pending
            .values()
            .any(|p| matches!(p, Pending::Cast { round: r, .. } if r == round))
    }

    /// A cast in `round` was answered (`refused`: with the ballot from before it). Once no
    /// other cast is in flight, the page shows the server's latest view if one came, or else
    /// undoes a refused cast; while others are in flight, their answers will tell.
    pub(super) fn settle(&mut self, round: &str, refused: Option<Ballot>) {
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
