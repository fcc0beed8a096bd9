//! Notifications beside the boards, each kind in its own tree:
//!
//! - `inbox`: `{person}/{seq: 8 bytes big-endian}` -> [`InboxEntry`] (JSON): a person's
//!   inbox, oldest first in key order, at most [`MAX_INBOX_ENTRIES`] (older ones go as new
//!   ones come);
//! - `webhooks`: `{board}/{webhook id}` -> [`Webhook`] (JSON): a board's webhooks;
//! - `deliveries`: `{board}/{seq: 8 bytes big-endian}` -> [`Delivery`] (JSON): the delivery
//!   log, the last [`DELIVERY_LOG_LEN`] per board, with the body of each (a pending one is
//!   sent again after a restart).
//!
//! Sequence numbers come from the database's `generate_id` (sled's, or a Redis counter),
//! unique and rising across restarts.
//! Person ids and board ids never contain `/`, so prefixes cannot collide.

use super::kv::Tree;
use huddle_shared::notify::{DELIVERY_LOG_LEN, InboxKind, MAX_INBOX_ENTRIES, Topic, WebhookKind};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// One entry of a person's inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    /// Its id in the API (the sequence number, in decimal).
    pub id: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub at: u64,
    pub kind: InboxKind,
    pub board: String,
    pub board_title: String,
    /// What happened, in one line ([`huddle_shared::notify::Notice::headline`]).
    pub text: String,
    /// What to show on the board: a round, a thread, a decision's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default)]
    pub read: bool,
}

/// A board's webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub kind: WebhookKind,
    pub url: String,
    /// The events it is sent.
    pub events: Vec<Topic>,
    /// Key of the generic receiver's signature (also kept for other kinds: switching is
    /// not offered, but a secret costs nothing).
    pub secret: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub created_at: u64,
    /// Name of the owner who added it.
    pub created_by: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not yet accepted by the receiver; tries go on.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up: the last try failed, or the receiver refused the request (4xx).
    Failed,
}

/// One event sent (or being sent) to one webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its id (also sent as `X-Huddle-Delivery`).
    pub id: String,
    pub webhook: String,
    /// `decision.recorded`, `round.revealed`, `mention`, `board.shared`, `ping`.
    pub event: String,
    /// What it said, in one line.
    pub summary: String,
    /// When the event happened, ms since the Unix epoch.
    pub at: u64,
    pub status: DeliveryStatus,
    /// Tries made so far.
    pub attempts: u32,
    /// The receiver's last HTTP status, if it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Why the last try failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the last try was made, ms since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_try: Option<u64>,
    /// When the next try is due (pending only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_try: Option<u64>,
    /// The JSON body sent.
    pub body: String,
}

/// The notification trees.
pub struct NotifyTrees {
    inbox: Tree,
    webhooks: Tree,
    deliveries: Tree,
}

