//! Every document key Huddle uses. The only place in the project that names them: everything
//! else goes through the typed API of [`crate::model::Board`], so a rename happens here once.

/// Root map with board-wide metadata.
pub const META: &str = "meta";
/// Root map: item id -> item map.
pub const ITEMS: &str = "items";

/// `meta.title`: the board's name, a plain string (last writer wins).
pub const TITLE: &str = "title";
/// `meta.created_at`: milliseconds since the Unix epoch.
pub const CREATED_AT: &str = "created_at";
/// `meta.template`: the template the board was made from, if any.
pub const TEMPLATE: &str = "template";

/// `item.kind`: what the item is (`note`, `frame`, `text`, `connector`).
pub const KIND: &str = "kind";
/// `item.pos`: `[x, y]` as one value, so a move leaves one tombstone, not two.
pub const POS: &str = "pos";
/// `item.size`: `[w, h]` as one value, for the same reason.
pub const SIZE: &str = "size";
/// `item.text`: a `Y.Text`, so two people typing in one note merge character by character.
pub const TEXT: &str = "text";
/// `item.color`: a colour name from [`crate::model::Color`].
pub const COLOR: &str = "color";
/// `item.tags`: an array of strings, replaced as a whole.
pub const TAGS: &str = "tags";
/// `item.author`: display name of whoever created the item.
pub const AUTHOR: &str = "author";
/// `item.z`: fractional rank string for the stacking order (see [`crate::rank`]).
pub const Z: &str = "z";
/// `connector.from`: id of the item the arrow starts at.
pub const FROM: &str = "from";
/// `connector.to`: id of the item the arrow points to.
pub const TO: &str = "to";
