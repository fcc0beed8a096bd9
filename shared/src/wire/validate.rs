//! Structural validation of Yjs/yrs v1 updates, run on untrusted bytes *before* yrs sees them.
//!
//! `yrs::Update::decode_v1` trusts its input more than a server can afford to:
//!
//! - length prefixes and counts are used to reserve memory up front. yrs 0.28 uses
//!   `try_reserve`, which only fails for impossible sizes: a 21-byte message announcing
//!   50 million blocks still reserves (and touches) gigabytes;
//! - `Any` values (arrays and maps nested in arrays and maps) are decoded recursively, so some
//!   tens of kilobytes of `[[[[...]]]]` overflow the stack, which aborts the process
//!   (`catch_unwind` cannot catch that);
//! - a few arithmetic operations on decoded values (clock sums, delete ranges, negated varints,
//!   client ids above 53 bits) panic in debug builds.
//!
//! [`validate_update_v1`] walks the update exactly as yrs 0.28.1's `DecoderV1` reads it (block
//! by block, field by field, in the same order), but builds nothing. It allocates nothing on the
//! heap (except serde_json's scratch space for JSON strings with escapes, and error messages for
//! bad JSON, both bounded by bytes actually present), walks `Any` values iteratively with a
//! fixed-size explicit stack (JSON text is parsed by serde_json with the same depth limit),
//! checks every count against the bytes that remain, and runs in time linear in the input.
//!
//! It is deliberately *stricter* than yrs wherever yrs would silently wrap a value or panic, and
//! where no real encoder (yrs or JS Yjs) produces the encoding. One such: client sections in any
//! order but by strictly descending client id, which is how Yjs (`writeClientsStructs`,
//! `mergeUpdates`) and yrs (`encode_diff`, `merge_updates`) write them. It rules out a client id
//! in two sections of one update, which yrs 0.28.1 reads into one list of blocks claiming the
//! same clocks; integrating them frees a block that is still linked (a use-after-free in
//! `BlockStore::push`, which replaces what it takes for a skip; found by `cargo xtask fuzz`). The guarantee the tests check:
//! if the validator accepts, `Update::decode_v1` succeeds without panicking; and every update
//! yrs or Yjs produces is accepted, save those yrs itself cannot decode (Yjs writes a name after
//! the `XmlHook` type ref, which yrs 0.28.1 does not read).
//!
//! Trailing bytes after the delete set are accepted, as yrs and Yjs ignore them; their number
//! is reported in [`UpdateSummary::trailing_bytes`] so callers can strip or refuse them.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use thiserror::Error;

use super::visit::{ContentKind, Id, ItemStruct, NoVisit, ParentRef, Struct, Visit};

/// Default [`Limits::max_depth`]: real documents nest values a handful of levels deep; 64 is
/// generous for them and far from what yrs's recursive decoders can survive.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Largest usable [`Limits::max_depth`]: the walker keeps one 16-byte frame per level in a
/// fixed array on the stack, and yrs recurses once per level when it decodes the same value.
pub const MAX_SUPPORTED_DEPTH: usize = 256;

/// Info byte of a GC struct; yrs compares the whole byte, not just the content-ref bits.
const INFO_GC: u8 = 0;
/// Info byte of a Skip struct (whole byte, as for GC).
const INFO_SKIP: u8 = 10;
/// Info bit: the item's left origin ID follows.
const HAS_ORIGIN: u8 = 0x80;
/// Info bit: the item's right origin ID follows.
const HAS_RIGHT_ORIGIN: u8 = 0x40;
/// Info bit: a parent-sub (map key) string follows the parent, if the parent is written.
const HAS_PARENT_SUB: u8 = 0x20;
/// Content ref bits of the info byte (Yjs reads 5 bits, yrs 4; we require the 5th to be 0).
const CONTENT_REF_MASK: u8 = 0x1F;

/// Item content refs (`block.rs`, `BLOCK_ITEM_*_REF_NUMBER`).
const CONTENT_DELETED: u8 = 1;
const CONTENT_JSON: u8 = 2;
const CONTENT_BINARY: u8 = 3;
const CONTENT_STRING: u8 = 4;
const CONTENT_EMBED: u8 = 5;
const CONTENT_FORMAT: u8 = 6;
const CONTENT_TYPE: u8 = 7;
const CONTENT_ANY: u8 = 8;
const CONTENT_DOC: u8 = 9;

/// Type ref of an XML element, the only type ref followed by data (its tag name) in yrs.
const TYPE_XML_ELEMENT: u8 = 3;
/// Type refs yrs decodes without further data: array, map, text, XML fragment, XML hook
/// (yrs reads no hook name, unlike Yjs), XML text, subdocument, undefined. Weak links (7) need
/// yrs's `weak` feature, which Huddle does not enable.
const PLAIN_TYPE_REFS: [u8; 8] = [0, 1, 2, 4, 5, 6, 9, 15];

/// `Any` tags (`any.rs`).
const ANY_UNDEFINED: u8 = 127;
const ANY_NULL: u8 = 126;
const ANY_INTEGER: u8 = 125;
const ANY_FLOAT32: u8 = 124;
const ANY_FLOAT64: u8 = 123;
const ANY_BIGINT: u8 = 122;
const ANY_FALSE: u8 = 121;
const ANY_TRUE: u8 = 120;
const ANY_STRING: u8 = 119;
const ANY_MAP: u8 = 118;
const ANY_ARRAY: u8 = 117;
const ANY_BUFFER: u8 = 116;

/// Largest client id: Yjs ids are 53-bit JS-safe integers and yrs's `ClientID::new`
/// debug-asserts that bound.
const MAX_CLIENT_ID: u64 = (1 << 53) - 1;
/// Longest variable-length integer we accept: 10 × 7 bits cover a u64.
const MAX_VARINT_BYTES: usize = 10;

/// Smallest client section of the struct part: block count, client id, first clock.
const MIN_CLIENT_SECTION_BYTES: usize = 3;
/// Smallest block: an info byte plus at least one byte of length or content.
const MIN_BLOCK_BYTES: usize = 2;
/// Smallest delete-set client entry: client id and range count.
const MIN_DS_CLIENT_BYTES: usize = 2;
/// Smallest delete range: clock and length.
const MIN_DS_RANGE_BYTES: usize = 2;
/// Smallest string: its length prefix.
const MIN_STRING_BYTES: usize = 1;
/// Smallest `Any` value: its tag.
const MIN_ANY_BYTES: usize = 1;
/// Smallest `Any` map entry: a key length prefix and a value tag.
const MIN_ANY_ENTRY_BYTES: usize = 2;

/// Limits for validation; `Default` gives sensible values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of arrays/maps inside `Any` and JSON values (a top-level array is at
    /// depth 1). Default [`DEFAULT_MAX_DEPTH`]; values above [`MAX_SUPPORTED_DEPTH`] act as it.
    pub max_depth: usize,
    /// Accept Skip structs (gaps, in updates merged from pieces with holes). The server
    /// refuses them from clients ([`Limits::from_clients`]); the page takes them from the
    /// server, whose merged log tails may hold them.
    pub skips: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: DEFAULT_MAX_DEPTH,
            skips: true,
        }
    }
}

