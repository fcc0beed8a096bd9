//! Facilitation in the room: the one task that owns the board also holds who facilitates,
//! the agenda and timer, private notes, locks and the contribution counts.
//!
//! Every request is attributed to the connection's person, checked (most commands are the
//! facilitator's alone: [`Room::facilitates`]), stored, and acknowledged once on disk. What
//! everyone may see is written into the document's `facilitation` and `locks` maps by the
//! server ([`Room::publish_facilitation`]); a client's own write there is put back, as for
//! round results. Facilitation messages go only to connections that said hello.
//!
//! - this file: the state, dispatching requests, saving and publishing;
//! - `role`: handing on, rotating and claiming the facilitator role, and its history;
//! - `agenda`: the agenda's steps and the server's timer;
//! - `private`: private writing (notes held here, sent only to their author, published at
//!   the end);
//! - `locks`: locking items, and refusing updates that would change a locked one;
//! - `balance`: who contributed what in the session, from the server's own attribution.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use huddle_shared::access::Role;
use huddle_shared::facilitation::{Command, Event, Request};
use huddle_shared::model::Board;
use huddle_shared::wire::{self, HuddleMessage};

use super::{ConnId, Room};
use crate::store::{StoreError, StoredFacilitation, now_ms};

mod agenda;
mod balance;
mod locks;
mod private;
mod role;

pub(super) use balance::Balance;
pub(super) use locks::LockState;
pub(super) use private::PrivateState;

/// A room's facilitation.
pub(super) struct Facilitation {
    /// Connections that said hello.
    listeners: HashSet<ConnId>,
    /// What the store holds (the public state with the whole history, and the locks).
    stored: StoredFacilitation,
    pub(super) private: PrivateState,
    pub(super) balance: Balance,
    pub(super) locks: LockState,
    /// Set when a transaction writes the document's `facilitation` or `locks` map; only the
    /// server may, so after a client's update it means the client did and it is put back.
    touched: Arc<AtomicBool>,
}

/// A refusal's reason, sent to the person.
type Refusal = String;

/// Who sent a request, as the room knows them.
#[derive(Debug, Clone)]
pub(super) struct Sender {
    pub conn: ConnId,
    pub person: Arc<str>,
    pub role: Role,
    pub name: String,
}

impl Facilitation {
    pub(super) fn load(
        board: &Board,
        store: &crate::store::Store,
        id: &str,
    ) -> Result<Facilitation, StoreError> {
        let stored = store.facilitation(id)?;
        let touched = Arc::new(AtomicBool::new(false));
        for root in board.facilitation_roots() {
            let touched = touched.clone();
            yrs::Observable::observe(root, "huddle-facilitation-watch", move |_, _| {
                touched.store(true, Ordering::Relaxed)
            });
        }
        Ok(Facilitation {
            listeners: HashSet::new(),
            private: PrivateState::load(store, id)?,
            balance: Balance::watch(board),
            locks: LockState::new(&stored.locks),
            stored,
            touched,
        })
    }

    pub(super) fn left(&mut self, conn: ConnId) {
        self.listeners.remove(&conn);
    }

    /// Forgets a write to the facilitation maps (the server's own).
    pub(super) fn forget_touch(&self) {
        self.touched.store(false, Ordering::Relaxed);
        self.balance.forget(); // items the server added are no client's notes
    }

    pub(super) fn public(&self) -> &huddle_shared::facilitation::Public {
        &self.stored.public
    }
}

pub(super) fn event_frame(event: &Event) -> Bytes {
    Bytes::from(wire::encode_huddle(&HuddleMessage::FacilitationEvent(
        event.clone(),
    )))
}

