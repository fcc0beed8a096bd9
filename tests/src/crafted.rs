//! Builders for the bad-input tests' frames: real updates of one note (of an exact frame
//! length, if need be) and hand-crafted update v1 bytes (one item in a scratch root map, with
//! whatever content, clock or client id a test wants to break), plus the check that a crafted
//! update is well formed apart from what the test breaks.
//!
//! The bytes are spelled out with the lib0 writers of `huddle_shared::wire` rather than made by
//! yrs, because yrs will not encode the malformed updates the tests need.

use anyhow::{bail, ensure};
use huddle_shared::model::{Board, NewNote};
use huddle_shared::wire::lib0;
use huddle_shared::wire::{self, Limits, Message};
use yrs::{Map, Transact};

/// Root type the crafted updates write to; never touched by the board model.
pub const SCRATCH: &str = "scratch";

/// The update v1 of a transaction that creates one note, made by a replica no client uses.
pub fn note_update(client_id: u64, text: &str) -> Vec<u8> {
    let board = Board::with_client_id(client_id);
    let mut txn = board.transact_mut();
    let note = NewNote {
        text: text.to_owned(),
        ..NewNote::default()
    };
    board.create_note(&mut txn, note).expect("a valid note");
    txn.encode_update_v1()
}

/// A sync Update frame of exactly `len` bytes whose update creates a note of `fill` repeated.
pub fn note_frame_of_len(client_id: u64, fill: char, len: usize) -> Vec<u8> {
    assert!(fill.is_ascii());
    let mut chars = len;
    for _ in 0..10 {
        let frame = wire::encode_update(&note_update(client_id, &fill.to_string().repeat(chars)));
        if frame.len() == len {
            return frame;
        }
        chars = (chars + len).saturating_sub(frame.len()).max(1);
    }
    panic!("cannot build a frame of exactly {len} bytes");
}

// ---- lib0 / update v1 building blocks for crafted input ---------------------------------------

/// `value` as a lib0 variable-length unsigned integer.
pub fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    lib0::write_var_u64(&mut out, value);
    out
}

/// `bytes` as a lib0 buffer: its length as a varint, then the bytes.
pub fn var_buf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    lib0::write_var_buf(&mut out, bytes);
    out
}

/// Item content refs and `Any` tags of the update v1 format.
pub const CONTENT_STRING: u8 = 4;
pub const CONTENT_EMBED: u8 = 5;
pub const CONTENT_ANY: u8 = 8;
pub const ANY_NULL: u8 = 126;
pub const ANY_STRING: u8 = 119;
pub const ANY_ARRAY: u8 = 117;
/// Info bit: a parent-sub (map key) follows the parent.
pub const HAS_PARENT_SUB: u8 = 0x20;

/// An update with one item by `client` at `clock`: root map [`SCRATCH`], key `k`, the given
/// content ref and content bytes, and an empty delete set.
pub fn crafted_item(client: u64, clock: u64, content_ref: u8, content: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(varint(1)); // client sections
    u.extend(varint(1)); // blocks
    u.extend(varint(client));
    u.extend(varint(clock));
    u.push(content_ref | HAS_PARENT_SUB);
    u.push(1); // parent given by root name
    u.extend(var_buf(SCRATCH.as_bytes()));
    u.extend(var_buf(b"k"));
    u.extend_from_slice(content);
    u.push(0); // delete set: no clients
    u
}

/// Content of an `Any` item holding one string.
pub fn any_string(s: &str) -> Vec<u8> {
    [vec![1, ANY_STRING], var_buf(s.as_bytes())].concat()
}

/// Content of an `Any` item holding `depth` nested one-element arrays around a null.
pub fn any_nested(depth: usize) -> Vec<u8> {
    let mut c = vec![1];
    for _ in 0..depth {
        c.extend([ANY_ARRAY, 1]);
    }
    c.push(ANY_NULL);
    c
}

/// Content of an embed item holding JSON nested `depth` arrays deep.
pub fn json_nested(depth: usize) -> Vec<u8> {
    var_buf(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).as_bytes())
}

/// Whether `frame` decodes with the server's default limits.
pub fn decodes(frame: &[u8]) -> bool {
    wire::decode_frame(frame, &Limits::default()).is_ok()
}

/// Checks that a crafted update is well formed apart from the one thing the test breaks: the
/// harmless variant decodes, and yrs applies it to a fresh document.
pub fn assert_harmless_variant_applies(update: &[u8]) -> anyhow::Result<()> {
    let frame = wire::encode_update(update);
    let messages = wire::decode_frame(&frame, &Limits::default())?;
    let [Message::Update(payload)] = messages.as_slice() else {
        bail!("expected one update, got {messages:?}");
    };
    let doc = yrs::Doc::new();
    let scratch = doc.get_or_insert_map(SCRATCH);
    doc.transact_mut()
        .apply_update(wire::decode_update(payload)?)?;
    let txn = doc.transact();
    ensure!(
        scratch.get(&txn, "k").is_some(),
        "the harmless variant wrote nothing"
    );
    Ok(())
}

/// An update of two blocks by `client` from clock 0: a valid string item under root map
/// [`SCRATCH`] (key `k`), then an item whose parent is that string item: yrs refuses the second
/// block ("invalid parent") after integrating the first.
pub fn partly_valid_update(client: u64) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(varint(1)); // client sections
    u.extend(varint(2)); // blocks
    u.extend(varint(client));
    u.extend(varint(0)); // first clock
    // Block 1 (clock 0): root map SCRATCH, key "k", Any string: valid.
    u.push(CONTENT_ANY | HAS_PARENT_SUB);
    u.push(1); // parent given by root name
    u.extend(var_buf(SCRATCH.as_bytes()));
    u.extend(var_buf(b"k"));
    u.extend(any_string("first"));
    // Block 2 (clock 1): parent given by ID (client, 0), a string, not a type: invalid.
    u.push(CONTENT_ANY | HAS_PARENT_SUB);
    u.push(0); // parent given by ID
    u.extend(varint(client));
    u.extend(varint(0));
    u.extend(var_buf(b"k2"));
    u.extend(any_string("second"));
    u.push(0); // delete set: no clients
    u
}
