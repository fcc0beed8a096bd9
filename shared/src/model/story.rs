//! A story's fields and [`Place`], where a story or a story-map part sits in its map.
//!
//! Any sticky note can be a story: dropping it into a map gives it a `place`, and the story
//! fields (description, estimate, status, type, persona) are plain keys on the note, each
//! last-writer-wins on its own, so one person setting the estimate while another sets the
//! status keeps both. The title is the note's text.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use yrs::{Any, Map, MapRef, Out, ReadTxn, TransactionMut};

use super::board::Board;
use super::keys;
use super::values::{ItemFields, number_of, string_of};
use super::{ItemKind, ModelError};
use crate::rank;

/// Longest description, persona, status or type accepted from a user, in characters.
/// Descriptions are paragraphs, not documents; a bound keeps a paste from bloating the board.
pub const MAX_STORY_FIELD_CHARS: usize = 10_000;
/// Largest estimate accepted, in story points (bigger is a typo, not a story).
pub const MAX_ESTIMATE: f64 = 10_000.0;

/// What kind of work a story is. The map shows the share of tech-debt points in each slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoryType {
    #[default]
    Feature,
    TechDebt,
    Bug,
    Spike,
}

impl StoryType {
    pub const ALL: [StoryType; 4] = [
        StoryType::Feature,
        StoryType::TechDebt,
        StoryType::Bug,
        StoryType::Spike,
    ];

    /// The name stored in the document and used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            StoryType::Feature => "feature",
            StoryType::TechDebt => "tech_debt",
            StoryType::Bug => "bug",
            StoryType::Spike => "spike",
        }
    }

    /// The name people read ("Tech debt").
    pub fn label(self) -> &'static str {
        match self {
            StoryType::Feature => "Feature",
            StoryType::TechDebt => "Tech debt",
            StoryType::Bug => "Bug",
            StoryType::Spike => "Spike",
        }
    }

    /// Parses a stored name or a label, ignoring case, spaces, `-` and `_` ("Tech Debt",
    /// "tech-debt" and "tech_debt" are all [`StoryType::TechDebt`]).
    pub fn parse(s: &str) -> Option<StoryType> {
        let folded = fold(s);
        StoryType::ALL
            .into_iter()
            .find(|t| fold(t.name()) == folded)
    }
}

/// Where a story is in its life. Kept small on purpose: the map is for planning, not a
/// workflow engine; other tools' statuses map onto these three on import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Todo,
    InProgress,
    Done,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Todo, Status::InProgress, Status::Done];

    pub fn name(self) -> &'static str {
        match self {
            Status::Todo => "todo",
            Status::InProgress => "in_progress",
            Status::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Todo => "To Do",
            Status::InProgress => "In Progress",
            Status::Done => "Done",
        }
    }

    /// Parses a stored name or a label, ignoring case, spaces, `-` and `_`.
    pub fn parse(s: &str) -> Option<Status> {
        let folded = fold(s);
        Status::ALL.into_iter().find(|t| fold(t.name()) == folded)
    }
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A story's fields besides its title (the note's text) and tags. All optional: a plain
/// sticky note has none of them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StoryFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Story points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub story_type: Option<StoryType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    /// The issue tracker's key of the story (Jira's `PAY-12`), kept from an import so that
    /// exporting back updates that issue; see [`check_issue_key`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_key: Option<String>,
}

impl StoryFields {
    pub fn is_empty(&self) -> bool {
        *self == StoryFields::default()
    }

    /// The story's type, [`StoryType::Feature`] when unset.
    pub fn kind(&self) -> StoryType {
        self.story_type.unwrap_or_default()
    }
}

/// Where a story or a map part sits: in which map, under which parent, in which release
/// slice, at which rank among its siblings.
///
/// - activity and release: `parent` and `release` are `None`; siblings are the map's
///   activities (or releases);
/// - step: `parent` is its activity;
/// - story (a note): `parent` is its step, `release` its slice (`None`: unscheduled); its
///   siblings are the stories of the same cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    pub map: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    pub rank: String,
}

impl Place {
    /// Whether `self` and `other` share a list of siblings (same map, parent and release).
    pub fn same_list(&self, other: &Place) -> bool {
        self.map == other.map && self.parent == other.parent && self.release == other.release
    }

    pub(super) fn to_any(&self) -> Any {
        let mut map = HashMap::new();
        map.insert(keys::PLACE_MAP.to_owned(), Any::from(self.map.as_str()));
        if let Some(parent) = &self.parent {
            map.insert(keys::PLACE_PARENT.to_owned(), Any::from(parent.as_str()));
        }
        if let Some(release) = &self.release {
            map.insert(keys::PLACE_RELEASE.to_owned(), Any::from(release.as_str()));
        }
        map.insert(keys::PLACE_RANK.to_owned(), Any::from(self.rank.as_str()));
        Any::Map(Arc::new(map))
    }

