//! The dispatcher: each notice becomes inbox entries for the people it concerns and a
//! delivery to each webhook of the board that subscribed to it. Runs as one task, so inbox
//! entries are written in the order things happened; the sled writes are microseconds each
//! and never happen in a room.
//!
//! Who gets an inbox entry:
//! - a decision: everyone with a role on the board;
//! - a round that needs a ballot before a deadline: everyone who may vote (commenter and up);
//! - a mention or a reply: the people named by the caller, if they hold a role on the board;
//!
//! and never the person who caused it.
//!
//! "Board shared" comes from the grants themselves: sled tells this module of every grant
//! written (through a share link or by an owner), so no code path that grants a role can
//! forget to report it.

use std::collections::HashMap;

use huddle_shared::access::Role;
use huddle_shared::notify::{InboxKind, Notice, What, payload};
use tokio::sync::mpsc;

use super::{Job, Notifier, deliver, notice};
use crate::people;
use crate::store::notify::{Delivery, DeliveryStatus, InboxEntry, Webhook};
use crate::store::{Grant, StoreError};

pub(super) async fn run(notifier: Notifier, mut rx: mpsc::Receiver<Job>) {
    let shutdown = notifier.inner.shutdown.clone();
    loop {
        let job = tokio::select! {
            job = rx.recv() => match job {
                Some(job) => job,
                None => return,
            },
            _ = shutdown.cancelled() => return,
        };
        let result = match job {
            Job::Notice(notice) => notifier.dispatch(notice),
            Job::BallotCast {
                board,
                round,
                person,
            } => notifier
                .trees()
                .mark_read_about(notifier.store(), &person, &board, &round)
                .map(drop),
        };
        match result {
            Ok(()) => notifier.store().request_flush(),
            Err(e) => tracing::error!("cannot store a notification: {e}"),
        }
    }
}

impl Notifier {
    /// Writes the inbox entries of `notice` and queues its webhook deliveries.
    pub(super) fn dispatch(&self, mut notice: Notice) -> Result<(), StoreError> {
        let Some(meta) = self.store().board_meta(&notice.board)? else {
            return Ok(()); // deleted meanwhile
        };
        notice.board_title = meta.title;
        if let Some(kind) = notice.what.inbox_kind() {
            self.to_inboxes(&notice, kind)?;
        }
        if let Some(topic) = notice.what.topic() {
            for hook in self.trees().webhooks(&notice.board)? {
                if hook.events.contains(&topic) {
                    self.queue(&notice, &hook)?;
                }
            }
        }
        Ok(())
    }

    fn to_inboxes(&self, notice: &Notice, kind: InboxKind) -> Result<(), StoreError> {
        let roles: HashMap<String, Role> = self
            .store()
            .grants_of_board(&notice.board)?
            .into_iter()
            .filter_map(|(person, g)| Some((person, g.role?)))
            .collect();
        let concerned = |role: &Role| match kind {
            InboxKind::Ballot => role.may_comment(),
            _ => true,
        };
        let mut people: Vec<&str> = match notice.what.recipients() {
            Some(named) => named
                .iter()
                .filter(|p| roles.contains_key(p.as_str()))
                .map(String::as_str)
                .collect(),
            None => roles
                .iter()
                .filter(|(_, r)| concerned(r))
                .map(|(p, _)| p.as_str())
                .collect(),
        };
        people.sort_unstable();
        people.dedup();
        let actor = notice.what.actor();
        let entry = InboxEntry {
            id: String::new(),
            at: notice.at,
            kind,
            board: notice.board.clone(),
            board_title: notice.board_title.clone(),
            text: notice.headline(),
            target: target_of(&notice.what),
            read: false,
        };
        for person in people.into_iter().filter(|p| Some(*p) != actor) {
            self.trees()
                .add_to_inbox(self.store(), person, entry.clone())?;
        }
        Ok(())
    }

