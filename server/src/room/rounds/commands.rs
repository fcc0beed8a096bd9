//! Each round request's rules and effects. Every command checks the sender's role first,
//! stores what it changes, then tells the people concerned; the caller acknowledges it once
//! the store has it on disk.

use std::collections::HashMap;

use huddle_shared::access::Role;
use huddle_shared::model::{Board, ItemKind};
use huddle_shared::rounds::{self, Ballot, Choice, Decision, Event, Kind, Round, Status};
use yrs::{Transact, TransactionMut};

use super::{OpenRound, Refusal, event_frame, random_hex};
use crate::room::{ConnId, Room};
use crate::store::{StoredBallot, StoredRound, now_ms};

impl Room {
    #[allow(clippy::too_many_arguments)]
    pub(in crate::room) fn open_round(
        &mut self,
        role: Role,
        name: &str,
        settings: rounds::Settings,
        targets: Vec<String>,
        scope: rounds::Scope,
        area: Option<[f64; 4]>,
        rerun_of: Option<String>,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        if self.rounds.open.len() >= rounds::MAX_OPEN_ROUNDS {
            return Err(rounds::RoundError::TooManyOpen.to_string());
        }
        let now = now_ms();
        let kinds: Vec<(String, Option<ItemKind>)> = {
            let txn = self.board.doc().transact();
            targets
                .iter()
                .map(|t| (t.clone(), self.board.kind_of(&txn, t)))
                .collect()
        };
        Round::check_new(&settings, &kinds, area, now).map_err(|e| e.to_string())?;
        let id = huddle_shared::ids::new_item_id();
        let stored = StoredRound {
            round: Round {
                id: id.clone(),
                settings,
                targets,
                scope,
                area,
                opened_by: name.to_owned(),
                opened_at: now,
                status: Status::Open,
                closed_at: None,
                rerun_of,
            },
            salt: random_hex(16),
            result: None,
            may_dissent: Vec::new(),
        };
        self.store_round(&stored)?;
        self.rounds
            .open
            .insert(id.clone(), OpenRound::new(stored, HashMap::new()));
        for conn in self.rounds.listeners.clone() {
            self.send_view(conn, &id);
        }
        Ok(Some(id))
    }

    pub(super) fn cast(
        &mut self,
        person: &str,
        role: Role,
        name: &str,
        round: &str,
        ballot: Ballot,
    ) -> Result<Option<String>, Refusal> {
        if !role.may_comment() {
            return Err("viewers cannot vote".into());
        }
        let Some(open) = self.rounds.open.get(round) else {
            return Err(self.not_open(round));
        };
        if open
            .stored
            .round
            .settings
            .deadline
            .is_some_and(|d| d <= now_ms())
        {
            return Err("the deadline has passed".into());
        }
        open.stored
            .round
            .check_ballot(&ballot)
            .map_err(|e| e.to_string())?;
        let voter = open.stored.voter_key(person);
        let stored = StoredBallot {
            name: (!open.stored.round.settings.anonymous).then(|| name.to_owned()),
            ballot,
        };
        self.ctx
            .store
            .put_ballot(&self.id, round, &voter, &stored)
            .map_err(|e| self.storage_failed(e))?;
        self.count_ballot(person, name, &stored.ballot); // the contribution balance
        let Some(open) = self.rounds.open.get_mut(round) else {
            return Ok(None); // unreachable: nothing closes a round between the lines above
        };
        if stored.ballot.is_empty() {
            open.ballots.remove(&voter);
        } else {
            open.ballots.insert(voter, stored);
        }
        // The person's own tabs see their ballot; everyone sees the count.
        let theirs: Vec<ConnId> = self.listeners_of(person);
        for conn in theirs {
            self.send_view(conn, round);
        }
        self.send_progress(round);
        Ok(None)
    }

    pub(super) fn not_open(&self, round: &str) -> Refusal {
        match self.rounds.closed.get(round).map(|r| r.round.status) {
            Some(Status::Revealed) => "this round was revealed; ballots are closed".into(),
            Some(Status::Cancelled) => "this round was cancelled".into(),
            _ => "there is no such round on this board".into(),
        }
    }

