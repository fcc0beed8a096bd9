//! Property tests for the frame decoder (`wire::decode_frame`) and `wire::decode_update`, the
//! path every byte from a WebSocket takes in the server:
//!
//! - arbitrary bytes never panic either function;
//! - every frame the encoders build decodes back to the message it was built from (alone and
//!   several back to back in one frame);
//! - mutated valid frames (bit flips, truncation, insertion, deletion) never panic, and when
//!   the decoder accepts an update, `decode_update` decodes it (the validator's guarantee) and
//!   yrs applies it to a fresh document without panicking.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use huddle_shared::model::{Board, NewNote};
use huddle_shared::wire::{
    self, HuddleMessage, Limits, Message, WireError, decode_frame, decode_update,
};
use proptest::prelude::*;
use yrs::block::ClientID;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::{Doc, StateVector, Transact};

/// Largest client id the decoder accepts (53 bits, as Yjs).
const MAX_CLIENT_ID: u64 = (1 << 53) - 1;

/// One user gesture on a board, for building real updates.
#[derive(Debug, Clone)]
enum Op {
    Create { text: String, x: i16, y: i16 },
    Move { pick: usize, x: i16, y: i16 },
    Type { pick: usize, at: u32, text: String },
    Delete { pick: usize },
    Title(String),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (".{0,12}", any::<i16>(), any::<i16>()).prop_map(|(text, x, y)| Op::Create { text, x, y }),
        2 => (any::<usize>(), any::<i16>(), any::<i16>()).prop_map(|(pick, x, y)| Op::Move { pick, x, y }),
        2 => (any::<usize>(), any::<u32>(), ".{1,8}").prop_map(|(pick, at, text)| Op::Type { pick, at, text }),
        1 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
        1 => ".{0,16}".prop_map(Op::Title),
    ]
}

/// Applies `ops` to a fresh board, one transaction each; returns each transaction's update v1
/// and the board's whole state as one update.
fn real_updates(client_id: u64, ops: &[Op]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let board = Board::with_client_id(client_id);
    let mut updates = Vec::new();
    for op in ops {
        let mut txn = board.transact_mut();
        let ids = board.item_ids(&txn);
        let pick = |i: usize| ids.get(i % ids.len().max(1)).cloned();
        // Refused operations (a move to a deleted note, text past the end) change nothing.
        match op {
            Op::Create { text, x, y } => {
                let note = NewNote {
                    pos: [f64::from(*x), f64::from(*y)],
                    text: text.clone(),
                    ..NewNote::default()
                };
                let _ = board.create_note(&mut txn, note);
            }
            Op::Move { pick: i, x, y } => {
                if let Some(id) = pick(*i) {
                    let _ = board.move_item(&mut txn, &id, [f64::from(*x), f64::from(*y)]);
                }
            }
            Op::Type { pick: i, at, text } => {
                if let Some(id) = pick(*i) {
                    let _ = board.insert_text(&mut txn, &id, *at % 4, text);
                }
            }
            Op::Delete { pick: i } => {
                if let Some(id) = pick(*i) {
                    let _ = board.delete_item(&mut txn, &id);
                }
            }
            Op::Title(title) => board.set_title(&mut txn, title),
        }
        updates.push(txn.encode_update_v1());
    }
    let full = {
        use yrs::ReadTxn;
        board
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    };
    (updates, full)
}

fn state_vector_strategy() -> impl Strategy<Value = StateVector> {
    prop::collection::vec((0..=MAX_CLIENT_ID, any::<u32>()), 0..16).prop_map(|entries| {
        entries
            .into_iter()
            .map(|(client, clock)| (ClientID::new(client), clock))
            .collect()
    })
}

fn awareness_strategy() -> impl Strategy<Value = AwarenessUpdate> {
    let entry = (
        any::<u32>(),
        prop_oneof![Just("null".to_owned()), ".{0,24}"],
    );
    prop::collection::hash_map(0..=MAX_CLIENT_ID, entry, 0..8).prop_map(|clients| AwarenessUpdate {
        clients: clients
            .into_iter()
            .map(|(id, (clock, json))| {
                let entry = AwarenessUpdateEntry {
                    clock,
                    json: Arc::from(json),
                };
                (ClientID::new(id), entry)
            })
            .collect::<HashMap<_, _>>(),
    })
}