    /// Logs a delivery of `notice` to `hook` and starts sending it.
    pub(super) fn queue(&self, notice: &Notice, hook: &Webhook) -> Result<Delivery, StoreError> {
        let id = self.store().next_id()?.to_string();
        let url = self.board_url(&notice.board);
        let body = payload::body(hook.kind, notice, &url, &id).to_string();
        let delivery = Delivery {
            id,
            webhook: hook.id.clone(),
            event: notice.what.event_name().to_owned(),
            summary: notice.headline(),
            at: notice.at,
            status: DeliveryStatus::Pending,
            attempts: 0,
            http_status: None,
            error: None,
            last_try: None,
            next_try: None,
            body,
        };
        self.trees()
            .add_delivery(self.store(), &notice.board, &delivery)?;
        self.inner.tracker.spawn(deliver::run(
            self.clone(),
            notice.board.clone(),
            delivery.clone(),
        ));
        Ok(delivery)
    }

    /// Sends `hook` a test event now (the owner's "send a test"); its delivery.
    pub fn test(&self, board: &str, hook: &Webhook, by: &str) -> Result<Delivery, StoreError> {
        let mut notice = notice(board, What::Test { by: by.to_owned() });
        if let Some(meta) = self.store().board_meta(board)? {
            notice.board_title = meta.title;
        }
        let delivery = self.queue(&notice, hook)?;
        self.store().request_flush();
        Ok(delivery)
    }

    /// Sends again the deliveries the last run left pending.
    pub(super) fn resume_pending(&self) {
        match self.trees().pending() {
            Ok(pending) => {
                for (board, delivery) in pending {
                    self.inner
                        .tracker
                        .spawn(deliver::run(self.clone(), board, delivery));
                }
            }
            Err(e) => tracing::error!("cannot read pending webhook deliveries: {e}"),
        }
    }
}

/// What an inbox entry points at on the board.
fn target_of(what: &What) -> Option<String> {
    match what {
        What::Decision { id, .. } => Some(id.clone()),
        What::BallotNeeded { round, .. } | What::Revealed { round, .. } => Some(round.clone()),
        What::Mention { thread, .. } | What::Reply { thread, .. } => Some(thread.clone()),
        What::Shared { .. } | What::Test { .. } => None,
    }
}

/// Reports "board shared" for every role granted, from sled's own notice of each write to
/// the grants tree. Removals (a grant without a role) and a new board's first owner are not
/// sharing.
pub(super) async fn watch_grants(notifier: Notifier) {
    let mut subscriber = match notifier.store().watch_grants() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot watch grants for \"board shared\" notices: {e}");
            return;
        }
    };
    let shutdown = notifier.inner.shutdown.clone();
    loop {
        let event = tokio::select! {
            e = &mut subscriber => match e {
                Some(e) => e,
                None => return,
            },
            _ = shutdown.cancelled() => return,
        };
        let sled::Event::Insert { key, value } = event else {
            continue;
        };
        let Some((board, person)) = std::str::from_utf8(&key)
            .ok()
            .and_then(|k| k.split_once('/'))
        else {
            continue;
        };
        let Ok(Grant {
            role: Some(role), ..
        }) = serde_json::from_slice::<Grant>(&value)
        else {
            continue;
        };
        if role == Role::Owner && notifier.is_first_owner(board, person) {
            continue;
        }
        let name = match notifier.store().profile(person) {
            Ok(profile) => people::shown(person, profile.as_ref(), None).name,
            Err(_) => continue,
        };
        notifier.notify(notice(
            board,
            What::Shared {
                name,
                role: role.name().to_owned(),
            },
        ));
    }
}

impl Notifier {
    /// `person` is the board's only grant: they made it (not a sharing).
    fn is_first_owner(&self, board: &str, person: &str) -> bool {
        self.store()
            .grants_of_board(board)
            .map(|g| g.len() == 1 && g[0].0 == person)
            .unwrap_or(false)
    }
}
