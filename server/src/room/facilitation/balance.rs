//! The contribution balance: who contributed what in the session, so the facilitator can
//! invite the quiet ones in.
//!
//! Counts come from the server's own attribution, never from what a page says about itself:
//! the room knows which connection (so which person) sent each update, ballot and dissent.
//!
//! - notes: keys a person's applied update added to the document's root `items` map whose
//!   item is a note (stories are notes). A yrs observer on that map records the keys each
//!   transaction adds; the room applies one client's update per transaction and calls
//!   [`Room::count_update`] right after, so the keys are that sender's. The server's own
//!   writes (results, published private notes) are forgotten ([`Balance::forget`]); private
//!   notes are counted for their authors through [`Room::count_notes`];
//! - words: the words of the notes they created, read from the document when the balance is
//!   computed (so as the notes read now, whoever edited them since);
//! - edits: their applied updates; ballots: their accepted casts (each change of mind counts
//!   once more); dissent: dissent they wrote; comments: threads started and replies written
//!   ([`Room::count_comment`], called by the room's `comments`).
//!
//! The session is the agenda's, from its first step's start ([`Agenda::started_at`], kept
//! until the agenda is replaced), or else the last [`BALANCE_WINDOW_MS`]. Counts are kept per
//! person and per second in memory only: they are a prompt for the facilitator, not a record,
//! so a restart or an unloaded room starts them again (persisting them would cost a store
//! write per update on the write path).
//!
//! The balance goes, as [`Event::Balance`], to the facilitator's connections that said hello,
//! and to every such connection while the facilitator shares it (`balance_public`). It is
//! computed on the room's tick and pushed at most once a second, only when it changed (or to
//! a connection that has not had it yet).
//!
//! [`Agenda::started_at`]: huddle_shared::facilitation::Agenda::started_at

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use huddle_shared::facilitation::{BALANCE_WINDOW_MS, Contribution, Event, rank_quiet, words};
use huddle_shared::model::{Board, ItemKind};
use huddle_shared::rounds::Ballot;
use yrs::types::EntryChange;
use yrs::{GetString, Observable, Transact};

use super::{Refusal, Sender};
use crate::room::{ConnId, Room};
use crate::store::now_ms;

/// Who did what in the session.
pub(in crate::room) struct Balance {
    /// Keys the latest transactions added to the root `items` map (filled by the observer,
    /// taken by [`Room::count_update`], cleared after the server's own writes).
    added: Arc<Mutex<Vec<String>>>,
    /// Counts by person id.
    people: HashMap<Arc<str>, Tally>,
    /// The balance last pushed: the session's start (`None`: the sliding hour, which moves
    /// every second without anything having changed) and the people.
    last: Option<(Option<u64>, Vec<Contribution>)>,
    /// Connections that have the last balance.
    sent_to: HashSet<ConnId>,
}

/// One person's counts.
#[derive(Default)]
struct Tally {
    /// The name they had when they last contributed (for people who left since).
    name: String,
    /// Edits, ballots and dissent per second (seconds since the epoch): precise enough for a
    /// session's start, and one entry per busy second however many updates it held.
    seconds: BTreeMap<u64, Counts>,
    /// Notes they created: when (ms) and the item id (its words are read when computed).
    notes: Vec<(u64, String)>,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    edits: u32,
    ballots: u32,
    dissent: u32,
    comments: u32,
}

impl Balance {
    /// Starts counting on `board`: watches its `items` map for added keys.
    pub(in crate::room) fn watch(board: &Board) -> Balance {
        let added: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = added.clone();
        board
            .items_root()
            .observe("huddle-balance-watch", move |txn, event| {
                let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
                for (key, change) in event.keys(txn) {
                    if matches!(change, EntryChange::Inserted(_)) {
                        sink.push(key.to_string());
                    }
                }
            });
        Balance {
            added,
            people: HashMap::new(),
            last: None,
            sent_to: HashSet::new(),
        }
    }

