//! [`Board`]: typed reads and writes of one board document.

use std::collections::BTreeMap;

use yrs::{
    Any, Doc, Map, MapRef, OffsetKind, Options, Out, ReadTxn, Text, TextRef, Transact,
    TransactionMut,
};

use super::items::ItemFields;
use super::keys;
use super::snapshot::{BoardSnapshot, BoardView, ItemSnapshot};
use super::values::{check_point, check_size, pair, read_item, read_meta, read_string, strings};
use super::{Color, DEFAULT_NOTE_SIZE, ItemKind, ModelError, Point, Size};
use crate::rank;

/// One board: a yrs document with the `meta` and `items` root maps.
///
/// Writes take a `&mut TransactionMut` so that one user gesture is one transaction (one undo
/// step, one update on the wire). Reads take any transaction.
#[derive(Debug, Clone)]
pub struct Board {
    doc: Doc,
    pub(super) meta: MapRef,
    pub(super) items: MapRef,
    /// Round results and the decision log: the server's to write (see `results`).
    pub(super) rounds: MapRef,
    pub(super) decisions: MapRef,
    /// Facilitation's public state and the locks: the server's to write (see `facilitation`).
    pub(super) facilitation: MapRef,
    pub(super) locks: MapRef,
}

/// A note to create. `Default` gives an empty yellow note at the origin.
#[derive(Debug, Clone, Default)]
pub struct NewNote {
    pub pos: Point,
    /// `None`: [`DEFAULT_NOTE_SIZE`].
    pub size: Option<Size>,
    pub text: String,
    pub color: Color,
    pub tags: Vec<String>,
    pub author: String,
    /// Milliseconds since the Unix epoch (the model has no clock; the caller passes it).
    pub created_at: f64,
    /// Stacking rank; `None` puts the note on top of everything else.
    pub z: Option<String>,
}

/// Options every Huddle document uses. Text offsets count UTF-16 code units, as JavaScript
/// strings and Yjs do, so indices from a browser text field apply unchanged.
pub fn doc_options() -> Options {
    Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    }
}

impl Default for Board {
    fn default() -> Self {
        Self::new()
    }
}

impl Board {
    /// An empty board with a random client id.
    pub fn new() -> Self {
        Self::from_doc(Doc::with_options(doc_options()))
    }

    /// An empty board with a fixed client id (deterministic tests).
    pub fn with_client_id(client_id: u64) -> Self {
        let mut options = doc_options();
        options.client_id = yrs::block::ClientID::new(client_id);
        Self::from_doc(Doc::with_options(options))
    }

    /// Wraps an existing document (for example one loaded from storage). Must not be called
    /// while a transaction on `doc` is open.
    pub fn from_doc(doc: Doc) -> Self {
        let meta = doc.get_or_insert_map(keys::META);
        let items = doc.get_or_insert_map(keys::ITEMS);
        let rounds = doc.get_or_insert_map(keys::ROUNDS);
        let decisions = doc.get_or_insert_map(keys::DECISIONS);
        let facilitation = doc.get_or_insert_map(keys::FACILITATION);
        let locks = doc.get_or_insert_map(keys::LOCKS);
        Board {
            doc,
            meta,
            items,
            rounds,
            decisions,
            facilitation,
            locks,
        }
    }

    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The root map of items (item id -> item map), for observers such as the client's
    /// renderer, which re-reads only the items an event touched.
    pub fn items_root(&self) -> &MapRef {
        &self.items
    }

    /// The root map of the board's metadata (title, ...), for observers.
    pub fn meta_root(&self) -> &MapRef {
        &self.meta
    }

