//! The gate: every message a connection sends passes here before the room acts on it, checked
//! against who the connection is ([`Member`]: person and role, given by the server when it
//! let the connection in). One place for the rules, so that the messages of later releases
//! (rounds, comments, locks) get their checks here too.
//!
//! - A document write (an update, a sync step 2) from a viewer or commenter is applied only
//!   if it adds nothing the room lacks: a stock client's sync step 2 repeats its copy's delete
//!   set on every connect, and must count as synced. Anything new is refused: not applied,
//!   stored or forwarded, counted in `/metrics`, and the client is told with y-protocols'
//!   "permission denied" auth message (stock y-websocket clients log its reason); the
//!   connection stays open, read-only.
//! - Presence may not claim to be someone else: an awareness state whose `user.id` is not the
//!   connection's person, or whose `user.name` is another person's (someone else in the room,
//!   or with a role on the board), is refused the same way. A `user` without an id gets the
//!   connection's person id, so everyone can trust `user.id`.

use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use huddle_shared::access::{self, Gate, UserClaim, same_name, user_claim, with_user_id};
use huddle_shared::wire::{self, Message};
use yrs::Transact;
use yrs::sync::AwarenessUpdate;

use super::{ConnId, EMPTY_UPDATE, Room};
use crate::people;

impl Room {
    /// The message as the room may act on it, or `None` if it is refused (or is a read-only
    /// client's echo that changes nothing).
    pub(super) fn admit(&mut self, conn: ConnId, message: Message) -> Option<Message> {
        let role = self.conns.get(&conn)?.member.role;
        match message {
            Message::Awareness(update) => self.admit_presence(conn, update).map(Message::Awareness),
            message => match access::gate(role, &message) {
                Gate::Pass => Some(message),
                Gate::ReadOnly => {
                    let (Message::SyncStep2(payload) | Message::Update(payload)) = &message else {
                        return Some(message);
                    };
                    if payload.as_slice() == EMPTY_UPDATE {
                        return None;
                    }
                    let adds = access::adds_to(&self.board.doc().transact(), payload);
                    match adds {
                        Some(false) => None,
                        Some(true) => {
                            self.ctx.metrics.refused_writes.fetch_add(1, Relaxed);
                            let reason = format!(
                                "read-only: your role on this board is {role}; this edit was not saved"
                            );
                            self.deny(conn, &reason);
                            None
                        }
                        None => {
                            self.reject(conn, "update rejected by yrs");
                            None
                        }
                    }
                }
            },
        }
    }

    /// Tells a connection it may not do what it just did (y-protocols auth, permission denied).
    pub(super) fn deny(&mut self, conn: ConnId, reason: &str) {
        tracing::debug!(board = %self.id, conn, "refused: {reason}");
        self.send(conn, Bytes::from(wire::encode_auth_denied(reason)));
    }

    /// An awareness update whose states all speak for the connection's own person (with
    /// `user.id` filled in where it was missing), or `None` if one claims to be someone else.
    fn admit_presence(
        &mut self,
        conn: ConnId,
        mut update: AwarenessUpdate,
    ) -> Option<AwarenessUpdate> {
        let member = self.conns.get(&conn)?.member.clone();
        // A connection speaks only for the client ids it announced first (or that nobody
        // holds). Stock y-websocket clients echo everyone's states back; those are dropped
        // here, not judged: they are someone else's, relayed by the server itself.
        update.clients.retain(|id, _| {
            self.awareness_owners
                .get(id)
                .is_none_or(|owner| *owner == conn)
        });
        for entry in update.clients.values_mut() {
            let Ok(claim) = user_claim(&entry.json) else {
                return self.refuse_presence(conn, "it is not readable JSON, or repeats a key");
            };
            let Some(UserClaim { id, name }) = claim else {
                continue;
            };
            if let Some(id) = &id
                && id.as_str() != &*member.person
            {
                return self.refuse_presence(conn, "it carries another person's id");
            }
            if let Some(name) = name
                && !self.may_claim_name(conn, &name)
            {
                return self.refuse_presence(conn, "it carries another person's name");
            }
            if id.is_none()
                && let Some(stamped) = with_user_id(&entry.json, &member.person)
            {
                entry.json = stamped.into();
            }
        }
        Some(update)
    }

    fn refuse_presence<T>(&mut self, conn: ConnId, why: &str) -> Option<T> {
        self.ctx.metrics.refused_presence.fetch_add(1, Relaxed);
        self.deny(conn, &format!("presence refused: {why}"));
        None
    }

    /// Whether the connection's presence may show `name`: its own person's name, or a name no
    /// one else in the room or on the board goes by. Remembered per connection, so a cursor
    /// moving 20 times a second is not checked 20 times a second.
    fn may_claim_name(&mut self, conn: ConnId, name: &str) -> bool {
        let Some(c) = self.conns.get(&conn) else {
            return false;
        };
        if same_name(name, &c.member.name) || c.claimed_name.as_deref() == Some(name) {
            return true;
        }
        let person = c.member.person.clone();
        let in_room = self
            .conns
            .values()
            .any(|o| o.member.person != person && same_name(name, &o.member.name));
        let taken = in_room || self.board_member_named(&person, name);
        if !taken && let Some(c) = self.conns.get_mut(&conn) {
            c.claimed_name = Some(name.to_owned());
        }
        !taken
    }

    /// Whether someone other than `person` with a role on this board goes by `name`.
    fn board_member_named(&self, person: &str, name: &str) -> bool {
        let store = &self.ctx.store;
        let grants = match store.grants_of_board(&self.id) {
            Ok(grants) => grants,
            Err(e) => {
                tracing::error!(board = %self.id, "cannot read the board's people: {e}");
                return true; // refuse rather than let a name through unchecked
            }
        };
        grants
            .into_iter()
            .filter(|(other, grant)| other != person && grant.role.is_some())
            .any(|(other, _)| {
                let profile = store.profile(&other).ok().flatten();
                same_name(name, &people::shown(&other, profile.as_ref(), None).name)
            })
    }
}
