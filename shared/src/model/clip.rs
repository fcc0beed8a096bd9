//! Copy, paste and duplicate.
//!
//! A [`Clip`] is a selection as plain values, serialised as versioned JSON
//! (`{"huddle_clip": 1, "items": [...]}`) for the system clipboard, so it can travel between
//! boards and tabs. Clipboard text is untrusted (anyone can put anything there):
//! [`Clip::from_json`] checks size and shape before anything reaches the document, and
//! [`Board::paste`] checks again, since a clip can also be built in code.
//!
//! The limits keep one paste inside one wire frame: the update a paste produces is about as
//! large as the clip's JSON, and the server closes a connection that sends a frame over
//! [`crate::wire::DEFAULT_MAX_FRAME_BYTES`].

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use yrs::{Map, Out, ReadTxn, TransactionMut};

use super::board::Board;
use super::items::{ItemFields, read_kind};
use super::keys;
use super::story::check_estimate;
use super::values::read_string;
use super::{Color, ItemKind, MAX_STORY_FIELD_CHARS, Point, Size, Status, StoryFields, StoryType};
use crate::rank;

/// The clip format this build writes and reads.
pub const CLIP_VERSION: u32 = 1;
/// Most items one clip may hold.
pub const MAX_CLIP_ITEMS: usize = 1_000;
/// Longest clip JSON accepted: a quarter of the wire frame limit, leaving room for the
/// update's own overhead per item.
pub const MAX_CLIP_BYTES: usize = 256 * 1024;
/// Longest text of one clip item, in characters (a long note, not a book).
pub const MAX_CLIP_TEXT_CHARS: usize = 10_000;
/// Most tags on one clip item: as many as an item keeps.
const MAX_CLIP_TAGS: usize = super::MAX_TAGS;
/// Longest id, kind, colour or tag in a clip: all are short words.
const MAX_CLIP_WORD: usize = 64;
/// How far [`Board::duplicate`] callers usually shift the copy: a step down and right, so
/// the copy is visible and clearly a copy.
pub const DUPLICATE_OFFSET: Point = [24.0, 24.0];

/// A copied selection, in stacking order (back to front).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    /// Format version; always [`CLIP_VERSION`]. Also marks clipboard text as a Huddle clip.
    pub huddle_clip: u32,
    pub items: Vec<ClipItem>,
}

/// One copied item. Author, creation time and rank are not copied: the paster's are used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Read through `ClipItemRead`: the same JSON without serde's buffering of `flatten`.
#[serde(from = "ClipItemRead")]
pub struct ClipItem {
    /// Id on the board it was copied from; it only links connectors to their ends.
    pub id: String,
    pub kind: ItemKind,
    /// `None` for connectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<Point>,
    /// `None` for connectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub color: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A note's story fields (estimate, type...), so a copied story stays a story. Its place
    /// in a story map is not copied: the copy is a free note.
    #[serde(flatten)]
    pub story: StoryFields,
}

/// [`ClipItem`] as it is read: the story's fields one by one instead of `flatten`, which
/// serde decodes by reading the whole object into a buffer first and then every field a
/// second time (see `crate::tagged`); a clip's JSON reads the same.
#[derive(Deserialize)]
struct ClipItemRead {
    id: String,
    kind: ItemKind,
    #[serde(default)]
    pos: Option<Point>,
    #[serde(default)]
    size: Option<Size>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    color: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
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

impl From<ClipItemRead> for ClipItem {
    fn from(r: ClipItemRead) -> ClipItem {
        ClipItem {
            id: r.id,
            kind: r.kind,
            pos: r.pos,
            size: r.size,
            text: r.text,
            color: r.color,
            tags: r.tags,
            from: r.from,
            to: r.to,
            story: StoryFields {
                description: r.description,
                estimate: r.estimate,
                status: r.status,
                story_type: r.story_type,
                persona: r.persona,
                issue_key: r.issue_key,
            },
        }
    }
}

/// Why clipboard content was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClipError {
    #[error("clip is {bytes} bytes, more than the {max} a paste may hold")]
    TooLarge { bytes: usize, max: usize },
    #[error("not a Huddle clip: {0}")]
    NotAClip(String),
    #[error("clip format version {0} is not supported (this build reads {CLIP_VERSION})")]
    Version(u32),
    #[error("clip has {count} items, more than the {max} a paste may hold")]
    TooManyItems { count: usize, max: usize },
    #[error("clip item {index} is malformed: {reason}")]
    BadItem { index: usize, reason: &'static str },
    #[error("paste offset must be finite, got {0:?}")]
    BadOffset(Point),
}

impl Clip {
    /// Parses clipboard text. Never panics; anything but a well-formed clip within the limits
    /// is an error.
    pub fn from_json(json: &str) -> Result<Clip, ClipError> {
        if json.len() > MAX_CLIP_BYTES {
            return Err(ClipError::TooLarge {
                bytes: json.len(),
                max: MAX_CLIP_BYTES,
            });
        }
        let clip: Clip =
            crate::json::from_str(json).map_err(|e| ClipError::NotAClip(e.to_string()))?;
        clip.check()?;
        Ok(clip)
    }

