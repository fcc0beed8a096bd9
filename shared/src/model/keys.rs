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

/// `item.place`: where a story-map part or a story sits in its map, ONE map value
/// (`map`, `parent`, `release`, `rank`), so a move is atomic: two people moving the same story
/// concurrently leave it in one of the two cells, never half in each.
pub const PLACE: &str = "place";
/// `place.map`: id of the `storymap` item.
pub const PLACE_MAP: &str = "map";
/// `place.parent`: a step's activity, or a story's step.
pub const PLACE_PARENT: &str = "parent";
/// `place.release`: a story's release slice; absent for an unscheduled story.
pub const PLACE_RELEASE: &str = "release";
/// `place.rank`: fractional rank among its siblings (see [`crate::rank`]).
pub const PLACE_RANK: &str = "rank";

/// `item.description`: a story's longer text, a plain string (last writer wins).
pub const DESCRIPTION: &str = "description";
/// `item.estimate`: a story's estimate in story points, a number.
pub const ESTIMATE: &str = "estimate";
/// `item.status`: a story's status name (see [`crate::model::Status`]).
pub const STATUS: &str = "status";
/// `item.type`: a story's type name (see [`crate::model::StoryType`]).
pub const STORY_TYPE: &str = "type";
/// `item.persona`: who the story is for, a plain string.
pub const PERSONA: &str = "persona";

/// Root map: round id -> the round's result as a JSON string ([`crate::rounds::RoundResult`]),
/// written only by the server at the reveal (one value, so a result is replaced whole).
pub const ROUNDS: &str = "rounds";
/// Root map: decision id -> a decision log entry as a JSON string
/// ([`crate::rounds::Decision`]), written only by the server; never changed once written.
pub const DECISIONS: &str = "decisions";
