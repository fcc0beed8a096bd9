//! The room's half of "since you last looked" ([`huddle_shared::since`]): it journals who
//! changed which item as it applies each client's update, and records what a person has
//! seen when their last connection to the board leaves (or the room stops with them in it).
//!
//! A yrs observer ([`Board::watch_item_changes`]) collects the items each transaction
//! touched; the room applies one client's update per transaction and calls
//! [`Room::since_applied`] right after, so the changes are that sender's person's. The
//! server's own writes (round results placing notes, published private notes, a rename)
//! are forgotten: rounds and decisions are listed from their own log.
//!
//! Coalescing: typing a note sends an update per keystroke and a drag one every 100 ms, so
//! a change that repeats the last entry for the same item, kind and person (with no seen
//! mark written since, by anyone) rewrites that entry in place (new time, title and
//! position) instead of adding one. The journal then grows with what people would list,
//! not with their keystrokes.
//!
//! A deleted item's title is no longer in the document, so the room keeps each item's
//! title (`titles`, built once when the board loads, O(items)) to name it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use huddle_shared::model::Board;
use huddle_shared::since::{ChangeKind, JournalEntry, SeenMark};
use yrs::Transact;

use super::{ConnId, Room};
use crate::store::{Store, StoreError, now_ms};

/// Changes the observer saw and the room has not journaled yet: (item, kind).
type Sink = Arc<Mutex<Vec<(String, ChangeKind)>>>;

pub(super) struct Since {
    sink: Sink,
    /// Sequence number of the board's next journal entry.
    next_seq: u64,
    /// Every item's title, to name it in the journal when it is deleted.
    titles: HashMap<String, String>,
    /// The last entry per (item, kind): who made it and its number, for coalescing.
    recent: HashMap<(String, ChangeKind), (Arc<str>, u64)>,
    /// [`Store::seen_epoch`] when `recent` was last cleared.
    epoch: u64,
}

impl Since {
    pub(super) fn load(board: &Board, store: &Store, id: &str) -> Result<Since, StoreError> {
        let sink: Sink = Arc::default();
        let s = sink.clone();
        board.watch_item_changes(move |item, kind| {
            s.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((item.to_owned(), kind));
        });
        let titles = {
            let txn = board.doc().transact();
            board
                .item_ids(&txn)
                .into_iter()
                .filter_map(|id| Some((id.clone(), board.change_label(&txn, &id)?.0)))
                .collect()
        };
        Ok(Since {
            sink,
            next_seq: store.journal_tail(id)?,
            titles,
            recent: HashMap::new(),
            epoch: store.seen_epoch(),
        })
    }

    fn take(&self) -> Vec<(String, ChangeKind)> {
        std::mem::take(&mut *self.sink.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Forgets the changes collected so far: the server's own write made them.
    pub(super) fn forget(&self) {
        self.take();
    }
}

impl Room {
    /// Journals what the update just applied from `conn` did to the board's items.
    pub(super) fn since_applied(&mut self, conn: ConnId) {
        let mut changes = self.since.take();
        let Some(member) = self.conns.get(&conn).map(|c| c.member.clone()) else {
            return;
        };
        if changes.is_empty() {
            return;
        }
        // One entry per item and kind, whatever the update held.
        changes.sort();
        changes.dedup();
        let epoch = self.ctx.store.seen_epoch();
        if epoch != self.since.epoch {
            self.since.recent.clear();
            self.since.epoch = epoch;
        }
        let at = now_ms();
        let txn = self.board.doc().transact();
        let mut entries = Vec::with_capacity(changes.len());
        for (item, kind) in changes {
            let (title, pos) = match self.board.change_label(&txn, &item) {
                Some((title, pos)) => {
                    self.since.titles.insert(item.clone(), title.clone());
                    (title, pos)
                }
                None => (self.since.titles.remove(&item).unwrap_or_default(), None),
            };
            let seq = match self.since.recent.get(&(item.clone(), kind)) {
                Some((person, seq)) if *person == member.person => *seq,
                _ => {
                    let seq = self.since.next_seq;
                    self.since.next_seq += 1;
                    self.since
                        .recent
                        .insert((item.clone(), kind), (member.person.clone(), seq));
                    seq
                }
            };
            let entry = JournalEntry {
                at,
                person: member.person.to_string(),
                name: member.name.clone(),
                item,
                kind,
                title,
                pos,
            };
            entries.push((seq, entry));
        }
        drop(txn);
        if let Err(e) = self.ctx.store.journal(&self.id, &entries) {
            // The change itself is stored; only its listing is lost.
            tracing::error!(board = %self.id, "cannot journal a change: {e}");
        }
    }

    /// Records that `person` has seen the board as it is now, if `conn` (gone already) was
    /// their last connection to it.
    pub(super) fn since_left(&mut self, person: &Arc<str>) {
        if self.conns.values().any(|c| c.member.person == *person) {
            return;
        }
        self.since_seen(person);
    }

    /// Records that everyone connected has seen the board (the room is stopping).
    pub(super) fn since_all_seen(&mut self) {
        let mut people: Vec<Arc<str>> = self
            .conns
            .values()
            .map(|c| c.member.person.clone())
            .collect();
        people.sort();
        people.dedup();
        for person in people {
            self.since_seen(&person);
        }
    }

    fn since_seen(&mut self, person: &str) {
        let mark = SeenMark {
            seq: self.since.next_seq,
            at: now_ms(),
        };
        match self.ctx.store.mark_seen(&self.id, person, mark) {
            Ok(_) => self.ctx.store.request_flush(),
            Err(e) => {
                tracing::error!(board = %self.id, "cannot record what a person has seen: {e}")
            }
        }
    }
}
