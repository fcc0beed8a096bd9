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
        self.spawn_delivery(deliver::run(
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
                    self.spawn_delivery(deliver::run(self.clone(), board, delivery));
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
    let mut subscriber = notifier.store().watch_grants();
    let shutdown = notifier.inner.shutdown.clone();
    loop {
        let event = tokio::select! {
            e = subscriber.recv() => match e {
                Some(e) => e,
                None => return,
            },
            _ = shutdown.cancelled() => return,
        };
        let (key, value) = event;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use clap::Parser;
    use huddle_shared::notify::{Topic, WebhookKind};

    use super::*;
    use crate::notify::NotifyArgs;
    use crate::store::{BoardMeta, Store};

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        notify: NotifyArgs,
    }

    fn setup() -> (tempfile::TempDir, Store, Notifier) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let meta = BoardMeta {
            title: "Checkout".into(),
            created_at: 0,
            updated_at: 0,
        };
        store.insert_board("b", &meta, &[0, 0]).unwrap();
        for (person, role) in [
            ("ana", Some(Role::Owner)),
            ("ben", Some(Role::Editor)),
            ("cy", Some(Role::Viewer)),
            ("gone", None),
        ] {
            store.set_grant("b", person, Grant { role, at: 0 }).unwrap();
        }
        let args = Flags::parse_from(["huddle"]).notify;
        let notifier =
            Notifier::new(store.clone(), &args, Default::default(), Default::default()).unwrap();
        (dir, store, notifier)
    }

    fn mention(recipients: &[&str]) -> What {
        What::Mention {
            thread: "t1".into(),
            comment: "c1".into(),
            author: "Ana".into(),
            text: "@Ben @Cy can you check?".into(),
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
            author_person: Some("ana".into()),
        }
    }

    #[tokio::test]
    async fn mentions_and_replies_reach_the_people_named_who_hold_a_role() {
        let (_dir, _store, notifier) = setup();
        notifier
            .dispatch(notice(
                "b",
                mention(&["ben", "cy", "ana", "stranger", "gone"]),
            ))
            .unwrap();
        let trees = notifier.trees();
        for person in ["ben", "cy"] {
            let inbox = trees.inbox(person).unwrap();
            assert_eq!(inbox.len(), 1, "{person}");
            assert_eq!(inbox[0].kind, InboxKind::Mention);
            assert_eq!(inbox[0].target.as_deref(), Some("t1"));
            assert_eq!(inbox[0].board_title, "Checkout");
            assert_eq!(inbox[0].text, "Ana mentioned you: @Ben @Cy can you check?");
        }
        for person in ["ana", "stranger", "gone"] {
            assert!(trees.inbox(person).unwrap().is_empty(), "{person}");
        }
        notifier
            .dispatch(notice(
                "b",
                What::Reply {
                    thread: "t1".into(),
                    comment: "c2".into(),
                    author: "Ben".into(),
                    text: "Done".into(),
                    recipients: vec!["ana".into(), "ben".into()],
                    author_person: Some("ben".into()),
                },
            ))
            .unwrap();
        let ana = trees.inbox("ana").unwrap();
        assert_eq!(ana.len(), 1);
        assert_eq!(
            (ana[0].kind, ana[0].text.as_str()),
            (InboxKind::Reply, "Ben replied: Done")
        );
        assert_eq!(trees.inbox("ben").unwrap().len(), 1, "no reply to oneself");
        // A deleted board's notices are dropped.
        notifier
            .dispatch(notice("nope", mention(&["ben"])))
            .unwrap();
        assert_eq!(trees.inbox("ben").unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_mention_goes_to_the_webhooks_that_chose_it_and_internal_targets_fail() {
        let (_dir, store, notifier) = setup();
        notifier.start("127.0.0.1:1".parse().unwrap());
        let hook = |id: &str, events| Webhook {
            id: id.into(),
            kind: WebhookKind::Generic,
            url: "http://192.168.0.10/hook".into(),
            events,
            secret: "s".into(),
            created_at: 0,
            created_by: "Ana".into(),
        };
        let trees = notifier.trees();
        trees
            .put_webhook(&store, "b", &hook("m", vec![Topic::Mention]))
            .unwrap();
        trees
            .put_webhook(&store, "b", &hook("d", vec![Topic::Decision]))
            .unwrap();
        notifier.dispatch(notice("b", mention(&["ben"]))).unwrap();
        let mut log = Vec::new();
        for _ in 0..200 {
            log = trees.deliveries("b").unwrap();
            if log.iter().all(|d| d.status != DeliveryStatus::Pending) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(log.len(), 1, "{log:?}");
        let d = &log[0];
        assert_eq!((d.webhook.as_str(), d.event.as_str()), ("m", "mention"));
        assert_eq!(d.status, DeliveryStatus::Failed);
        assert_eq!(d.attempts, 1);
        assert!(
            d.error
                .as_deref()
                .unwrap_or("")
                .contains("--webhooks-allow-private"),
            "{d:?}"
        );
        assert!(!d.body.contains("\"ana\""), "a person id in {}", d.body);
        assert!(d.body.contains("http://127.0.0.1:1/b/b"), "{}", d.body);
    }
}