impl Limits {
    /// What the server takes from a client: no Skip structs. Yjs and yrs write them only when
    /// merging updates with holes (`mergeUpdates`), never for a document's changes or its
    /// state, which is all a client sends. yrs 0.28.1 integrates skips into its block store
    /// and, given skips and items over the same clocks in two updates, frees an item it still
    /// links (a heap-use-after-free found by `cargo xtask fuzz`, wire_frame).
    pub fn from_clients() -> Limits {
        Limits {
            skips: false,
            ..Limits::default()
        }
    }
}

/// What a valid update contains; counts are of wire structures, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateSummary {
    /// Client sections in the struct part.
    pub clients: usize,
    /// Structs (blocks) of every kind: `items + gcs + skips`.
    pub structs: usize,
    /// Item structs (content-carrying blocks).
    pub items: usize,
    /// GC structs.
    pub gcs: usize,
    /// Skip structs (gaps in merged updates).
    pub skips: usize,
    /// Clients in the delete set.
    pub delete_set_clients: usize,
    /// Ranges in the delete set.
    pub delete_ranges: usize,
    /// Bytes after the delete set, which yrs ignores.
    pub trailing_bytes: usize,
}

/// Why an update was rejected; offsets are byte positions in the input where the field starts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidUpdate {
    #[error("{what} at byte {offset} runs past the end of the input")]
    Truncated { what: &'static str, offset: usize },
    #[error("{what} at byte {offset} is a malformed variable-length integer")]
    BadVarInt { what: &'static str, offset: usize },
    #[error("{what} {value} at byte {offset} exceeds the maximum {max}")]
    OutOfRange {
        what: &'static str,
        offset: usize,
        value: u64,
        max: u64,
    },
    #[error("length prefix {len} of {what} at byte {offset} exceeds the {left} bytes left")]
    LengthExceedsInput {
        what: &'static str,
        offset: usize,
        len: u64,
        left: usize,
    },
    #[error(
        "count {count} of {what} at byte {offset} needs at least {min_each} bytes each, \
         but only {left} bytes are left"
    )]
    CountExceedsInput {
        what: &'static str,
        offset: usize,
        count: u64,
        min_each: usize,
        left: usize,
    },
    #[error("{what} at byte {offset} is not valid UTF-8")]
    InvalidUtf8 { what: &'static str, offset: usize },
    #[error("block info byte {info:#04x} at byte {offset} has an unknown content ref")]
    UnknownContent { info: u8, offset: usize },
    #[error("{what} at byte {offset} has length 0")]
    EmptyBlock { what: &'static str, offset: usize },
    #[error("unknown type ref {type_ref} at byte {offset}")]
    UnknownTypeRef { type_ref: u8, offset: usize },
    #[error("unknown Any tag {tag} at byte {offset}")]
    UnknownAnyTag { tag: u8, offset: usize },
    #[error("value at byte {offset} is nested deeper than {max_depth} levels")]
    TooDeep { offset: usize, max_depth: usize },
    #[error("invalid JSON in {what} at byte {offset}: {reason}")]
    InvalidJson {
        what: &'static str,
        offset: usize,
        reason: String,
    },
    #[error("block at byte {offset} overflows the u32 clock of client {client}")]
    ClockOverflow { client: u64, offset: usize },
    #[error("delete range at byte {offset} (clock {clock} + length {len}) overflows u32")]
    RangeOverflow { offset: usize, clock: u32, len: u32 },
    #[error(
        "client {client}'s section at byte {offset} does not follow a higher client id \
         (encoders write each client once, highest first)"
    )]
    ClientOrder { client: u64, offset: usize },
    #[error("skip struct at byte {offset}: a client's changes hold no gaps")]
    Skip { offset: usize },
}

type Result<T> = std::result::Result<T, InvalidUpdate>;

/// Checks that `update` (Yjs update format v1) can be decoded by `yrs::Update::decode_v1`
/// safely: bounded memory, bounded recursion, no panic. Never panics, runs in
/// O(`update.len()`), and allocates nothing outside JSON text (see the module docs).
pub fn validate_update_v1(
    update: &[u8],
    limits: &Limits,
) -> std::result::Result<UpdateSummary, InvalidUpdate> {
    walk_update_v1(update, limits, &mut NoVisit)
}

/// [`validate_update_v1`], reporting each struct and delete range to `visit` as it is read
/// (see [`super::visit`]). Same checks, same cost plus the visitor's.
pub fn walk_update_v1<'a, V: Visit<'a>>(
    update: &'a [u8],
    limits: &Limits,
    visit: &mut V,
) -> std::result::Result<UpdateSummary, InvalidUpdate> {
    let mut walker = Walker::new(update, limits, None, visit);
    walker.structs()?;
    walker.delete_set()?;
    walker.summary.trailing_bytes = walker.r.left();
    Ok(walker.summary)
}

/// For `Any` content (an [`ItemStruct::raw`] of [`ContentKind::Any`]) holding exactly one
/// value that is a map: calls `f` with each value under `key` (every one, should the key be
/// written twice), `Some` for a string and `None` for anything else; returns whether the
/// content was one map. Content that was not validated may be refused.
pub fn any_map_strings<'a>(
    any_content: &'a [u8],
    key: &str,
    mut f: impl FnMut(Option<&'a str>),
) -> std::result::Result<bool, InvalidUpdate> {
    let limits = Limits::default();
    let mut nothing = NoVisit;
    let mut walker = Walker::new(any_content, &limits, None, &mut nothing);
    if walker.r.var_u64("Any content values")? != 1 || walker.r.byte("Any tag")? != ANY_MAP {
        return Ok(false);
    }
    let entries = walker
        .r
        .count("Any map entries", u64::MAX, MIN_ANY_ENTRY_BYTES)?;
    for _ in 0..entries {
        let name = walker.r.string("Any map key")?;
        if name != key {
            walker.any()?;
        } else if walker.r.buf.get(walker.r.pos) == Some(&ANY_STRING) {
            walker.r.pos += 1;
            f(Some(walker.r.string("Any string")?));
        } else {
            walker.any()?;
            f(None);
        }
    }
    Ok(true)
}

/// What `update` (validated as by [`validate_update_v1`] with `limits`) needs from the
/// document it is applied to. Allocates in proportion to the update's blocks.
pub fn dependencies(
    update: &[u8],
    limits: &Limits,
) -> std::result::Result<Dependencies, InvalidUpdate> {
    let mut nothing = NoVisit;
    let mut walker = Walker::new(update, limits, Some(Dependencies::default()), &mut nothing);
    walker.structs()?;
    walker.delete_set()?;
    Ok(walker.deps.unwrap_or_default())
}

/// What an update brings and what it refers to: enough to tell, before yrs integrates it,
/// whether it applies completely to a document. yrs keeps what does not ("pending") and
/// retries it with every later update; yrs 0.28.1 then frees a block it still links when a
/// later update overlaps a pending one (a heap-use-after-free found by `cargo xtask fuzz`,
/// wire_frame). No client's change needs that: a page's update refers only to what it had
/// from the server or made itself, and sync step 2 is computed from the server's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Each client section: client, first clock, the clock after its last block; in the
    /// update's order (strictly descending client id).
    sections: Vec<(u64, u32, u32)>,
    /// What items refer to in other clients' sections or the document (left and right
    /// origins, parents), and the last clock of every delete range.
    refs: Vec<(u64, u32)>,
    /// A reference to the item's own client at or after its own clock, which nothing can
    /// satisfy.
    forward: Option<(u64, u32)>,
}

