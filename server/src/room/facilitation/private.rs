//! Private writing: while it is on, the notes each person writes are held here (and in the
//! store), sent only to their author's connections, and written into the document, where
//! their authors put them, all at once when it ends.
//!
//! Why the server holds them rather than the document: anything in the document reaches every
//! replica, so a note written there "privately" would be readable in every browser's memory
//! and on the wire. Nothing of a person's private notes leaves the room before the end except
//! in the `private` event to that person's own connections.
//!
//! A person who was offline at the end still has notes their page kept; the page sends them
//! again with the ended session's id and they go straight into the document. To tell an ended
//! session from a made-up one, and a person who took part in it from one who did not (a
//! commenter may not create notes any other way, and the session's id is in the document for
//! all to read), the store keeps the last [`ENDED_KEPT`] sessions with who took part: those
//! present when it started, and those who said hello or wrote while it was on.

use std::collections::{BTreeMap, HashMap};

use huddle_shared::facilitation::{Event, MAX_PRIVATE_NOTES, PrivateNote, PrivateWriting};
use huddle_shared::model::{Board, Color, NewNote};

use super::{Refusal, Sender};
use crate::room::Room;
use crate::store::{EndedPrivate, Store, StoreError, now_ms};

/// Ended sessions remembered for late publishing: a team runs a few a day, so 50 covers
/// anyone who comes back within weeks; an older session's notes are refused.
pub(super) const ENDED_KEPT: usize = 50;
/// Length of a session id in hex characters (64 random bits: not guessable in a meeting).
const SESSION_HEX: usize = 16;

/// One person's private notes.
#[derive(Debug, Default)]
struct Held {
    /// The name their notes are published under (their name when they last wrote).
    name: String,
    /// Their notes, by id (ordered, so publishing is the same on every run).
    notes: BTreeMap<String, PrivateNote>,
}

/// Private notes held by the room, per person id.
pub(in crate::room) struct PrivateState {
    people: HashMap<String, Held>,
}

impl PrivateState {
    pub(super) fn load(store: &Store, board: &str) -> Result<PrivateState, StoreError> {
        let mut people: HashMap<String, Held> = HashMap::new();
        for (person, note) in store.private_notes(board)? {
            if !people.contains_key(&person) {
                // After a restart the name is the profile's until the person writes again.
                let profile = store.profile(&person)?;
                let name = crate::people::shown(&person, profile.as_ref(), None).name;
                let notes = BTreeMap::new();
                people.insert(person.clone(), Held { name, notes });
            }
            if let Some(held) = people.get_mut(&person) {
                held.notes.insert(note.id.clone(), note);
            }
        }
        Ok(PrivateState { people })
    }

