//! Edits of a selection. Each takes the caller's transaction, so one gesture (dragging five
//! notes, deleting a frame with its arrows) is one transaction: one undo step, one update.
//!
//! Ids that are gone are skipped, not errors: a selection can outlive its items when someone
//! else deletes them, and half-applying a gesture before failing would be worse.

use std::collections::HashSet;

use yrs::{Map, MapRef, Out, ReadTxn, TransactionMut};

use super::board::Board;
use super::items::read_kind;
use super::keys;
use super::values::{check_point, default_size, pair, read_pair, read_string};
use super::{Color, ItemKind, ModelError, Point};
use crate::rank;

impl Board {
    /// Moves several items at once. Every position is checked before anything is written;
    /// connectors (which have no position) and missing ids are skipped.
    pub fn move_items(
        &self,
        txn: &mut TransactionMut,
        moves: &[(String, Point)],
    ) -> Result<(), ModelError> {
        for (_, pos) in moves {
            check_point(*pos)?;
        }
        for (id, pos) in moves {
            if let Some(item) = self.item_map(txn, id)
                && read_kind(txn, &item) != ItemKind::Connector
            {
                item.insert(txn, keys::POS, pair(*pos));
            }
        }
        Ok(())
    }

    /// Deletes items and every connector attached to one of them (dangling ones included).
    /// Returns the ids actually deleted.
    pub fn delete_items(&self, txn: &mut TransactionMut, ids: &[String]) -> Vec<String> {
        let doomed: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut deleted: Vec<String> = Vec::new();
        for (id, value) in self.items.iter(txn) {
            let Out::YMap(item) = value else { continue };
            let attached = read_kind(txn, &item) == ItemKind::Connector
                && [keys::FROM, keys::TO].into_iter().any(|key| {
                    read_string(txn, &item, key).is_some_and(|end| doomed.contains(end.as_str()))
                });
            if attached && !doomed.contains(id) {
                deleted.push(id.to_owned());
            }
        }
        deleted.extend(
            ids.iter()
                .filter(|id| self.items.get(txn, id).is_some())
                .cloned(),
        );
        let mut seen = HashSet::new();
        deleted.retain(|id| seen.insert(id.clone()));
        for id in &deleted {
            self.items.remove(txn, id);
        }
        deleted
    }

    /// The items a frame holds: those whose rectangle lies inside the frame's, except
    /// connectors and frames at least as large as this one (so two frames never hold each
    /// other). The client takes them at the start of a frame drag and moves them with the
    /// frame in one [`Board::move_items`]. Empty if `frame_id` is not a frame.
    pub fn frame_contents<T: ReadTxn>(&self, txn: &T, frame_id: &str) -> Vec<String> {
        let Some(frame) = self.item_map(txn, frame_id) else {
            return Vec::new();
        };
        if read_kind(txn, &frame) != ItemKind::Frame {
            return Vec::new();
        }
        let Some(outer) = rect(txn, &frame) else {
            return Vec::new();
        };
        let area = |r: [f64; 4]| r[2] * r[3];
        self.items
            .iter(txn)
            .filter_map(|(id, value)| {
                let Out::YMap(item) = value else { return None };
                let kind = read_kind(txn, &item);
                let inner = rect(txn, &item)?;
                let holds = id != frame_id
                    && kind != ItemKind::Connector
                    && !(kind == ItemKind::Frame && area(inner) >= area(outer))
                    && inner[0] >= outer[0]
                    && inner[1] >= outer[1]
                    && inner[0] + inner[2] <= outer[0] + outer[2]
                    && inner[1] + inner[3] <= outer[1] + outer[3];
                holds.then(|| id.to_owned())
            })
            .collect()
    }

    /// Sends items behind everything else, keeping their order among themselves.
    pub fn send_to_back(&self, txn: &mut TransactionMut, ids: &[String]) {
        let mut hi = self.bottom_z(txn);
        for (_, item) in self.by_z(txn, ids).into_iter().rev() {
            let z = rank::before(hi.as_deref());
            item.insert(txn, keys::Z, z.as_str());
            hi = Some(z);
        }
    }