/// What an update refers to that neither the document nor the update holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Missing {
    #[error(
        "client {client}'s changes start at clock {starts}, but the board has them only up to {known}"
    )]
    Gap {
        client: u64,
        starts: u32,
        known: u32,
    },
    #[error("it refers to change {clock} of client {client}, which the board does not have")]
    Reference { client: u64, clock: u32 },
}

impl Dependencies {
    /// The first thing the update needs that a document with state vector `known` lacks.
    pub fn first_missing(&self, known: &yrs::StateVector) -> Option<Missing> {
        if let Some((client, clock)) = self.forward {
            return Some(Missing::Reference { client, clock });
        }
        for &(client, starts, _) in &self.sections {
            let known = known.get(&yrs::block::ClientID::new(client));
            if starts > known {
                return Some(Missing::Gap {
                    client,
                    starts,
                    known,
                });
            }
        }
        self.refs.iter().find_map(|&(client, clock)| {
            let section = self
                .sections
                .binary_search_by(|s| client.cmp(&s.0))
                .map_or(0, |i| self.sections[i].2);
            (clock >= known.get(&yrs::block::ClientID::new(client)).max(section))
                .then_some(Missing::Reference { client, clock })
        })
    }

    /// A reference from the item at `from` (client, clock) to `to`.
    fn reference(&mut self, from: (u64, u32), to: (u64, u32)) {
        if to.0 == from.0 {
            // Its own client: only what comes before it (earlier in the section, or known).
            if to.1 >= from.1 && self.forward.is_none() {
                self.forward = Some(to);
            }
            return;
        }
        self.refs.push(to);
    }
}

/// A cursor over the input with bounds-checked primitive reads mirroring `yrs::encoding::read`.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8> {
        let offset = self.pos;
        let b = *self
            .buf
            .get(offset)
            .ok_or(InvalidUpdate::Truncated { what, offset })?;
        self.pos = offset.saturating_add(1);
        Ok(b)
    }

    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8]> {
        let offset = self.pos;
        let bytes = offset
            .checked_add(len)
            .and_then(|end| self.buf.get(offset..end))
            .ok_or(InvalidUpdate::Truncated { what, offset })?;
        self.pos = offset.saturating_add(len);
        Ok(bytes)
    }

    /// Unsigned LEB128 as yrs's `read_var_u64`, but refusing what yrs would wrap: more than
    /// 10 bytes, or bits beyond the 64th.
    fn var_u64(&mut self, what: &'static str) -> Result<u64> {
        let offset = self.pos;
        let mut value = 0u64;
        for i in 0..MAX_VARINT_BYTES {
            let b = self.byte(what)?;
            let bits = u64::from(b & 0x7F);
            if i == MAX_VARINT_BYTES - 1 && bits > 1 {
                return Err(InvalidUpdate::BadVarInt { what, offset });
            }
            value |= bits << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(InvalidUpdate::BadVarInt { what, offset })
    }

    fn var_max(&mut self, what: &'static str, max: u64) -> Result<u64> {
        let offset = self.pos;
        let value = self.var_u64(what)?;
        if value > max {
            return Err(InvalidUpdate::OutOfRange {
                what,
                offset,
                value,
                max,
            });
        }
        Ok(value)
    }

    /// A u32 field; yrs would silently truncate larger values.
    fn var_u32(&mut self, what: &'static str) -> Result<u32> {
        let value = self.var_max(what, u64::from(u32::MAX))?;
        Ok(u32::try_from(value).unwrap_or(u32::MAX))
    }

    /// A count of items that each need at least `min_each` bytes: refused unless they can fit
    /// in what is left, so yrs never reserves room for items that are not there.
    fn count(&mut self, what: &'static str, max: u64, min_each: usize) -> Result<u64> {
        let offset = self.pos;
        let count = self.var_max(what, max)?;
        let left = self.left();
        let fits = usize::try_from(count)
            .ok()
            .and_then(|n| n.checked_mul(min_each))
            .is_some_and(|needed| needed <= left);
        if !fits {
            return Err(InvalidUpdate::CountExceedsInput {
                what,
                offset,
                count,
                min_each,
                left,
            });
        }
        Ok(count)
    }

    /// yrs's `read_buf`: a u32 length, then that many bytes.
    fn buf(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let offset = self.pos;
        let len = self.var_u32(what)?;
        let left = self.left();
        match usize::try_from(len) {
            Ok(n) if n <= left => self.take(n, what),
            _ => Err(InvalidUpdate::LengthExceedsInput {
                what,
                offset,
                len: len.into(),
                left,
            }),
        }
    }

    fn string(&mut self, what: &'static str) -> Result<&'a str> {
        let offset = self.pos;
        let bytes = self.buf(what)?;
        std::str::from_utf8(bytes).map_err(|_| InvalidUpdate::InvalidUtf8 { what, offset })
    }

    /// yrs's `read_var_i64` (the `Any` integer). That function shifts by 69 on an 11th byte
    /// and negates `i64::MIN`, both panics in debug builds: accept 10 bytes and |v| < 2^63.
    fn var_i64(&mut self, what: &'static str) -> Result<()> {
        let offset = self.pos;
        let mut b = self.byte(what)?;
        let mut shift = 6u32;
        while b & 0x80 != 0 {
            if shift > 62 {
                return Err(InvalidUpdate::BadVarInt { what, offset });
            }
            b = self.byte(what)?;
            if u64::from(b & 0x7F) > (i64::MAX as u64) >> shift {
                return Err(InvalidUpdate::BadVarInt { what, offset });
            }
            shift += 7;
        }
        Ok(())
    }
}

/// One open array or map on the explicit stack of [`Walker::any`].
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    /// Elements (arrays) or entries (maps) still to read.
    left: u64,
    is_map: bool,
}

struct Walker<'a, 'v, V> {
    r: Reader<'a>,
    max_depth: usize,
    /// Whether Skip structs are accepted ([`Limits::skips`]).
    skips: bool,
    frames: [Frame; MAX_SUPPORTED_DEPTH],
    summary: UpdateSummary,
    /// Recorded by [`dependencies`] only, with the block being read (client, clock).
    deps: Option<Dependencies>,
    /// Told of each struct and delete range ([`walk_update_v1`]); [`NoVisit`] otherwise.
    visit: &'v mut V,
}

