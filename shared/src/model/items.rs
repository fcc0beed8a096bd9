//! Item kinds beyond notes: frames, free text labels and connectors, and the one place that
//! writes a new item's map (notes, these kinds and pasted items all go through it).
//!
//! # Connectors whose endpoint is gone
//!
//! A connector stores the ids of its two items (`from`, `to`) and has no position of its own.
//! Deleting an item deletes its connectors in the same transaction ([`Board::delete_items`]),
//! but a CRDT cannot stop someone from connecting to an item that another person is deleting
//! at the same moment: after both edits merge, the connector points at nothing. The rule:
//!
//! - such a *dangling* connector (an endpoint missing, or itself a connector) stays in the
//!   document but every read treats it as absent: [`Board::snapshot`] and
//!   [`Board::item_snapshot`] leave it out, so the renderer never draws it;
//! - it comes back by itself if the endpoint does (someone undoes the delete), which is why
//!   it is hidden rather than deleted by whoever notices it;
//! - [`Board::connectors_of`] still finds it, so deleting the surviving endpoint later
//!   deletes it too.

use yrs::{Map, MapPrelim, MapRef, Out, ReadTxn, TextPrelim, TransactionMut};

use super::board::Board;
use super::keys;
use super::values::{check_point, check_size, pair, read_string, strings};
use super::{Color, ItemKind, ItemSnapshot, ModelError, Point, Size};
use crate::{ids, rank};

/// Size of a new frame: room for a dozen default notes.
pub const DEFAULT_FRAME_SIZE: Size = [800.0, 600.0];
/// Size of a new text label: one line of heading-sized text.
pub const DEFAULT_LABEL_SIZE: Size = [240.0, 48.0];

/// Everything a new item's map holds. `pos`/`size` are `None` for connectors, which have
/// neither; `ends` is `Some` only for connectors.
pub(super) struct ItemFields<'a> {
    pub kind: &'a str,
    pub pos: Option<Point>,
    pub size: Option<Size>,
    pub text: &'a str,
    pub color: &'a str,
    pub tags: &'a [String],
    pub author: &'a str,
    pub created_at: f64,
    pub z: String,
    pub ends: Option<(&'a str, &'a str)>,
}

impl Board {
    /// Writes a new item under a fresh id and returns the id. Callers validate first.
    pub(super) fn write_item(&self, txn: &mut TransactionMut, fields: ItemFields) -> String {
        self.write_item_as(txn, ids::new_item_id(), fields)
    }

    /// Writes a new item under `id`, chosen by the caller (a private note keeps the id its
    /// author's page gave it). Callers validate first and make sure the id is free.
    pub(super) fn write_item_as(
        &self,
        txn: &mut TransactionMut,
        id: String,
        fields: ItemFields,
    ) -> String {
        let item: MapRef = self.items.insert(txn, id.as_str(), MapPrelim::default());
        item.insert(txn, keys::KIND, fields.kind);
        if let Some(pos) = fields.pos {
            item.insert(txn, keys::POS, pair(pos));
        }
        if let Some(size) = fields.size {
            item.insert(txn, keys::SIZE, pair(size));
        }
        if let Some((from, to)) = fields.ends {
            item.insert(txn, keys::FROM, from);
            item.insert(txn, keys::TO, to);
        }
        item.insert(txn, keys::TEXT, TextPrelim::new(fields.text));
        item.insert(txn, keys::COLOR, fields.color);
        item.insert(txn, keys::TAGS, strings(fields.tags));
        item.insert(txn, keys::AUTHOR, fields.author);
        item.insert(txn, keys::CREATED_AT, fields.created_at);
        item.insert(txn, keys::Z, fields.z);
        id
    }

    /// Creates a frame, a named area that groups the items inside it; its title is its text.
    /// New frames go to the back of the stacking order, so they never hide the notes they
    /// are drawn around. `size: None` is [`DEFAULT_FRAME_SIZE`].
    pub fn create_frame(
        &self,
        txn: &mut TransactionMut,
        pos: Point,
        size: Option<Size>,
        title: &str,
        author: &str,
        created_at: f64,
    ) -> Result<String, ModelError> {
        check_point(pos)?;
        let size = size.unwrap_or(DEFAULT_FRAME_SIZE);
        check_size(size)?;
        let z = rank::before(self.bottom_z(txn).as_deref());
        Ok(self.write_item(
            txn,
            ItemFields {
                kind: ItemKind::Frame.as_str(),
                pos: Some(pos),
                size: Some(size),
                text: title,
                color: Color::default().name(),
                tags: &[],
                author,
                created_at,
                z,
                ends: None,
            },
        ))
    }

