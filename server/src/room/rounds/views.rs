//! What each person is sent about rounds: their own view of a round (their ballot, dots
//! left, whether they may vote or write dissent), and to everyone the count of voters. Never
//! anyone else's ballot.

use huddle_shared::rounds::{Ballot, Event, RoundView};

use super::event_frame;
use crate::room::{ConnId, Room};

impl Room {
    pub(super) fn listeners_of(&self, person: &str) -> Vec<ConnId> {
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
    pub(super) fn send_views(&mut self, conn: ConnId) {
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

    pub(super) fn may_dissent(&self, conn: ConnId, round: &str) -> bool {
        let (Some(c), Some(stored)) = (self.conns.get(&conn), self.rounds.closed.get(round)) else {
            return false;
        };
        stored
            .may_dissent
            .contains(&stored.voter_key(&c.member.person))
    }

    /// Sends `conn` its person's view of `round`: theirs and the counts, nobody else's.
    pub(super) fn send_view(&mut self, conn: ConnId, round: &str) {
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
    pub(super) fn send_progress(&mut self, round: &str) {
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
