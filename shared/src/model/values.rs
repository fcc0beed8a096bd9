//! Plain values in and out of the document: how points, sizes and strings are written, and how
//! untrusted values written by other replicas are read back without panicking.

use std::sync::Arc;

use yrs::{Any, GetString, Map, MapRef, Out, ReadTxn};

use super::items::{DEFAULT_FRAME_SIZE, DEFAULT_LABEL_SIZE};
use super::keys;
use super::snapshot::{ItemSnapshot, MetaSnapshot};
use super::{Color, DEFAULT_NOTE_SIZE, ItemKind, ModelError, Point, Size};

pub(super) fn check_point(p: Point) -> Result<(), ModelError> {
    if p.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(ModelError::NotFinite(p))
    }
}

pub(super) fn check_size(s: Size) -> Result<(), ModelError> {
    check_point(s)?;
    if s.iter().all(|v| *v > 0.0) {
        Ok(())
    } else {
        Err(ModelError::BadSize(s))
    }
}

pub(super) fn pair(p: [f64; 2]) -> Any {
    Any::Array(Arc::from([Any::from(p[0]), Any::from(p[1])]))
}

pub(super) fn strings(values: &[String]) -> Any {
    Any::Array(values.iter().map(|s| Any::from(s.as_str())).collect())
}

pub(super) fn read_meta<T: ReadTxn>(txn: &T, meta: &MapRef) -> MetaSnapshot {
    MetaSnapshot {
        title: read_string(txn, meta, keys::TITLE).unwrap_or_default(),
        created_at: read_number(txn, meta, keys::CREATED_AT).unwrap_or(0.0),
        template: read_string(txn, meta, keys::TEMPLATE),
    }
}

/// The size an item of `kind` has when its `size` is missing or malformed.
pub(super) fn default_size(kind: &ItemKind) -> Size {
    match kind {
        ItemKind::Connector => [0.0, 0.0],
        ItemKind::Frame => DEFAULT_FRAME_SIZE,
        ItemKind::Text => DEFAULT_LABEL_SIZE,
        _ => DEFAULT_NOTE_SIZE,
    }
}

pub(super) fn read_item<T: ReadTxn>(txn: &T, item: &MapRef) -> ItemSnapshot {
    let f = ItemFields::read(txn, item);
    let kind = f
        .kind
        .as_ref()
        .and_then(string_of)
        .map_or(ItemKind::Note, ItemKind::from);
    let is_connector = kind == ItemKind::Connector;
    // A matrix's size follows from its rows and columns (see `crate::raci::geometry`).
    let raci = (kind == ItemKind::Raci).then(|| super::raci::read_raci(txn, item));
    ItemSnapshot {
        pos: f.pos.as_ref().and_then(pair_of).unwrap_or([0.0, 0.0]),
        size: match &raci {
            Some(r) => crate::raci::geometry::size(r.rows.len(), r.cols.len()),
            None => f
                .size
                .as_ref()
                .and_then(pair_of)
                .unwrap_or(default_size(&kind)),
        },
        text: match &f.text {
            Some(Out::YText(text)) => text.get_string(txn),
            Some(Out::Any(Any::String(s))) => s.to_string(),
            _ => String::new(),
        },
        color: f
            .color
            .as_ref()
            .and_then(string_of)
            .unwrap_or_else(|| Color::default().name().to_owned()),
        tags: f.tags.as_ref().map(tags_of).unwrap_or_default(),
        author: f.author.as_ref().and_then(string_of).unwrap_or_default(),
        created_at: f.created_at.as_ref().and_then(number_of).unwrap_or(0.0),
        z: f.z.as_ref().and_then(string_of).unwrap_or_default(),
        from: is_connector
            .then(|| f.from.as_ref().and_then(string_of))
            .flatten(),
        to: is_connector
            .then(|| f.to.as_ref().and_then(string_of))
            .flatten(),
        place: f.place.as_ref().and_then(super::story::place_of),
        story: super::story::StoryFields::from_item(&f),
        raci,
        kind,
    }
}

/// The values of an item's keys that [`read_item`] reads, taken in one pass over the item's
/// map: a lookup per key hashes the key each time, and a big board's first view reads every
/// item (a lookup per key took about half of reading a 10,000-note board's view).
#[derive(Default)]
pub(super) struct ItemFields {
    pub kind: Option<Out>,
    pub pos: Option<Out>,
    pub size: Option<Out>,
    pub text: Option<Out>,
    pub color: Option<Out>,
    pub tags: Option<Out>,
    pub author: Option<Out>,
    pub created_at: Option<Out>,
    pub z: Option<Out>,
    pub from: Option<Out>,
    pub to: Option<Out>,
    pub place: Option<Out>,
    pub description: Option<Out>,
    pub estimate: Option<Out>,
    pub status: Option<Out>,
    pub story_type: Option<Out>,
    pub persona: Option<Out>,
    pub issue_key: Option<Out>,
}