impl<'a, 'v, V: Visit<'a>> Walker<'a, 'v, V> {
    fn new(
        update: &'a [u8],
        limits: &Limits,
        deps: Option<Dependencies>,
        visit: &'v mut V,
    ) -> Self {
        Walker {
            r: Reader {
                buf: update,
                pos: 0,
            },
            max_depth: limits.max_depth.min(MAX_SUPPORTED_DEPTH),
            skips: limits.skips,
            frames: [Frame::default(); MAX_SUPPORTED_DEPTH],
            summary: UpdateSummary::default(),
            deps,
            visit,
        }
    }

    /// `Update::decode`, first half: client sections of blocks.
    fn structs(&mut self) -> Result<()> {
        let clients = self
            .r
            .count("client sections", u32::MAX.into(), MIN_CLIENT_SECTION_BYTES)?;
        // Each client once, highest first (see the module docs).
        let mut previous: Option<u64> = None;
        for _ in 0..clients {
            self.summary.clients += 1;
            let offset = self.r.pos;
            let client = self.client_section()?;
            if previous.is_some_and(|p| client >= p) {
                return Err(InvalidUpdate::ClientOrder { client, offset });
            }
            previous = Some(client);
        }
        Ok(())
    }

    /// One client's section; its client id.
    fn client_section(&mut self) -> Result<u64> {
        let blocks = self.r.count("blocks", u32::MAX.into(), MIN_BLOCK_BYTES)?;
        let client = self.r.var_max("client id", MAX_CLIENT_ID)?;
        let first = self.r.var_u32("first clock")?;
        let mut clock = first;
        for _ in 0..blocks {
            let offset = self.r.pos;
            let len = self.block((client, clock))?;
            // yrs does `clock += block.len()`, which panics on overflow in debug builds.
            clock = clock
                .checked_add(len)
                .ok_or(InvalidUpdate::ClockOverflow { client, offset })?;
        }
        if let Some(deps) = &mut self.deps {
            deps.sections.push((client, first, clock));
        }
        Ok(client)
    }

    /// `Update::decode_block`; returns the clock length yrs gives the block (0 if it drops it).
    fn block(&mut self, at: (u64, u32)) -> Result<u32> {
        let offset = self.r.pos;
        let info = self.r.byte("block info")?;
        self.summary.structs += 1;
        let id = Id::new(at.0, at.1);
        match info {
            INFO_GC => {
                self.summary.gcs += 1;
                let len = self.nonzero_len("GC length")?;
                self.visit.structure(Struct::Gc { id, len });
                Ok(len)
            }
            INFO_SKIP if !self.skips => Err(InvalidUpdate::Skip { offset }),
            INFO_SKIP => {
                self.summary.skips += 1;
                let len = self.nonzero_len("skip length")?;
                self.visit.structure(Struct::Skip { id, len });
                Ok(len)
            }
            _ => {
                self.summary.items += 1;
                self.item(info, offset, at)
            }
        }
    }

    fn nonzero_len(&mut self, what: &'static str) -> Result<u32> {
        let offset = self.r.pos;
        match self.r.var_u32(what)? {
            0 => Err(InvalidUpdate::EmptyBlock { what, offset }),
            len => Ok(len),
        }
    }

    fn item(&mut self, info: u8, offset: usize, at: (u64, u32)) -> Result<u32> {
        let content_ref = info & CONTENT_REF_MASK;
        if !(CONTENT_DELETED..=CONTENT_DOC).contains(&content_ref) {
            return Err(InvalidUpdate::UnknownContent { info, offset });
        }
        let origin = if info & HAS_ORIGIN != 0 {
            Some(self.id("left origin", at)?)
        } else {
            None
        };
        let right_origin = if info & HAS_RIGHT_ORIGIN != 0 {
            Some(self.id("right origin", at)?)
        } else {
            None
        };
        let mut parent = ParentRef::Inferred;
        let mut parent_sub = None;
        if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
            parent = self.parent(at)?;
            if info & HAS_PARENT_SUB != 0 {
                parent_sub = Some(self.r.string("parent sub key")?);
            }
        }
        let start = self.r.pos;
        let len = self.content(content_ref)?;
        self.visit.structure(Struct::Item(ItemStruct {
            id: Id::new(at.0, at.1),
            len,
            origin,
            right_origin,
            parent,
            parent_sub,
            content: content_kind(content_ref),
            raw: self.r.buf.get(start..self.r.pos).unwrap_or_default(),
        }));
        Ok(len)
    }

    /// An ID the item at `at` refers to.
    fn id(&mut self, what: &'static str, at: (u64, u32)) -> Result<Id> {
        let client = self.r.var_max(what, MAX_CLIENT_ID)?;
        let clock = self.r.var_u32(what)?;
        if let Some(deps) = &mut self.deps {
            deps.reference(at, (client, clock));
        }
        Ok(Id::new(client, clock))
    }

    /// yrs treats parent info 1 as "root type name follows" and anything else as "ID follows";
    /// Yjs only writes 0 or 1, so anything else is refused.
    fn parent(&mut self, at: (u64, u32)) -> Result<ParentRef<'a>> {
        if self.r.var_max("parent info", 1)? == 1 {
            Ok(ParentRef::Root(self.r.string("root type name")?))
        } else {
            Ok(ParentRef::Id(self.id("parent id", at)?))
        }
    }

    /// `ItemContent::decode`; returns the item's length in clock units (`len_utf16`).
    fn content(&mut self, content_ref: u8) -> Result<u32> {
        match content_ref {
            CONTENT_DELETED => self.r.var_u32("deleted length"),
            CONTENT_JSON => self.json_content(),
            CONTENT_BINARY => self.r.buf("binary content").map(|_| 1),
            CONTENT_STRING => self.string_content(),
            CONTENT_EMBED => self.json("embed content").map(|_| 1),
            CONTENT_FORMAT => {
                self.r.string("format key")?;
                self.json("format value").map(|_| 1)
            }
            CONTENT_TYPE => self.type_ref().map(|_| 1),
            CONTENT_ANY => self.any_content(),
            CONTENT_DOC => {
                self.r.string("subdocument guid")?;
                self.any().map(|_| 1)
            }
            _ => Err(InvalidUpdate::UnknownContent {
                info: content_ref,
                offset: self.r.pos,
            }),
        }
    }

    /// Legacy JSON content. yrs casts the count to i32 (failing on negatives) and then reads
    /// count + 1 strings (`while remaining >= 0`); mirror that exactly.
    fn json_content(&mut self) -> Result<u32> {
        let count = self
            .r
            .count("JSON content strings", i32::MAX as u64, MIN_STRING_BYTES)?;
        for _ in 0..=count {
            self.r.string("JSON content string")?;
        }
        Ok(u32::try_from(count + 1).unwrap_or(u32::MAX))
    }

    fn string_content(&mut self) -> Result<u32> {
        let offset = self.r.pos;
        let s = self.r.string("string content")?;
        let units = s.encode_utf16().count();
        u32::try_from(units).map_err(|_| InvalidUpdate::OutOfRange {
            what: "string content UTF-16 length",
            offset,
            value: units as u64,
            max: u32::MAX.into(),
        })
    }

    fn any_content(&mut self) -> Result<u32> {
        let count = self
            .r
            .count("Any content values", u32::MAX.into(), MIN_ANY_BYTES)?;
        for _ in 0..count {
            self.any()?;
        }
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    fn type_ref(&mut self) -> Result<()> {
        let offset = self.r.pos;
        match self.r.byte("type ref")? {
            TYPE_XML_ELEMENT => self.r.string("XML element name").map(|_| ()),
            t if PLAIN_TYPE_REFS.contains(&t) => Ok(()),
            type_ref => Err(InvalidUpdate::UnknownTypeRef { type_ref, offset }),
        }
    }

    /// A string holding JSON, as yrs's `read_json` (`Any::from_json`) parses it.
    fn json(&mut self, what: &'static str) -> Result<()> {
        let offset = self.r.pos;
        let text = self.r.string(what)?;
        check_json(text, self.max_depth).map_err(|e| InvalidUpdate::InvalidJson {
            what,
            offset,
            reason: e.to_string(),
        })
    }

    /// One `Any` value (`Any::decode`), walked iteratively: `frames[..depth]` are the arrays
    /// and maps still open, innermost last.
    fn any(&mut self) -> Result<()> {
        let mut depth = 0;
        self.any_head(&mut depth)?;
        loop {
            while depth > 0 && self.frames.get(depth - 1).is_some_and(|f| f.left == 0) {
                depth -= 1;
            }
            let Some(top) = depth.checked_sub(1).and_then(|i| self.frames.get_mut(i)) else {
                return Ok(());
            };
            top.left -= 1;
            if top.is_map {
                self.r.string("Any map key")?;
            }
            self.any_head(&mut depth)?;
        }
    }

    /// Reads one tag and its scalar payload; for an array or map, opens a frame instead.
    fn any_head(&mut self, depth: &mut usize) -> Result<()> {
        let offset = self.r.pos;
        match self.r.byte("Any tag")? {
            ANY_UNDEFINED | ANY_NULL | ANY_FALSE | ANY_TRUE => Ok(()),
            ANY_INTEGER => self.r.var_i64("Any integer"),
            ANY_FLOAT32 => self.r.take(4, "Any float32").map(|_| ()),
            ANY_FLOAT64 => self.r.take(8, "Any float64").map(|_| ()),
            ANY_BIGINT => self.r.take(8, "Any bigint").map(|_| ()),
            ANY_STRING => self.r.string("Any string").map(|_| ()),
            ANY_BUFFER => self.r.buf("Any buffer").map(|_| ()),
            ANY_ARRAY => self.open(depth, offset, false),
            ANY_MAP => self.open(depth, offset, true),
            tag => Err(InvalidUpdate::UnknownAnyTag { tag, offset }),
        }
    }

    fn open(&mut self, depth: &mut usize, offset: usize, is_map: bool) -> Result<()> {
        let too_deep = InvalidUpdate::TooDeep {
            offset,
            max_depth: self.max_depth,
        };
        if *depth >= self.max_depth {
            return Err(too_deep);
        }
        let (what, min_each) = if is_map {
            ("Any map entries", MIN_ANY_ENTRY_BYTES)
        } else {
            ("Any array elements", MIN_ANY_BYTES)
        };
        let left = self.r.count(what, u64::MAX, min_each)?;
        let frame = self.frames.get_mut(*depth).ok_or(too_deep)?;
        *frame = Frame { left, is_map };
        *depth += 1;
        Ok(())
    }

    /// `IdSet::decode`: the delete set.
    fn delete_set(&mut self) -> Result<()> {
        let clients = self
            .r
            .count("delete set clients", u32::MAX.into(), MIN_DS_CLIENT_BYTES)?;
        for _ in 0..clients {
            self.summary.delete_set_clients += 1;
            let client = self.r.var_max("delete set client id", MAX_CLIENT_ID)?;
            let ranges = self
                .r
                .count("delete ranges", u32::MAX.into(), MIN_DS_RANGE_BYTES)?;
            for _ in 0..ranges {
                self.summary.delete_ranges += 1;
                let (clock, end) = self.delete_range()?;
                self.visit.delete_range(client, clock, end - clock);
                if let Some(deps) = &mut self.deps
                    && end > 0
                {
                    // What it deletes must be there: the last clock it names.
                    deps.refs.push((client, end - 1));
                }
            }
        }
        Ok(())
    }

    /// One delete range; its first clock and the clock after it.
    fn delete_range(&mut self) -> Result<(u32, u32)> {
        let offset = self.r.pos;
        let clock = self.r.var_u32("delete range clock")?;
        let len = self.r.var_u32("delete range length")?;
        // yrs computes `clock..(clock + len)`, which panics on overflow in debug builds.
        let end =
            clock
                .checked_add(len)
                .ok_or(InvalidUpdate::RangeOverflow { offset, clock, len })?;
        Ok((clock, end))
    }
}