impl Room {
    /// Handles a facilitation request from `conn` and answers it (after the store has it).
    pub(super) fn facilitation_request(&mut self, conn: ConnId, request: Request) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let from = Sender {
            conn,
            person: c.member.person.clone(),
            role: c.member.role,
            name: c.member.name.clone(),
        };
        let req = request.req;
        let outcome = match request.cmd {
            Command::Hello => {
                self.facilitation.listeners.insert(conn);
                self.send_facilitation(conn, &Event::Clock { now: now_ms() });
                self.private_hello(&from);
                self.balance_hello(&from);
                Ok(())
            }
            Command::Hand { to } => self.hand(&from, &to),
            Command::Rotate => self.rotate(&from),
            Command::Claim => self.claim(&from),
            Command::AgendaSet { steps } => self.agenda_set(&from, steps),
            Command::AgendaStart { step } => self.agenda_start(&from, step),
            Command::AgendaNext => self.agenda_next(&from),
            Command::AgendaStop => self.agenda_stop(&from),
            Command::TimerStart { secs, label, sound } => {
                self.timer_start(&from, secs, label, sound)
            }
            Command::TimerPause => self.timer_pause(&from),
            Command::TimerResume => self.timer_resume(&from),
            Command::TimerExtend { secs } => self.timer_extend(&from, secs),
            Command::TimerEnd => self.timer_end(&from),
            Command::PrivateStart => self.private_start(&from),
            Command::PrivateEnd => self.private_end(&from),
            Command::PrivatePut { note } => self.private_put(&from, note),
            Command::PrivateDelete { id } => self.private_delete(&from, &id),
            Command::Lock { items, placement } => self.lock(&from, items, placement),
            Command::Unlock { items } => self.unlock(&from, items),
            Command::ShareBalance { everyone } => self.share_balance(&from, everyone),
        };
        match outcome {
            Ok(()) => self.send_when_durable(conn, event_frame(&Event::Ack { req })),
            Err(reason) => self.send(conn, event_frame(&Event::Refused { req, reason })),
        }
    }

    /// Sends a facilitation event to one connection that said hello.
    pub(super) fn send_facilitation(&mut self, conn: ConnId, event: &Event) {
        if self.facilitation.listeners.contains(&conn) {
            self.send(conn, event_frame(event));
        }
    }

    /// Connections that said hello, with their person and role.
    pub(super) fn facilitation_listeners(&self) -> Vec<(ConnId, Arc<str>, Role)> {
        self.facilitation
            .listeners
            .iter()
            .filter_map(|id| {
                let c = self.conns.get(id)?;
                Some((*id, c.member.person.clone(), c.member.role))
            })
            .collect()
    }

    /// Whether `person` (holding `role`) is the facilitator: the one handed the role, or, while
    /// nobody was, any owner of the board.
    pub(super) fn facilitates(&self, person: &str, role: Role) -> bool {
        match &self.facilitation.stored.public.facilitator {
            Some(f) => f.id == person,
            None => role == Role::Owner,
        }
    }

    /// The refusal for someone who is not the facilitator.
    pub(super) fn not_facilitator(&self, what: &str) -> Refusal {
        match &self.facilitation.stored.public.facilitator {
            Some(f) => format!("only the facilitator ({}) {what}", f.name),
            None => format!("only the facilitator (the board's owner, until handed on) {what}"),
        }
    }

    /// `Ok` if `from` facilitates, else the refusal naming what they tried.
    pub(super) fn must_facilitate(&self, from: &Sender, what: &str) -> Result<(), Refusal> {
        if self.facilitates(&from.person, from.role) {
            Ok(())
        } else {
            Err(self.not_facilitator(what))
        }
    }

    /// Stores the facilitation state and writes its public part into the document (one
    /// server transaction, sent to everyone as any update is).
    pub(super) fn publish_facilitation(&mut self) -> Result<(), Refusal> {
        if let Err(e) = self
            .ctx
            .store
            .put_facilitation(&self.id, &self.facilitation.stored)
        {
            return Err(self.storage_failed(e));
        }
        let public = self.facilitation.stored.public.clone();
        let locks = self.facilitation.stored.locks.clone();
        self.write_server(|board: &Board, txn: &mut yrs::TransactionMut| {
            board.write_facilitation(txn, &public);
            board.write_locks(txn, &locks);
        });
        Ok(())
    }

    /// After a client's update: if it wrote the facilitation maps, they are put back from the
    /// server's copy, the write counts as refused and the client is told.
    pub(super) fn keep_facilitation(&mut self, conn: ConnId) {
        if !self.facilitation.touched.swap(false, Ordering::Relaxed) || self.stop.is_some() {
            return;
        }
        self.ctx
            .metrics
            .refused_writes
            .fetch_add(1, Ordering::Relaxed);
        self.deny(
            conn,
            "the facilitator, agenda, timer and locks are the server's to write; they were put back",
        );
        let _ = self.publish_facilitation();
    }

    /// On every tick: what the facilitation state does by time (the timer, the balance).
    pub(super) fn facilitation_tick(&mut self) {
        self.timer_tick();
        self.balance_tick();
    }
}