    /// Creates a free text label (no sticky-note background) on top of everything else, with
    /// [`DEFAULT_LABEL_SIZE`].
    pub fn create_label(
        &self,
        txn: &mut TransactionMut,
        pos: Point,
        text: &str,
        author: &str,
        created_at: f64,
    ) -> Result<String, ModelError> {
        check_point(pos)?;
        let z = rank::after(self.top_z(txn).as_deref());
        Ok(self.write_item(
            txn,
            ItemFields {
                kind: ItemKind::Text.as_str(),
                pos: Some(pos),
                size: Some(DEFAULT_LABEL_SIZE),
                text,
                color: Color::default().name(),
                tags: &[],
                author,
                created_at,
                z,
                ends: None,
            },
        ))
    }

    /// Creates an arrow from item `from` to item `to`. Both must exist, differ, and not be
    /// connectors themselves. The connector has an (empty) text for a label on the arrow.
    pub fn create_connector(
        &self,
        txn: &mut TransactionMut,
        from: &str,
        to: &str,
        author: &str,
        created_at: f64,
    ) -> Result<String, ModelError> {
        for end in [from, to] {
            if self.kind_of(txn, end).is_none() {
                return Err(ModelError::NoSuchItem(end.to_owned()));
            }
        }
        if from == to || !self.can_connect(txn, from) || !self.can_connect(txn, to) {
            return Err(ModelError::BadConnector {
                from: from.to_owned(),
                to: to.to_owned(),
            });
        }
        let z = rank::after(self.top_z(txn).as_deref());
        Ok(self.write_item(
            txn,
            ItemFields {
                kind: ItemKind::Connector.as_str(),
                pos: None,
                size: None,
                text: "",
                color: Color::default().name(),
                tags: &[],
                author,
                created_at,
                z,
                ends: Some((from, to)),
            },
        ))
    }

    /// Ids of the connectors attached to item `id` in the document, dangling ones included
    /// (see the module docs), in no particular order.
    pub fn connectors_of<T: ReadTxn>(&self, txn: &T, id: &str) -> Vec<String> {
        self.items
            .iter(txn)
            .filter_map(|(cid, value)| match value {
                Out::YMap(item) if is_connector(txn, &item) => {
                    let attached = read_string(txn, &item, keys::FROM).as_deref() == Some(id)
                        || read_string(txn, &item, keys::TO).as_deref() == Some(id);
                    attached.then(|| cid.to_owned())
                }
                _ => None,
            })
            .collect()
    }

    /// The kind of item `id`, or `None` if there is no such item.
    pub fn kind_of<T: ReadTxn>(&self, txn: &T, id: &str) -> Option<ItemKind> {
        match self.items.get(txn, id)? {
            Out::YMap(item) => Some(read_kind(txn, &item)),
            _ => None,
        }
    }

    /// Whether a connector may end at item `id`: it exists and is not a connector.
    fn can_connect<T: ReadTxn>(&self, txn: &T, id: &str) -> bool {
        self.kind_of(txn, id)
            .is_some_and(|kind| kind != ItemKind::Connector)
    }

    /// Whether `item` should be shown: anything but a dangling connector.
    pub(super) fn shows<T: ReadTxn>(&self, txn: &T, item: &ItemSnapshot) -> bool {
        item.kind != ItemKind::Connector
            || [&item.from, &item.to]
                .into_iter()
                .all(|end| end.as_deref().is_some_and(|end| self.can_connect(txn, end)))
    }

    /// Lowest stacking rank on the board (a linear scan).
    pub fn bottom_z<T: ReadTxn>(&self, txn: &T) -> Option<String> {
        self.z_ranks(txn).min()
    }
}

/// An item's kind; a missing kind reads as a note (the first kind Huddle had).
pub(super) fn read_kind<T: ReadTxn>(txn: &T, item: &MapRef) -> ItemKind {
    read_string(txn, item, keys::KIND)
        .map(ItemKind::from)
        .unwrap_or(ItemKind::Note)
}

fn is_connector<T: ReadTxn>(txn: &T, item: &MapRef) -> bool {
    read_kind(txn, item) == ItemKind::Connector
}

#[cfg(test)]
mod tests {
    use yrs::updates::decoder::Decode;
    use yrs::{Transact, Update};

    use super::*;
    use crate::model::{LOCAL_ORIGIN, NewNote};

    fn sync(from: &Board, to: &Board) {
        let sv = to.doc().transact().state_vector();
        let update = from.doc().transact().encode_state_as_update_v1(&sv);
        let mut txn = to.doc().transact_mut();
        txn.apply_update(Update::decode_v1(&update).expect("decode"))
            .expect("apply");
    }

    fn note(board: &Board) -> String {
        let mut txn = board.transact_mut();
        board
            .create_note(&mut txn, NewNote::default())
            .expect("note")
    }