/// The kind of a content ref already checked to be in `CONTENT_DELETED..=CONTENT_DOC`.
fn content_kind(content_ref: u8) -> ContentKind {
    match content_ref {
        CONTENT_DELETED => ContentKind::Deleted,
        CONTENT_JSON => ContentKind::Json,
        CONTENT_BINARY => ContentKind::Binary,
        CONTENT_STRING => ContentKind::String,
        CONTENT_EMBED => ContentKind::Embed,
        CONTENT_FORMAT => ContentKind::Format,
        CONTENT_TYPE => ContentKind::Type,
        CONTENT_ANY => ContentKind::Any,
        _ => ContentKind::Doc,
    }
}

/// Parses `text` with the same `serde_json` calls as yrs's `Any::from_json`, through a visitor
/// that accepts what yrs's `Any` visitor accepts but builds nothing and limits nesting.
fn check_json(text: &str, max_depth: usize) -> std::result::Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    JsonValue {
        depth_left: max_depth,
    }
    .deserialize(&mut de)?;
    de.end()
}

#[derive(Clone, Copy)]
struct JsonValue {
    depth_left: usize,
}

impl JsonValue {
    fn nested<E: de::Error>(self) -> std::result::Result<Self, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(JsonValue { depth_left }),
            None => Err(E::custom("value nested deeper than the depth limit")),
        }
    }
}

impl<'de> DeserializeSeed<'de> for JsonValue {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonValue {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }

