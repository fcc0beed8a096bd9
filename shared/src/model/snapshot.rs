//! Plain Rust values of a board: what export, tests and the renderer read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ItemKind, Place, Point, Size, Status, StoryFields, StoryType};
use crate::comments::Thread;
use crate::facilitation::{Lock, Public};
use crate::rounds::{Decision, RoundResult};

/// A whole board as plain values. Items are keyed by id in sorted order, so two equal boards
/// serialise to byte-identical JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardSnapshot {
    pub meta: MetaSnapshot,
    pub items: BTreeMap<String, ItemSnapshot>,
    /// Results of revealed rounds, by round id (a cancelled round leaves none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rounds: BTreeMap<String, RoundResult>,
    /// The decision log, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
    /// The facilitator, its history, the agenda and timer (server-written).
    #[serde(default, skip_serializing_if = "Public::is_default")]
    pub facilitation: Public,
    /// Locked items, by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locks: BTreeMap<String, Lock>,
    /// Comment threads, oldest first: held by the server, not the document, so a snapshot
    /// read from the document has none; the server fills them in for exports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Thread>,
}

/// The items of a board as the page draws them, for a first view before the document itself
/// has arrived and been integrated (`GET /api/boards/{id}/view`). Only what the document
/// holds, so it tells nobody more than syncing the document would; the page drops it for the
/// document once that is synced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BoardView {
    pub items: BTreeMap<String, ItemSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaSnapshot {
    pub title: String,
    /// Milliseconds since the Unix epoch; 0 if unknown.
    pub created_at: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Read through `ItemSnapshotRead`: the same JSON without serde's buffering of `flatten` (the
// web client reads every item of a big board's first view).
#[serde(from = "ItemSnapshotRead")]
pub struct ItemSnapshot {
    pub kind: ItemKind,
    /// Top-left corner; `[0, 0]` for connectors, which are drawn between their endpoints.
    pub pos: Point,
    /// `[0, 0]` for connectors.
    pub size: Size,
    pub text: String,
    /// Colour name; kept as written, so an unknown colour from a newer client survives export.
    pub color: String,
    pub tags: Vec<String>,
    pub author: String,
    pub created_at: f64,
    pub z: String,
    /// Connectors only: the id of the item the arrow starts at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Connectors only: the id of the item the arrow points to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Story maps: where a story or map part sits; `None` for a free item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// A note's story fields (all absent on a plain sticky note).
    #[serde(flatten)]
    pub story: StoryFields,
    /// RACI matrices only: rows, columns and cells (row labels are read from the linked
    /// items, see [`crate::raci`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raci: Option<crate::raci::Raci>,
}

/// [`ItemSnapshot`] as it is read: the story's fields one by one instead of `flatten`, which
/// serde decodes by reading the whole object into a buffer first and then every field a
/// second time (as `ClipItemRead` does for clips); the JSON reads the same.
#[derive(Deserialize)]
struct ItemSnapshotRead {
    kind: ItemKind,
    pos: Point,
    size: Size,
    text: String,
    color: String,
    tags: Vec<String>,
    author: String,
    created_at: f64,
    z: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    place: Option<Place>,
    #[serde(default)]
    raci: Option<crate::raci::Raci>,
    // [`StoryFields`]' fields, as it names them.
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    estimate: Option<f64>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default, rename = "type")]
    story_type: Option<StoryType>,
    #[serde(default)]
    persona: Option<String>,
    #[serde(default)]
    issue_key: Option<String>,
}

impl From<ItemSnapshotRead> for ItemSnapshot {
    fn from(r: ItemSnapshotRead) -> ItemSnapshot {
        ItemSnapshot {
            kind: r.kind,
            pos: r.pos,
            size: r.size,
            text: r.text,
            color: r.color,
            tags: r.tags,
            author: r.author,
            created_at: r.created_at,
            z: r.z,
            from: r.from,
            to: r.to,
            place: r.place,
            story: StoryFields {
                description: r.description,
                estimate: r.estimate,
                status: r.status,
                story_type: r.story_type,
                persona: r.persona,
                issue_key: r.issue_key,
            },
            raci: r.raci,
        }
    }
}

impl BoardSnapshot {
    /// Dots per item from each item's latest revealed dot vote.
    pub fn votes(&self) -> std::collections::HashMap<String, u32> {
        super::results::votes(&self.rounds)
    }

    /// Pretty JSON, as served by `GET /api/boards/{id}/export.json`.
    pub fn to_json_pretty(&self) -> String {
        // Serialising plain structs of strings, numbers and maps with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The connectors attached to item `id` (the renderer redraws them when `id` moves).
    pub fn connectors_of<'a>(
        &'a self,
        id: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a ItemSnapshot)> + 'a {
        self.items.iter().filter(move |(_, item)| {
            item.kind == ItemKind::Connector
                && (item.from.as_deref() == Some(id) || item.to.as_deref() == Some(id))
        })
    }

    /// Items sorted by stacking order (rank, then id to break ties between concurrent writers).
    pub fn items_by_z(&self) -> Vec<(&String, &ItemSnapshot)> {
        let mut items: Vec<_> = self.items.iter().collect();
        crate::sort::sort_by(&mut items, |a, b| (&a.1.z, a.0).cmp(&(&b.1.z, b.0)));
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(story: StoryFields, place: Option<Place>) -> ItemSnapshot {
        ItemSnapshot {
            kind: ItemKind::Note,
            pos: [1.0, 2.0],
            size: [3.0, 4.0],
            text: "As a buyer".into(),
            color: "yellow".into(),
            tags: vec!["checkout".into()],
            author: "Ada".into(),
            created_at: 5.0,
            z: "a0".into(),
            from: None,
            to: None,
            place,
            story,
            raci: None,
        }
    }

    /// Read field by field (`ItemSnapshotRead`), an item's JSON gives back the same item, with
    /// or without story fields, and unknown keys (from a newer writer) are ignored as before.
    #[test]
    fn items_read_back_as_written() {
        let story = StoryFields {
            description: Some("why".into()),
            estimate: Some(3.0),
            status: Some(Status::InProgress),
            story_type: Some(StoryType::default()),
            persona: Some("buyer".into()),
            issue_key: Some("PAY-12".into()),
        };
        let place = Place {
            map: "m".into(),
            parent: Some("p".into()),
            release: None,
            rank: "a0".into(),
        };
        for item in [item(StoryFields::default(), None), item(story, Some(place))] {
            let json = serde_json::to_string(&item).unwrap();
            assert_eq!(crate::json::from_str::<ItemSnapshot>(&json).unwrap(), item);
            let mut value: serde_json::Value = crate::json::from_str(&json).unwrap();
            value["from_the_future"] = serde_json::json!(1);
            assert_eq!(serde_json::from_value::<ItemSnapshot>(value).unwrap(), item);
        }
        let view = BoardView {
            items: [("n1".to_owned(), item(StoryFields::default(), None))].into(),
        };
        let json = serde_json::to_string(&view).unwrap();
        assert_eq!(crate::json::from_str::<BoardView>(&json).unwrap(), view);
    }
}
