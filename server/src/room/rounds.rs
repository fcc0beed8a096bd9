//! Rounds in the room: the one task that owns the board also holds its rounds' ballots.
//!
//! Every request is checked against the sender's role and the rules of
//! [`huddle_shared::rounds`], stored, and acknowledged only once it is on disk. Until a reveal
//! the room sends a person nothing but their own ballot and the count of voters: the ballots
//! live here and in the store, never in the document. The reveal tallies them, writes the
//! result into the document (so it syncs, exports and works offline) and forgets the ballots.
//! Round messages go only to connections that said hello (a stock client never gets one).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use huddle_shared::access::Role;
use huddle_shared::model::{Board, ItemKind};
use huddle_shared::rounds::{
    self, Ballot, Choice, Command, Decision, Event, Kind, Request, Round, RoundView, Status,
};
use huddle_shared::wire::{self, HuddleMessage};
use yrs::{Transact, TransactionMut};

use super::{ConnId, Room};
use crate::store::{StoreError, StoredBallot, StoredRound, now_ms};

/// A room's rounds.
pub(super) struct Rounds {
    /// Connections that said hello.
    listeners: HashSet<ConnId>,
    /// Open rounds and their ballots, by voter key.
    open: BTreeMap<String, OpenRound>,
    /// Revealed and cancelled rounds (for dissent, accept and re-run).
    closed: HashMap<String, StoredRound>,
    /// The decision log, oldest first.
    decisions: Vec<Decision>,
    /// Set when a transaction writes the document's `rounds` or `decisions` map; only the
    /// server may, so after a client's update it means the client did and it is put back.
    touched: Arc<AtomicBool>,
}

struct OpenRound {
    stored: StoredRound,
    ballots: HashMap<String, StoredBallot>,
    /// Voter keys of people seen in this round (an anonymous round's key is a hash: made
    /// once per person, not once per count).
    keys: HashMap<Arc<str>, String>,
    /// The counts last sent to everyone: a cast that changes neither (a change of mind)
    /// sends no progress.
    sent: (u32, u32),
}

fn voter_key<'a>(
    keys: &'a mut HashMap<Arc<str>, String>,
    stored: &StoredRound,
    person: &Arc<str>,
) -> &'a str {
    keys.entry(person.clone())
        .or_insert_with(|| stored.voter_key(person))
}

impl OpenRound {
    fn new(stored: StoredRound, ballots: HashMap<String, StoredBallot>) -> OpenRound {
        OpenRound {
            stored,
            ballots,
            keys: HashMap::new(),
            sent: (0, 0),
        }
    }

    fn voter_key(&mut self, person: &Arc<str>) -> &str {
        voter_key(&mut self.keys, &self.stored, person)
    }

    /// People who voted, and of how many: voters plus those present who may vote.
    fn counts(&mut self, conns: &HashMap<ConnId, super::Conn>) -> (u32, u32) {
        let mut present: HashSet<&str> = HashSet::new();
        let mut not_yet = 0;
        for c in conns.values() {
            if c.member.role.may_comment()
                && present.insert(&c.member.person)
                && !self.ballots.contains_key(voter_key(
                    &mut self.keys,
                    &self.stored,
                    &c.member.person,
                ))
            {
                not_yet += 1;
            }
        }
        let voted = self.ballots.len() as u32;
        (voted, voted + not_yet)
    }
}

/// A refusal's reason, sent to the person.
type Refusal = String;