    /// yrs's `Any` visitor refuses integers above `i64::MAX`.
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
        if i64::try_from(v).is_ok() {
            Ok(())
        } else {
            Err(E::custom(format_args!("integer {v} out of range for i64")))
        }
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let inner = self.nested()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let inner = self.nested()?;
        while map.next_key_seed(JsonKey)?.is_some() {
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

/// A map key, deserialized as `String` would be (yrs's maps are `HashMap<String, Any>`).
struct JsonKey;

impl<'de> DeserializeSeed<'de> for JsonKey {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_string(self)
    }
}

impl<'de> Visitor<'de> for JsonKey {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<(), E> {
        match std::str::from_utf8(v) {
            Ok(_) => Ok(()),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(v), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `cargo xtask fuzz` (wire_frame): two updates of skips and items over the same
    /// clocks make yrs 0.28.1 free an item it still links. Clients never send skips; the
    /// server refuses them, the page (which gets merged log tails from the server) takes them.
    #[test]
    fn skips_are_refused_from_clients_only() {
        let frame = include_bytes!(
            "../../tests/fuzz_regressions/wire_frame/skips-over-items-use-after-free"
        );
        let from_clients = crate::wire::Limits::from_clients();
        assert!(matches!(
            crate::wire::decode_frame(frame, &from_clients),
            Err(crate::wire::WireError::InvalidUpdate(
                InvalidUpdate::Skip { .. }
            ))
        ));
        assert!(crate::wire::decode_frame(frame, &crate::wire::Limits::default()).is_ok());
    }

    /// Updates of a real document: each applies completely to a document that has the ones
    /// before it, and not to one that lacks them.
    #[test]
    fn dependencies_are_what_the_update_builds_on() {
        use yrs::{Doc, GetString, Options, ReadTxn, StateVector, Text, Transact};
        let ana = Doc::with_options(Options::with_client_id(yrs::block::ClientID::new(7)));
        let text = ana.get_or_insert_text("t");
        let mut updates = Vec::new();
        for word in ["hello", " world"] {
            let before = ana.transact().state_vector();
            text.push(&mut ana.transact_mut(), word);
            updates.push(ana.transact().encode_state_as_update_v1(&before));
        }
        // Bo, another client, writes between Ana's words and deletes one of her letters.
        let bo = Doc::with_options(Options::with_client_id(yrs::block::ClientID::new(3)));
        let bo_text = bo.get_or_insert_text("t");
        for u in &updates {
            let u = yrs::Update::decode_v1(u).unwrap();
            bo.transact_mut().apply_update(u).unwrap();
        }
        let before = bo.transact().state_vector();
        bo_text.insert(&mut bo.transact_mut(), 5, ",");
        bo_text.remove_range(&mut bo.transact_mut(), 0, 1);
        let bos = bo.transact().encode_state_as_update_v1(&before);
        assert_eq!(bo_text.get_string(&bo.transact()), "ello, world");

        let limits = Limits::from_clients();
        let deps = |u: &[u8]| dependencies(u, &limits).unwrap();
        let empty = StateVector::default();
        let after_first = StateVector::from_iter([(yrs::block::ClientID::new(7), 5)]);
        let after_both = StateVector::from_iter([(yrs::block::ClientID::new(7), 11)]);
        assert_eq!(deps(&updates[0]).first_missing(&empty), None);
        assert_eq!(
            deps(&updates[1]).first_missing(&empty),
            Some(Missing::Gap {
                client: 7,
                starts: 5,
                known: 0
            })
        );
        assert_eq!(deps(&updates[1]).first_missing(&after_first), None);
        // Bo's comma follows Ana's "o" (clock 4); his deletion names her "h" (clock 0).
        assert_eq!(
            deps(&bos).first_missing(&empty),
            Some(Missing::Reference {
                client: 7,
                clock: 4
            })
        );
        assert_eq!(deps(&bos).first_missing(&after_both), None);
        // A whole state needs nothing.
        let whole = bo
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert_eq!(deps(&whole).first_missing(&empty), None);
    }

    /// Found by `cargo xtask fuzz` (wire_frame): the first update's blocks wait for clocks
    /// that the second brings, over the same clocks; yrs 0.28.1 then frees a block it still
    /// links. The server refuses the first update, which needs what the board lacks.
    #[test]
    fn an_update_that_would_wait_is_refused() {
        let frame = include_bytes!(
            "../../tests/fuzz_regressions/wire_frame/pending-overlap-use-after-free"
        );
        let messages =
            crate::wire::decode_frame(frame, &crate::wire::Limits::from_clients()).unwrap();
        let crate::wire::Message::Update(first) = &messages[0] else {
            panic!("{messages:?}")
        };
        let deps = dependencies(first, &Limits::from_clients()).unwrap();
        assert!(deps.first_missing(&yrs::StateVector::default()).is_some());
    }

    /// Found by `cargo xtask fuzz` (wire_frame, after 9.1 million inputs): three sections for
    /// client 1, all from clock 1. yrs 0.28.1 integrates them into a use-after-free.
    #[test]
    fn a_client_in_two_sections_is_refused() {
        let update = include_bytes!(
            "../../tests/fuzz_regressions/update_validator/duplicate-client-use-after-free"
        );
        assert!(matches!(
            validate_update_v1(update, &Limits::default()),
            Err(InvalidUpdate::ClientOrder { client: 1, .. })
        ));
        // One section per client, as encoders write them, is fine.
        let board = crate::model::Board::new();
        for x in [1.0, 2.0] {
            let mut txn = board.transact_mut();
            let note = crate::model::NewNote {
                pos: [x, 0.0],
                ..Default::default()
            };
            board.create_note(&mut txn, note).unwrap();
        }
        let other = crate::model::Board::new();
        {
            let mut txn = other.transact_mut();
            other.create_note(&mut txn, Default::default()).unwrap();
        }
        use yrs::{ReadTxn, Transact};
        let theirs = other
            .doc()
            .transact()
            .encode_state_as_update_v1(&Default::default());
        board
            .doc()
            .transact_mut()
            .apply_update(crate::wire::decode_update(&theirs).unwrap())
            .unwrap();
        let both = board
            .doc()
            .transact()
            .encode_state_as_update_v1(&Default::default());
        assert_eq!(
            validate_update_v1(&both, &Limits::default()).map(|s| s.clients),
            Ok(2)
        );
    }
    /// The walk reports what it reads: a new note's map under the root `items` with its id
    /// as key, its fields under that map, typed text hung on its left neighbour, and the
    /// delete range of a deletion.
    #[test]
    fn the_walk_reports_structs_and_delete_ranges() {
        use crate::wire::visit::{ContentKind, ItemStruct, ParentRef, Struct, Visit};
        use yrs::{ReadTxn, Transact};
        #[derive(Default)]
        struct Seen<'a> {
            items: Vec<ItemStruct<'a>>,
            deletes: Vec<(u64, u32, u32)>,
        }
        impl<'a> Visit<'a> for Seen<'a> {
            fn structure(&mut self, s: Struct<'a>) {
                if let Struct::Item(item) = s {
                    self.items.push(item);
                }
            }
            fn delete_range(&mut self, client: u64, clock: u32, len: u32) {
                self.deletes.push((client, clock, len));
            }
        }
        let board = crate::model::Board::with_client_id(5);
        let id = {
            let mut txn = board.transact_mut();
            board.create_note(&mut txn, Default::default()).unwrap()
        };
        let created = board
            .doc()
            .transact()
            .encode_state_as_update_v1(&Default::default());
        let mut seen = Seen::default();
        let summary = walk_update_v1(&created, &Limits::default(), &mut seen).unwrap();
        assert_eq!(
            summary,
            validate_update_v1(&created, &Limits::default()).unwrap()
        );
        assert_eq!(seen.items.len(), summary.items);
        let note = seen
            .items
            .iter()
            .find(|i| i.parent == ParentRef::Root(crate::model::keys::ITEMS))
            .expect("the note's map");
        assert_eq!(note.parent_sub, Some(id.as_str()));
        assert_eq!(note.content, ContentKind::Type);
        assert!(
            seen.items
                .iter()
                .any(|i| i.parent == ParentRef::Id(note.id) && i.content == ContentKind::Any)
        );

        let before = board.doc().transact().state_vector();
        {
            let mut txn = board.transact_mut();
            board.insert_text(&mut txn, &id, 0, "ab").unwrap();
        }
        let typed = board.doc().transact().encode_state_as_update_v1(&before);
        let before = board.doc().transact().state_vector();
        {
            let mut txn = board.transact_mut();
            board.insert_text(&mut txn, &id, 2, "c").unwrap();
            board.delete_text(&mut txn, &id, 0, 1).unwrap();
        }
        let more = board.doc().transact().encode_state_as_update_v1(&before);
        let mut seen = Seen::default();
        walk_update_v1(&typed, &Limits::default(), &mut seen).unwrap();
        let ab = seen.items[0];
        assert_eq!(
            (ab.len, ab.content, ab.origin),
            (2, ContentKind::String, None)
        );
        let mut seen = Seen::default();
        walk_update_v1(&more, &Limits::default(), &mut seen).unwrap();
        let c = seen.items[0];
        assert_eq!(c.origin, Some(Id::new(5, ab.id.clock + 1)));
        assert_eq!(c.parent, ParentRef::Inferred);
        assert_eq!(seen.deletes, vec![(5, ab.id.clock, 1)]);
    }

    use yrs::updates::decoder::Decode;

    fn validate(bytes: &[u8]) -> Result<UpdateSummary> {
        validate_update_v1(bytes, &Limits::default())
    }

    fn yrs_accepts(bytes: &[u8]) -> bool {
        yrs::Update::decode_v1(bytes).is_ok()
    }

    /// Accepted by both the validator and yrs.
    fn assert_valid(bytes: &[u8]) -> UpdateSummary {
        let summary = validate(bytes).unwrap_or_else(|e| panic!("rejected {bytes:02x?}: {e}"));
        assert!(
            yrs_accepts(bytes),
            "validator accepted what yrs rejects: {bytes:02x?}"
        );
        summary
    }

