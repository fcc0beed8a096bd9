//! Locks: the facilitator (or an owner) locks items (a story map's backbone, a matrix's
//! frames, any selection); nobody else may then move, resize, edit or delete them.
//!
//! The server enforces it before it applies an update: [`Room::locked_refusal`] asks the
//! [`LockIndex`] (shared, sans-IO) which items the update touches, walking its blocks and
//! delete set against the ID ranges of the locked items. An update that would change a locked
//! item is refused whole (not applied, stored or forwarded) and its sender is closed with
//! `code::LOCKED` (4009) to resync; updates that touch only unlocked items go through. The index is built
//! from the document's state when the locks change (O(board), a rare facilitator action) and
//! extended with every update the room applies while locks exist (O(update)); with no locks
//! nothing is walked at all.

use std::collections::BTreeMap;

use huddle_shared::facilitation::Lock;
use huddle_shared::locks::{LockIndex, Locks, Verdict};
use yrs::{ReadTxn, StateVector, Transact};

use super::{Refusal, Sender};
use crate::room::{ConnId, Room};
use crate::store::now_ms;

/// The room's locks and the index that checks updates against them.
pub(in crate::room) struct LockState {
    locks: Locks,
    /// Built when the locks change (or, after a load, when the first update arrives while
    /// locks exist).
    index: Option<LockIndex>,
}

impl LockState {
    pub(super) fn new(locks: &BTreeMap<String, Lock>) -> LockState {
        LockState {
            locks: to_locks(locks),
            index: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }
}

fn to_locks(locks: &BTreeMap<String, Lock>) -> Locks {
    let mut out = Locks::default();
    for (id, lock) in locks {
        out.lock(id.clone());
        if lock.placement {
            out.lock_placement(id.clone());
        }
    }
    out
}

impl Room {
    /// May `from` lock, unlock and edit locked items: the facilitator and owners.
    pub(in crate::room) fn may_unlock(&self, person: &str, role: huddle_shared::access::Role) -> bool {
        role == huddle_shared::access::Role::Owner || self.facilitates(person, role)
    }

    pub(super) fn lock(
        &mut self,
        from: &Sender,
        items: Vec<String>,
        placement: bool,
    ) -> Result<(), Refusal> {
        if !self.may_unlock(&from.person, from.role) {
            return Err(self.not_facilitator("and the board's owners lock items"));
        }
        if items.is_empty() {
            return Err("select the items to lock".into());
        }
        {
            let txn = self.board.doc().transact();
            if let Some(missing) = items.iter().find(|i| self.board.kind_of(&txn, i).is_none()) {
                return Err(format!("there is no item {missing} on this board"));
            }
        }
        let now = now_ms();
        let locks = &mut self.facilitation.stored.locks;
        for id in items {
            locks.insert(
                id,
                Lock {
                    by: from.name.clone(),
                    at: now,
                    placement,
                },
            );
        }
        self.locks_changed();
        self.publish_facilitation()
    }

    pub(super) fn unlock(&mut self, from: &Sender, items: Vec<String>) -> Result<(), Refusal> {
        if !self.may_unlock(&from.person, from.role) {
            return Err(self.not_facilitator("and the board's owners unlock items"));
        }
        for id in &items {
            self.facilitation.stored.locks.remove(id);
        }
        self.locks_changed();
        self.publish_facilitation()
    }

    /// The locks changed: the index is rebuilt now (O(board): 41 ms on a 10,000-note board),
    /// as part of the facilitator's request, rather than on the next writer's update.
    fn locks_changed(&mut self) {
        let state = &mut self.facilitation.locks;
        state.locks = to_locks(&self.facilitation.stored.locks);
        state.index = None;
        if !state.locks.is_empty() {
            let _ = self.lock_index();
        }
    }

    /// Why the room refuses `conn`'s update `payload`, if it touches a locked item and the
    /// sender may not change those. Called before the update is applied.
    pub(in crate::room) fn locked_refusal(&mut self, conn: ConnId, payload: &[u8]) -> Option<String> {
        if self.facilitation.locks.is_empty() {
            return None;
        }
        let c = self.conns.get(&conn)?;
        if self.may_unlock(&c.member.person.clone(), c.member.role) {
            return None;
        }
        let index = self.lock_index()?;
        match index.check(payload) {
            Ok(Verdict::Clean) => None,
            Ok(Verdict::Touches { item }) => Some(format!(
                "item {item} is locked by the facilitator; this edit was not saved (resyncing)"
            )),
            Err(e) => Some(format!("update refused: {e}")),
        }
    }

    /// The index, built from the document's state if there is none.
    fn lock_index(&mut self) -> Option<&LockIndex> {
        if self.facilitation.locks.index.is_none() {
            let state = self
                .board
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            match LockIndex::build(&state, &self.facilitation.locks.locks) {
                Ok(index) => self.facilitation.locks.index = Some(index),
                Err(e) => {
                    tracing::error!(board = %self.id, "cannot index the board's locks: {e}");
                    return None;
                }
            }
        }
        self.facilitation.locks.index.as_ref()
    }

    /// Whether applied updates must be shown to the lock index (one exists).
    pub(in crate::room) fn indexes_locks(&self) -> bool {
        self.facilitation.locks.index.is_some()
    }

    /// After any update the room applied (a client's or its own), as the
    /// applying transaction encoded it: keeps the index complete.
    pub(in crate::room) fn locks_applied(&mut self, payload: &[u8]) {
        let state = &mut self.facilitation.locks;
        if let Some(index) = &mut state.index
            && let Err(e) = index.extend(payload)
        {
            tracing::warn!(board = %self.id, "lock index rebuilt after: {e}");
            state.index = None;
        }
    }
}