fn huddle_strategy() -> impl Strategy<Value = HuddleMessage> {
    prop_oneof![
        any::<u64>().prop_map(|seq| HuddleMessage::SaveRequest { seq }),
        any::<u64>().prop_map(|seq| HuddleMessage::Saved { seq }),
        (any::<u64>(), "[a-z0-9]{1,16}").prop_map(|(req, round)| {
            HuddleMessage::RoundRequest(huddle_shared::rounds::Request {
                req,
                cmd: huddle_shared::rounds::Command::Reveal { round },
            })
        }),
        (any::<u64>(), any::<u32>(), any::<u32>()).prop_map(|(req, voted, of)| {
            let _ = req;
            HuddleMessage::RoundEvent(huddle_shared::rounds::Event::Progress {
                round: "r1".into(),
                voted,
                of,
            })
        }),
    ]
}

/// A message and the frame the encoders build for it.
fn encoded_message_strategy() -> impl Strategy<Value = (Message, Vec<u8>)> {
    let ops = || prop::collection::vec(op_strategy(), 1..8);
    prop_oneof![
        state_vector_strategy()
            .prop_map(|sv| (Message::SyncStep1(sv.clone()), wire::encode_sync_step1(&sv))),
        (any::<u16>(), ops()).prop_map(|(client, ops)| {
            let (_, full) = real_updates(u64::from(client) + 1, &ops);
            (
                Message::SyncStep2(full.clone()),
                wire::encode_sync_step2(&full),
            )
        }),
        (any::<u16>(), ops(), any::<prop::sample::Index>()).prop_map(|(client, ops, pick)| {
            let (updates, _) = real_updates(u64::from(client) + 1, &ops);
            let update = updates[pick.index(updates.len())].clone();
            (
                Message::Update(update.clone()),
                wire::encode_update(&update),
            )
        }),
        awareness_strategy()
            .prop_map(|u| (Message::Awareness(u.clone()), wire::encode_awareness(&u))),
        huddle_strategy().prop_map(|h| {
            let frame = wire::encode_huddle(&h);
            (Message::Huddle(h), frame)
        }),
        Just((Message::AwarenessQuery, wire::encode_awareness_query())),
    ]
}

/// One edit to a valid frame.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit { at: usize, bit: u8 },
    SetByte { at: usize, value: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0..8u8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        2 => (any::<usize>(), prop_oneof![Just(0u8), Just(0x7f), Just(0x80), Just(0xff), 116..128u8, any::<u8>()])
            .prop_map(|(at, value)| Mutation::SetByte { at, value }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        2 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<usize>(), 1..8usize).prop_map(|(at, len)| Mutation::Remove { at, len }),
    ]
}

fn mutate(mut frame: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = frame.len();
        match m {
            Mutation::FlipBit { at, bit } if len > 0 => frame[at % len] ^= 1 << bit,
            Mutation::SetByte { at, value } if len > 0 => frame[at % len] = *value,
            Mutation::Truncate { at } => frame.truncate(at % (len + 1)),
            Mutation::Insert { at, bytes } => {
                let at = at % (len + 1);
                frame.splice(at..at, bytes.iter().copied());
            }
            Mutation::Remove { at, len: n } if len > 0 => {
                let at = at % len;
                frame.drain(at..(at + n).min(len));
            }
            _ => {}
        }
    }
    frame
}

