//! What rounds tell the [`crate::notify::Notifier`]: a round with a deadline asks those who
//! may vote for their ballot, a cast ballot answers that request, a reveal and a decision are
//! reported to the board's webhooks (and decisions to everyone's inbox). Reporting never
//! waits: the room goes on at once.

use huddle_shared::notify::What;
use huddle_shared::rounds::Status;
use yrs::Transact;

use crate::notify::notice;
use crate::room::Room;

impl Room {
    /// Round `id` was opened by `person`: if it has a deadline, voters are asked.
    pub(super) fn notify_opened(&self, id: &str, person: &str) {
        let Some(open) = self.rounds.open.get(id) else {
            return;
        };
        let round = &open.stored.round;
        let Some(deadline) = round.settings.deadline else {
            return;
        };
        self.ctx.notifier.notify(notice(
            &self.id,
            What::BallotNeeded {
                round: id.to_owned(),
                title: round.settings.title.clone(),
                deadline,
                by: round.opened_by.clone(),
                by_person: Some(person.to_owned()),
            },
        ));
    }

    /// `person` cast a ballot in `round`.
    pub(super) fn notify_cast(&self, round: &str, person: &str) {
        self.ctx.notifier.ballot_cast(&self.id, round, person);
    }

    /// Round `id` was closed; a reveal is reported with its result in words.
    pub(super) fn notify_closed(&self, id: &str) {
        let Some(stored) = self.rounds.closed.get(id) else {
            return;
        };
        let (Status::Revealed, Some(result)) = (stored.round.status, stored.result.as_ref()) else {
            return;
        };
        let summary = {
            let txn = self.board.doc().transact();
            result.summary(|item| {
                self.board
                    .text(&txn, item)
                    .map(|t| yrs::GetString::get_string(&t, &txn))
                    .unwrap_or_default()
            })
        };
        self.ctx.notifier.notify(notice(
            &self.id,
            What::Revealed {
                round: id.to_owned(),
                title: stored.round.settings.title.clone(),
                kind: stored.round.settings.kind.label().to_owned(),
                voters: result.voters,
                summary,
                by_deadline: result.by_deadline,
            },
        ));
    }

    /// Decision `id` was recorded by `person`.
    pub(super) fn notify_decided(&self, id: &str, person: &str) {
        let Some(decision) = self.rounds.decisions.iter().find(|d| d.id == id) else {
            return;
        };
        self.ctx.notifier.notify(notice(
            &self.id,
            What::Decision {
                id: id.to_owned(),
                text: decision.text.clone(),
                by: decision.by.clone(),
                result: decision.result.clone(),
                by_person: Some(person.to_owned()),
            },
        ));
    }
}