    /// Brings items in front of everything else, keeping their order among themselves.
    pub fn bring_items_to_front(&self, txn: &mut TransactionMut, ids: &[String]) {
        let mut lo = self.top_z(txn);
        for (_, item) in self.by_z(txn, ids) {
            let z = rank::after(lo.as_deref());
            item.insert(txn, keys::Z, z.as_str());
            lo = Some(z);
        }
    }

    /// Gives several items one colour.
    pub fn recolor_items(&self, txn: &mut TransactionMut, ids: &[String], color: Color) {
        for id in ids {
            if let Some(item) = self.item_map(txn, id) {
                item.insert(txn, keys::COLOR, color.name());
            }
        }
    }

    /// The existing items among `ids`, without duplicates, in stacking order (rank, then id,
    /// as [`super::BoardSnapshot::items_by_z`] sorts).
    fn by_z<T: ReadTxn>(&self, txn: &T, ids: &[String]) -> Vec<(String, MapRef)> {
        let mut found: Vec<(String, String, MapRef)> = Vec::new();
        let mut seen = HashSet::new();
        for id in ids {
            if let Some(item) = self.item_map(txn, id)
                && seen.insert(id.as_str())
            {
                let z = read_string(txn, &item, keys::Z).unwrap_or_default();
                found.push((z, id.clone(), item));
            }
        }
        crate::sort::sort_by(&mut found, |a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        found.into_iter().map(|(_, id, item)| (id, item)).collect()
    }

    pub(super) fn item_map<T: ReadTxn>(&self, txn: &T, id: &str) -> Option<MapRef> {
        match self.items.get(txn, id)? {
            Out::YMap(item) => Some(item),
            _ => None,
        }
    }
}

/// `[x, y, w, h]` of an item with a position; sizes default by kind, as snapshots read them.
fn rect<T: ReadTxn>(txn: &T, item: &MapRef) -> Option<[f64; 4]> {
    let [x, y] = read_pair(txn, item, keys::POS)?;
    let [w, h] = read_pair(txn, item, keys::SIZE).unwrap_or(default_size(&read_kind(txn, item)));
    Some([x, y, w, h])
}

#[cfg(test)]
mod tests {
    use yrs::Transact;

    use super::*;
    use crate::model::NewNote;

    fn note_at(board: &Board, txn: &mut TransactionMut, pos: Point) -> String {
        let note = NewNote {
            pos,
            ..Default::default()
        };
        board.create_note(txn, note).expect("note")
    }

