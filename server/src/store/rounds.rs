//! Rounds and the decision log beside the boards, each kind in its own tree:
//!
//! - `rounds`: `{board}/{round}` -> [`StoredRound`] (JSON): the round, its result once
//!   revealed, and who may still write dissent;
//! - `ballots`: `{board}/{round}/{voter}` -> [`StoredBallot`] (JSON), one per person, replaced
//!   on every cast and removed at the reveal (the result keeps what may be shown);
//! - `deadlines`: `{deadline, big-endian ms}{board}/{round}` -> nothing: open rounds by
//!   deadline, so a server that was down finds the overdue ones with one scan;
//! - `decisions`: `{board}/{id}` -> [`Decision`] (JSON), append-only.
//!
//! In an anonymous round the voter key is a salted hash of the person id and no name is
//! stored: see [`StoredRound::voter_key`].

use huddle_shared::rounds::{Ballot, Decision, Round, RoundResult, Status};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Store, StoreError};

pub(super) struct RoundTrees {
    rounds: super::kv::Tree,
    ballots: super::kv::Tree,
    deadlines: super::kv::Tree,
    decisions: super::kv::Tree,
}

/// A round as the server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRound {
    pub round: Round,
    /// Random hex salt for the voter keys of an anonymous round.
    #[serde(default)]
    pub salt: String,
    /// The result, once revealed (what the document's `rounds` map must hold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<RoundResult>,
    /// Fist to five, revealed: voter keys of those at 0 to 2 who have not written dissent yet.
    #[serde(default)]
    pub may_dissent: Vec<String>,
}

impl StoredRound {
    /// Whom a ballot is filed under: the person id, or in an anonymous round a salted hash
    /// of it (stable, so a person's second cast replaces the first, even after a restart).
    pub fn voter_key(&self, person: &str) -> String {
        if !self.round.settings.anonymous {
            return person.to_owned();
        }
        let mut h = Sha256::new();
        h.update(self.salt.as_bytes());
        h.update(b"/");
        h.update(person.as_bytes());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// One person's ballot: their name only in a named round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredBallot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub ballot: Ballot,
}

fn key(parts: &[&str]) -> Vec<u8> {
    parts.join("/").into_bytes()
}

fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut k = key(parts);
    k.push(b'/');
    k
}

