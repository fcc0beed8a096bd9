//! What [`super::validate::walk_update_v1`] reports while it walks an update: each struct with
//! its id, origins, parent and content, and each delete range.
//!
//! The validator already reads every field of every block to check it; a visitor lets other
//! code (the lock check in [`crate::locks`]) see those fields without a second decoder, and
//! before yrs sees the bytes. Plain validation uses [`NoVisit`], whose empty methods the
//! compiler removes: the walk is generic over the visitor, so each use is its own copy.

/// A block id: a client and a clock (yrs's `ID`), as written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id {
    pub client: u64,
    pub clock: u32,
}

impl Id {
    pub fn new(client: u64, clock: u32) -> Self {
        Id { client, clock }
    }
}

/// An item's parent as written. Yjs writes it only when the item has neither origin, and
/// yrs then takes the parent (and the map key) from the left origin's item, else the right's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentRef<'a> {
    /// Not written: the item has an origin, the parent comes from it.
    Inferred,
    /// A root type by name (such as the root map `items`).
    Root(&'a str),
    /// The item (a shared type) whose content this item belongs to.
    Id(Id),
}

/// Which kind of content an item carries (yrs's content ref numbers 1..=9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    Deleted,
    /// Legacy JSON strings (old Yjs); `raw` is the count and the strings.
    Json,
    Binary,
    String,
    Embed,
    Format,
    /// A shared type (map, text, array, ...): other items can name it as their parent.
    Type,
    /// `Any` values; `raw` is the count then the values: read one map's field with
    /// [`super::validate::any_map_strings`].
    Any,
    Doc,
}

/// One item (a content-carrying block), fields as written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemStruct<'a> {
    pub id: Id,
    /// Clock units the item covers (yrs's `len`): its id is `id.clock..id.clock + len`.
    pub len: u32,
    pub origin: Option<Id>,
    pub right_origin: Option<Id>,
    pub parent: ParentRef<'a>,
    /// The map key, when the parent is written and the item is a map entry.
    pub parent_sub: Option<&'a str>,
    pub content: ContentKind,
    /// The content's encoding, exactly the bytes after the parent fields.
    pub raw: &'a [u8],
}

/// One struct of an update's struct part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Struct<'a> {
    /// Garbage: clocks whose items were collected; it has no parent.
    Gc {
        id: Id,
        len: u32,
    },
    /// A gap in a merged update.
    Skip {
        id: Id,
        len: u32,
    },
    Item(ItemStruct<'a>),
}

/// Called by the walk for what it reads, in the update's order. Every method does nothing
/// unless overridden. Calls happen only for structs and ranges that passed their checks; if
/// the walk then fails further on, what was reported so far belongs to an invalid update.
pub trait Visit<'a> {
    /// A struct, after it has been read whole.
    fn structure(&mut self, _s: Struct<'a>) {}
    /// A delete range of the delete set: `clock..clock + len` of `client`.
    fn delete_range(&mut self, _client: u64, _clock: u32, _len: u32) {}
}

/// The visitor of plain validation: reports go nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVisit;

impl Visit<'_> for NoVisit {}
