//! The board model: the document schema of DESIGN.md behind a typed API.
//!
//! A board is one yrs [`Doc`](yrs::Doc) with two root maps, `meta` and `items`. Only
//! `keys` names document keys; everything else uses [`Board`]. Values written by other
//! replicas are untrusted: readers never panic on a malformed item, they fall back to defaults.
//!
//! # Layout
//!
//! - `keys`: every document key, named once.
//! - `board`: [`Board`], the document handle: metadata, notes, one-item edits, text, reads.
//! - `items`: frames, text labels and connectors; the rule for connectors whose endpoint is
//!   gone.
//! - `batch`: edits of a selection in one transaction (move, delete with attached connectors,
//!   restack, recolour) and what a frame holds.
//! - `changes`: what a transaction did to each item (created, edited, moved, deleted), for
//!   the "since you last looked" journal ([`crate::since`]).
//! - `clip`: copy, paste and duplicate; [`Clip`], the clipboard format, parsed defensively.
//! - `values`: how points, sizes and strings are written, and read back defensively.
//! - `snapshot`: [`BoardSnapshot`], the board as plain values.
//! - `restore`: an item written back from its plain values under its own id (board
//!   import), and the board's template name.
//! - `rewind`: the board's items made what an earlier snapshot of it holds, as ordinary
//!   changes (a version's restore).
//! - `story`: a story's fields (description, estimate, status, type, persona) and [`Place`],
//!   where a story or a map part sits in its story map.
//! - `storymap`: story maps: create one, add and reorder activities, steps and release
//!   slices, place stories into cells and take them out; deletes that never lose a story.
//! - `tags`: [`hashtags`], the `#tags` of a note's text, and [`Board::retag`].
//! - `results`: round results and the decision log, the server's to write
//!   ([`crate::rounds`]); [`votes`] and [`latest_result`] read them.
//! - `raci`: RACI matrices ([`crate::raci`]): create one, add and remove rows and columns,
//!   set cells, and read one back as a plain [`crate::raci::Raci`].
//! - `undo`: transaction origins ([`LOCAL_ORIGIN`], ...), an [`UndoManager`] that undoes
//!   only local changes, and [`Board::undo`]/[`Board::redo`], which repair what a yrs undo
//!   cannot restore.

mod batch;
mod board;
mod changes;
mod clip;
mod facilitation;
mod items;
pub(crate) mod keys;
mod raci;
mod restore;
mod results;
mod rewind;
mod snapshot;
mod story;
mod storymap;
mod tags;
mod undo;
mod values;
mod view_wire;

pub use board::{Board, NewNote, doc_options};
pub use changes::ChangeSink;
pub use clip::{
    CLIP_VERSION, Clip, ClipError, ClipItem, DUPLICATE_OFFSET, MAX_CLIP_BYTES, MAX_CLIP_ITEMS,
    MAX_CLIP_TEXT_CHARS,
};
pub use items::{DEFAULT_FRAME_SIZE, DEFAULT_LABEL_SIZE};
pub use raci::NewRaci;
pub use results::{latest_result, votes};
pub use rewind::Rewound;
pub use snapshot::{BoardSnapshot, BoardView, ItemSnapshot, MetaSnapshot};
pub use story::{
    MAX_ESTIMATE, MAX_ISSUE_KEY_CHARS, MAX_STORY_FIELD_CHARS, Place, Status, StoryFields,
    StoryType, check_estimate, check_issue_key,
};
pub use tags::{MAX_TAG_CHARS, MAX_TAGS, hashtags, without_tags};
pub use undo::{LOCAL_ORIGIN, REMOTE_ORIGIN, RESTORE_ORIGIN, UNDO_CAPTURE_MS, UndoManager};

use serde::{Deserialize, Serialize};

/// `[x, y]` in board coordinates (CSS pixels at 100% zoom).
pub type Point = [f64; 2];
/// `[width, height]` in board coordinates.
pub type Size = [f64; 2];

/// Size of a new sticky note: square, like the paper ones.
pub const DEFAULT_NOTE_SIZE: Size = [200.0, 200.0];