    /// The person's notes, in id order.
    fn notes_of(&self, person: &str) -> Vec<PrivateNote> {
        self.people
            .get(person)
            .map(|h| h.notes.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether someone other than `person` holds a note with this id.
    fn held_by_other(&self, person: &str, id: &str) -> bool {
        self.people
            .iter()
            .any(|(p, h)| p != person && h.notes.contains_key(id))
    }
}

fn random_session() -> String {
    (0..SESSION_HEX / 2)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

/// The document's note for a private one, written by `author` at `now`.
fn new_note(note: &PrivateNote, author: &str, now: u64) -> NewNote {
    NewNote {
        pos: note.pos,
        size: Some(note.size),
        text: note.text.clone(),
        color: Color::from_name(&note.color).unwrap_or_default(),
        tags: Vec::new(),
        author: author.to_owned(),
        created_at: now as f64,
        z: None,
    }
}

impl Room {
    /// On hello: the person's own notes (an empty list too, so a page drops stale ones).
    pub(super) fn private_hello(&mut self, from: &Sender) {
        let notes = self.facilitation.private.notes_of(&from.person);
        self.send_facilitation(from.conn, &Event::Private { notes });
        // A page that joins while private writing is on takes part (it may write offline).
        if let Err(e) = self.private_takes_part(from) {
            tracing::error!(board = %self.id, "cannot store who takes part in private writing: {e}");
        }
    }

    /// Counts `from` among those who take part in the private writing going on (if any): only
    /// they may publish a note of it after it ends. Stored when someone new joins.
    fn private_takes_part(&mut self, from: &Sender) -> Result<(), StoreError> {
        let stored = &mut self.facilitation.stored;
        if stored.public.private.is_none()
            || !from.role.may_comment()
            || stored.private_people.iter().any(|p| *p == *from.person)
        {
            return Ok(());
        }
        stored.private_people.push(from.person.to_string());
        self.ctx.store.put_facilitation(&self.id, stored)
    }

    /// Sends `person`'s notes to each of their connections that said hello.
    fn send_private(&mut self, person: &str) {
        let notes = self.facilitation.private.notes_of(person);
        let event = Event::Private { notes };
        for (conn, who, _) in self.facilitation_listeners() {
            if *who == *person {
                self.send_facilitation(conn, &event);
            }
        }
    }

    pub(super) fn private_start(&mut self, from: &Sender) -> Result<(), Refusal> {
        self.must_facilitate(from, "starts private writing")?;
        self.private_begin(from)
    }

    pub(super) fn private_end(&mut self, from: &Sender) -> Result<(), Refusal> {
        self.must_facilitate(from, "ends private writing")?;
        if self.facilitation.stored.public.private.is_none() {
            return Err("private writing is not on".into());
        }
        self.private_finish()
    }

    /// Turns private writing on (already on: nothing changes, the session goes on).
    pub(in crate::room) fn private_begin(&mut self, by: &Sender) -> Result<(), Refusal> {
        if self.facilitation.stored.public.private.is_some() {
            return Ok(());
        }
        tracing::debug!(board = %self.id, by = %by.person, "private writing starts");
        let mut present: Vec<String> = self
            .conns
            .values()
            .filter(|c| c.member.role.may_comment())
            .map(|c| c.member.person.to_string())
            .collect();
        present.sort();
        present.dedup();
        let stored = &mut self.facilitation.stored;
        stored.private_people = present;
        stored.public.private = Some(PrivateWriting {
            session: random_session(),
            since: now_ms(),
        });
        self.publish_facilitation()
    }

    /// Turns private writing off: every held note goes into the document in one server
    /// transaction, leaves the store, and everyone's page gets its (now empty) list.
    pub(in crate::room) fn private_finish(&mut self) -> Result<(), Refusal> {
        let Some(ended) = self.facilitation.stored.public.private.take() else {
            return Ok(());
        };
        let people = std::mem::take(&mut self.facilitation.private.people);
        // (person, note id held, id on the board): the same unless the held id was taken.
        let mut published: Vec<(String, String, String)> = Vec::new();
        let mut people: Vec<(String, Held)> = people.into_iter().collect();
        people.sort_by(|a, b| a.0.cmp(&b.0));
        let now = now_ms();
        self.write_server(|board: &Board, txn: &mut yrs::TransactionMut| {
            for (person, held) in &people {
                for note in held.notes.values() {
                    let fresh = new_note(note, &held.name, now);
                    // An id someone took meanwhile (only by crafting it): a fresh id instead.
                    let on_board = match board.create_note_with_id(txn, &note.id, fresh.clone()) {
                        Ok(()) => note.id.clone(),
                        Err(_) => board.create_note(txn, fresh).unwrap_or_default(),
                    };
                    published.push((person.clone(), note.id.clone(), on_board));
                }
            }
        });
        let gone = published.iter().map(|(p, n, _)| (p.as_str(), n.as_str()));
        if let Err(e) = self.ctx.store.delete_private_notes(&self.id, gone) {
            return Err(self.storage_failed(e));
        }
        let stored = &mut self.facilitation.stored;
        let took_part = std::mem::take(&mut stored.private_people);
        stored.ended_private.push(EndedPrivate {
            session: ended.session,
            people: took_part,
        });
        let over = stored.ended_private.len().saturating_sub(ENDED_KEPT);
        stored.ended_private.drain(..over);
        // The server wrote the notes, so the balance counts them for their authors here.
        for (person, held) in &people {
            let ids: Vec<String> = published
                .iter()
                .filter(|(p, _, id)| p == person && !id.is_empty())
                .map(|(_, _, id)| id.clone())
                .collect();
            self.count_notes(person, &held.name, &ids);
        }
        self.publish_facilitation()?;
        for (conn, _, _) in self.facilitation_listeners() {
            self.send_facilitation(conn, &Event::Private { notes: Vec::new() });
        }
        Ok(())
    }

    pub(super) fn private_put(&mut self, from: &Sender, note: PrivateNote) -> Result<(), Refusal> {
        if !from.role.may_comment() {
            return Err("viewers do not write notes".into());
        }
        note.check()?;
        if self
            .board
            .has_item(&yrs::Transact::transact(self.board.doc()), &note.id)
        {
            return Err("a note with that id is already on the board".into());
        }
        if self
            .facilitation
            .private
            .held_by_other(&from.person, &note.id)
        {
            return Err("that note id is taken".into());
        }
        let ended = &self.facilitation.stored.ended_private;
        if let Some(ended) = ended.iter().find(|e| e.session == note.session) {
            if !ended.people.iter().any(|p| *p == *from.person) {
                return Err("you did not take part in that private writing".into());
            }
            return self.private_publish_late(from, note);
        }
        let Some(current) = &self.facilitation.stored.public.private else {
            return Err("private writing is not on".into());
        };
        let note = PrivateNote {
            session: current.session.clone(),
            ..note
        };
        let count = self.facilitation.private.notes_of(&from.person).len();
        let replaces = self
            .facilitation
            .private
            .people
            .get(&*from.person)
            .is_some_and(|h| h.notes.contains_key(&note.id));
        if !replaces && count >= MAX_PRIVATE_NOTES {
            return Err(format!(
                "at most {MAX_PRIVATE_NOTES} private notes each; publish some first"
            ));
        }
        let stored = self.private_takes_part(from).and_then(|()| {
            self.ctx
                .store
                .put_private_note(&self.id, &from.person, &note)
        });
        if let Err(e) = stored {
            return Err(self.storage_failed(e));
        }
        let held = self
            .facilitation
            .private
            .people
            .entry(from.person.to_string())
            .or_default();
        held.name = from.name.clone();
        held.notes.insert(note.id.clone(), note);
        self.send_private(&from.person);
        Ok(())
    }

    /// A note written in a session that ended while its author was away: straight into the
    /// document, as it would have gone at the end.
    fn private_publish_late(&mut self, from: &Sender, note: PrivateNote) -> Result<(), Refusal> {
        let fresh = new_note(&note, &from.name, now_ms());
        let mut outcome = Ok(());
        self.write_server(|board: &Board, txn: &mut yrs::TransactionMut| {
            outcome = board.create_note_with_id(txn, &note.id, fresh);
        });
        outcome.map_err(|e| format!("the note could not be published: {e}"))?;
        self.count_notes(&from.person, &from.name, std::slice::from_ref(&note.id));
        Ok(())
    }

    pub(super) fn private_delete(&mut self, from: &Sender, id: &str) -> Result<(), Refusal> {
        if !from.role.may_comment() {
            return Err("viewers do not write notes".into());
        }
        let Some(held) = self.facilitation.private.people.get_mut(&*from.person) else {
            return Err("you have no private note with that id".into());
        };
        if held.notes.remove(id).is_none() {
            return Err("you have no private note with that id".into());
        }
        if held.notes.is_empty() {
            self.facilitation.private.people.remove(&*from.person);
        }
        if let Err(e) = self
            .ctx
            .store
            .delete_private_notes(&self.id, [(&*from.person, id)])
        {
            return Err(self.storage_failed(e));
        }
        self.send_private(&from.person);
        Ok(())
    }
}
