//! "Since you last looked": what changed on a board while a person was away, and by whom.
//!
//! The server keeps, per board, a *change journal*: one [`JournalEntry`] per item an applied
//! update created, edited, moved or deleted, attributed to the person whose connection sent
//! it (the room knows; no page can claim someone else's change). Per person and board it
//! keeps a [`SeenMark`]: the journal position they have seen up to, written when their last
//! connection to the board leaves and when they "mark all seen". Keyed by person, not
//! browser, so it follows them across devices.
//!
//! A journal rather than a diff of state vectors: a state vector tells which clocks are new,
//! but neither who sent them (yrs client ids are the page's own, and a page reloads with a
//! new one) nor what a deleted item was called; the journal records both when the room
//! applies the update, at the cost of a small entry per changed item (repeats coalesced,
//! see the server's `room::since`).
//!
//! This module is the pure half: the entries, and [`summarize`], which folds a run of
//! entries into one row per item ([`Change`]) the page lists and steps through. Rounds,
//! decisions and (later) comments are rows of the same list with kinds of their own.

use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// What happened to an item (or which other event a row is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    /// Its text or another of its values (colour, tags, size, story fields) changed.
    Edited,
    /// Its position (or its place in a story map) changed.
    Moved,
    Deleted,
    /// A round was opened on the board (`item`: its first target, if any).
    RoundOpened,
    /// A round's result was revealed.
    RoundRevealed,
    /// A decision was recorded in the decision log.
    Decision,
    /// A comment was written (kept for the comments part of issue 14: it journals its
    /// comments with this kind, `item` being the thread's item).
    Comment,
}

impl ChangeKind {
    /// Whether the kind is about an item of the document (as opposed to a round or decision).
    pub fn is_item_change(self) -> bool {
        matches!(
            self,
            ChangeKind::Created | ChangeKind::Edited | ChangeKind::Moved | ChangeKind::Deleted
        )
    }
}

/// One change, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Milliseconds since the Unix epoch (of the latest change it stands for).
    pub at: u64,
    /// The person's id (the server's, never a page's claim).
    pub person: String,
    /// Their display name at the time.
    pub name: String,
    /// The item's id.
    pub item: String,
    pub kind: ChangeKind,
    /// The item's title then (its text's first line, shortened; for a deletion, what it was).
    #[serde(default)]
    pub title: String,
    /// The item's position then, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<[f64; 2]>,
}

/// What a person has seen of a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenMark {
    /// Journal position: entries from this sequence number on are new to them.
    pub seq: u64,
    /// When they saw it (ms since the Unix epoch): rounds and decisions after it are new.
    pub at: u64,
}

/// One row of the list: an item and what happened to it, or a round, decision or comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What happened, in a fixed order (`created` and `deleted` stand alone).
    pub kinds: Vec<ChangeKind>,
    /// The item it is about (none for a decision recorded outside a round).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Names of who did it, in the order they first did.
    pub by: Vec<String>,
    /// Their person ids, in the same order (empty for rounds and decisions, which the
    /// server records by name).
    #[serde(default)]
    pub people: Vec<String>,
    /// The item's title (latest known), the round's kind or the decision's text.
    pub title: String,
    /// Where the item is (latest known), for centring it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<[f64; 2]>,
    /// When it last changed (ms since the Unix epoch).
    pub at: u64,
}

/// The answer of `GET /api/boards/{id}/since`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinceReport {
    /// The person never had this board open: nothing is listed.
    pub first_visit: bool,
    /// When they last looked (ms since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// The journal position this report covers up to: "mark all seen" sends it back, so
    /// changes that arrive after the report was made stay new.
    pub upto: u64,
    /// Some of what changed is older than the journal keeps ([`MAX_JOURNAL`] entries).
    #[serde(default)]
    pub truncated: bool,
    /// Oldest first.
    pub changes: Vec<Change>,
}

/// Entries a board's journal keeps; older ones are dropped (a person away for longer is
/// told the list is incomplete). About 130 bytes each as the server stores them (a compact
/// form, not JSON): ~13 MB of entries for the busiest board.
pub const MAX_JOURNAL: u64 = 100_000;

/// Characters of an item's title kept in the journal.
pub const TITLE_CHARS: usize = 60;

/// An item's title as the list shows it: the first non-empty line of its text, shortened
/// to [`TITLE_CHARS`] characters.
pub fn short_title(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    let line = line.unwrap_or_default();
    let mut title: String = line.chars().take(TITLE_CHARS).collect();
    if line.chars().nth(TITLE_CHARS).is_some() {
        title.push('…');
    }
    title
}

/// Folds journal entries (oldest first) into one row per item, leaving out `me`'s own:
///
/// - created then deleted while away: left out (there is nothing to see);
/// - deleted: `deleted` alone; created: `created` alone (later edits and moves are part of
///   what is new);
/// - else the kinds that happened, in the order `edited`, `moved`.
///
/// Rows keep the order of each item's first change; `by` lists everyone who changed it.
pub fn summarize<'a>(entries: impl IntoIterator<Item = &'a JournalEntry>, me: &str) -> Vec<Change> {
    let mut rows: Vec<Change> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = Default::default();
    for e in entries {
        if e.person == me {
            continue;
        }
        let i = *index.entry(e.item.as_str()).or_insert_with(|| {
            rows.push(Change {
                kinds: Vec::new(),
                item: Some(e.item.clone()),
                by: Vec::new(),
                people: Vec::new(),
                title: String::new(),
                pos: None,
                at: 0,
            });
            rows.len() - 1
        });
        let row = &mut rows[i];
        if !row.kinds.contains(&e.kind) {
            row.kinds.push(e.kind);
        }
        if !row.people.contains(&e.person) {
            row.people.push(e.person.clone());
            row.by.push(e.name.clone());
        }
        if !e.title.is_empty() || e.kind == ChangeKind::Edited {
            row.title = e.title.clone();
        }
        if e.pos.is_some() {
            row.pos = e.pos;
        }
        row.at = row.at.max(e.at);
    }
    rows.retain_mut(|row| {
        let created = row.kinds.contains(&ChangeKind::Created);
        let deleted = row.kinds.contains(&ChangeKind::Deleted);
        if created && deleted {
            return false;
        }
        if deleted {
            row.kinds = vec![ChangeKind::Deleted];
        } else if created {
            row.kinds = vec![ChangeKind::Created];
        } else {
            crate::sort::sort(&mut row.kinds);
        }
        true
    });
    rows
}

/// The list the page shows: item rows and rows of other sources (rounds, decisions,
/// comments) together, oldest last change first (stable: on a tie, item rows first).
pub fn merge(mut items: Vec<Change>, others: Vec<Change>) -> Vec<Change> {
    items.extend(others);
    crate::sort::sort_by_key(&mut items, |c| c.at);
    items
}