    /// Reads a place written by any replica; `None` if it is malformed (such an item is
    /// treated as not placed, so it still shows on the canvas).
    pub(super) fn from_any(any: &Any) -> Option<Place> {
        let Any::Map(map) = any else { return None };
        let string = |key: &str| match map.get(key) {
            Some(Any::String(s)) => Some(s.to_string()),
            _ => None,
        };
        let rank = string(keys::PLACE_RANK).filter(|r| rank::is_valid(r))?;
        Some(Place {
            map: string(keys::PLACE_MAP)?,
            parent: string(keys::PLACE_PARENT),
            release: string(keys::PLACE_RELEASE),
            rank,
        })
    }
}

pub(super) fn read_place<T: ReadTxn>(txn: &T, item: &MapRef) -> Option<Place> {
    place_of(&item.get(txn, keys::PLACE)?)
}

pub(super) fn place_of(value: &Out) -> Option<Place> {
    match value {
        Out::Any(any) => Place::from_any(any),
        _ => None,
    }
}

pub(super) fn read_story<T: ReadTxn>(txn: &T, item: &MapRef) -> StoryFields {
    StoryFields::from_item(&ItemFields::read(txn, item))
}

impl StoryFields {
    /// The story's fields among an item's values (what is malformed reads as missing).
    pub(super) fn from_item(f: &ItemFields) -> StoryFields {
        let string = |value: &Option<Out>| value.as_ref().and_then(string_of);
        StoryFields {
            description: string(&f.description),
            estimate: f
                .estimate
                .as_ref()
                .and_then(number_of)
                .filter(|n| check_estimate(*n).is_ok()),
            status: string(&f.status).and_then(|s| Status::parse(&s)),
            story_type: string(&f.story_type).and_then(|s| StoryType::parse(&s)),
            persona: string(&f.persona),
            issue_key: string(&f.issue_key).filter(|k| check_issue_key(k).is_ok()),
        }
    }
}

fn check_text(field: &'static str, value: &str) -> Result<(), ModelError> {
    if value.chars().count() > MAX_STORY_FIELD_CHARS {
        return Err(ModelError::BadField {
            field,
            reason: format!("longer than {MAX_STORY_FIELD_CHARS} characters"),
        });
    }
    Ok(())
}

/// Longest issue key accepted, in characters (Jira's project keys are at most 255 characters
/// in theory, 10 in practice; a number follows).
pub const MAX_ISSUE_KEY_CHARS: usize = 64;

/// Checks an issue key: 1 to [`MAX_ISSUE_KEY_CHARS`] characters, none of them whitespace or a
/// control character (Jira's keys are `PROJECT-123`; other trackers differ, so the shape is
/// not checked further).
pub fn check_issue_key(key: &str) -> Result<(), ModelError> {
    let reason = if key.is_empty() {
        "is empty"
    } else if key.chars().count() > MAX_ISSUE_KEY_CHARS {
        "is longer than 64 characters"
    } else if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "contains a space or a control character"
    } else {
        return Ok(());
    };
    Err(ModelError::BadField {
        field: "issue key",
        reason: reason.into(),
    })
}

/// Checks an estimate from a user: finite, not negative, at most [`MAX_ESTIMATE`].
pub fn check_estimate(points: f64) -> Result<(), ModelError> {
    if points.is_finite() && (0.0..=MAX_ESTIMATE).contains(&points) {
        Ok(())
    } else {
        Err(ModelError::BadField {
            field: "estimate",
            reason: format!("must be a number from 0 to {MAX_ESTIMATE}, got {points}"),
        })
    }
}

impl Board {
    /// Writes the story fields of item `id` that differ from what it holds (so re-saving an
    /// unchanged form writes nothing). `None` fields are removed. Only notes carry stories.
    pub fn set_story_fields(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        fields: &StoryFields,
    ) -> Result<(), ModelError> {
        let item = self.note_map(txn, id)?;
        if let Some(d) = &fields.description {
            check_text("description", d)?;
        }
        if let Some(p) = &fields.persona {
            check_text("persona", p)?;
        }
        if let Some(e) = fields.estimate {
            check_estimate(e)?;
        }
        if let Some(k) = &fields.issue_key {
            check_issue_key(k)?;
        }
        let current = read_story(txn, &item);
        let mut put = |key: &str, old: Option<Any>, new: Option<Any>| {
            if old != new {
                match new {
                    Some(value) => {
                        item.insert(txn, key, value);
                    }
                    None => {
                        item.remove(txn, key);
                    }
                }
            }
        };
        let string = |s: &Option<String>| s.as_deref().map(Any::from);
        put(
            keys::DESCRIPTION,
            string(&current.description),
            string(&fields.description),
        );
        put(
            keys::ESTIMATE,
            current.estimate.map(Any::from),
            fields.estimate.map(Any::from),
        );
        put(
            keys::STATUS,
            current.status.map(|s| Any::from(s.name())),
            fields.status.map(|s| Any::from(s.name())),
        );
        put(
            keys::STORY_TYPE,
            current.story_type.map(|s| Any::from(s.name())),
            fields.story_type.map(|s| Any::from(s.name())),
        );
        put(
            keys::PERSONA,
            string(&current.persona),
            string(&fields.persona),
        );
        put(
            keys::ISSUE_KEY,
            string(&current.issue_key),
            string(&fields.issue_key),
        );
        Ok(())
    }