/// Decodes a frame the way the server does; when it is accepted, every update in it must
/// decode with yrs (the validator's soundness guarantee) and apply to a fresh document
/// without panicking. Returns whether the frame was accepted.
fn check_frame(frame: &[u8]) -> bool {
    let Ok(messages) = decode_frame(frame, &Limits::default()) else {
        return false;
    };
    for message in messages {
        let (Message::Update(payload) | Message::SyncStep2(payload)) = message else {
            continue;
        };
        match decode_update(&payload) {
            Ok(update) => {
                let doc = Doc::new();
                let applied =
                    catch_unwind(AssertUnwindSafe(|| doc.transact_mut().apply_update(update)));
                assert!(
                    applied.is_ok(),
                    "yrs panicked applying accepted update {payload:02x?}"
                );
            }
            Err(e) => panic!(
                "decode_frame accepted update {payload:02x?} but decode_update refused it: {e}"
            ),
        }
    }
    true
}

/// `decode_update` on bytes nobody validated. Its contract is a validated payload: on other
/// bytes yrs itself may panic (debug assertions on client ids above 53 bits, for one), which
/// `decode_update` catches and reports as an error. The property is that the call returns.
fn check_decode_update(bytes: &[u8]) {
    match decode_update(bytes) {
        Ok(_) | Err(WireError::Undecodable(_)) => {}
        Err(e) => panic!("decode_update returned an unexpected error kind: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_decode_frame(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        check_frame(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random bodies behind a valid message header reach the inner decoders (state vector,
    /// update validator, awareness, Huddle) instead of failing on the first byte.
    #[test]
    fn arbitrary_bodies_behind_valid_headers_never_panic(
        head in prop::sample::select(vec![
            vec![0u8, 0], vec![0, 1], vec![0, 2], vec![1], vec![2], vec![2, 0], vec![100],
        ]),
        body in prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0xff), 116..128u8, any::<u8>()], 0..256),
    ) {
        let mut frame = head.clone();
        frame.extend_from_slice(&varint(body.len() as u64));
        frame.extend_from_slice(&body);
        check_frame(&frame);
        check_frame(&[head, body].concat());
    }
}

proptest! {
    // Fewer cases: on unvalidated bytes yrs reserves what the length prefixes announce, and
    // a single 4 KiB input can make it touch hundreds of megabytes (which is exactly why the
    // server validates first).
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_decode_update(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        check_decode_update(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encoded_frames_round_trip((message, frame) in encoded_message_strategy()) {
        let decoded = decode_frame(&frame, &Limits::default());
        prop_assert_eq!(decoded, Ok(vec![message.clone()]));
        if let Message::Update(payload) | Message::SyncStep2(payload) = &message {
            prop_assert!(decode_update(payload).is_ok());
        }
    }

    /// y-protocols allows several messages back to back in one frame.
    #[test]
    fn concatenated_frames_decode_in_order(parts in prop::collection::vec(encoded_message_strategy(), 1..6)) {
        let frame: Vec<u8> = parts.iter().flat_map(|(_, f)| f.iter().copied()).collect();
        let messages: Vec<Message> = parts.into_iter().map(|(m, _)| m).collect();
        prop_assert_eq!(decode_frame(&frame, &Limits::default()), Ok(messages));
    }

    #[test]
    fn mutated_frames_never_panic(
        (_, frame) in encoded_message_strategy(),
        mutations in prop::collection::vec(mutation_strategy(), 1..5),
    ) {
        let mutated = mutate(frame, &mutations);
        check_frame(&mutated);
        // The body of a mutated sync frame (length prefix and all), fed to yrs directly.
        if let [0, 1 | 2, rest @ ..] = mutated.as_slice() {
            check_decode_update(rest);
        }
    }
}

fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    huddle_shared::wire::lib0::write_var_u64(&mut out, value);
    out
}

#[test]
fn more_messages_than_the_limit_are_refused() {
    let limits = Limits::default();
    let frame = vec![3u8; limits.max_messages_per_frame];
    assert_eq!(
        decode_frame(&frame, &limits).map(|m| m.len()),
        Ok(limits.max_messages_per_frame)
    );
    let frame = vec![3u8; limits.max_messages_per_frame + 1];
    assert_eq!(
        decode_frame(&frame, &limits),
        Err(WireError::TooManyMessages(limits.max_messages_per_frame))
    );
    assert_eq!(decode_frame(&[], &limits), Err(WireError::Empty));
}