/// What an item is. Unknown kinds written by newer clients are kept, not rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ItemKind {
    Note,
    Frame,
    Text,
    Connector,
    /// A story map: its `pos` is the map's top-left corner, its text the map's title.
    StoryMap,
    /// A column group of a story map's backbone (placed by rank in its map).
    Activity,
    /// A user task under an activity (placed by rank in its activity).
    Step,
    /// A horizontal release slice of a story map (placed by rank in its map).
    Release,
    /// A RACI matrix (see [`crate::raci`]): rows linked to notes, columns, lettered cells.
    Raci,
    Other(String),
}

impl ItemKind {
    /// The parts of a story map's structure (laid out by the map, never free on the canvas).
    pub fn is_map_part(&self) -> bool {
        matches!(
            self,
            ItemKind::Activity | ItemKind::Step | ItemKind::Release
        )
    }

    pub fn as_str(&self) -> &str {
        match self {
            ItemKind::Note => "note",
            ItemKind::Frame => "frame",
            ItemKind::Text => "text",
            ItemKind::Connector => "connector",
            ItemKind::StoryMap => "storymap",
            ItemKind::Activity => "activity",
            ItemKind::Step => "step",
            ItemKind::Release => "release",
            ItemKind::Raci => "raci",
            ItemKind::Other(s) => s,
        }
    }
}

impl From<&str> for ItemKind {
    fn from(s: &str) -> Self {
        match s {
            "note" => ItemKind::Note,
            "frame" => ItemKind::Frame,
            "text" => ItemKind::Text,
            "connector" => ItemKind::Connector,
            "storymap" => ItemKind::StoryMap,
            "activity" => ItemKind::Activity,
            "step" => ItemKind::Step,
            "release" => ItemKind::Release,
            "raci" => ItemKind::Raci,
            _ => ItemKind::Other(s.to_owned()),
        }
    }
}

impl From<String> for ItemKind {
    fn from(s: String) -> Self {
        ItemKind::from(s.as_str())
    }
}

impl From<ItemKind> for String {
    fn from(k: ItemKind) -> Self {
        k.as_str().to_owned()
    }
}

/// The eight sticky-note colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    #[default]
    Yellow,
    Orange,
    Red,
    Pink,
    Purple,
    Blue,
    Teal,
    Green,
}

impl Color {
    pub const ALL: [Color; 8] = [
        Color::Yellow,
        Color::Orange,
        Color::Red,
        Color::Pink,
        Color::Purple,
        Color::Blue,
        Color::Teal,
        Color::Green,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Color::Yellow => "yellow",
            Color::Orange => "orange",
            Color::Red => "red",
            Color::Pink => "pink",
            Color::Purple => "purple",
            Color::Blue => "blue",
            Color::Teal => "teal",
            Color::Green => "green",
        }
    }

    /// Parses a colour name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Color> {
        Color::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Fill colour for rendering (pastel, readable with dark text).
    pub fn hex(self) -> &'static str {
        match self {
            Color::Yellow => "#fff59d",
            Color::Orange => "#ffcc80",
            Color::Red => "#ef9a9a",
            Color::Pink => "#f8bbd0",
            Color::Purple => "#d1c4e9",
            Color::Blue => "#90caf9",
            Color::Teal => "#80cbc4",
            Color::Green => "#c5e1a5",
        }
    }
}

/// Why a model operation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("no item with id {0:?} on this board")]
    NoSuchItem(String),
    #[error("item {0:?} has no text")]
    NoText(String),
    #[error("coordinates must be finite numbers, got {0:?}")]
    NotFinite([f64; 2]),
    #[error("size must be positive, got {0:?}")]
    BadSize([f64; 2]),
    #[error("text position {index} is past the end of the text ({len} UTF-16 units)")]
    TextOutOfRange { index: u32, len: u32 },
    #[error("item {id:?} is not a {expected}")]
    WrongKind { id: String, expected: &'static str },
    #[error("{field} is not valid: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error(
        "a connector joins two different items that are not connectors, not {from:?} -> {to:?}"
    )]
    BadConnector { from: String, to: String },
}