    pub(in crate::room) fn close_round(
        &mut self,
        role: Role,
        round: &str,
        status: Status,
        by_deadline: bool,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let Some(open) = self.rounds.open.remove(round) else {
            return Err(self.not_open(round));
        };
        let mut stored = open.stored;
        stored.round.status = status;
        stored.round.closed_at = Some(now_ms());
        if status == Status::Revealed {
            let anonymous = stored.round.settings.anonymous;
            let ballots: Vec<(String, Ballot)> = open
                .ballots
                .values()
                .map(|b| {
                    (
                        b.name.clone().filter(|_| !anonymous).unwrap_or_default(),
                        b.ballot.clone(),
                    )
                })
                .collect();
            let result = rounds::tally(&stored.round, &ballots, by_deadline);
            if stored.round.settings.kind == Kind::FistToFive {
                stored.may_dissent = open
                    .ballots
                    .iter()
                    .filter(|(_, b)| {
                        b.ballot
                            .values()
                            .any(|c| matches!(c, Choice::Fist(v) if *v <= rounds::DISSENT_AT_MOST))
                    })
                    .map(|(voter, _)| voter.clone())
                    .collect();
            }
            stored.result = Some(result);
        }
        self.store_round(&stored)?;
        self.ctx
            .store
            .delete_ballots(&self.id, round)
            .map_err(|e| self.storage_failed(e))?;
        if let Some(result) = stored.result.clone() {
            let area = stored.round.area;
            self.write_results(|board, txn| {
                board.write_round_result(txn, &result);
                if let Some(area) = area {
                    place_on_matrix(board, txn, &result, area);
                }
            });
        }
        let id = round.to_owned();
        self.rounds.closed.insert(id.clone(), stored);
        self.notify_closed(&id);
        let frame = event_frame(&Event::Closed {
            round: id.clone(),
            status,
        });
        for conn in self.rounds.listeners.clone() {
            self.send(conn, frame.clone());
        }
        // Those at 0 to 2 are asked what would change their mind.
        for conn in self.rounds.listeners.clone() {
            if self.may_dissent(conn, &id) {
                self.send_view(conn, &id);
            }
        }
        Ok(None)
    }

    pub(super) fn rerun(
        &mut self,
        role: Role,
        name: &str,
        round: &str,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let old = match (self.rounds.closed.get(round), self.rounds.open.get(round)) {
            (Some(r), _) => r.round.clone(),
            (None, Some(r)) => r.stored.round.clone(),
            (None, None) => return Err("there is no such round on this board".into()),
        };
        let mut settings = old.settings;
        settings.deadline = settings.deadline.filter(|d| *d > now_ms());
        let targets: Vec<String> = {
            let txn = self.board.doc().transact();
            old.targets
                .into_iter()
                .filter(|t| self.board.kind_of(&txn, t).is_some())
                .collect()
        };
        self.open_round(
            role,
            name,
            settings,
            targets,
            old.scope,
            old.area,
            Some(round.to_owned()),
        )
    }