    #[test]
    fn frames_go_to_the_back_and_labels_on_top() {
        let board = Board::with_client_id(1);
        let n = note(&board);
        let mut txn = board.transact_mut();
        let f = board
            .create_frame(&mut txn, [-10.0, -10.0], None, "Sprint 1", "ann", 5.0)
            .expect("frame");
        let l = board
            .create_label(&mut txn, [0.0, 300.0], "Goals", "ann", 6.0)
            .expect("label");
        let snapshot = board.snapshot(&txn);
        let order: Vec<_> = snapshot
            .items_by_z()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(order, [&f, &n, &l]);
        let frame = &snapshot.items[&f];
        assert_eq!(
            (&frame.kind, frame.size, frame.text.as_str()),
            (&ItemKind::Frame, DEFAULT_FRAME_SIZE, "Sprint 1")
        );
        let label = &snapshot.items[&l];
        assert_eq!(
            (&label.kind, label.size),
            (&ItemKind::Text, DEFAULT_LABEL_SIZE)
        );
        assert!(
            board
                .create_frame(&mut txn, [0.0, 0.0], Some([0.0, 1.0]), "", "", 0.0)
                .is_err()
        );
    }

    #[test]
    fn connectors_join_two_other_items() {
        let board = Board::with_client_id(1);
        let (a, b) = (note(&board), note(&board));
        let mut txn = board.transact_mut();
        let c = board
            .create_connector(&mut txn, &a, &b, "ann", 7.0)
            .expect("connector");
        let item = board.item_snapshot(&txn, &c).expect("visible");
        assert_eq!(item.kind, ItemKind::Connector);
        assert_eq!(
            (item.from.as_deref(), item.to.as_deref()),
            (Some(&*a), Some(&*b))
        );
        assert_eq!((item.pos, item.size), ([0.0, 0.0], [0.0, 0.0]));
        assert_eq!(board.connectors_of(&txn, &a), [c.as_str()]);
        assert!(board.connectors_of(&txn, &c).is_empty());
        let snapshot = board.snapshot(&txn);
        let attached: Vec<_> = snapshot.connectors_of(&b).map(|(id, _)| id).collect();
        assert_eq!(attached, [&c]);
        assert_eq!(snapshot.connectors_of(&c).count(), 0);
        let json = serde_json::to_value(snapshot).expect("json");
        assert_eq!(json["items"][&c]["from"], a.as_str());
        assert!(
            json["items"][&a].get("from").is_none(),
            "notes have no ends"
        );

        let refused = [(&a, &a), (&a, &c), (&c, &b)];
        for (from, to) in refused {
            assert!(matches!(
                board.create_connector(&mut txn, from, to, "", 0.0),
                Err(ModelError::BadConnector { .. })
            ));
        }
        assert_eq!(
            board.create_connector(&mut txn, &a, "nope", "", 0.0),
            Err(ModelError::NoSuchItem("nope".into()))
        );
    }

    #[test]
    fn a_connector_to_a_concurrently_deleted_item_is_hidden_until_it_returns() {
        let (x, y) = (Board::with_client_id(1), Board::with_client_id(2));
        let mut undo = x.undo_manager(|| 0);
        let (a, b) = (note(&x), note(&x));
        sync(&x, &y);
        {
            let mut txn = x.doc().transact_mut_with(LOCAL_ORIGIN);
            x.delete_item(&mut txn, &b).expect("delete");
        }
        let c = {
            let mut txn = y.transact_mut();
            y.create_connector(&mut txn, &a, &b, "bo", 1.0)
                .expect("connector")
        };
        sync(&x, &y);
        sync(&y, &x);
        for board in [&x, &y] {
            let txn = board.doc().transact();
            let snapshot = board.snapshot(&txn);
            assert_eq!(snapshot.items.len(), 1, "only the surviving note shows");
            assert!(board.item_snapshot(&txn, &c).is_none());
            assert_eq!(board.connectors_of(&txn, &a), [c.as_str()]);
        }
        // X undoes its delete: the note and, with it, the connector are back.
        assert!(undo.undo_blocking());
        sync(&x, &y);
        for board in [&x, &y] {
            let snapshot = board.snapshot(&board.doc().transact());
            assert_eq!(snapshot.items.len(), 3);
            assert_eq!(snapshot.items[&c].to.as_deref(), Some(&*b));
        }
    }

    #[test]
    fn unknown_kinds_from_newer_clients_still_snapshot() {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        let item: MapRef = board.items.insert(&mut txn, "s1", MapPrelim::default());
        item.insert(&mut txn, keys::KIND, "sticker");
        item.insert(&mut txn, keys::POS, "not a pair");
        item.insert(&mut txn, keys::FROM, "x");
        let snapshot = board.snapshot(&txn);
        let s = &snapshot.items["s1"];
        assert_eq!(s.kind, ItemKind::Other("sticker".into()));
        assert_eq!((s.pos, s.from.as_ref()), ([0.0, 0.0], None));
    }
}