    /// The clip as clipboard text.
    pub fn to_json(&self) -> String {
        // Plain structs of strings, finite numbers and vectors always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks the version, the limits and every item's shape.
    pub fn check(&self) -> Result<(), ClipError> {
        if self.huddle_clip != CLIP_VERSION {
            return Err(ClipError::Version(self.huddle_clip));
        }
        if self.items.len() > MAX_CLIP_ITEMS {
            return Err(ClipError::TooManyItems {
                count: self.items.len(),
                max: MAX_CLIP_ITEMS,
            });
        }
        let mut ids = HashSet::new();
        for (index, item) in self.items.iter().enumerate() {
            let bad = |reason| ClipError::BadItem { index, reason };
            check_item(item).map_err(bad)?;
            if !ids.insert(item.id.as_str()) {
                return Err(bad("duplicate id"));
            }
        }
        let bytes = self.to_json().len();
        if bytes > MAX_CLIP_BYTES {
            return Err(ClipError::TooLarge {
                bytes,
                max: MAX_CLIP_BYTES,
            });
        }
        Ok(())
    }
}

fn check_item(item: &ClipItem) -> Result<(), &'static str> {
    let words = [Some(&item.id), Some(&item.color), item.from.as_ref()];
    let words = words.into_iter().flatten().chain(item.to.as_ref());
    if words
        .chain(&item.tags)
        .any(|w| w.chars().count() > MAX_CLIP_WORD)
        || item.kind.as_str().chars().count() > MAX_CLIP_WORD
    {
        return Err("a name is too long");
    }
    if item.id.is_empty() {
        return Err("empty id");
    }
    if item.text.chars().count() > MAX_CLIP_TEXT_CHARS {
        return Err("text too long");
    }
    if item.tags.len() > MAX_CLIP_TAGS {
        return Err("too many tags");
    }
    let story = &item.story;
    if [&story.description, &story.persona]
        .into_iter()
        .flatten()
        .any(|s| s.chars().count() > MAX_STORY_FIELD_CHARS)
    {
        return Err("a story field is too long");
    }
    if story.estimate.is_some_and(|e| check_estimate(e).is_err()) {
        return Err("the estimate is not a number of points");
    }
    if item.kind == ItemKind::Connector {
        if item.from.is_none() || item.to.is_none() || item.from == item.to {
            return Err("a connector needs two different ends");
        }
        return Ok(());
    }
    match (item.pos, item.size) {
        (Some(pos), Some(size))
            if pos.iter().chain(&size).all(|v| v.is_finite()) && size.iter().all(|v| *v > 0.0) =>
        {
            Ok(())
        }
        _ => Err("position and size must be finite, size positive"),
    }
}

impl Board {
    /// Copies items as a [`Clip`], with every connector whose two ends are copied (selected
    /// or not). Connectors without both ends in the selection, dangling connectors and kinds
    /// this build does not know are left out.
    pub fn copy<T: ReadTxn>(&self, txn: &T, ids: &[String]) -> Clip {
        let mut ends: HashSet<&str> = HashSet::new();
        let mut items: Vec<(String, ClipItem)> = Vec::new();
        for id in ids {
            let Some(s) = self.item_snapshot(txn, id) else {
                continue;
            };
            if matches!(s.kind, ItemKind::Note | ItemKind::Frame | ItemKind::Text)
                && ends.insert(id.as_str())
            {
                items.push((s.z.clone(), clip_item(id, s)));
            }
        }
        for (id, value) in self.items.iter(txn) {
            let Out::YMap(item) = value else { continue };
            if read_kind(txn, &item) != ItemKind::Connector {
                continue;
            }
            let both = [keys::FROM, keys::TO].into_iter().all(|key| {
                read_string(txn, &item, key).is_some_and(|end| ends.contains(end.as_str()))
            });
            if let Some(s) = both.then(|| self.item_snapshot(txn, id)).flatten() {
                items.push((s.z.clone(), clip_item(id, s)));
            }
        }
        crate::sort::sort_by(&mut items, |a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
        Clip {
            huddle_clip: CLIP_VERSION,
            items: items.into_iter().map(|(_, item)| item).collect(),
        }
    }

    /// Pastes a clip shifted by `offset`, on top of everything, keeping the clip's stacking
    /// order. Connectors are rewired to the new items; items of unknown kinds and connectors
    /// whose ends are not in the clip are skipped. Returns the new ids in clip order (the
    /// client selects them). Nothing is written if the clip or offset is refused.
    pub fn paste(
        &self,
        txn: &mut TransactionMut,
        clip: &Clip,
        offset: Point,
        author: &str,
        created_at: f64,
    ) -> Result<Vec<String>, ClipError> {
        clip.check()?;
        let shifted = |pos: Point| [pos[0] + offset[0], pos[1] + offset[1]];
        let moved_ok = clip.items.iter().all(|item| {
            let pos = shifted(item.pos.unwrap_or_default());
            pos.iter().all(|v| v.is_finite())
        });
        if !offset.iter().all(|v| v.is_finite()) || !moved_ok {
            return Err(ClipError::BadOffset(offset));
        }
        let mut z = self.top_z(txn);
        let ranks: Vec<String> = clip
            .items
            .iter()
            .map(|_| {
                let next = rank::after(z.as_deref());
                z = Some(next.clone());
                next
            })
            .collect();
        let mut new_ids: Vec<Option<String>> = vec![None; clip.items.len()];
        let mut renamed: HashMap<&str, String> = HashMap::new();
        // Ends first, so connectors can be rewired; ranks keep the clip's order regardless.
        for connectors in [false, true] {
            for (i, item) in clip.items.iter().enumerate() {
                if (item.kind == ItemKind::Connector) != connectors {
                    continue;
                }
                let ends = if connectors {
                    let end = |end: &Option<String>| renamed.get(end.as_deref()?);
                    let (Some(from), Some(to)) = (end(&item.from), end(&item.to)) else {
                        continue;
                    };
                    Some((from.as_str(), to.as_str()))
                } else if matches!(item.kind, ItemKind::Other(_)) {
                    continue;
                } else {
                    None
                };
                let color = Color::from_name(&item.color).unwrap_or_default();
                let id = self.write_item(
                    txn,
                    ItemFields {
                        kind: item.kind.as_str(),
                        pos: (!connectors).then(|| shifted(item.pos.unwrap_or_default())),
                        size: if connectors { None } else { item.size },
                        text: &item.text,
                        color: color.name(),
                        tags: &item.tags,
                        author,
                        created_at,
                        z: ranks[i].clone(),
                        ends,
                    },
                );
                if item.kind == ItemKind::Note && !item.story.is_empty() {
                    // Checked above with the clip; the item was just written as a note.
                    let _ = self.set_story_fields(txn, &id, &item.story);
                }
                new_ids[i] = Some(id);
            }
            if !connectors {
                for (item, id) in clip.items.iter().zip(&new_ids) {
                    if let Some(id) = id {
                        renamed.insert(item.id.as_str(), id.clone());
                    }
                }
            }
        }
        Ok(new_ids.into_iter().flatten().collect())
    }

    /// Copies items and pastes them shifted by `offset`, in the caller's transaction (one
    /// undo step). Returns the new ids.
    pub fn duplicate(
        &self,
        txn: &mut TransactionMut,
        ids: &[String],
        offset: Point,
        author: &str,
        created_at: f64,
    ) -> Result<Vec<String>, ClipError> {
        let clip = self.copy(txn, ids);
        self.paste(txn, &clip, offset, author, created_at)
    }
}

fn clip_item(id: &str, s: super::ItemSnapshot) -> ClipItem {
    let connector = s.kind == ItemKind::Connector;
    ClipItem {
        id: id.to_owned(),
        pos: (!connector).then_some(s.pos),
        size: (!connector).then_some(s.size),
        kind: s.kind,
        text: s.text,
        color: s.color,
        tags: s.tags,
        from: s.from,
        to: s.to,
        story: s.story,
    }
}
