//! A board's first view ([`BoardView`]) in a compact binary form, for the web app: the JSON of
//! a 10,000-note board is 3.1 MB that the page turns into a string and then parses (about
//! 150 ms of a cold load); this form is a third of it, read field by field without a parser.
//!
//! Layout, after the 4 bytes of [`MAGIC`] (which name the version): the item count, then each
//! item as its id, kind, position and size, text, colour, tags (a count, then each),
//! author, creation time, z, then a bit set saying which of the optional fields follow,
//! in the order of [`Optional`]. Counts and lengths are lib0 variable-length integers; strings
//! are UTF-8 with a length; numbers are whole numbers as integers, others as 8 bytes (see
//! [`write_number`]). A RACI matrix, rare and nested,
//! is its JSON as a string.
//!
//! Reading is guarded like every other untrusted input: each length is checked against what
//! is left, an unknown bit or trailing bytes refuse the whole view, nothing panics.

use std::collections::BTreeMap;

use super::{BoardView, ItemKind, ItemSnapshot, Place, Status, StoryFields, StoryType};
use crate::wire::lib0::{self, ReadError, Reader};

/// The format's name and version: a view that starts otherwise is not read.
pub const MAGIC: &[u8; 4] = b"HVw\x01";

/// The optional fields, by their bit in an item's bit set.
#[derive(Clone, Copy)]
#[repr(u16)]
enum Optional {
    From = 1,
    To = 1 << 1,
    Place = 1 << 2,
    PlaceParent = 1 << 3,
    PlaceRelease = 1 << 4,
    Description = 1 << 5,
    Estimate = 1 << 6,
    Status = 1 << 7,
    StoryType = 1 << 8,
    Persona = 1 << 9,
    IssueKey = 1 << 10,
    Raci = 1 << 11,
}

/// Every bit [`Optional`] defines.
const KNOWN: u64 = (1 << 12) - 1;

/// Why a binary view was not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ViewWireError {
    #[error("not a board view in this format")]
    NotAView,
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("item {0} has an unknown field")]
    UnknownField(usize),
    #[error("item {0} has an unknown status or story type")]
    UnknownValue(usize),
    #[error("item {0}'s RACI matrix does not read: {1}")]
    Raci(usize, String),
    #[error("{0} bytes follow the last item")]
    Trailing(usize),
}

impl BoardView {
    /// The view in the binary form this module describes.
    pub fn to_binary(&self) -> Vec<u8> {
        // About 100 bytes per short note.
        let mut out = Vec::with_capacity(MAGIC.len() + self.items.len() * 128);
        out.extend_from_slice(MAGIC);
        lib0::write_var_u64(&mut out, self.items.len() as u64);
        // Bottom to top (by rank, then id, as the model stacks them): a page that adds them to
        // its scene in this order finds its stacking order already sorted.
        let mut items: Vec<_> = self.items.iter().collect();
        items.sort_unstable_by(|(a_id, a), (b_id, b)| (&a.z, a_id).cmp(&(&b.z, b_id)));
        for (id, item) in items {
            write_item(&mut out, id, item);
        }
        out
    }

    /// Reads a view [`BoardView::to_binary`] wrote; anything else is refused.
    pub fn from_binary(bytes: &[u8]) -> Result<BoardView, ViewWireError> {
        let mut items = BTreeMap::new();
        for (id, item) in BoardView::items_from_binary(bytes)? {
            items.insert(id, item);
        }
        Ok(BoardView { items })
    }

    /// The items of a view [`BoardView::to_binary`] wrote, in its order (bottom to top), without
    /// building the map: what a page drawing them one by one needs.
    pub fn items_from_binary(bytes: &[u8]) -> Result<Vec<(String, ItemSnapshot)>, ViewWireError> {
        let body = bytes.strip_prefix(MAGIC).ok_or(ViewWireError::NotAView)?;
        let mut r = Reader::new(body);
        let count = r.read_var_u64()?;
        // Every item takes at least 12 bytes (a byte for each length, number and the bit set):
        // a count the bytes cannot hold is a lie, refused before anything is built for it.
        if count > (r.remaining() / 12) as u64 {
            return Err(ReadError::LengthTooLarge {
                len: count,
                at: MAGIC.len(),
                left: r.remaining(),
            }
            .into());
        }
        let mut items = Vec::with_capacity(count as usize);
        for n in 0..count as usize {
            items.push(read_item(&mut r, n)?);
        }
        if !r.is_empty() {
            return Err(ViewWireError::Trailing(r.remaining()));
        }
        Ok(items)
    }
}

