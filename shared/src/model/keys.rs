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
/// `item.issue_key`: the key of the issue tracker's issue the story came from (Jira's `PAY-12`),
/// a plain string, so an export updates that issue instead of creating a copy.
pub const ISSUE_KEY: &str = "issue_key";

/// Root map: round id -> the round's result as a JSON string ([`crate::rounds::RoundResult`]),
/// written only by the server at the reveal (one value, so a result is replaced whole).
pub const ROUNDS: &str = "rounds";
/// Root map: decision id -> a decision log entry as a JSON string
/// ([`crate::rounds::Decision`]), written only by the server; never changed once written.
pub const DECISIONS: &str = "decisions";

/// Root map: the public facilitation state ([`crate::facilitation::Public`]), one JSON string
/// per field, written only by the server.
pub const FACILITATION: &str = "facilitation";
/// `facilitation.facilitator`: who holds the role ([`crate::facilitation::PersonRef`]).
pub const FACILITATOR: &str = "facilitator";
/// `facilitation.history`: the latest turns ([`crate::facilitation::Turn`]), oldest first.
pub const HISTORY: &str = "history";
/// `facilitation.agenda`: the agenda and its running step.
pub const AGENDA: &str = "agenda";
/// `facilitation.timer`: the server's timer.
pub const TIMER: &str = "timer";
/// `facilitation.private`: present while private writing is on.
pub const PRIVATE: &str = "private";
/// `facilitation.balance_public`: the contribution balance is shown to everyone.
pub const BALANCE_PUBLIC: &str = "balance_public";
/// Root map: locked item id -> [`crate::facilitation::Lock`] as a JSON string, written only by
/// the server.
pub const LOCKS: &str = "locks";

/// `raci.rows`: a nested `Y.Map` of a RACI matrix, linked item id -> fractional rank string
/// (see [`crate::raci`]); adding a row writes one key, so concurrent adds never collide.
pub const RACI_ROWS: &str = "rows";
/// `raci.cols`: a nested `Y.Map`, column id -> ONE map value (`kind`, `person`, `label`,
/// `rank`), so a rename or a move replaces the column whole.
pub const RACI_COLS: &str = "cols";
/// `raci.cells`: a nested `Y.Map`, `"{row}|{col}"` -> `"R"`, `"A"`, `"C"` or `"I"` (absent:
/// empty). One key per cell, so concurrent edits of one cell converge last-writer-wins and
/// edits of different cells never conflict.
pub const RACI_CELLS: &str = "cells";
/// Between a row's item id and a column id in a [`RACI_CELLS`] key (ids never hold it).
pub const RACI_CELL_SEP: char = '|';
/// `col.kind`: `person` or `role`.
pub const COL_KIND: &str = "kind";
/// `col.person`: a person column's person id.
pub const COL_PERSON: &str = "person";
/// `col.label`: what the column's header shows.
pub const COL_LABEL: &str = "label";
/// `col.rank`: fractional rank among the columns.
pub const COL_RANK: &str = "rank";
