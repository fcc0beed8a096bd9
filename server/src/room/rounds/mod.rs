//! Rounds in the room: the one task that owns the board also holds its rounds' ballots.
//!
//! Every request is checked against the sender's role and the rules of
//! [`huddle_shared::rounds`], stored, and acknowledged only once it is on disk. Until a reveal
//! the room sends a person nothing but their own ballot and the count of voters: the ballots
//! live here and in the store, never in the document. The reveal tallies them, writes the
//! result into the document (so it syncs, exports and works offline) and forgets the ballots.
//! Round messages go only to connections that said hello (a stock client never gets one).
//!
//! - this file: the round state of a room, dispatching requests, deadlines, and the watch
//!   on the document's result maps;
//! - `commands`: each request's rules and effects (open, cast, reveal or cancel, re-run,
//!   dissent, accept, decide);
//! - `views`: what each person is sent (their own view, progress).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use huddle_shared::access::Role;
use huddle_shared::model::Board;
use huddle_shared::rounds::{Command, Decision, Event, Request, Status};
use huddle_shared::wire::{self, HuddleMessage};
use yrs::TransactionMut;

use super::{ConnId, Room};
use crate::store::{StoreError, StoredBallot, StoredRound, now_ms};

mod commands;
mod notices;
mod views;

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

    /// Forgets a write to the result maps (the server's own).
    pub(super) fn forget_touch(&self) {
        self.touched.store(false, Ordering::Relaxed);
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
        // Starting and ending rounds is the facilitator's alone: they run them with an
        // owner's authority (a commenter may be handed the role); anyone else is refused.
        let runs = matches!(
            request.cmd,
            Command::Open { .. }
                | Command::Reveal { .. }
                | Command::Cancel { .. }
                | Command::Rerun { .. }
        );
        if runs && !self.facilitates(&person, role) {
            let reason = self.not_facilitator("starts and ends rounds");
            return self.send(conn, event_frame(&Event::Refused { req, reason }));
        }
        let role = if runs { Role::Owner } else { role };
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
            } => {
                let opened = self.open_round(role, &name, settings, targets, scope, area, None);
                if let Ok(Some(id)) = &opened {
                    self.notify_opened(id, &person);
                }
                opened
            }
            Command::Cast { round, ballot } => {
                let cast = self.cast(&person, role, &name, &round, ballot);
                if cast.is_ok() {
                    self.notify_cast(&round, &person);
                }
                cast
            }
            Command::Reveal { round } => self.close_round(role, &round, Status::Revealed, false),
            Command::Cancel { round } => self.close_round(role, &round, Status::Cancelled, false),
            Command::Rerun { round } => {
                let opened = self.rerun(role, &name, &round);
                if let Ok(Some(id)) = &opened {
                    self.notify_opened(id, &person);
                }
                opened
            }
            Command::Dissent { round, text } => self.dissent(&person, role, &name, &round, &text),
            Command::Accept { round, item, card } => self.accept(role, &round, &item, &card),
            Command::Decide {
                text,
                round,
                corrects,
            } => {
                let decided =
                    self.decide(role, &name, &text, round.as_deref(), corrects.as_deref());
                if let Ok(Some(id)) = &decided {
                    self.notify_decided(id, &person);
                }
                decided
            }
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

    /// Writes into the document as the server (results, decisions, moved notes).
    fn write_results(&mut self, write: impl FnOnce(&Board, &mut TransactionMut)) {
        self.write_server(write);
    }

    fn store_round(&mut self, stored: &StoredRound) -> Result<(), Refusal> {
        self.ctx
            .store
            .put_round(&self.id, stored)
            .map_err(|e| self.storage_failed(e))
    }

    pub(super) fn storage_failed(&mut self, e: StoreError) -> Refusal {
        tracing::error!(board = %self.id, "cannot store a round: {e}");
        self.stop = Some((crate::outbox::code::INTERNAL, "storage failure; reconnect"));
        "the server could not store it; try again".to_owned()
    }
}
