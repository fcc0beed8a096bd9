//! What a transaction did to the board's items, for the "since you last looked" journal
//! ([`crate::since`]): a deep observer on the root `items` map that reports, per changed
//! item, whether it was created, edited, moved or deleted, and a short label (title and
//! position) to list it by.
//!
//! yrs reports a nested type's changes only if it existed before the transaction, so a new
//! item is reported once, as created. The stacking rank (`z`) is not a change anyone needs
//! to catch up on (a click brings a note to the front), so it is left out.

use std::sync::Arc;

use yrs::types::{EntryChange, Event, PathSegment};
use yrs::{DeepObservable, GetString, Map, Out, ReadTxn};

use super::values::read_pair;
use super::{Board, Point, keys};
use crate::since::{ChangeKind, short_title};

/// Name of the observer (one per board; watching again replaces it).
const WATCH: &str = "huddle-since-watch";

impl Board {
    /// Calls `report(item, kind)` for every change a transaction makes to an item, when it
    /// commits (several times for one item if several of its values changed).
    pub fn watch_item_changes<F>(&self, mut report: F)
    where
        F: FnMut(&str, ChangeKind) + Send + Sync + 'static,
    {
        self.items_root().observe_deep(WATCH, move |txn, events| {
            for event in events.iter() {
                let path = event.path();
                let item = match path.front() {
                    Some(PathSegment::Key(item)) => Some(item.clone()),
                    _ => None,
                };
                match (event, item) {
                    // The root `items` map itself: items added, removed or replaced.
                    (Event::Map(map), None) => {
                        for (key, change) in map.keys(txn) {
                            let kind = match change {
                                EntryChange::Inserted(_) => ChangeKind::Created,
                                EntryChange::Removed(_) => ChangeKind::Deleted,
                                EntryChange::Updated(..) => ChangeKind::Edited,
                            };
                            report(key, kind);
                        }
                    }
                    // An item's own map: which of its values changed.
                    (Event::Map(map), Some(item)) if path.len() == 1 => {
                        for key in map.keys(txn).keys() {
                            match &**key {
                                keys::Z => {}
                                keys::POS | keys::PLACE => report(&item, ChangeKind::Moved),
                                _ => report(&item, ChangeKind::Edited),
                            }
                        }
                    }
                    // Its text, or anything deeper.
                    (_, Some(item)) => report(&item, ChangeKind::Edited),
                    (_, None) => {}
                }
            }
        });
    }

    /// Stops reporting item changes.
    pub fn unwatch_item_changes(&self) {
        self.items_root().unobserve_deep(WATCH);
    }

    /// What the journal calls an item: its title ([`short_title`] of its text) and position.
    /// `None` if there is no such item.
    pub fn change_label<T: ReadTxn>(&self, txn: &T, id: &str) -> Option<(String, Option<Point>)> {
        let Some(Out::YMap(item)) = self.items_root().get(txn, id) else {
            return None;
        };
        let title = match item.get(txn, keys::TEXT) {
            Some(Out::YText(text)) => short_title(&text.get_string(txn)),
            Some(Out::Any(yrs::Any::String(s))) => short_title(&s),
            _ => String::new(),
        };
        Some((title, read_pair(txn, &item, keys::POS)))
    }
}

/// The kinds of one transaction's reports, collected (for tests and simple callers).
pub type ChangeSink = Arc<std::sync::Mutex<Vec<(String, ChangeKind)>>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Color, NewNote};
    use yrs::Transact;

    fn watched(board: &Board) -> ChangeSink {
        let sink: ChangeSink = Arc::default();
        let s = sink.clone();
        board.watch_item_changes(move |item, kind| {
            s.lock().unwrap().push((item.to_owned(), kind));
        });
        sink
    }

    fn take(sink: &ChangeSink) -> Vec<(String, ChangeKind)> {
        let mut v = std::mem::take(&mut *sink.lock().unwrap());
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn creating_editing_moving_and_deleting_are_told_apart() {
        let board = Board::new();
        let id = {
            let mut txn = board.transact_mut();
            board
                .create_note(
                    &mut txn,
                    NewNote {
                        text: "Pay by card".into(),
                        ..NewNote::default()
                    },
                )
                .unwrap()
        };
        let sink = watched(&board);
        let other = {
            let mut txn = board.transact_mut();
            board
                .create_note(
                    &mut txn,
                    NewNote {
                        pos: [5.0, 5.0],
                        ..NewNote::default()
                    },
                )
                .unwrap()
        };
        assert_eq!(take(&sink), vec![(other.clone(), ChangeKind::Created)]);
        board
            .insert_text(&mut board.transact_mut(), &id, 0, "Later: ")
            .unwrap();
        assert_eq!(take(&sink), vec![(id.clone(), ChangeKind::Edited)]);
        board
            .move_item(&mut board.transact_mut(), &id, [10.0, 20.0])
            .unwrap();
        assert_eq!(take(&sink), vec![(id.clone(), ChangeKind::Moved)]);
        board
            .recolor(&mut board.transact_mut(), &id, Color::Blue)
            .unwrap();
        assert_eq!(take(&sink), vec![(id.clone(), ChangeKind::Edited)]);
        board
            .bring_to_front(&mut board.transact_mut(), &id)
            .unwrap();
        assert_eq!(take(&sink), vec![]);
        let txn = board.doc().transact();
        assert_eq!(
            board.change_label(&txn, &id),
            Some(("Later: Pay by card".into(), Some([10.0, 20.0])))
        );
        drop(txn);
        board.delete_item(&mut board.transact_mut(), &id).unwrap();
        assert_eq!(take(&sink), vec![(id.clone(), ChangeKind::Deleted)]);
        assert_eq!(board.change_label(&board.doc().transact(), &id), None);
    }
}