impl ItemFields {
    pub fn read<T: ReadTxn>(txn: &T, item: &MapRef) -> ItemFields {
        let mut f = ItemFields::default();
        for (key, value) in item.iter(txn) {
            let slot = match key {
                keys::KIND => &mut f.kind,
                keys::POS => &mut f.pos,
                keys::SIZE => &mut f.size,
                keys::TEXT => &mut f.text,
                keys::COLOR => &mut f.color,
                keys::TAGS => &mut f.tags,
                keys::AUTHOR => &mut f.author,
                keys::CREATED_AT => &mut f.created_at,
                keys::Z => &mut f.z,
                keys::FROM => &mut f.from,
                keys::TO => &mut f.to,
                keys::PLACE => &mut f.place,
                keys::DESCRIPTION => &mut f.description,
                keys::ESTIMATE => &mut f.estimate,
                keys::STATUS => &mut f.status,
                keys::STORY_TYPE => &mut f.story_type,
                keys::PERSONA => &mut f.persona,
                keys::ISSUE_KEY => &mut f.issue_key,
                _ => continue,
            };
            *slot = Some(value);
        }
        f
    }
}

/// An item's tags; anything in the array that is not a string is skipped.
pub(super) fn read_tags<T: ReadTxn>(txn: &T, item: &MapRef) -> Vec<String> {
    item.get(txn, keys::TAGS)
        .as_ref()
        .map(tags_of)
        .unwrap_or_default()
}

fn tags_of(value: &Out) -> Vec<String> {
    match value {
        Out::Any(Any::Array(values)) => values
            .iter()
            .filter_map(|v| match v {
                Any::String(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn read_string<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<String> {
    string_of(&map.get(txn, key)?)
}

pub(super) fn string_of(value: &Out) -> Option<String> {
    match value {
        Out::Any(Any::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

pub(super) fn read_number<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<f64> {
    number_of(&map.get(txn, key)?)
}

pub(super) fn number_of(value: &Out) -> Option<f64> {
    match value {
        Out::Any(any) => any_f64(any),
        _ => None,
    }
}

pub(super) fn read_pair<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<[f64; 2]> {
    pair_of(&map.get(txn, key)?)
}

fn pair_of(value: &Out) -> Option<[f64; 2]> {
    match value {
        Out::Any(Any::Array(values)) if values.len() == 2 => {
            let p = [any_f64(&values[0])?, any_f64(&values[1])?];
            p.iter().all(|v| v.is_finite()).then_some(p)
        }
        _ => None,
    }
}

fn any_f64(any: &Any) -> Option<f64> {
    match any {
        Any::Number(n) => n.as_f64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use yrs::{Map, Transact};

    use super::*;
    use crate::model::{Board, NewNote, Status, StoryFields, StoryType};

    /// `read_item` takes an item's keys in one pass: each value lands in its own field, and a
    /// value of the wrong type (written by another replica) reads as missing, as a lookup of
    /// that key did.
    #[test]
    fn an_items_keys_are_read_in_one_pass() {
        let board = Board::with_client_id(1);
        let story = StoryFields {
            description: Some("why".into()),
            estimate: Some(5.0),
            status: Some(Status::InProgress),
            story_type: Some(StoryType::default()),
            persona: Some("buyer".into()),
            issue_key: Some("PAY-12".into()),
        };
        let id = {
            let mut txn = board.transact_mut();
            let note = NewNote {
                pos: [10.0, 20.0],
                size: Some([300.0, 150.0]),
                text: "title".into(),
                color: Color::Blue,
                tags: vec!["a".into(), "b".into()],
                author: "ann".into(),
                created_at: 42.0,
                z: Some("a5".into()),
            };
            let id = board.create_note(&mut txn, note).unwrap();
            board.set_story_fields(&mut txn, &id, &story).unwrap();
            id
        };
        let read = board.item_snapshot(&board.doc().transact(), &id).unwrap();
        assert_eq!(read.kind, ItemKind::Note);
        assert_eq!((read.pos, read.size), ([10.0, 20.0], [300.0, 150.0]));
        assert_eq!((read.text.as_str(), read.color.as_str()), ("title", "blue"));
        assert_eq!(read.tags, ["a", "b"]);
        assert_eq!((read.author.as_str(), read.created_at), ("ann", 42.0));
        assert_eq!(read.z, "a5");
        assert_eq!(read.story, story);
        assert_eq!((read.from, read.to, read.place), (None, None, None));

        let items = board.doc().get_or_insert_map(keys::ITEMS);
        {
            let mut txn = board.transact_mut();
            let Some(Out::YMap(item)) = items.get(&txn, &id) else {
                panic!("no item map")
            };
            for key in [
                keys::KIND,
                keys::POS,
                keys::SIZE,
                keys::TEXT,
                keys::COLOR,
                keys::TAGS,
                keys::AUTHOR,
                keys::CREATED_AT,
                keys::Z,
                keys::PLACE,
                keys::DESCRIPTION,
                keys::ESTIMATE,
                keys::STATUS,
                keys::STORY_TYPE,
                keys::PERSONA,
                keys::ISSUE_KEY,
            ] {
                item.insert(&mut txn, key, Any::Bool(true));
            }
        }
        let read = board.item_snapshot(&board.doc().transact(), &id).unwrap();
        assert_eq!(read.kind, ItemKind::Note);
        assert_eq!((read.pos, read.size), ([0.0, 0.0], DEFAULT_NOTE_SIZE));
        assert_eq!(read.text, "");
        assert_eq!(read.color, Color::default().name());
        assert!(read.tags.is_empty());
        assert_eq!((read.author.as_str(), read.created_at), ("", 0.0));
        assert_eq!(read.z, "");
        assert_eq!(read.story, StoryFields::default());
        assert_eq!(read.place, None);
    }
}