    /// Opens a read-write transaction on the board's document.
    pub fn transact_mut(&self) -> TransactionMut<'_> {
        self.doc.transact_mut()
    }

    // ---- meta -------------------------------------------------------------------------------

    /// Writes the metadata of a new board.
    pub fn init_meta(&self, txn: &mut TransactionMut, title: &str, created_at: f64) {
        self.meta.insert(txn, keys::TITLE, title);
        self.meta.insert(txn, keys::CREATED_AT, created_at);
    }

    pub fn set_title(&self, txn: &mut TransactionMut, title: &str) {
        self.meta.insert(txn, keys::TITLE, title);
    }

    pub fn title<T: ReadTxn>(&self, txn: &T) -> Option<String> {
        match self.meta.get(txn, keys::TITLE)? {
            Out::Any(Any::String(s)) => Some(s.to_string()),
            _ => None,
        }
    }

    // ---- items ------------------------------------------------------------------------------

    /// Creates a sticky note and returns its id.
    pub fn create_note(
        &self,
        txn: &mut TransactionMut,
        note: NewNote,
    ) -> Result<String, ModelError> {
        check_point(note.pos)?;
        let size = note.size.unwrap_or(DEFAULT_NOTE_SIZE);
        check_size(size)?;
        let z = match note.z {
            Some(z) => z,
            None => rank::after(self.top_z(txn).as_deref()),
        };
        let id = self.write_item(
            txn,
            ItemFields {
                kind: ItemKind::Note.as_str(),
                pos: Some(note.pos),
                size: Some(size),
                text: &note.text,
                color: note.color.name(),
                tags: &note.tags,
                author: &note.author,
                created_at: note.created_at,
                z,
                ends: None,
            },
        );
        Ok(id)
    }

    /// Creates a sticky note under `id` (a private note published with the id its author's
    /// page gave it); an id already on the board is refused, and so is an empty one.
    pub fn create_note_with_id(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        note: NewNote,
    ) -> Result<(), ModelError> {
        check_point(note.pos)?;
        let size = note.size.unwrap_or(DEFAULT_NOTE_SIZE);
        check_size(size)?;
        if id.is_empty() || self.items.get(txn, id).is_some() {
            return Err(ModelError::BadField {
                field: "id",
                reason: format!("{id:?} is empty or already on the board"),
            });
        }
        let z = match note.z {
            Some(z) => z,
            None => rank::after(self.top_z(txn).as_deref()),
        };
        self.write_item_as(
            txn,
            id.to_owned(),
            ItemFields {
                kind: ItemKind::Note.as_str(),
                pos: Some(note.pos),
                size: Some(size),
                text: &note.text,
                color: note.color.name(),
                tags: &note.tags,
                author: &note.author,
                created_at: note.created_at,
                z,
                ends: None,
            },
        );
        Ok(())
    }

    /// Whether the board has an item (of any kind) with this id.
    pub fn has_item<T: ReadTxn>(&self, txn: &T, id: &str) -> bool {
        self.items.get(txn, id).is_some()
    }

    /// Moves an item. Callers write the final position of a drag, not every frame of it.
    pub fn move_item(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        pos: Point,
    ) -> Result<(), ModelError> {
        check_point(pos)?;
        self.item(txn, id)?.insert(txn, keys::POS, pair(pos));
        Ok(())
    }

    pub fn resize_item(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        size: Size,
    ) -> Result<(), ModelError> {
        check_size(size)?;
        self.item(txn, id)?.insert(txn, keys::SIZE, pair(size));
        Ok(())
    }

    pub fn recolor(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        color: Color,
    ) -> Result<(), ModelError> {
        self.item(txn, id)?.insert(txn, keys::COLOR, color.name());
        Ok(())
    }

    pub fn set_tags(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        tags: &[String],
    ) -> Result<(), ModelError> {
        self.item(txn, id)?.insert(txn, keys::TAGS, strings(tags));
        Ok(())
    }

    /// Sets an item's stacking rank (see [`crate::rank`]).
    pub fn set_z(&self, txn: &mut TransactionMut, id: &str, z: &str) -> Result<(), ModelError> {
        self.item(txn, id)?.insert(txn, keys::Z, z);
        Ok(())
    }

    /// Brings an item to the front of the stacking order.
    pub fn bring_to_front(&self, txn: &mut TransactionMut, id: &str) -> Result<(), ModelError> {
        let z = rank::after(self.top_z(txn).as_deref());
        self.set_z(txn, id, &z)
    }

    /// Deletes an item and the connectors attached to it (see [`Board::delete_items`]).
    pub fn delete_item(&self, txn: &mut TransactionMut, id: &str) -> Result<(), ModelError> {
        if self.items.get(txn, id).is_none() {
            return Err(ModelError::NoSuchItem(id.to_owned()));
        }
        self.delete_items(txn, &[id.to_owned()]);
        Ok(())
    }

    /// The item's text as a shared `Y.Text` (for binding to a text field).
    pub fn text<T: ReadTxn>(&self, txn: &T, id: &str) -> Result<TextRef, ModelError> {
        match self.item(txn, id)?.get(txn, keys::TEXT) {
            Some(Out::YText(text)) => Ok(text),
            _ => Err(ModelError::NoText(id.to_owned())),
        }
    }

    /// Inserts `chunk` at `index` (UTF-16 code units) in the item's text.
    pub fn insert_text(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        index: u32,
        chunk: &str,
    ) -> Result<(), ModelError> {
        let text = self.text(txn, id)?;
        let len = text.len(txn);
        if index > len {
            return Err(ModelError::TextOutOfRange { index, len });
        }
        text.insert(txn, index, chunk);
        Ok(())
    }

    /// Deletes `count` UTF-16 code units at `index` from the item's text (clamped to its end).
    pub fn delete_text(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        index: u32,
        count: u32,
    ) -> Result<(), ModelError> {
        let text = self.text(txn, id)?;
        let len = text.len(txn);
        if index > len {
            return Err(ModelError::TextOutOfRange { index, len });
        }
        text.remove_range(txn, index, count.min(len - index));
        Ok(())
    }

    /// Ids of all items, in no particular order.
    pub fn item_ids<T: ReadTxn>(&self, txn: &T) -> Vec<String> {
        self.items.keys(txn).map(str::to_owned).collect()
    }

    pub fn item_count<T: ReadTxn>(&self, txn: &T) -> u32 {
        self.items.len(txn)
    }

    /// One item as plain values, or `None` if there is no such item (or it is not a map, or
    /// it is a connector whose endpoint is gone: see [`Board::connectors_of`]).
    pub fn item_snapshot<T: ReadTxn>(&self, txn: &T, id: &str) -> Option<ItemSnapshot> {
        match self.items.get(txn, id)? {
            Out::YMap(item) => Some(read_item(txn, &item)).filter(|i| self.shows(txn, i)),
            _ => None,
        }
    }

    /// The whole board as plain values (for export, tests and rendering), without connectors
    /// whose endpoint is gone.
    pub fn snapshot<T: ReadTxn>(&self, txn: &T) -> BoardSnapshot {
        BoardSnapshot {
            meta: read_meta(txn, &self.meta),
            items: self.visible_items(txn),
            rounds: self.round_results(txn),
            decisions: self.decisions(txn),
            facilitation: self.facilitation(txn),
            locks: self.locks(txn),
            comments: Vec::new(),
        }
    }

    /// The items as the page draws them (what [`Board::item_snapshot`] reads for each), for a
    /// first view served before the document (see [`BoardView`]).
    pub fn view<T: ReadTxn>(&self, txn: &T) -> BoardView {
        BoardView {
            items: self.visible_items(txn),
        }
    }

    /// Every item as plain values, by id, without connectors whose endpoint is gone.
    fn visible_items<T: ReadTxn>(&self, txn: &T) -> BTreeMap<String, ItemSnapshot> {
        let mut items = Vec::with_capacity(self.items.len(txn) as usize);
        for (id, value) in self.items.iter(txn) {
            if let Out::YMap(item) = value {
                let item = read_item(txn, &item);
                if self.shows(txn, &item) {
                    items.push((id.to_owned(), item));
                }
            }
        }
        // Sorted first (an item is a few hundred bytes: `sort` moves indices, not items), so
        // that each goes in at the map's end; `collect` would sort the items themselves.
        crate::sort::sort_by(&mut items, |a, b| a.0.cmp(&b.0));
        let mut map = BTreeMap::new();
        for (id, item) in items {
            map.insert(id, item);
        }
        map
    }

    /// Highest stacking rank on the board (a linear scan; callers that create many items
    /// in a row should track it and pass [`NewNote::z`]).
    pub fn top_z<T: ReadTxn>(&self, txn: &T) -> Option<String> {
        self.z_ranks(txn).max()
    }

    /// Every item's valid stacking rank, in no order.
    pub(super) fn z_ranks<'a, T: ReadTxn>(
        &'a self,
        txn: &'a T,
    ) -> impl Iterator<Item = String> + 'a {
        self.items
            .iter(txn)
            .filter_map(|(_, value)| match value {
                Out::YMap(item) => read_string(txn, &item, keys::Z),
                _ => None,
            })
            .filter(|z| rank::is_valid(z))
    }

    fn item<T: ReadTxn>(&self, txn: &T, id: &str) -> Result<MapRef, ModelError> {
        match self.items.get(txn, id) {
            Some(Out::YMap(item)) => Ok(item),
            _ => Err(ModelError::NoSuchItem(id.to_owned())),
        }
    }
}
