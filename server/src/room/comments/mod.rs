//! Comments in the room: the one task that owns the board also holds its comment threads.
//!
//! Every request is attributed to the connection's person (a request has no author field:
//! nobody can post as someone else), checked by [`Threads::apply`] against the sender's role
//! (commenters and above write; viewers read; only a comment's author edits it; its author or
//! an owner deletes it), stored in the board's `comments` tree, and acknowledged once on
//! disk. The changed thread goes at once to every connection that said hello (viewers too:
//! they read comments). Comment messages go only to connections that said hello, so a stock
//! client never gets one.
//!
//! - this file: the state, dispatching requests, the people who can be mentioned;
//! - `news`: where a mention or a reply becomes known (for notifications).

use std::collections::HashSet;

use bytes::Bytes;
use huddle_shared::comments::{Actor, Command, Event, Mentionable, Outcome, Request, Threads};
use huddle_shared::wire::{self, HuddleMessage};

use super::{ConnId, Room};
use crate::store::{Store, StoreError, now_ms};

mod news;

/// A room's comment threads.
pub(super) struct Comments {
    /// Connections that said hello.
    listeners: HashSet<ConnId>,
    threads: Threads,
}

impl Comments {
    pub(super) fn load(store: &Store, board: &str) -> Result<Comments, StoreError> {
        Ok(Comments {
            listeners: HashSet::new(),
            threads: Threads::new(store.comment_threads(board)?),
        })
    }

    pub(super) fn left(&mut self, conn: ConnId) {
        self.listeners.remove(&conn);
    }
}

fn event_frame(event: &Event) -> Bytes {
    Bytes::from(wire::encode_huddle(&HuddleMessage::CommentEvent(
        event.clone(),
    )))
}

impl Room {
    /// Handles a comment request from `conn` and answers it (after the store has it on disk).
    pub(super) fn comment_request(&mut self, conn: ConnId, request: Request) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let actor = Actor {
            id: c.member.person.to_string(),
            name: c.member.name.clone(),
            role: c.member.role,
        };
        let req = request.req;
        if matches!(request.cmd, Command::Hello) {
            self.comments.listeners.insert(conn);
            let threads = self
                .comments
                .threads
                .ordered()
                .into_iter()
                .cloned()
                .collect();
            self.send(conn, event_frame(&Event::Threads { threads }));
            let people = self.mentionable();
            self.send(conn, event_frame(&Event::People { people }));
            return self.send(conn, event_frame(&Event::Ack { req }));
        }
        // Mentions resolve only against people on the board: read when a text is sent.
        let people = match &request.cmd {
            Command::Start { .. } | Command::Reply { .. } | Command::Edit { .. } => {
                self.mentionable()
            }
            _ => Vec::new(),
        };
        let outcome = self
            .comments
            .threads
            .apply(&actor, &request.cmd, &people, now_ms());
        match outcome {
            Ok(Outcome::Unchanged) => {
                self.send_when_durable(conn, event_frame(&Event::Ack { req }))
            }
            Ok(Outcome::Changed { thread, news }) => {
                if let Err(e) = self.ctx.store.put_comment_thread(&self.id, &thread) {
                    tracing::error!(board = %self.id, "cannot store a comment: {e}");
                    // The room's copy changed but the store's did not: reload from storage.
                    self.stop = Some((crate::outbox::code::INTERNAL, "storage failure; reconnect"));
                    let reason = "the server could not store it; try again".to_owned();
                    return self.send(conn, event_frame(&Event::Refused { req, reason }));
                }
                // The room unloads only once what it wrote is durable.
                self.written_mark = self.ctx.store.written();
                if matches!(request.cmd, Command::Start { .. } | Command::Reply { .. }) {
                    self.count_comment(&actor.id, &actor.name); // the contribution balance
                }
                let frame = event_frame(&Event::Thread { thread });
                for to in self.comment_listeners() {
                    self.send(to, frame.clone());
                }
                if let Some(news) = news {
                    self.comment_news(&news);
                }
                self.send_when_durable(conn, event_frame(&Event::Ack { req }));
            }
            Err(e) => {
                let reason = e.to_string();
                self.send(conn, event_frame(&Event::Refused { req, reason }));
            }
        }
    }

    /// Connections that said hello, in no particular order.
    fn comment_listeners(&self) -> Vec<ConnId> {
        self.comments
            .listeners
            .iter()
            .copied()
            .filter(|c| self.conns.contains_key(c))
            .collect()
    }

    /// The people who can be mentioned: everyone with a role on the board (their chosen
    /// names), and everyone connected now (an admin holds no grant), by name.
    fn mentionable(&self) -> Vec<Mentionable> {
        let mut people: Vec<Mentionable> = Vec::new();
        match self.ctx.store.grants_of_board(&self.id) {
            Ok(grants) => {
                for (person, grant) in grants {
                    if grant.role.is_none() {
                        continue;
                    }
                    let profile = self.ctx.store.profile(&person).ok().flatten();
                    let name = crate::people::shown(&person, profile.as_ref(), None).name;
                    people.push(Mentionable { id: person, name });
                }
            }
            Err(e) => tracing::warn!(board = %self.id, "cannot read who is on the board: {e}"),
        }
        for c in self.conns.values() {
            if !people.iter().any(|p| *p.id == *c.member.person) {
                people.push(Mentionable {
                    id: c.member.person.to_string(),
                    name: c.member.name.clone(),
                });
            }
        }
        people.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
        people
    }
}