    /// Forgets the keys added so far: the server's own write added them, not a client.
    pub(in crate::room) fn forget(&self) {
        self.take_added();
    }

    fn take_added(&self) -> Vec<String> {
        std::mem::take(&mut *self.added.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn tally(&mut self, person: &str, name: &str) -> &mut Tally {
        if !self.people.contains_key(person) {
            self.people.insert(Arc::from(person), Tally::default());
        }
        let tally = self
            .people
            .get_mut(person)
            .unwrap_or_else(|| unreachable!("inserted above"));
        if tally.name != name {
            tally.name = name.to_owned();
        }
        tally
    }

    fn count(&mut self, person: &str, name: &str, now: u64, what: impl FnOnce(&mut Counts)) {
        let tally = self.tally(person, name);
        what(tally.seconds.entry(now / 1000).or_default());
    }

    /// Each person who contributed at or after `since` (ms): their tally, their counts in
    /// that window (by whole seconds: an edit in the second `since` falls in counts) and the
    /// ids of the notes they created in it.
    fn since(&self, since: u64) -> Vec<(&Arc<str>, &Tally, Counts, Vec<&str>)> {
        let first_second = since / 1000;
        let mut out = Vec::new();
        for (person, tally) in &self.people {
            let mut sum = Counts::default();
            for counts in tally.seconds.range(first_second..).map(|(_, c)| c) {
                sum.edits += counts.edits;
                sum.ballots += counts.ballots;
                sum.dissent += counts.dissent;
                sum.comments += counts.comments;
            }
            let notes: Vec<&str> = tally
                .notes
                .iter()
                .filter(|(at, _)| *at >= since)
                .map(|(_, id)| id.as_str())
                .collect();
            if !notes.is_empty() || sum.edits + sum.ballots + sum.dissent + sum.comments > 0 {
                out.push((person, tally, sum, notes));
            }
        }
        out
    }

    /// Drops what is older than any window the balance may still be asked for.
    fn prune(&mut self, keep_from: u64) {
        let second = keep_from / 1000;
        self.people.retain(|_, t| {
            t.seconds = t.seconds.split_off(&second);
            t.notes.retain(|(at, _)| *at >= keep_from);
            !t.seconds.is_empty() || !t.notes.is_empty()
        });
    }
}

impl Room {
    /// After a client's update was applied and stored: one edit for its sender, and the notes
    /// it created.
    pub(in crate::room) fn count_update(&mut self, conn: ConnId) {
        // On the write path: no allocation and no transaction unless the update added items.
        let added = self.facilitation.balance.take_added();
        if self.stop.is_some() {
            return;
        }
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let (person, name) = (&c.member.person, &c.member.name);
        let now = now_ms();
        let balance = &mut self.facilitation.balance;
        balance.count(person, name, now, |c| c.edits += 1);
        if added.is_empty() {
            return;
        }
        let txn = self.board.doc().transact();
        let tally = balance.tally(person, name);
        for id in added {
            let note = self.board.kind_of(&txn, &id) == Some(ItemKind::Note);
            if note && !tally.notes.iter().any(|(_, n)| *n == id) {
                tally.notes.push((now, id));
            }
        }
    }

    /// Notes the server wrote for `person` (their private notes, published): for private
    /// writing to call when it publishes, since the server's own writes are not counted.
    pub(in crate::room) fn count_notes(&mut self, person: &str, name: &str, ids: &[String]) {
        let now = now_ms();
        let tally = self.facilitation.balance.tally(person, name);
        for id in ids {
            if !tally.notes.iter().any(|(_, n)| n == id) {
                tally.notes.push((now, id.clone()));
            }
        }
    }

    /// An accepted ballot of `person` (a withdrawal, an empty ballot, is not a contribution).
    pub(in crate::room) fn count_ballot(&mut self, person: &str, name: &str, ballot: &Ballot) {
        if !ballot.is_empty() {
            let now = now_ms();
            self.facilitation
                .balance
                .count(person, name, now, |c| c.ballots += 1);
        }
    }

    /// Dissent `person` wrote after a fist-to-five reveal.
    pub(in crate::room) fn count_dissent(&mut self, person: &str, name: &str) {
        let now = now_ms();
        self.facilitation
            .balance
            .count(person, name, now, |c| c.dissent += 1);
    }

    /// A comment `person` wrote (a new thread or a reply; edits do not count).
    pub(in crate::room) fn count_comment(&mut self, person: &str, name: &str) {
        let now = now_ms();
        self.facilitation
            .balance
            .count(person, name, now, |c| c.comments += 1);
    }

    /// The facilitator shows the balance to everyone (`true`) or to themselves only.
    pub(super) fn share_balance(&mut self, from: &Sender, everyone: bool) -> Result<(), Refusal> {
        self.must_facilitate(from, "shares the contribution balance")?;
        self.facilitation.stored.public.balance_public = everyone;
        // Whoever may see it now gets it on the next tick.
        self.facilitation.balance.sent_to.clear();
        self.publish_facilitation()
    }

    /// A connection said hello: it gets the balance now if it may see it.
    pub(super) fn balance_hello(&mut self, from: &Sender) {
        if !self.balance_recipients().contains(&from.conn) {
            return;
        }
        let (since, people) = self.balance(now_ms());
        self.send_facilitation(from.conn, &Event::Balance { since, people });
        // It has the balance as of now; if that differs from the last pushed, the next tick
        // sends it again to everyone, which does no harm.
        self.facilitation.balance.sent_to.insert(from.conn);
    }

    /// Every second: forgets old counts, and pushes the balance to whoever may see it when it
    /// changed (or to a connection that does not have it yet).
    pub(super) fn balance_tick(&mut self) {
        let now = now_ms();
        let started = self.facilitation.stored.public.agenda.started_at;
        let window_start = now.saturating_sub(BALANCE_WINDOW_MS);
        let keep_from = started.map_or(window_start, |s| s.min(window_start));
        self.facilitation.balance.prune(keep_from);
        let recipients = self.balance_recipients();
        if recipients.is_empty() {
            self.facilitation.balance.sent_to.clear();
            return;
        }
        let (since, people) = self.balance(now);
        let seen = Some((started, people));
        let changed = self.facilitation.balance.last != seen;
        let to: Vec<ConnId> = recipients
            .iter()
            .copied()
            .filter(|c| changed || !self.facilitation.balance.sent_to.contains(c))
            .collect();
        if !to.is_empty() {
            let people = seen.as_ref().map(|s| s.1.clone()).unwrap_or_default();
            let event = Event::Balance { since, people };
            for conn in to {
                self.send_facilitation(conn, &event);
            }
        }
        self.facilitation.balance.last = seen;
        self.facilitation.balance.sent_to = recipients;
    }

    /// Connections that said hello and may see the balance: the facilitator's, or everyone's
    /// while it is shared.
    fn balance_recipients(&self) -> HashSet<ConnId> {
        let public = self.facilitation.public().balance_public;
        self.facilitation_listeners()
            .into_iter()
            .filter(|(_, person, role)| public || self.facilitates(person, *role))
            .map(|(conn, ..)| conn)
            .collect()
    }

    /// The balance at `now`: its start and everyone's contribution, quiet ones first. Everyone
    /// present with commenter rights or more is in it (with zeros, if so), and everyone who
    /// contributed in the window.
    fn balance(&self, now: u64) -> (u64, Vec<Contribution>) {
        let since = self
            .facilitation
            .stored
            .public
            .agenda
            .started_at
            .unwrap_or_else(|| now.saturating_sub(BALANCE_WINDOW_MS));
        let mut out: BTreeMap<&str, Contribution> = BTreeMap::new();
        for c in self.conns.values() {
            if !c.member.role.may_comment() {
                continue;
            }
            let entry = out.entry(&c.member.person).or_insert_with(|| Contribution {
                person: c.member.person.to_string(),
                name: c.member.name.clone(),
                ..Contribution::default()
            });
            entry.present = true;
        }
        let txn = self.board.doc().transact();
        for (person, tally, sum, notes) in self.facilitation.balance.since(since) {
            let words: u32 = notes
                .iter()
                .filter_map(|id| self.board.text(&txn, id).ok())
                .map(|text| words(&text.get_string(&txn)))
                .sum();
            let entry = out.entry(person).or_insert_with(|| Contribution {
                person: person.to_string(),
                name: tally.name.clone(),
                ..Contribution::default()
            });
            entry.notes = notes.len() as u32;
            entry.words = words;
            entry.edits = sum.edits;
            entry.ballots = sum.ballots;
            entry.dissent = sum.dissent;
            entry.comments = sum.comments;
        }
        let mut people: Vec<Contribution> = out.into_values().collect();
        rank_quiet(&mut people);
        (since, people)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(balance: &Balance, since: u64) -> Vec<(String, u32, u32, u32, usize)> {
        let mut out: Vec<_> = balance
            .since(since)
            .into_iter()
            .map(|(p, _, c, notes)| (p.to_string(), c.edits, c.ballots, c.dissent, notes.len()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn counts_fall_in_the_window_by_second_and_old_ones_are_dropped() {
        let board = Board::new();
        let mut balance = Balance::watch(&board);
        balance.count("ann", "Ann", 1_500, |c| c.edits += 1);
        balance.count("ann", "Ann", 1_900, |c| c.edits += 1);
        balance.count("ann", "Ann", 5_000, |c| c.ballots += 1);
        balance.count("bob", "Bob", 7_200, |c| c.dissent += 1);
        balance.tally("bob", "Bob").notes.push((7_300, "n1".into()));
        assert_eq!(
            counts(&balance, 0),
            [("ann".into(), 2, 1, 0, 0), ("bob".into(), 0, 0, 1, 1)]
        );
        // From 1.999 s: the whole second 1 still counts; from 2 s it does not.
        assert_eq!(counts(&balance, 1_999)[0], ("ann".into(), 2, 1, 0, 0));
        assert_eq!(counts(&balance, 2_000)[0], ("ann".into(), 0, 1, 0, 0));
        // Notes count by the millisecond.
        assert_eq!(counts(&balance, 7_301), [("bob".into(), 0, 0, 1, 0)]);
        // Nobody contributed from 8 s on.
        assert!(counts(&balance, 8_000).is_empty());
        balance.prune(6_000);
        assert_eq!(counts(&balance, 0), [("bob".into(), 0, 0, 1, 1)]);
        assert_eq!(
            balance.people.len(),
            1,
            "Ann had nothing left and is forgotten"
        );
    }

    #[test]
    fn the_observer_records_the_keys_a_transaction_adds_and_forget_drops_them() {
        let board = Board::new();
        let balance = Balance::watch(&board);
        let id = {
            let mut txn = board.transact_mut();
            board
                .create_note(&mut txn, huddle_shared::model::NewNote::default())
                .unwrap()
        };
        assert_eq!(balance.take_added(), std::slice::from_ref(&id));
        assert!(balance.take_added().is_empty());
        {
            let mut txn = board.transact_mut();
            board.move_item(&mut txn, &id, [5.0, 5.0]).unwrap();
        }
        assert!(balance.take_added().is_empty(), "a move adds no key");
        {
            let mut txn = board.transact_mut();
            board
                .create_note(&mut txn, huddle_shared::model::NewNote::default())
                .unwrap();
        }
        balance.forget();
        assert!(balance.take_added().is_empty());
    }
}