    fn var(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8 & 0x7F) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn string(out: &mut Vec<u8>, s: &[u8]) {
        var(out, s.len() as u64);
        out.extend_from_slice(s);
    }

    /// Header of an update with one client section of `blocks` blocks (client 1, clock `clock`).
    fn header(blocks: u64, clock: u64) -> Vec<u8> {
        let mut out = vec![1];
        var(&mut out, blocks);
        out.push(1);
        var(&mut out, clock);
        out
    }

    /// An update with a single root-level item ("r") of the given info byte and content bytes.
    fn one_item(info: u8, content: &[u8]) -> Vec<u8> {
        let mut out = header(1, 0);
        out.extend_from_slice(&[info, 1, 1, b'r']);
        out.extend_from_slice(content);
        out.push(0);
        out
    }

    /// An update with a single `Any` content item holding `value`.
    fn any_item(value: &[u8]) -> Vec<u8> {
        let mut content = vec![1];
        content.extend_from_slice(value);
        one_item(CONTENT_ANY, &content)
    }

    fn nested_arrays(levels: usize) -> Vec<u8> {
        let mut value = [ANY_ARRAY, 1].repeat(levels);
        value.push(ANY_NULL);
        value
    }

    #[test]
    fn empty_update_is_valid() {
        assert_eq!(assert_valid(&[0, 0]), UpdateSummary::default());
    }