fn deadline_key(deadline: u64, board: &str, round: &str) -> Vec<u8> {
    let mut k = deadline.to_be_bytes().to_vec();
    k.extend_from_slice(&key(&[board, round]));
    k
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn parse<T: for<'a> Deserialize<'a>>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

impl Store {
    pub(super) fn round_trees(db: &super::kv::Db) -> Result<RoundTrees, StoreError> {
        Ok(RoundTrees {
            rounds: db.open_board_tree("rounds")?,
            ballots: db.open_board_tree("ballots")?,
            deadlines: db.open_tree("deadlines")?,
            decisions: db.open_board_tree("decisions")?,
        })
    }

    fn round_tree(&self) -> &RoundTrees {
        &self.inner.rounds
    }

    /// Every round of a board (open and closed), by round id.
    pub fn rounds(&self, board: &str) -> Result<Vec<StoredRound>, StoreError> {
        let mut out = Vec::new();
        for entry in self.round_tree().rounds.scan_prefix(prefix(&[board])) {
            if let Some(round) = parse(&entry?.1) {
                out.push(round);
            }
        }
        Ok(out)
    }

    /// Writes a round (and keeps its deadline index in step). Durable with the next flush.
    pub fn put_round(&self, board: &str, round: &StoredRound) -> Result<(), StoreError> {
        let trees = self.round_tree();
        let id = round.round.id.as_str();
        trees.rounds.insert(key(&[board, id]), json(round))?;
        if let Some(deadline) = round.round.settings.deadline {
            let k = deadline_key(deadline, board, id);
            if round.round.status == Status::Open {
                trees.deadlines.insert(k, &[])?;
            } else {
                trees.deadlines.remove(k)?;
            }
        }
        self.mark_written();
        Ok(())
    }

    pub fn ballots(
        &self,
        board: &str,
        round: &str,
    ) -> Result<Vec<(String, StoredBallot)>, StoreError> {
        let start = prefix(&[board, round]).len();
        let mut out = Vec::new();
        for entry in self
            .round_tree()
            .ballots
            .scan_prefix(prefix(&[board, round]))
        {
            let (k, v) = entry?;
            let voter = String::from_utf8_lossy(&k[start..]).into_owned();
            if let Some(ballot) = parse(&v) {
                out.push((voter, ballot));
            }
        }
        Ok(out)
    }

    /// Writes (or, if empty, removes) a person's ballot. Durable with the next flush.
    pub fn put_ballot(
        &self,
        board: &str,
        round: &str,
        voter: &str,
        ballot: &StoredBallot,
    ) -> Result<(), StoreError> {
        let k = key(&[board, round, voter]);
        if ballot.ballot.is_empty() {
            self.round_tree().ballots.remove(k)?;
        } else {
            self.round_tree().ballots.insert(k, json(ballot))?;
        }
        self.mark_written();
        Ok(())
    }

    /// Removes a round's ballots (at the reveal or cancel: the result keeps what may be shown).
    pub fn delete_ballots(&self, board: &str, round: &str) -> Result<(), StoreError> {
        let mut batch = super::kv::Batch::default();
        for entry in self
            .round_tree()
            .ballots
            .scan_prefix(prefix(&[board, round]))
        {
            batch.remove(entry?.0);
        }
        self.round_tree().ballots.apply_batch(batch)?;
        self.mark_written();
        Ok(())
    }

    /// Boards with an open round whose deadline is at or before `now`.
    pub fn boards_past_deadline(&self, now: u64) -> Result<Vec<String>, StoreError> {
        let mut boards = Vec::new();
        for entry in self
            .round_tree()
            .deadlines
            .range(..=deadline_key(now, "\u{ff}", ""))
        {
            let (k, _) = entry?;
            let Some(rest) = k.get(8..) else { continue };
            let rest = String::from_utf8_lossy(rest);
            if let Some((board, _)) = rest.split_once('/')
                && !boards.iter().any(|b| b == board)
            {
                boards.push(board.to_owned());
            }
        }
        Ok(boards)
    }

    /// Removes a deadline entry whose board is gone.
    pub fn forget_deadlines_of(&self, board: &str) -> Result<(), StoreError> {
        let mut batch = super::kv::Batch::default();
        for entry in self.round_tree().deadlines.iter() {
            let (k, _) = entry?;
            let belongs = k
                .get(8..)
                .is_some_and(|rest| rest.starts_with(&prefix(&[board])));
            if belongs {
                batch.remove(k);
            }
        }
        self.round_tree().deadlines.apply_batch(batch)?;
        Ok(())
    }

    pub fn decisions(&self, board: &str) -> Result<Vec<Decision>, StoreError> {
        let mut out = Vec::new();
        for entry in self.round_tree().decisions.scan_prefix(prefix(&[board])) {
            if let Some(d) = parse(&entry?.1) {
                out.push(d);
            }
        }
        Ok(out)
    }

    pub fn put_decision(&self, board: &str, decision: &Decision) -> Result<(), StoreError> {
        self.round_tree()
            .decisions
            .insert(key(&[board, &decision.id]), json(decision))?;
        self.mark_written();
        Ok(())
    }

    /// Removes everything of a deleted board's rounds.
    pub(super) fn delete_rounds(&self, board: &str) -> Result<(), StoreError> {
        let trees = self.round_tree();
        for tree in [&trees.rounds, &trees.ballots, &trees.decisions] {
            let mut batch = super::kv::Batch::default();
            for entry in tree.scan_prefix(prefix(&[board])) {
                batch.remove(entry?.0);
            }
            tree.apply_batch(batch)?;
        }
        self.forget_deadlines_of(board)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::rounds::{Choice, Kind, Scope, Settings};

    fn stored(id: &str, deadline: Option<u64>, anonymous: bool) -> StoredRound {
        let mut settings = Settings::new(Kind::Dots);
        settings.deadline = deadline;
        settings.anonymous = anonymous;
        StoredRound {
            round: Round {
                id: id.into(),
                settings,
                targets: vec!["a".into()],
                scope: Scope::Selection,
                area: None,
                opened_by: "Ann".into(),
                opened_at: 1,
                status: Status::Open,
                closed_at: None,
                rerun_of: None,
            },
            salt: "00ff".into(),
            result: None,
            may_dissent: Vec::new(),
        }
    }

    #[test]
    fn rounds_ballots_and_deadlines_are_kept_by_board() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        let mut r = stored("r1", Some(100), false);
        store.put_round("b1", &r).unwrap();
        store
            .put_round("b2", &stored("r2", Some(500), false))
            .unwrap();
        assert_eq!(
            store.boards_past_deadline(99).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(store.boards_past_deadline(100).unwrap(), vec!["b1"]);
        let ballot = StoredBallot {
            name: Some("Bo".into()),
            ballot: [("a".to_owned(), Choice::Dots(2))].into(),
        };
        store.put_ballot("b1", "r1", "p1", &ballot).unwrap();
        assert_eq!(
            store.ballots("b1", "r1").unwrap(),
            vec![("p1".into(), ballot)]
        );
        assert!(
            store.ballots("b1", "r").unwrap().is_empty(),
            "prefixes end at a slash"
        );
        r.round.status = Status::Revealed;
        store.put_round("b1", &r).unwrap();
        store.delete_ballots("b1", "r1").unwrap();
        assert!(store.ballots("b1", "r1").unwrap().is_empty());
        assert_eq!(store.boards_past_deadline(1000).unwrap(), vec!["b2"]);
        assert_eq!(store.rounds("b1").unwrap(), vec![r]);
        store.delete_rounds("b2").unwrap();
        assert!(store.boards_past_deadline(1000).unwrap().is_empty());
    }

    #[test]
    fn anonymous_voters_are_salted_hashes() {
        let named = stored("r", None, false);
        assert_eq!(named.voter_key("p1"), "p1");
        let anon = stored("r", None, true);
        let k = anon.voter_key("p1");
        assert_ne!(k, "p1");
        assert_eq!(k, anon.voter_key("p1"));
        assert_ne!(k, anon.voter_key("p2"));
    }
}