/// Whole numbers below 2^52 (positions on a grid, sizes, milliseconds since 1970) as a
/// variable-length integer, zigzagged, shifted left with bit 0 clear; any other `f64` (a
/// fraction, -0, NaN) as bit 0 set and its 8 bytes. Reads back bit for bit.
fn write_number(out: &mut Vec<u8>, v: f64) {
    const LIMIT: f64 = (1u64 << 52) as f64;
    if v.fract() == 0.0 && v.abs() < LIMIT && !(v == 0.0 && v.is_sign_negative()) {
        let i = v as i64;
        let zigzag = ((i << 1) ^ (i >> 63)) as u64;
        lib0::write_var_u64(out, zigzag << 1);
    } else {
        lib0::write_var_u64(out, 1);
        lib0::write_f64_le(out, v);
    }
}

fn read_number(r: &mut Reader<'_>) -> Result<f64, ReadError> {
    let at = r.pos();
    let head = r.read_var_u64()?;
    if head == 1 {
        return r.read_f64_le();
    }
    if head & 1 == 1 || head >> 54 != 0 {
        // Not written by `write_number`: a whole number of 53 bits or more, or a bad tag.
        return Err(ReadError::VarIntOverflow(at));
    }
    let zigzag = head >> 1;
    let i = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
    Ok(i as f64)
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    lib0::write_var_buf(out, s.as_bytes());
}

fn write_item(out: &mut Vec<u8>, id: &str, item: &ItemSnapshot) {
    write_str(out, id);
    write_str(out, item.kind.as_str());
    for v in [item.pos[0], item.pos[1], item.size[0], item.size[1]] {
        write_number(out, v);
    }
    write_str(out, &item.text);
    write_str(out, &item.color);
    lib0::write_var_u64(out, item.tags.len() as u64);
    for tag in &item.tags {
        write_str(out, tag);
    }
    write_str(out, &item.author);
    write_number(out, item.created_at);
    write_str(out, &item.z);

    let story = &item.story;
    let place = item.place.as_ref();
    // Serialising a matrix of strings and numbers cannot fail.
    let raci = item
        .raci
        .as_ref()
        .map(|raci| serde_json::to_string(raci).unwrap_or_default());
    let present = [
        (Optional::From, item.from.is_some()),
        (Optional::To, item.to.is_some()),
        (Optional::Place, place.is_some()),
        (
            Optional::PlaceParent,
            place.is_some_and(|p| p.parent.is_some()),
        ),
        (
            Optional::PlaceRelease,
            place.is_some_and(|p| p.release.is_some()),
        ),
        (Optional::Description, story.description.is_some()),
        (Optional::Estimate, story.estimate.is_some()),
        (Optional::Status, story.status.is_some()),
        (Optional::StoryType, story.story_type.is_some()),
        (Optional::Persona, story.persona.is_some()),
        (Optional::IssueKey, story.issue_key.is_some()),
        (Optional::Raci, raci.is_some()),
    ];
    let bits = present
        .iter()
        .filter(|(_, is)| *is)
        .fold(0u64, |bits, (field, _)| bits | *field as u64);
    lib0::write_var_u64(out, bits);
    for s in [&item.from, &item.to].into_iter().flatten() {
        write_str(out, s);
    }
    if let Some(place) = place {
        write_str(out, &place.map);
        for s in [&place.parent, &place.release].into_iter().flatten() {
            write_str(out, s);
        }
        write_str(out, &place.rank);
    }
    if let Some(s) = &story.description {
        write_str(out, s);
    }
    if let Some(estimate) = story.estimate {
        write_number(out, estimate);
    }
    if let Some(status) = story.status {
        out.push(Status::ALL.iter().position(|s| *s == status).unwrap_or(0) as u8);
    }
    if let Some(kind) = story.story_type {
        out.push(StoryType::ALL.iter().position(|t| *t == kind).unwrap_or(0) as u8);
    }
    for s in [&story.persona, &story.issue_key, &raci]
        .into_iter()
        .flatten()
    {
        write_str(out, s);
    }
}

fn read_string(r: &mut Reader<'_>) -> Result<String, ReadError> {
    r.read_var_string().map(str::to_owned)
}

/// A string if `present`.
fn string_if(r: &mut Reader<'_>, present: bool) -> Result<Option<String>, ReadError> {
    present.then(|| read_string(r)).transpose()
}