    #[test]
    fn empty_and_cut_inputs_are_truncated() {
        for bytes in [&[][..], &[0], &[0x80], &[1]] {
            assert!(
                matches!(
                    validate(bytes),
                    Err(InvalidUpdate::Truncated { .. })
                        | Err(InvalidUpdate::CountExceedsInput { .. })
                ),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn huge_block_count_is_rejected_with_its_offset() {
        let mut bytes = vec![0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
        bytes.extend_from_slice(&[1; 15]);
        let err = validate(&bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "count 4294967295 of blocks at byte 1 needs at least 2 bytes each, but only 15 bytes are left"
        );
    }

    #[test]
    fn huge_string_length_is_rejected_with_its_offset() {
        let mut content = Vec::new();
        var(&mut content, 4_000_000_000);
        content.extend_from_slice(b"abc");
        let err = validate(&one_item(CONTENT_STRING, &content)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "length prefix 4000000000 of string content at byte 8 exceeds the 4 bytes left"
        );
    }

    #[test]
    fn huge_counts_everywhere_are_rejected() {
        let cases: Vec<Vec<u8>> = vec![
            vec![0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0],
            vec![0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0],
            vec![0, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0],
            any_item(&[
                ANY_ARRAY, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
            ]),
            any_item(&[ANY_MAP, 0x80, 0xAD, 0xE2, 0x04]),
            one_item(CONTENT_ANY, &[0x80, 0xAD, 0xE2, 0x04, ANY_NULL]),
            one_item(CONTENT_JSON, &[0x80, 0xAD, 0xE2, 0x04, 0]),
        ];
        for bytes in cases {
            let err = validate(&bytes).unwrap_err();
            assert!(
                matches!(err, InvalidUpdate::CountExceedsInput { .. }),
                "{bytes:02x?}: {err}"
            );
        }
    }

    #[test]
    fn nesting_up_to_the_limit_passes_and_beyond_fails() {
        let limits = Limits {
            max_depth: 5,
            ..Limits::default()
        };
        assert!(validate_update_v1(&any_item(&nested_arrays(5)), &limits).is_ok());
        assert!(yrs_accepts(&any_item(&nested_arrays(5))));
        let err = validate_update_v1(&any_item(&nested_arrays(6)), &limits).unwrap_err();
        assert!(
            matches!(err, InvalidUpdate::TooDeep { max_depth: 5, .. }),
            "{err}"
        );
        let limits = Limits {
            max_depth: 0,
            ..Limits::default()
        };
        assert!(validate_update_v1(&any_item(&[ANY_TRUE]), &limits).is_ok());
        assert!(validate_update_v1(&any_item(&[ANY_ARRAY, 0]), &limits).is_err());
    }

    #[test]
    fn ten_thousand_nested_values_are_rejected_without_recursion() {
        let err = validate(&any_item(&nested_arrays(10_000))).unwrap_err();
        assert!(
            matches!(err, InvalidUpdate::TooDeep { max_depth: 64, .. }),
            "{err}"
        );
        let mut maps = Vec::new();
        for _ in 0..10_000 {
            maps.extend_from_slice(&[ANY_MAP, 1, 1, b'k']);
        }
        maps.push(ANY_NULL);
        assert!(matches!(
            validate(&any_item(&maps)),
            Err(InvalidUpdate::TooDeep { .. })
        ));
        let limits = Limits {
            max_depth: usize::MAX,
            ..Limits::default()
        };
        let err = validate_update_v1(&any_item(&nested_arrays(10_000)), &limits).unwrap_err();
        assert!(matches!(
            err,
            InvalidUpdate::TooDeep {
                max_depth: MAX_SUPPORTED_DEPTH,
                ..
            }
        ));
    }

    #[test]
    fn any_scalars_and_containers_pass() {
        let mut value = vec![ANY_ARRAY, 12, ANY_UNDEFINED, ANY_NULL, ANY_TRUE, ANY_FALSE];
        value.extend_from_slice(&[ANY_INTEGER, 0xFF, 0x01]); // -(63 + 64)
        value.extend_from_slice(&[ANY_FLOAT32, 0, 0, 0, 0, ANY_FLOAT64, 0, 0, 0, 0, 0, 0, 0, 0]);
        value.extend_from_slice(&[ANY_BIGINT, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        value.extend_from_slice(&[ANY_STRING, 2, 0xC3, 0xA9, ANY_BUFFER, 2, 0xFF, 0x00]);
        value.extend_from_slice(&[ANY_MAP, 2, 1, b'a', ANY_NULL, 0, ANY_ARRAY, 0, ANY_ARRAY, 0]);
        let summary = assert_valid(&any_item(&value));
        assert_eq!((summary.structs, summary.items), (1, 1));
    }

    #[test]
    fn signed_varints_that_would_panic_yrs_are_rejected() {
        // i64::MAX: 6 + 7 * 8 + 1 bits in 10 bytes.
        let max = [0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        assert_valid(&any_item(&[&[ANY_INTEGER][..], &max].concat()));
        let min = [0xC0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02];
        let eleven = [
            0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
        ];
        for bad in [&min[..], &eleven] {
            let err = validate(&any_item(&[&[ANY_INTEGER][..], bad].concat())).unwrap_err();
            assert!(
                matches!(
                    err,
                    InvalidUpdate::BadVarInt {
                        what: "Any integer",
                        ..
                    }
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn unsigned_varints_that_yrs_would_wrap_are_rejected() {
        let too_long = [
            0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
        ];
        assert!(matches!(
            validate(&too_long),
            Err(InvalidUpdate::BadVarInt { offset: 1, .. })
        ));
        let mut clock_2_32 = header(0, 1 << 32);
        clock_2_32.push(0);
        assert!(matches!(
            validate(&clock_2_32),
            Err(InvalidUpdate::OutOfRange {
                value: 4294967296,
                ..
            })
        ));
    }

    #[test]
    fn client_ids_are_limited_to_53_bits() {
        for (client, ok) in [(MAX_CLIENT_ID, true), (MAX_CLIENT_ID + 1, false)] {
            let mut bytes = vec![0, 1];
            var(&mut bytes, client);
            bytes.extend_from_slice(&[1, 0, 1]);
            if ok {
                assert_eq!(assert_valid(&bytes).delete_ranges, 1);
            } else {
                assert!(matches!(
                    validate(&bytes),
                    Err(InvalidUpdate::OutOfRange { .. })
                ));
            }
        }
    }

    #[test]
    fn clock_overflow_is_rejected_but_zero_length_items_do_not_count() {
        let gc = |clock: u64, len: u8| [header(1, clock), vec![INFO_GC, len, 0]].concat();
        assert_eq!(assert_valid(&gc(u64::from(u32::MAX) - 1, 1)).gcs, 1);
        assert!(matches!(
            validate(&gc(u64::from(u32::MAX), 1)),
            Err(InvalidUpdate::ClockOverflow {
                client: 1,
                offset: 8
            })
        ));
        // A Deleted(0) item is dropped by yrs without advancing the clock.
        let mut dropped = header(2, u64::from(u32::MAX));
        dropped.extend_from_slice(&[
            CONTENT_DELETED,
            1,
            1,
            b'r',
            0,
            CONTENT_STRING,
            1,
            1,
            b'r',
            0,
            0,
        ]);
        assert_eq!(assert_valid(&dropped).items, 2);
    }

    #[test]
    fn delete_range_overflow_is_rejected() {
        let mut bytes = vec![0, 1, 1, 1];
        var(&mut bytes, u64::from(u32::MAX));
        bytes.push(1);
        let err = validate(&bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "delete range at byte 4 (clock 4294967295 + length 1) overflows u32"
        );
    }

    #[test]
    fn empty_gc_and_skip_are_rejected_like_yrs() {
        for info in [INFO_GC, INFO_SKIP] {
            let bytes = [header(1, 0), vec![info, 0, 0]].concat();
            assert!(matches!(
                validate(&bytes),
                Err(InvalidUpdate::EmptyBlock { .. })
            ));
            assert!(!yrs_accepts(&bytes));
        }
        let skip = [header(2, 0), vec![INFO_SKIP, 3, INFO_GC, 2, 0]].concat();
        let summary = assert_valid(&skip);
        assert_eq!((summary.skips, summary.gcs, summary.structs), (1, 1, 2));
    }

    #[test]
    fn unknown_info_type_ref_and_any_tag_are_rejected() {
        for info in [0x10 | CONTENT_DELETED, HAS_ORIGIN | INFO_GC, 0x0B, 0x1F] {
            let bytes = one_item(info, &[1]);
            assert!(
                matches!(validate(&bytes), Err(InvalidUpdate::UnknownContent { .. })),
                "{info:#x}"
            );
        }
        for type_ref in [7, 8, 10, 16, 255] {
            let bytes = one_item(CONTENT_TYPE, &[type_ref]);
            assert!(
                matches!(validate(&bytes), Err(InvalidUpdate::UnknownTypeRef { .. })),
                "{type_ref}"
            );
        }
        assert!(matches!(
            validate(&any_item(&[115])),
            Err(InvalidUpdate::UnknownAnyTag { tag: 115, .. })
        ));
    }

    #[test]
    fn type_refs_mirror_yrs() {
        for type_ref in PLAIN_TYPE_REFS {
            assert_valid(&one_item(CONTENT_TYPE, &[type_ref]));
        }
        assert_valid(&one_item(
            CONTENT_TYPE,
            &[TYPE_XML_ELEMENT, 3, b'd', b'i', b'v'],
        ));
    }

    #[test]
    fn parents_origins_and_keys_mirror_yrs() {
        // Parent given by ID, with a parent-sub key.
        let mut bytes = header(1, 0);
        bytes.extend_from_slice(&[
            HAS_PARENT_SUB | CONTENT_ANY,
            0,
            7,
            3,
            1,
            b'k',
            1,
            ANY_NULL,
            0,
        ]);
        assert_valid(&bytes);
        // Left and right origins: no parent, and the parent-sub bit is ignored.
        let mut bytes = header(1, 0);
        let info = HAS_ORIGIN | HAS_RIGHT_ORIGIN | HAS_PARENT_SUB | CONTENT_DELETED;
        bytes.extend_from_slice(&[info, 5, 0, 5, 9, 2, 0]);
        assert_valid(&bytes);
        // Parent info other than 0/1.
        let mut bytes = header(1, 0);
        bytes.extend_from_slice(&[CONTENT_DELETED, 2, 1, 0, 1, 0]);
        assert!(matches!(
            validate(&bytes),
            Err(InvalidUpdate::OutOfRange {
                what: "parent info",
                ..
            })
        ));
    }

    #[test]
    fn invalid_utf8_is_rejected_like_yrs() {
        let bytes = one_item(CONTENT_STRING, &[2, 0xC3, 0x28]);
        assert!(matches!(
            validate(&bytes),
            Err(InvalidUpdate::InvalidUtf8 { offset: 8, .. })
        ));
        assert!(!yrs_accepts(&bytes));
    }

    #[test]
    fn json_is_checked_like_yrs_parses_it() {
        let embed = |json: &str| {
            let mut content = Vec::new();
            string(&mut content, json.as_bytes());
            one_item(CONTENT_EMBED, &content)
        };
        for ok in [
            r#"{"image":"a.png","n":[1,-2,3.5e10,null,true]}"#,
            "\"\\u00e9\"",
            " 1 ",
        ] {
            assert_valid(&embed(ok));
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let too_deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        let bad = [
            "",
            "{",
            "18446744073709551615",
            "1e400",
            "[1,]",
            "\"\\ud800\"",
            "1 2",
            &deep,
        ];
        for (i, json) in bad.into_iter().chain([too_deep.as_str()]).enumerate() {
            let bytes = embed(json);
            let err = validate(&bytes).unwrap_err();
            assert!(
                matches!(err, InvalidUpdate::InvalidJson { offset: 8, .. }),
                "{json}: {err}"
            );
            // yrs rejects all of them but the one within serde_json's own limit of 128.
            assert_eq!(yrs_accepts(&bytes), i == bad.len(), "{json}");
        }
        let mut format = Vec::new();
        string(&mut format, b"bold");
        string(&mut format, b"true");
        assert_valid(&one_item(CONTENT_FORMAT, &format));
    }

    #[test]
    fn legacy_json_content_reads_count_plus_one_strings_like_yrs() {
        let two = one_item(CONTENT_JSON, &[1, 1, b'1', 1, b'2']);
        assert_valid(&two);
        let one = one_item(CONTENT_JSON, &[1, 1, b'1']);
        assert!(validate(&one).is_err());
        assert!(!yrs_accepts(&one));
    }

    #[test]
    fn subdocument_content_passes() {
        let mut content = Vec::new();
        string(&mut content, b"guid-1");
        content.extend_from_slice(&[ANY_MAP, 1, 8]);
        content.extend_from_slice(b"autoLoad");
        content.push(ANY_TRUE);
        assert_valid(&one_item(CONTENT_DOC, &content));
    }

    #[test]
    fn trailing_bytes_are_accepted_and_reported_like_yrs() {
        assert_eq!(assert_valid(&[0, 0, 0xDE, 0xAD]).trailing_bytes, 2);
    }
}