impl Rounds {
    /// The board's rounds from the store, watching the document's result maps.
    pub(super) fn load(
        board: &Board,
        store: &crate::store::Store,
        id: &str,
    ) -> Result<Rounds, StoreError> {
        let mut open = BTreeMap::new();
        let mut closed = HashMap::new();
        for stored in store.rounds(id)? {
            if stored.round.status == Status::Open {
                let ballots = store.ballots(id, &stored.round.id)?.into_iter().collect();
                open.insert(stored.round.id.clone(), OpenRound::new(stored, ballots));
            } else {
                closed.insert(stored.round.id.clone(), stored);
            }
        }
        let mut decisions = store.decisions(id)?;
        decisions.sort_by(|a, b| a.id.cmp(&b.id));
        let touched = Arc::new(AtomicBool::new(false));
        for root in board.results_roots() {
            let touched = touched.clone();
            yrs::Observable::observe(root, "huddle-results-watch", move |_, _| {
                touched.store(true, Ordering::Relaxed)
            });
        }
        Ok(Rounds {
            listeners: HashSet::new(),
            open,
            closed,
            decisions,
            touched,
        })
    }

    pub(super) fn left(&mut self, conn: ConnId) {
        self.listeners.remove(&conn);
    }

    /// Open rounds whose deadline is at or before `now`.
    fn due(&self, now: u64) -> Vec<String> {
        self.open
            .values()
            .filter(|r| r.stored.round.settings.deadline.is_some_and(|d| d <= now))
            .map(|r| r.stored.round.id.clone())
            .collect()
    }
}