    fn ids(v: &[&String]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn move_items_checks_every_point_first() {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        let (a, b) = (
            note_at(&board, &mut txn, [0.0, 0.0]),
            note_at(&board, &mut txn, [5.0, 5.0]),
        );
        let c = board
            .create_connector(&mut txn, &a, &b, "", 0.0)
            .expect("c");
        let bad = [(a.clone(), [1.0, 1.0]), (b.clone(), [f64::NAN, 0.0])];
        assert!(board.move_items(&mut txn, &bad).is_err());
        assert_eq!(board.item_snapshot(&txn, &a).expect("a").pos, [0.0, 0.0]);
        let good = [
            (a.clone(), [10.0, 20.0]),
            (c.clone(), [9.0, 9.0]),
            ("gone".to_owned(), [1.0, 1.0]),
        ];
        board.move_items(&mut txn, &good).expect("move");
        let snapshot = board.snapshot(&txn);
        assert_eq!(snapshot.items[&a].pos, [10.0, 20.0]);
        assert_eq!(
            snapshot.items[&c].pos,
            [0.0, 0.0],
            "connectors have no position"
        );
    }

    #[test]
    fn deleting_items_deletes_their_connectors_in_one_undo_step() {
        let board = Board::with_client_id(1);
        let mut undo = board.undo_manager(|| 0);
        let (a, b, c, ab, bc) = {
            let mut txn = board.transact_local();
            let a = note_at(&board, &mut txn, [0.0, 0.0]);
            let b = note_at(&board, &mut txn, [300.0, 0.0]);
            let c = note_at(&board, &mut txn, [600.0, 0.0]);
            let ab = board
                .create_connector(&mut txn, &a, &b, "", 0.0)
                .expect("ab");
            let bc = board
                .create_connector(&mut txn, &b, &c, "", 0.0)
                .expect("bc");
            (a, b, c, ab, bc)
        };
        undo.reset();
        {
            let mut txn = board.transact_local();
            let mut deleted = board.delete_items(&mut txn, &ids(&[&a, &a, &ab, &"gone".into()]));
            deleted.sort();
            let mut expected = vec![a.clone(), ab.clone()];
            expected.sort();
            assert_eq!(deleted, expected);
            let left = board.snapshot(&txn);
            assert_eq!(left.items.len(), 3);
            assert!(left.items.contains_key(&bc));
            let deleted = board.delete_items(&mut txn, &ids(&[&c]));
            assert_eq!(deleted.len(), 2, "{deleted:?}");
        }
        assert!(undo.undo_blocking());
        let snapshot = board.snapshot(&board.doc().transact());
        for id in [&a, &b, &c, &ab, &bc] {
            assert!(snapshot.items.contains_key(id), "{id} is back");
        }
        let mut txn = board.transact_mut();
        board.delete_item(&mut txn, &b).expect("delete one");
        assert_eq!(board.item_count(&txn), 2, "b and both its arrows are gone");
        assert!(board.delete_item(&mut txn, &b).is_err());
    }

    #[test]
    fn frames_hold_what_lies_inside_them() {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        let frame = board
            .create_frame(&mut txn, [0.0, 0.0], Some([1000.0, 1000.0]), "F", "", 0.0)
            .expect("frame");
        let inside = note_at(&board, &mut txn, [100.0, 100.0]);
        let edge = note_at(&board, &mut txn, [800.0, 800.0]);
        let across = note_at(&board, &mut txn, [900.0, 0.0]);
        let small = board
            .create_frame(&mut txn, [10.0, 10.0], Some([300.0, 300.0]), "", "", 0.0)
            .expect("small");
        let twin = board
            .create_frame(&mut txn, [0.0, 0.0], Some([1000.0, 1000.0]), "", "", 0.0)
            .expect("twin");
        let label = board
            .create_label(&mut txn, [0.0, 900.0], "L", "", 0.0)
            .expect("label");
        board
            .create_connector(&mut txn, &inside, &edge, "", 0.0)
            .expect("c");
        let mut held = board.frame_contents(&txn, &frame);
        held.sort();
        let mut expected = vec![inside.clone(), edge, small.clone(), label];
        expected.sort();
        assert_eq!(held, expected);
        assert!(!held.contains(&across) && !held.contains(&twin));
        assert_eq!(board.frame_contents(&txn, &small), [inside.as_str()]);
        assert!(
            board.frame_contents(&txn, &inside).is_empty(),
            "not a frame"
        );
        assert!(board.frame_contents(&txn, "gone").is_empty());
    }

    #[test]
    fn restacking_keeps_the_selection_in_order() {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        let n: Vec<String> = (0..5)
            .map(|i| note_at(&board, &mut txn, [i as f64, 0.0]))
            .collect();
        let order = |txn: &TransactionMut| -> Vec<String> {
            board
                .snapshot(txn)
                .items_by_z()
                .into_iter()
                .map(|(id, _)| id.clone())
                .collect()
        };
        board.send_to_back(&mut txn, &ids(&[&n[3], &n[1], &n[3]]));
        assert_eq!(order(&txn), ids(&[&n[1], &n[3], &n[0], &n[2], &n[4]]));
        board.bring_items_to_front(&mut txn, &ids(&[&n[0], &n[1]]));
        assert_eq!(order(&txn), ids(&[&n[3], &n[2], &n[4], &n[1], &n[0]]));
        board.recolor_items(&mut txn, &ids(&[&n[2], &n[4]]), Color::Teal);
        let snapshot = board.snapshot(&txn);
        let teal: Vec<_> = n
            .iter()
            .filter(|id| snapshot.items[*id].color == "teal")
            .collect();
        assert_eq!(teal, [&n[2], &n[4]]);
    }
}
