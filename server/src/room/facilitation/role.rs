//! The facilitator role: handed on by the facilitator to someone present, rotated to whoever
//! present facilitated least recently, or claimed back by an owner. Every change closes the
//! previous turn and opens a new one in the history, kept whole in the store and (the latest
//! turns) in the document.

use huddle_shared::facilitation::{PersonRef, Turn, rotate_pick};

use super::{Refusal, Sender};
use crate::room::Room;
use crate::store::now_ms;

impl Room {
    /// People in the room who may take the role (commenter or above), one entry per person.
    fn eligible_present(&self) -> Vec<PersonRef> {
        let mut people: Vec<PersonRef> = Vec::new();
        for c in self.conns.values() {
            if c.member.role.may_comment() && !people.iter().any(|p| *p.id == *c.member.person) {
                people.push(PersonRef {
                    id: c.member.person.to_string(),
                    name: c.member.name.clone(),
                });
            }
        }
        people
    }

    pub(super) fn hand(&mut self, from: &Sender, to: &str) -> Result<(), Refusal> {
        self.must_facilitate(from, "hands the role on")?;
        let Some(next) = self.eligible_present().into_iter().find(|p| p.id == to) else {
            return Err(
                "the role goes to someone on the board now, with commenter rights or more".into(),
            );
        };
        self.set_facilitator(next)
    }

    pub(super) fn rotate(&mut self, from: &Sender) -> Result<(), Refusal> {
        self.must_facilitate(from, "rotates the role")?;
        let present = self.eligible_present();
        let public = &self.facilitation.stored.public;
        let current = public
            .facilitator
            .as_ref()
            .map(|f| f.id.as_str())
            .unwrap_or(&from.person);
        let Some(next) = rotate_pick(&present, &public.history, Some(current)).cloned() else {
            return Err("nobody else is here to take the role".into());
        };
        self.set_facilitator(next)
    }

    pub(super) fn claim(&mut self, from: &Sender) -> Result<(), Refusal> {
        if from.role != huddle_shared::access::Role::Owner {
            return Err("only an owner of the board takes the facilitator role back".into());
        }
        if let Some(f) = &self.facilitation.stored.public.facilitator
            && *f.id == *from.person
        {
            return Ok(());
        }
        self.set_facilitator(PersonRef {
            id: from.person.to_string(),
            name: from.name.clone(),
        })
    }

    fn set_facilitator(&mut self, next: PersonRef) -> Result<(), Refusal> {
        let now = now_ms();
        let public = &mut self.facilitation.stored.public;
        if public.facilitator.as_ref().is_some_and(|f| f.id == next.id) {
            return Ok(());
        }
        if let Some(open) = public.history.iter_mut().rev().find(|t| t.to.is_none()) {
            open.to = Some(now);
        } else if public.facilitator.is_none() && public.history.is_empty() {
            // The owner facilitated until now without a recorded turn: nothing to close.
        }
        public.history.push(Turn {
            person: next.id.clone(),
            name: next.name.clone(),
            from: now,
            to: None,
        });
        public.facilitator = Some(next);
        self.publish_facilitation()
    }
}