    pub(super) fn dissent(
        &mut self,
        person: &str,
        role: Role,
        name: &str,
        round: &str,
        text: &str,
    ) -> Result<Option<String>, Refusal> {
        if !role.may_comment() {
            return Err("viewers cannot write dissent".into());
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > rounds::MAX_DISSENT_CHARS {
            return Err(format!(
                "write what would change your mind in 1 to {} characters",
                rounds::MAX_DISSENT_CHARS
            ));
        }
        let Some(stored) = self.rounds.closed.get_mut(round) else {
            return Err("dissent is written after a fist-to-five round is revealed".into());
        };
        let voter = stored.voter_key(person);
        let Some(at) = stored.may_dissent.iter().position(|v| *v == voter) else {
            return Err("dissent is asked once of those who showed 0, 1 or 2".into());
        };
        stored.may_dissent.remove(at);
        let anonymous = stored.round.settings.anonymous;
        let Some(result) = stored.result.as_mut() else {
            return Err("this round has no result".into());
        };
        result.dissent.push(rounds::Dissent {
            name: (!anonymous).then(|| name.to_owned()),
            text: text.to_owned(),
            at: now_ms(),
        });
        let result = result.clone();
        let stored = stored.clone();
        self.store_round(&stored)?;
        self.write_results(|board, txn| board.write_round_result(txn, &result));
        self.count_dissent(person, name); // the contribution balance
        for conn in self.listeners_of(person) {
            self.send_view(conn, round);
        }
        Ok(None)
    }

    pub(super) fn accept(
        &mut self,
        role: Role,
        round: &str,
        item: &str,
        card: &str,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let Some(stored) = self.rounds.closed.get_mut(round) else {
            return Err("an estimate is accepted from a revealed poker round".into());
        };
        let poker = stored.round.settings.kind == Kind::Poker;
        let Some(result) = stored.result.as_mut().filter(|_| poker) else {
            return Err("an estimate is accepted from a revealed poker round".into());
        };
        if !stored.round.targets.iter().any(|t| t == item) {
            return Err(format!("item {item} is not in this round"));
        }
        if stored
            .round
            .settings
            .scale
            .card(card)
            .and_then(|c| c.points)
            .is_none()
        {
            return Err(format!("{card:?} is not a card with points in this deck"));
        }
        result.accepted.insert(item.to_owned(), card.to_owned());
        let result = result.clone();
        let stored = stored.clone();
        self.store_round(&stored)?;
        self.write_results(|board, txn| board.write_round_result(txn, &result));
        Ok(None)
    }

    pub(super) fn decide(
        &mut self,
        role: Role,
        name: &str,
        text: &str,
        round: Option<&str>,
        corrects: Option<&str>,
    ) -> Result<Option<String>, Refusal> {
        facilitates(role)?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > rounds::MAX_DECISION_CHARS {
            return Err(format!(
                "write the decision in 1 to {} characters",
                rounds::MAX_DECISION_CHARS
            ));
        }
        if let Some(old) = corrects
            && !self.rounds.decisions.iter().any(|d| d.id == old)
        {
            return Err(format!("there is no decision {old} to correct"));
        }
        let id = format!("{:06}", self.rounds.decisions.len() + 1);
        let mut decision = Decision {
            id: id.clone(),
            at: now_ms(),
            by: name.to_owned(),
            text: text.to_owned(),
            round: None,
            kind: None,
            result: String::new(),
            participants: Vec::new(),
            voters: 0,
            dissent: Vec::new(),
            corrects: corrects.map(str::to_owned),
        };
        if let Some(round) = round {
            let Some(result) = self
                .rounds
                .closed
                .get(round)
                .and_then(|r| r.result.as_ref())
            else {
                return Err("a decision is recorded from a revealed round".into());
            };
            let txn = self.board.doc().transact();
            let text_of = |id: &str| {
                self.board
                    .text(&txn, id)
                    .map(|t| yrs::GetString::get_string(&t, &txn))
                    .unwrap_or_default()
            };
            decision.round = Some(round.to_owned());
            decision.kind = Some(result.round.settings.kind);
            decision.result = result.summary(text_of);
            decision.participants = result.participants.clone();
            decision.voters = result.voters;
            decision.dissent = result.dissent.clone();
        }
        self.ctx
            .store
            .put_decision(&self.id, &decision)
            .map_err(|e| self.storage_failed(e))?;
        self.rounds.decisions.push(decision.clone());
        self.write_results(|board, txn| board.write_decision(txn, &decision));
        Ok(Some(id))
    }
}

fn facilitates(role: Role) -> Result<(), Refusal> {
    if role.may_edit() {
        Ok(())
    } else {
        Err("only the board's owner and editors run rounds".into())
    }
}

/// Impact/effort: each scored note goes to the team's median in the matrix `area`
/// (`[x, y, w, h]`): low effort on the left, high impact on top.
fn place_on_matrix(
    board: &Board,
    txn: &mut TransactionMut,
    result: &rounds::RoundResult,
    area: [f64; 4],
) {
    let [x, y, w, h] = area;
    for (id, item) in &result.items {
        let (Some(impact), Some(effort)) = (item.impact, item.effort) else {
            continue;
        };
        let size = board.item_snapshot(txn, id).map_or([0.0, 0.0], |s| s.size);
        let free_w = (w - size[0]).max(0.0);
        let free_h = (h - size[1]).max(0.0);
        let pos = [
            x + (effort.median - 1.0) / 4.0 * free_w,
            y + (5.0 - impact.median) / 4.0 * free_h,
        ];
        let _ = board.move_item(txn, id, pos);
    }
}