fn key(first: &str, seq: u64) -> Vec<u8> {
    let mut k = prefix(first);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn pair(first: &str, second: &str) -> Vec<u8> {
    let mut k = prefix(first);
    k.extend_from_slice(second.as_bytes());
    k
}

fn prefix(first: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(first.len() + 9);
    k.extend_from_slice(first.as_bytes());
    k.push(b'/');
    k
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn parse<T: for<'a> Deserialize<'a>>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

/// Values under `prefix`, newest (highest key) first, skipping any that do not parse.
fn newest_first<T: for<'a> Deserialize<'a>>(
    tree: &Tree,
    first: &str,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for entry in tree.scan_prefix(prefix(first)).rev() {
        if let Some(v) = parse(&entry?.1) {
            out.push(v);
        }
    }
    Ok(out)
}

/// Removes the oldest entries under `first` beyond `keep`.
fn prune(tree: &Tree, first: &str, keep: usize) -> Result<(), StoreError> {
    let keys: Vec<sled::IVec> = tree
        .scan_prefix(prefix(first))
        .keys()
        .collect::<Result<_, _>>()?;
    if keys.len() > keep {
        let mut batch = super::kv::Batch::default();
        for k in &keys[..keys.len() - keep] {
            batch.remove(k.clone());
        }
        tree.apply_batch(batch)?;
    }
    Ok(())
}

fn seq_of(id: &str) -> Option<u64> {
    id.parse().ok()
}

impl Store {
    /// Opens the notification trees (once, when the server starts).
    pub fn notify_trees(&self) -> Result<NotifyTrees, StoreError> {
        Ok(NotifyTrees {
            inbox: self.inner.db.open_tree("inbox")?,
            webhooks: self.inner.db.open_tree("webhooks")?,
            deliveries: self.inner.db.open_tree("deliveries")?,
        })
    }

    /// A new sequence number, unique and rising across restarts.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        self.inner.db.generate_id()
    }
}

impl NotifyTrees {
    // ---- inbox -------------------------------------------------------------------------------

    /// Adds an entry to `person`'s inbox (its `id` is set here) and drops the oldest beyond
    /// [`MAX_INBOX_ENTRIES`].
    pub fn add_to_inbox(
        &self,
        store: &Store,
        person: &str,
        mut entry: InboxEntry,
    ) -> Result<(), StoreError> {
        let seq = store.next_id()?;
        entry.id = seq.to_string();
        self.inbox.insert(key(person, seq), json(&entry))?;
        prune(&self.inbox, person, MAX_INBOX_ENTRIES)?;
        store.mark_written();
        Ok(())
    }

    /// `person`'s inbox, newest first.
    pub fn inbox(&self, person: &str) -> Result<Vec<InboxEntry>, StoreError> {
        newest_first(&self.inbox, person)
    }

    /// Marks entries read (`ids`; `None`: all of them). Returns how many changed.
    pub fn mark_read(
        &self,
        store: &Store,
        person: &str,
        ids: Option<&[String]>,
    ) -> Result<usize, StoreError> {
        let keys: Vec<Vec<u8>> = match ids {
            Some(ids) => ids
                .iter()
                .filter_map(|id| seq_of(id))
                .map(|seq| key(person, seq))
                .collect(),
            None => self
                .inbox
                .scan_prefix(prefix(person))
                .keys()
                .map(|k| k.map(|k| k.to_vec()))
                .collect::<Result<_, _>>()?,
        };
        let mut changed = 0;
        for k in keys {
            let Some(bytes) = self.inbox.get(&k)? else {
                continue;
            };
            let Some(mut entry) = parse::<InboxEntry>(&bytes) else {
                continue;
            };
            if !entry.read {
                entry.read = true;
                // Only if unchanged meanwhile: a concurrent prune wins over a late mark.
                if self
                    .inbox
                    .compare_and_swap(&k, Some(bytes), Some(json(&entry)))?
                    .is_ok()
                {
                    changed += 1;
                }
            }
        }
        if changed > 0 {
            store.mark_written();
        }
        Ok(changed)
    }

    /// Marks read the entries of `person` about `target` on `board` (their ballot was cast).
    pub fn mark_read_about(
        &self,
        store: &Store,
        person: &str,
        board: &str,
        target: &str,
    ) -> Result<usize, StoreError> {
        let ids: Vec<String> = self
            .inbox(person)?
            .into_iter()
            .filter(|e| !e.read && e.board == board && e.target.as_deref() == Some(target))
            .map(|e| e.id)
            .collect();
        if ids.is_empty() {
            return Ok(0);
        }
        self.mark_read(store, person, Some(&ids))
    }

    // ---- webhooks ----------------------------------------------------------------------------

    pub fn webhooks(&self, board: &str) -> Result<Vec<Webhook>, StoreError> {
        let mut hooks: Vec<Webhook> = newest_first(&self.webhooks, board)?;
        hooks.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(hooks)
    }

    pub fn webhook(&self, board: &str, id: &str) -> Result<Option<Webhook>, StoreError> {
        Ok(self.webhooks.get(pair(board, id))?.and_then(|v| parse(&v)))
    }

    pub fn put_webhook(
        &self,
        store: &Store,
        board: &str,
        hook: &Webhook,
    ) -> Result<(), StoreError> {
        self.webhooks.insert(pair(board, &hook.id), json(hook))?;
        store.mark_written();
        Ok(())
    }

    pub fn delete_webhook(&self, store: &Store, board: &str, id: &str) -> Result<bool, StoreError> {
        let existed = self.webhooks.remove(pair(board, id))?.is_some();
        store.mark_written();
        Ok(existed)
    }

    // ---- deliveries --------------------------------------------------------------------------

    /// Logs a new delivery, whose `id` is a number from [`Store::next_id`]; the log keeps the
    /// last [`DELIVERY_LOG_LEN`] of the board.
    pub fn add_delivery(
        &self,
        store: &Store,
        board: &str,
        delivery: &Delivery,
    ) -> Result<(), StoreError> {
        let Some(seq) = seq_of(&delivery.id) else {
            return Ok(());
        };
        self.deliveries.insert(key(board, seq), json(delivery))?;
        prune(&self.deliveries, board, DELIVERY_LOG_LEN)?;
        store.mark_written();
        Ok(())
    }

    /// Writes a delivery's new state, unless it left the log meanwhile.
    pub fn update_delivery(
        &self,
        store: &Store,
        board: &str,
        delivery: &Delivery,
    ) -> Result<(), StoreError> {
        let Some(seq) = seq_of(&delivery.id) else {
            return Ok(());
        };
        let k = key(board, seq);
        if let Some(old) = self.deliveries.get(&k)? {
            let _ = self
                .deliveries
                .compare_and_swap(&k, Some(old), Some(json(delivery)))?;
            store.mark_written();
        }
        Ok(())
    }

    /// The board's delivery log, newest first.
    pub fn deliveries(&self, board: &str) -> Result<Vec<Delivery>, StoreError> {
        newest_first(&self.deliveries, board)
    }

    /// Every pending delivery, with its board (to send again after a restart).
    pub fn pending(&self) -> Result<Vec<(String, Delivery)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.deliveries.iter() {
            let (k, v) = entry?;
            let Some(d) = parse::<Delivery>(&v) else {
                continue;
            };
            if d.status != DeliveryStatus::Pending {
                continue;
            }
            let board = k
                .iter()
                .position(|b| *b == b'/')
                .and_then(|at| std::str::from_utf8(&k[..at]).ok());
            if let Some(board) = board {
                out.push((board.to_owned(), d));
            }
        }
        Ok(out)
    }

    /// Forgets a deleted board's webhooks and deliveries (inbox entries stay: they are the
    /// person's; the page says the board is gone when opened).
    pub fn delete_board(&self, store: &Store, board: &str) -> Result<(), StoreError> {
        for tree in [&self.webhooks, &self.deliveries] {
            let mut batch = super::kv::Batch::default();
            for k in tree.scan_prefix(prefix(board)).keys() {
                batch.remove(k?);
            }
            tree.apply_batch(batch)?;
        }
        store.mark_written();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn entry(board: &str, target: &str) -> InboxEntry {
        InboxEntry {
            id: String::new(),
            at: 1,
            kind: InboxKind::Ballot,
            board: board.into(),
            board_title: "t".into(),
            text: "x".into(),
            target: Some(target.into()),
            read: false,
        }
    }

    #[test]
    fn an_inbox_is_newest_first_capped_and_marked_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let trees = store.notify_trees().unwrap();
        for i in 0..(MAX_INBOX_ENTRIES + 5) {
            trees
                .add_to_inbox(&store, "ana", entry("b", &i.to_string()))
                .unwrap();
        }
        trees
            .add_to_inbox(&store, "anab", entry("b", "other"))
            .unwrap();
        let inbox = trees.inbox("ana").unwrap();
        assert_eq!(inbox.len(), MAX_INBOX_ENTRIES);
        assert_eq!(inbox[0].target.as_deref(), Some("204"));
        assert_eq!(inbox.last().unwrap().target.as_deref(), Some("5"));
        let first = inbox[0].id.clone();
        assert_eq!(
            trees
                .mark_read(&store, "ana", Some(std::slice::from_ref(&first)))
                .unwrap(),
            1
        );
        assert_eq!(trees.mark_read(&store, "ana", Some(&[first])).unwrap(), 0);
        assert_eq!(trees.mark_read_about(&store, "ana", "b", "7").unwrap(), 1);
        assert_eq!(
            trees.mark_read(&store, "ana", None).unwrap(),
            MAX_INBOX_ENTRIES - 2
        );
        assert!(trees.inbox("ana").unwrap().iter().all(|e| e.read));
        assert!(
            !trees.inbox("anab").unwrap()[0].read,
            "another person's inbox"
        );
    }

    #[test]
    fn the_delivery_log_keeps_the_last_fifty_and_finds_pending_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let trees = store.notify_trees().unwrap();
        let d = Delivery {
            id: String::new(),
            webhook: "w".into(),
            event: "ping".into(),
            summary: "s".into(),
            at: 0,
            status: DeliveryStatus::Delivered,
            attempts: 1,
            http_status: Some(200),
            error: None,
            last_try: None,
            next_try: None,
            body: "{}".into(),
        };
        let mut last = d.clone();
        for _ in 0..(DELIVERY_LOG_LEN + 3) {
            last.id = store.next_id().unwrap().to_string();
            trees.add_delivery(&store, "b", &last).unwrap();
        }
        let mut pending = last;
        pending.status = DeliveryStatus::Pending;
        trees.update_delivery(&store, "b", &pending).unwrap();
        let log = trees.deliveries("b").unwrap();
        assert_eq!(log.len(), DELIVERY_LOG_LEN);
        assert_eq!(log[0], pending);
        assert_eq!(trees.pending().unwrap(), vec![("b".to_owned(), pending)]);
        trees.delete_board(&store, "b").unwrap();
        assert!(trees.deliveries("b").unwrap().is_empty());
    }
}