fn event_frame(event: &Event) -> Bytes {
    Bytes::from(wire::encode_huddle(&HuddleMessage::RoundEvent(
        event.clone(),
    )))
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

impl Room {
    /// Handles a round request from `conn` and answers it (after the store has it on disk).
    pub(super) fn round_request(&mut self, conn: ConnId, request: Request) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let (person, role, name) = (
            c.member.person.clone(),
            c.member.role,
            c.member.name.clone(),
        );
        let req = request.req;
        let outcome = match request.cmd {
            Command::Hello => {
                self.rounds.listeners.insert(conn);
                self.send_views(conn);
                Ok(None)
            }
            Command::Open {
                settings,
                targets,
                scope,
                area,
            } => self.open_round(role, &name, settings, targets, scope, area, None),
            Command::Cast { round, ballot } => self.cast(&person, role, &name, &round, ballot),
            Command::Reveal { round } => self.close_round(role, &round, Status::Revealed, false),
            Command::Cancel { round } => self.close_round(role, &round, Status::Cancelled, false),
            Command::Rerun { round } => self.rerun(role, &name, &round),
            Command::Dissent { round, text } => self.dissent(&person, role, &name, &round, &text),
            Command::Accept { round, item, card } => self.accept(role, &round, &item, &card),
            Command::Decide {
                text,
                round,
                corrects,
            } => self.decide(role, &name, &text, round.as_deref(), corrects.as_deref()),
        };
        match outcome {
            Ok(id) => self.send_when_durable(conn, event_frame(&Event::Ack { req, id })),
            Err(reason) => self.send(conn, event_frame(&Event::Refused { req, reason })),
        }
    }

    /// Closes the open rounds whose deadline has passed (on every tick, and at load).
    pub(super) fn close_due_rounds(&mut self) {
        for id in self.rounds.due(now_ms()) {
            if let Err(e) = self.close_round(Role::Owner, &id, Status::Revealed, true) {
                tracing::error!(board = %self.id, round = %id, "cannot close a round at its deadline: {e}");
            }
        }
    }

    /// After a client's update: if it wrote the result maps, they are put back from the
    /// server's copy, the write counts as refused and the client is told.
    pub(super) fn keep_results(&mut self, conn: ConnId) {
        if !self.rounds.touched.swap(false, Ordering::Relaxed) || self.stop.is_some() {
            return;
        }
        self.ctx
            .metrics
            .refused_writes
            .fetch_add(1, Ordering::Relaxed);
        self.deny(
            conn,
            "round results and decisions are the server's to write; they were put back",
        );
        let results: Vec<_> = self
            .rounds
            .closed
            .values()
            .filter_map(|r| r.result.clone())
            .collect();
        let decisions = self.rounds.decisions.clone();
        self.write_results(|board, txn| {
            board.reset_results(txn, &results.iter().collect::<Vec<_>>(), &decisions)
        });
    }

    /// Writes into the document as the server (results, decisions, moved notes), stores the
    /// update and sends it to everyone.
    fn write_results(&mut self, write: impl FnOnce(&Board, &mut TransactionMut)) {
        self.full_sync = None;
        let update = {
            let mut txn = self.board.transact_mut();
            write(&self.board, &mut txn);
            txn.encode_update_v1()
        };
        self.rounds.touched.store(false, Ordering::Relaxed);
        if update != super::EMPTY_UPDATE {
            self.commit(None, &update, None);
        }
    }

    fn store_round(&mut self, stored: &StoredRound) -> Result<(), Refusal> {
        self.ctx
            .store
            .put_round(&self.id, stored)
            .map_err(|e| self.storage_failed(e))
    }

    fn storage_failed(&mut self, e: StoreError) -> Refusal {
        tracing::error!(board = %self.id, "cannot store a round: {e}");
        self.stop = Some((crate::outbox::code::INTERNAL, "storage failure; reconnect"));
        "the server could not store it; try again".to_owned()
    }

    #[allow(clippy::too_many_arguments)]
    fn open_round(
        &mut self,
        role: Role,
        name: &str,
        settings: rounds::Settings,
        targets: Vec<String>,
        scope: rounds::Scope,
        area: Option<[f64; 4]>,
        rerun_of: Option<String>,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let now = now_ms();
        let kinds: Vec<(String, Option<ItemKind>)> = {
            let txn = self.board.doc().transact();
            targets
                .iter()
                .map(|t| (t.clone(), self.board.kind_of(&txn, t)))
                .collect()
        };
        Round::check_new(&settings, &kinds, area, now).map_err(|e| e.to_string())?;
        let id = huddle_shared::ids::new_item_id();
        let stored = StoredRound {
            round: Round {
                id: id.clone(),
                settings,
                targets,
                scope,
                area,
                opened_by: name.to_owned(),
                opened_at: now,
                status: Status::Open,
                closed_at: None,
                rerun_of,
            },
            salt: random_hex(16),
            result: None,
            may_dissent: Vec::new(),
        };
        self.store_round(&stored)?;
        self.rounds
            .open
            .insert(id.clone(), OpenRound::new(stored, HashMap::new()));
        for conn in self.rounds.listeners.clone() {
            self.send_view(conn, &id);
        }
        Ok(Some(id))
    }

    fn cast(
        &mut self,
        person: &str,
        role: Role,
        name: &str,
        round: &str,
        ballot: Ballot,
    ) -> Result<Option<String>, Refusal> {
        if !role.may_comment() {
            return Err("viewers cannot vote".into());
        }
        let Some(open) = self.rounds.open.get(round) else {
            return Err(self.not_open(round));
        };
        if open
            .stored
            .round
            .settings
            .deadline
            .is_some_and(|d| d <= now_ms())
        {
            return Err("the deadline has passed".into());
        }
        open.stored
            .round
            .check_ballot(&ballot)
            .map_err(|e| e.to_string())?;
        let voter = open.stored.voter_key(person);
        let stored = StoredBallot {
            name: (!open.stored.round.settings.anonymous).then(|| name.to_owned()),
            ballot,
        };
        self.ctx
            .store
            .put_ballot(&self.id, round, &voter, &stored)
            .map_err(|e| self.storage_failed(e))?;
        let Some(open) = self.rounds.open.get_mut(round) else {
            return Ok(None); // unreachable: nothing closes a round between the lines above
        };
        if stored.ballot.is_empty() {
            open.ballots.remove(&voter);
        } else {
            open.ballots.insert(voter, stored);
        }
        // The person's own tabs see their ballot; everyone sees the count.
        let theirs: Vec<ConnId> = self.listeners_of(person);
        for conn in theirs {
            self.send_view(conn, round);
        }
        self.send_progress(round);
        Ok(None)
    }

    fn not_open(&self, round: &str) -> Refusal {
        match self.rounds.closed.get(round).map(|r| r.round.status) {
            Some(Status::Revealed) => "this round was revealed; ballots are closed".into(),
            Some(Status::Cancelled) => "this round was cancelled".into(),
            _ => "there is no such round on this board".into(),
        }
    }

    fn close_round(
        &mut self,
        role: Role,
        round: &str,
        status: Status,
        by_deadline: bool,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let Some(open) = self.rounds.open.remove(round) else {
            return Err(self.not_open(round));
        };
        let mut stored = open.stored;
        stored.round.status = status;
        stored.round.closed_at = Some(now_ms());
        if status == Status::Revealed {
            let anonymous = stored.round.settings.anonymous;
            let ballots: Vec<(String, Ballot)> = open
                .ballots
                .values()
                .map(|b| {
                    (
                        b.name.clone().filter(|_| !anonymous).unwrap_or_default(),
                        b.ballot.clone(),
                    )
                })
                .collect();
            let result = rounds::tally(&stored.round, &ballots, by_deadline);
            if stored.round.settings.kind == Kind::FistToFive {
                stored.may_dissent = open
                    .ballots
                    .iter()
                    .filter(|(_, b)| {
                        b.ballot
                            .values()
                            .any(|c| matches!(c, Choice::Fist(v) if *v <= rounds::DISSENT_AT_MOST))
                    })
                    .map(|(voter, _)| voter.clone())
                    .collect();
            }
            stored.result = Some(result);
        }
        self.store_round(&stored)?;
        self.ctx
            .store
            .delete_ballots(&self.id, round)
            .map_err(|e| self.storage_failed(e))?;
        if let Some(result) = stored.result.clone() {
            let area = stored.round.area;
            self.write_results(|board, txn| {
                board.write_round_result(txn, &result);
                if let Some(area) = area {
                    place_on_matrix(board, txn, &result, area);
                }
            });
        }
        let id = round.to_owned();
        self.rounds.closed.insert(id.clone(), stored);
        let frame = event_frame(&Event::Closed {
            round: id.clone(),
            status,
        });
        for conn in self.rounds.listeners.clone() {
            self.send(conn, frame.clone());
        }
        // Those at 0 to 2 are asked what would change their mind.
        for conn in self.rounds.listeners.clone() {
            if self.may_dissent(conn, &id) {
                self.send_view(conn, &id);
            }
        }
        Ok(None)
    }

    fn rerun(&mut self, role: Role, name: &str, round: &str) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let old = match (self.rounds.closed.get(round), self.rounds.open.get(round)) {
            (Some(r), _) => r.round.clone(),
            (None, Some(r)) => r.stored.round.clone(),
            (None, None) => return Err("there is no such round on this board".into()),
        };
        let mut settings = old.settings;
        settings.deadline = settings.deadline.filter(|d| *d > now_ms());
        let targets: Vec<String> = {
            let txn = self.board.doc().transact();
            old.targets
                .into_iter()
                .filter(|t| self.board.kind_of(&txn, t).is_some())
                .collect()
        };
        self.open_round(
            role,
            name,
            settings,
            targets,
            old.scope,
            old.area,
            Some(round.to_owned()),
        )
    }

    fn dissent(
        &mut self,
        person: &str,
        role: Role,
        name: &str,
        round: &str,
        text: &str,
    ) -> Result<Option<String>, Refusal> {
        if !role.may_comment() {
            return Err("viewers cannot write dissent".into());
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > rounds::MAX_DISSENT_CHARS {
            return Err(format!(
                "write what would change your mind in 1 to {} characters",
                rounds::MAX_DISSENT_CHARS
            ));
        }
        let Some(stored) = self.rounds.closed.get_mut(round) else {
            return Err("dissent is written after a fist-to-five round is revealed".into());
        };
        let voter = stored.voter_key(person);
        let Some(at) = stored.may_dissent.iter().position(|v| *v == voter) else {
            return Err("dissent is asked once of those who showed 0, 1 or 2".into());
        };
        stored.may_dissent.remove(at);
        let anonymous = stored.round.settings.anonymous;
        let Some(result) = stored.result.as_mut() else {
            return Err("this round has no result".into());
        };
        result.dissent.push(rounds::Dissent {
            name: (!anonymous).then(|| name.to_owned()),
            text: text.to_owned(),
            at: now_ms(),
        });
        let result = result.clone();
        let stored = stored.clone();
        self.store_round(&stored)?;
        self.write_results(|board, txn| board.write_round_result(txn, &result));
        for conn in self.listeners_of(person) {
            self.send_view(conn, round);
        }
        Ok(None)
    }

    fn accept(
        &mut self,
        role: Role,
        round: &str,
        item: &str,
        card: &str,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let Some(stored) = self.rounds.closed.get_mut(round) else {
            return Err("an estimate is accepted from a revealed poker round".into());
        };
        let poker = stored.round.settings.kind == Kind::Poker;
        let Some(result) = stored.result.as_mut().filter(|_| poker) else {
            return Err("an estimate is accepted from a revealed poker round".into());
        };
        if !stored.round.targets.iter().any(|t| t == item) {
            return Err(format!("item {item} is not in this round"));
        }
        if stored
            .round
            .settings
            .scale
            .card(card)
            .and_then(|c| c.points)
            .is_none()
        {
            return Err(format!("{card:?} is not a card with points in this deck"));
        }
        result.accepted.insert(item.to_owned(), card.to_owned());
        let result = result.clone();
        let stored = stored.clone();
        self.store_round(&stored)?;
        self.write_results(|board, txn| board.write_round_result(txn, &result));
        Ok(None)
    }

    fn decide(
        &mut self,
        role: Role,
        name: &str,
        text: &str,
        round: Option<&str>,
        corrects: Option<&str>,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > rounds::MAX_DECISION_CHARS {
            return Err(format!(
                "write the decision in 1 to {} characters",
                rounds::MAX_DECISION_CHARS
            ));
        }
        if let Some(old) = corrects
            && !self.rounds.decisions.iter().any(|d| d.id == old)
        {
            return Err(format!("there is no decision {old} to correct"));
        }
        let id = format!("{:06}", self.rounds.decisions.len() + 1);
        let mut decision = Decision {
            id: id.clone(),
            at: now_ms(),
            by: name.to_owned(),
            text: text.to_owned(),
            round: None,
            kind: None,
            result: String::new(),
            participants: Vec::new(),
            voters: 0,
            dissent: Vec::new(),
            corrects: corrects.map(str::to_owned),
        };
        if let Some(round) = round {
            let Some(result) = self
                .rounds
                .closed
                .get(round)
                .and_then(|r| r.result.as_ref())
            else {
                return Err("a decision is recorded from a revealed round".into());
            };
            let txn = self.board.doc().transact();
            let text_of = |id: &str| {
                self.board
                    .text(&txn, id)
                    .map(|t| yrs::GetString::get_string(&t, &txn))
                    .unwrap_or_default()
            };
            decision.round = Some(round.to_owned());
            decision.kind = Some(result.round.settings.kind);
            decision.result = result.summary(text_of);
            decision.participants = result.participants.clone();
            decision.voters = result.voters;
            decision.dissent = result.dissent.clone();
        }
        self.ctx
            .store
            .put_decision(&self.id, &decision)
            .map_err(|e| self.storage_failed(e))?;
        self.rounds.decisions.push(decision.clone());
        self.write_results(|board, txn| board.write_decision(txn, &decision));
        Ok(Some(id))
    }

    // ---- what each person is sent ----------------------------------------------------------

    fn listeners_of(&self, person: &str) -> Vec<ConnId> {
        self.rounds
            .listeners
            .iter()
            .copied()
            .filter(|c| {
                self.conns
                    .get(c)
                    .is_some_and(|c| &*c.member.person == person)
            })
            .collect()
    }

    /// Sends a connection that said hello every open round, and the revealed ones asking it
    /// for dissent.
    fn send_views(&mut self, conn: ConnId) {
        let open: Vec<String> = self.rounds.open.keys().cloned().collect();
        for id in open {
            self.send_view(conn, &id);
        }
        let asking: Vec<String> = self
            .rounds
            .closed
            .keys()
            .filter(|id| self.may_dissent(conn, id))
            .cloned()
            .collect();
        for id in asking {
            self.send_view(conn, &id);
        }
    }

    fn may_dissent(&self, conn: ConnId, round: &str) -> bool {
        let (Some(c), Some(stored)) = (self.conns.get(&conn), self.rounds.closed.get(round)) else {
            return false;
        };
        stored
            .may_dissent
            .contains(&stored.voter_key(&c.member.person))
    }

    /// Sends `conn` its person's view of `round`: theirs and the counts, nobody else's.
    fn send_view(&mut self, conn: ConnId, round: &str) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let (person, role) = (c.member.person.clone(), c.member.role);
        let view = if let Some(open) = self.rounds.open.get_mut(round) {
            let (voted, of) = open.counts(&self.conns);
            let key = open.voter_key(&person).to_owned();
            let mine = open
                .ballots
                .get(&key)
                .map(|b| b.ballot.clone())
                .unwrap_or_default();
            RoundView {
                left: open.stored.round.budget_left(&mine),
                round: open.stored.round.clone(),
                voted,
                of,
                mine,
                can_vote: role.may_comment(),
                can_dissent: false,
            }
        } else if let Some(stored) = self.rounds.closed.get(round) {
            RoundView {
                round: stored.round.clone(),
                voted: stored.result.as_ref().map_or(0, |r| r.voters),
                of: 0,
                mine: Ballot::new(),
                left: None,
                can_vote: false,
                can_dissent: self.may_dissent(conn, round),
            }
        } else {
            return;
        };
        self.send(conn, event_frame(&Event::Round(view)));
    }

    /// Sends everyone the counts, if they changed since last sent.
    fn send_progress(&mut self, round: &str) {
        let Some(open) = self.rounds.open.get_mut(round) else {
            return;
        };
        let (voted, of) = open.counts(&self.conns);
        if open.sent == (voted, of) {
            return;
        }
        open.sent = (voted, of);
        let frame = event_frame(&Event::Progress {
            round: round.to_owned(),
            voted,
            of,
        });
        for conn in self.rounds.listeners.clone() {
            self.send(conn, frame.clone());
        }
    }
}

fn facilitates(role: Role) -> Result<(), Refusal> {
    if role.may_edit() {
        Ok(())
    } else {
        Err("only the board's owner and editors run rounds".into())
    }
}

/// Impact/effort: each scored note goes to the team's median in the matrix `area`
/// (`[x, y, w, h]`): low effort on the left, high impact on top.
fn place_on_matrix(
    board: &Board,
    txn: &mut TransactionMut,
    result: &rounds::RoundResult,
    area: [f64; 4],
) {
    let [x, y, w, h] = area;
    for (id, item) in &result.items {
        let (Some(impact), Some(effort)) = (item.impact, item.effort) else {
            continue;
        };
        let size = board.item_snapshot(txn, id).map_or([0.0, 0.0], |s| s.size);
        let free_w = (w - size[0]).max(0.0);
        let free_h = (h - size[1]).max(0.0);
        let pos = [
            x + (effort.median - 1.0) / 4.0 * free_w,
            y + (5.0 - impact.median) / 4.0 * free_h,
        ];
        let _ = board.move_item(txn, id, pos);
    }
}