/// An index below `len` in one byte if `present` (item `n`'s status or story type).
fn index_if(
    r: &mut Reader<'_>,
    present: bool,
    len: usize,
    n: usize,
) -> Result<Option<usize>, ViewWireError> {
    if !present {
        return Ok(None);
    }
    let i = usize::from(r.read_u8()?);
    if i >= len {
        return Err(ViewWireError::UnknownValue(n));
    }
    Ok(Some(i))
}

fn read_item(r: &mut Reader<'_>, n: usize) -> Result<(String, ItemSnapshot), ViewWireError> {
    let id = read_string(r)?;
    let kind = ItemKind::from(r.read_var_string()?);
    let pos = [read_number(r)?, read_number(r)?];
    let size = [read_number(r)?, read_number(r)?];
    let text = read_string(r)?;
    let color = read_string(r)?;
    let tag_count = r.read_var_u64()?;
    // Each tag takes at least its length's byte.
    if tag_count > r.remaining() as u64 {
        return Err(ReadError::LengthTooLarge {
            len: tag_count,
            at: r.pos(),
            left: r.remaining(),
        }
        .into());
    }
    let tags = (0..tag_count)
        .map(|_| read_string(r))
        .collect::<Result<Vec<_>, _>>()?;
    let author = read_string(r)?;
    let created_at = read_number(r)?;
    let z = read_string(r)?;

    let bits = r.read_var_u64()?;
    if bits & !KNOWN != 0 {
        return Err(ViewWireError::UnknownField(n));
    }
    let has = |field: Optional| bits & field as u64 != 0;
    let from = string_if(r, has(Optional::From))?;
    let to = string_if(r, has(Optional::To))?;
    let place = if has(Optional::Place) {
        Some(Place {
            map: read_string(r)?,
            parent: string_if(r, has(Optional::PlaceParent))?,
            release: string_if(r, has(Optional::PlaceRelease))?,
            rank: read_string(r)?,
        })
    } else if has(Optional::PlaceParent) || has(Optional::PlaceRelease) {
        return Err(ViewWireError::UnknownField(n));
    } else {
        None
    };
    let description = string_if(r, has(Optional::Description))?;
    let estimate = has(Optional::Estimate)
        .then(|| read_number(r))
        .transpose()?;
    let status = index_if(r, has(Optional::Status), Status::ALL.len(), n)?.map(|i| Status::ALL[i]);
    let story_type =
        index_if(r, has(Optional::StoryType), StoryType::ALL.len(), n)?.map(|i| StoryType::ALL[i]);
    let persona = string_if(r, has(Optional::Persona))?;
    let issue_key = string_if(r, has(Optional::IssueKey))?;
    let raci = match string_if(r, has(Optional::Raci))? {
        Some(json) => {
            Some(crate::json::from_str(&json).map_err(|e| ViewWireError::Raci(n, e.to_string()))?)
        }
        None => None,
    };
    let item = ItemSnapshot {
        kind,
        pos,
        size,
        text,
        color,
        tags,
        author,
        created_at,
        z,
        from,
        to,
        place,
        story: StoryFields {
            description,
            estimate,
            status,
            story_type,
            persona,
            issue_key,
        },
        raci,
    };
    Ok((id, item))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, NewNote};

    fn note(text: &str) -> ItemSnapshot {
        ItemSnapshot {
            kind: ItemKind::Note,
            pos: [1.5, -2.25],
            size: [200.0, 120.0],
            text: text.into(),
            color: "yellow".into(),
            tags: vec!["checkout".into(), "ünïcode".into()],
            author: "Ada".into(),
            created_at: 1_764_000_000_123.0,
            z: "a0".into(),
            from: None,
            to: None,
            place: None,
            story: StoryFields::default(),
            raci: None,
        }
    }

    /// Every kind of item, with and without each optional field, reads back as written.
    fn every_kind() -> BoardView {
        let mut items = BTreeMap::new();
        items.insert("plain".into(), note("As a buyer"));
        items.insert("empty".into(), note(""));
        let mut story = note("Pay by card");
        story.story = StoryFields {
            description: Some("why".into()),
            estimate: Some(3.5),
            status: Some(Status::Done),
            story_type: Some(StoryType::Spike),
            persona: Some("buyer".into()),
            issue_key: Some("PAY-12".into()),
        };
        story.place = Some(Place {
            map: "m".into(),
            parent: Some("p".into()),
            release: Some("r".into()),
            rank: "a1".into(),
        });
        items.insert("story".into(), story);
        let mut step = note("Step");
        step.kind = ItemKind::Step;
        step.place = Some(Place {
            map: "m".into(),
            parent: None,
            release: None,
            rank: "b".into(),
        });
        items.insert("step".into(), step);
        let mut arrow = note("");
        arrow.kind = ItemKind::Connector;
        arrow.from = Some("plain".into());
        arrow.to = Some("story".into());
        items.insert("arrow".into(), arrow);
        let mut future = note("from a newer client");
        future.kind = ItemKind::Other("hexagon".into());
        items.insert("future".into(), future);
        let board = Board::with_client_id(1);
        let raci_id = {
            let mut txn = board.transact_mut();
            let a = board.create_note(&mut txn, NewNote::default()).unwrap();
            let new = crate::model::NewRaci {
                pos: [0.0, 0.0],
                title: String::new(),
                rows: vec![a],
                cols: Vec::new(),
                author: "Ada".into(),
                created_at: 1.0,
            };
            board.create_raci(&mut txn, new).unwrap()
        };
        let view = board.view(&yrs::Transact::transact(board.doc()));
        let raci = view.items[&raci_id].clone();
        assert!(raci.raci.is_some());
        items.insert(raci_id, raci);
        BoardView { items }
    }

    #[test]
    fn numbers_read_back_bit_for_bit() {
        let max = (1u64 << 52) as f64;
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -2.25,
            1e300,
            f64::MIN_POSITIVE,
            1_764_000_000_123.0,
            max - 1.0,
            -(max - 1.0),
            max,
            -max,
            2.0 * max,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            let mut out = Vec::new();
            write_number(&mut out, v);
            let back = read_number(&mut Reader::new(&out)).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v}");
        }
        let mut out = Vec::new();
        write_number(&mut out, 3.0);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn views_read_back_as_written() {
        let view = every_kind();
        let bytes = view.to_binary();
        assert_eq!(BoardView::from_binary(&bytes).unwrap(), view);
        let empty = BoardView::default();
        assert_eq!(BoardView::from_binary(&empty.to_binary()).unwrap(), empty);
    }

    /// Bottom to top, so that a page's stacking sort finds them in order.
    #[test]
    fn items_come_bottom_to_top() {
        let ranked = |z: &str| ItemSnapshot {
            z: z.into(),
            ..note("n")
        };
        let items = [("a", "a5"), ("b", "a1"), ("c", "a5"), ("d", "a0")]
            .into_iter()
            .map(|(id, z)| (id.to_owned(), ranked(z)))
            .collect();
        let bytes = BoardView { items }.to_binary();
        let ids: Vec<String> = BoardView::items_from_binary(&bytes)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, ["d", "b", "a", "c"]);
    }

    /// Under half the JSON's bytes for short notes.
    #[test]
    fn smaller_than_json() {
        let items = (0..1000)
            .map(|i| (format!("n{i:05}"), note(&format!("note {i}"))))
            .collect();
        let view = BoardView { items };
        let json = serde_json::to_vec(&view).unwrap();
        let binary = view.to_binary();
        assert!(
            binary.len() * 2 < json.len(),
            "{} vs {}",
            binary.len(),
            json.len()
        );
    }

    /// Cut short anywhere, padded, or with a byte changed, a view is refused or read as some
    /// view, never a panic; the wrong magic is refused.
    #[test]
    fn damaged_views_are_refused_without_panicking() {
        let bytes = every_kind().to_binary();
        for len in 0..bytes.len() {
            assert!(
                BoardView::from_binary(&bytes[..len]).is_err(),
                "cut at {len}"
            );
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert_eq!(
            BoardView::from_binary(&padded),
            Err(ViewWireError::Trailing(1))
        );
        for i in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[i] ^= flip;
                let _ = BoardView::from_binary(&damaged);
            }
        }
        let mut other = bytes.clone();
        other[3] = 2;
        assert_eq!(BoardView::from_binary(&other), Err(ViewWireError::NotAView));
        // A count of items the bytes cannot hold is refused before anything is allocated.
        let mut huge = MAGIC.to_vec();
        lib0::write_var_u64(&mut huge, u64::MAX >> 1);
        assert!(matches!(
            BoardView::from_binary(&huge),
            Err(ViewWireError::Read(ReadError::LengthTooLarge { .. }))
        ));
    }
}