    /// The story fields of item `id`.
    pub fn story_fields<T: ReadTxn>(&self, txn: &T, id: &str) -> Result<StoryFields, ModelError> {
        Ok(read_story(txn, &self.note_map(txn, id)?))
    }

    /// The map of item `id`, which must be a note.
    pub(super) fn note_map<T: ReadTxn>(&self, txn: &T, id: &str) -> Result<MapRef, ModelError> {
        self.map_of_kind(txn, id, ItemKind::Note)
    }

    /// The map of item `id`, which must be of `kind`.
    pub(super) fn map_of_kind<T: ReadTxn>(
        &self,
        txn: &T,
        id: &str,
        kind: ItemKind,
    ) -> Result<MapRef, ModelError> {
        let Some(Out::YMap(item)) = self.items.get(txn, id) else {
            return Err(ModelError::NoSuchItem(id.to_owned()));
        };
        if super::items::read_kind(txn, &item) != kind {
            let expected = match kind {
                ItemKind::Note => "sticky note",
                ItemKind::StoryMap => "story map",
                ItemKind::Activity => "activity",
                ItemKind::Step => "step",
                ItemKind::Release => "release slice",
                _ => "item of that kind",
            };
            return Err(ModelError::WrongKind {
                id: id.to_owned(),
                expected,
            });
        }
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_parse_back() {
        for t in StoryType::ALL {
            assert_eq!(StoryType::parse(t.name()), Some(t));
            assert_eq!(StoryType::parse(t.label()), Some(t));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.name()), Some(s));
            assert_eq!(Status::parse(s.label()), Some(s));
        }
        assert_eq!(StoryType::parse("Tech-Debt"), Some(StoryType::TechDebt));
        assert_eq!(StoryType::parse("epic"), None);
    }

    #[test]
    fn a_place_survives_the_document_and_a_bad_one_reads_as_none() {
        let place = Place {
            map: "m".into(),
            parent: Some("s".into()),
            release: None,
            rank: "a0".into(),
        };
        assert_eq!(Place::from_any(&place.to_any()), Some(place));
        let bad = Place {
            map: "m".into(),
            parent: None,
            release: None,
            rank: "not a rank!".into(),
        };
        assert_eq!(Place::from_any(&bad.to_any()), None);
        assert_eq!(Place::from_any(&Any::from("m")), None);
    }

    #[test]
    fn story_fields_write_only_what_changed_and_check_input() {
        let board = Board::with_client_id(1);
        let mut txn = board.transact_mut();
        let id = board
            .create_note(&mut txn, super::super::NewNote::default())
            .expect("note");
        let fields = StoryFields {
            description: Some("As a user...".into()),
            estimate: Some(3.0),
            status: Some(Status::InProgress),
            story_type: Some(StoryType::TechDebt),
            persona: Some("Admin".into()),
            issue_key: Some("PAY-12".into()),
        };
        board.set_story_fields(&mut txn, &id, &fields).expect("set");
        assert_eq!(board.story_fields(&txn, &id).expect("read"), fields);
        assert_eq!(board.snapshot(&txn).items[&id].story, fields);
        let cleared = StoryFields {
            estimate: None,
            ..fields.clone()
        };
        board
            .set_story_fields(&mut txn, &id, &cleared)
            .expect("clear");
        assert_eq!(board.story_fields(&txn, &id).expect("read").estimate, None);
        for bad in [-1.0, f64::NAN, MAX_ESTIMATE + 1.0] {
            let f = StoryFields {
                estimate: Some(bad),
                ..StoryFields::default()
            };
            assert!(board.set_story_fields(&mut txn, &id, &f).is_err());
        }
        for bad in [
            "",
            "PAY 12",
            "PAY-1\n",
            &"K".repeat(MAX_ISSUE_KEY_CHARS + 1),
        ] {
            let f = StoryFields {
                issue_key: Some(bad.to_owned()),
                ..StoryFields::default()
            };
            assert!(
                board.set_story_fields(&mut txn, &id, &f).is_err(),
                "{bad:?}"
            );
        }
        let frame = board
            .create_frame(&mut txn, [0.0, 0.0], None, "f", "", 0.0)
            .expect("frame");
        assert!(matches!(
            board.set_story_fields(&mut txn, &frame, &fields),
            Err(ModelError::WrongKind { .. })
        ));
    }
}
