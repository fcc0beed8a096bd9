//! Plain values in and out of the document: how points, sizes and strings are written, and how
//! untrusted values written by other replicas are read back without panicking.

use std::sync::Arc;

use yrs::{Any, GetString, Map, MapRef, Out, ReadTxn};

use super::items::{DEFAULT_FRAME_SIZE, DEFAULT_LABEL_SIZE, read_kind};
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
    let kind = read_kind(txn, item);
    let is_connector = kind == ItemKind::Connector;
    // A matrix's size follows from its rows and columns (see `crate::raci::geometry`).
    let raci = (kind == ItemKind::Raci).then(|| super::raci::read_raci(txn, item));
    ItemSnapshot {
        pos: read_pair(txn, item, keys::POS).unwrap_or([0.0, 0.0]),
        size: match &raci {
            Some(r) => crate::raci::geometry::size(r.rows.len(), r.cols.len()),
            None => read_pair(txn, item, keys::SIZE).unwrap_or(default_size(&kind)),
        },
        text: match item.get(txn, keys::TEXT) {
            Some(Out::YText(text)) => text.get_string(txn),
            Some(Out::Any(Any::String(s))) => s.to_string(),
            _ => String::new(),
        },
        color: read_string(txn, item, keys::COLOR)
            .unwrap_or_else(|| Color::default().name().to_owned()),
        tags: read_tags(txn, item),
        author: read_string(txn, item, keys::AUTHOR).unwrap_or_default(),
        created_at: read_number(txn, item, keys::CREATED_AT).unwrap_or(0.0),
        z: read_string(txn, item, keys::Z).unwrap_or_default(),
        from: is_connector
            .then(|| read_string(txn, item, keys::FROM))
            .flatten(),
        to: is_connector
            .then(|| read_string(txn, item, keys::TO))
            .flatten(),
        place: super::story::read_place(txn, item),
        story: super::story::read_story(txn, item),
        raci,
        kind,
    }
}

/// An item's tags; anything in the array that is not a string is skipped.
pub(super) fn read_tags<T: ReadTxn>(txn: &T, item: &MapRef) -> Vec<String> {
    match item.get(txn, keys::TAGS) {
        Some(Out::Any(Any::Array(values))) => values
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
    match map.get(txn, key)? {
        Out::Any(Any::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

pub(super) fn read_number<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<f64> {
    match map.get(txn, key)? {
        Out::Any(any) => any_f64(&any),
        _ => None,
    }
}

pub(super) fn read_pair<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<[f64; 2]> {
    match map.get(txn, key)? {
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
