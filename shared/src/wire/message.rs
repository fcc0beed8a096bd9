//! y-sync messages: the y-websocket protocol plus Huddle's custom message, decoded from
//! untrusted frames without trusting any length or count they carry.
//!
//! Frame layout (lib0 encoding, as in y-protocols): `[type: varUint, body...]`, where
//! `sync = 0` carries `[step: varUint, payload: varBuf]`, `awareness = 1` a varBuf with an
//! awareness update, `auth = 2`, `query awareness = 3`, and Huddle's messages use the custom
//! type [`MSG_HUDDLE`]. A frame may hold several messages back to back.

use std::collections::HashMap;
use std::sync::Arc;

use yrs::StateVector;
use yrs::block::ClientID;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};

use super::lib0::{ReadError, Reader, write_var_buf, write_var_u64};
use super::validate::{self, InvalidUpdate};
use crate::{comments, facilitation, rounds};

pub const MSG_SYNC: u64 = 0;
pub const MSG_AWARENESS: u64 = 1;
pub const MSG_AUTH: u64 = 2;
pub const MSG_QUERY_AWARENESS: u64 = 3;
/// Huddle's custom message type. Below 128 so that it is one byte whether read as a u8 or as a
/// varUint (yrs writes custom tags as u8, Yjs reads them as varUint); far from 0..=3 so a
/// future y-protocols type will not collide with it.
pub const MSG_HUDDLE: u64 = 100;

/// y-protocols/auth's only message: permission denied, with a reason.
const AUTH_DENIED: u64 = 0;

pub const SYNC_STEP1: u64 = 0;
pub const SYNC_STEP2: u64 = 1;
pub const SYNC_UPDATE: u64 = 2;

/// Sub-types inside a [`MSG_HUDDLE`] message.
const HUDDLE_SAVE_REQUEST: u64 = 0;
const HUDDLE_SAVED: u64 = 1;
/// Rounds, version 1: a page's [`rounds::Request`] as JSON.
const HUDDLE_ROUND_REQUEST: u64 = 2;
/// Rounds, version 1: the server's [`rounds::Event`] as JSON.
const HUDDLE_ROUND_EVENT: u64 = 3;
/// Huddle message kind: a facilitation request (JSON, [`facilitation::Request`]).
const HUDDLE_FACILITATION_REQUEST: u64 = 4;
/// Huddle message kind: a facilitation event (JSON, [`facilitation::Event`]).
const HUDDLE_FACILITATION_EVENT: u64 = 5;
/// Huddle message kind: a comment request (JSON, [`comments::Request`]).
const HUDDLE_COMMENT_REQUEST: u64 = 6;
/// Huddle message kind: a comment event (JSON, [`comments::Event`]).
const HUDDLE_COMMENT_EVENT: u64 = 7;

/// Largest client id Yjs produces (53 bits, a safe JavaScript integer); yrs asserts it.
const MAX_CLIENT_ID: u64 = (1 << 53) - 1;

/// Limits applied while decoding one frame.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Messages in one frame: y-websocket sends one; a few more are tolerated.
    pub max_messages_per_frame: usize,
    pub update: validate::Limits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_messages_per_frame: 64,
            update: validate::Limits::default(),
        }
    }
}

impl Limits {
    /// What the server takes from a client (see [`validate::Limits::from_clients`]).
    pub fn from_clients() -> Limits {
        Limits {
            update: validate::Limits::from_clients(),
            ..Limits::default()
        }
    }
}

/// One decoded message.
// Round messages make Huddle's variant the largest; messages live briefly on the stack, one
// frame's worth at a time, so they are not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// "Here is my state vector, send me what I miss."
    SyncStep1(StateVector),
    /// The answer to step 1: a (validated) update v1.
    SyncStep2(Vec<u8>),
    /// A live change: a (validated) update v1.
    Update(Vec<u8>),
    Awareness(AwarenessUpdate),
    AwarenessQuery,
    /// `None`: permission granted; `Some(reason)`: denied.
    Auth(Option<String>),
    Huddle(HuddleMessage),
}

/// Huddle's own messages (type [`MSG_HUDDLE`]); documented in the README.
#[derive(Debug, Clone, PartialEq)]
pub enum HuddleMessage {
    /// Client -> server: "tell me when everything I sent before this is on disk".
    SaveRequest { seq: u64 },
    /// Server -> client: everything the client sent before `SaveRequest { seq }` is durable.
    Saved { seq: u64 },
    /// Client -> server: a command about rounds or the decision log.
    RoundRequest(rounds::Request),
    /// Server -> client: an answer or news about rounds.
    RoundEvent(rounds::Event),
    /// Client -> server: a command about facilitation (role, agenda, timer, private writing,
    /// locks, balance).
    FacilitationRequest(facilitation::Request),
    /// Server -> client: an answer, the server's clock, one's own private notes, the balance.
    FacilitationEvent(facilitation::Event),
    /// Client -> server: a command about comments (start, reply, edit, delete, resolve).
    CommentRequest(comments::Request),
    /// Server -> client: an answer, the threads, a changed thread, the people to mention.
    CommentEvent(comments::Event),
}

/// Why a frame was refused. The `Display` text is sent as the WebSocket close reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    #[error("empty frame")]
    Empty,
    #[error("malformed message: {0}")]
    Malformed(#[from] ReadError),
    #[error("unknown message type {0}")]
    UnknownType(u64),
    #[error("unknown sync message type {0}")]
    UnknownSyncType(u64),
    #[error("unknown huddle message type {0}")]
    UnknownHuddleType(u64),
    #[error("more than {0} messages in one frame")]
    TooManyMessages(usize),
    #[error("client id {0} is larger than 2^53 - 1")]
    BadClientId(u64),
    #[error("{what} count {count} at byte {at} cannot fit in the {left} bytes left")]
    CountTooLarge {
        what: &'static str,
        count: u64,
        at: usize,
        left: usize,
    },
    #[error("clock {0} does not fit in 32 bits")]
    BadClock(u64),
    #[error("trailing bytes after {0}")]
    TrailingBytes(&'static str),
    #[error("invalid update: {0}")]
    InvalidUpdate(#[from] InvalidUpdate),
    #[error("update rejected by yrs: {0}")]
    Undecodable(String),
    #[error("{0}")]
    Round(#[from] rounds::ProtocolError),
    #[error("{0}")]
    Facilitation(#[from] facilitation::ProtocolError),
    #[error("{0}")]
    Comment(#[from] comments::ProtocolError),
}

/// Decodes every message in `frame`.
pub fn decode_frame(frame: &[u8], limits: &Limits) -> Result<Vec<Message>, WireError> {
    if frame.is_empty() {
        return Err(WireError::Empty);
    }
    let mut r = Reader::new(frame);
    let mut out = Vec::with_capacity(1);
    while !r.is_empty() {
        if out.len() == limits.max_messages_per_frame {
            return Err(WireError::TooManyMessages(limits.max_messages_per_frame));
        }
        out.push(decode_message(&mut r, limits)?);
    }
    Ok(out)
}

fn decode_message(r: &mut Reader, limits: &Limits) -> Result<Message, WireError> {
    match r.read_var_u64()? {
        MSG_SYNC => {
            let step = r.read_var_u64()?;
            let payload = r.read_var_buf()?;
            match step {
                SYNC_STEP1 => Ok(Message::SyncStep1(decode_state_vector(payload)?)),
                SYNC_STEP2 => {
                    validate::validate_update_v1(payload, &limits.update)?;
                    Ok(Message::SyncStep2(payload.to_vec()))
                }
                SYNC_UPDATE => {
                    validate::validate_update_v1(payload, &limits.update)?;
                    Ok(Message::Update(payload.to_vec()))
                }
                other => Err(WireError::UnknownSyncType(other)),
            }
        }
        MSG_AWARENESS => Ok(Message::Awareness(decode_awareness(r.read_var_buf()?)?)),
        MSG_AUTH => {
            // y-protocols/auth: 0 = permission denied (with a reason), anything else granted.
            if r.read_var_u64()? == AUTH_DENIED {
                Ok(Message::Auth(Some(r.read_var_string()?.to_owned())))
            } else {
                Ok(Message::Auth(None))
            }
        }
        MSG_QUERY_AWARENESS => Ok(Message::AwarenessQuery),
        MSG_HUDDLE => {
            let mut body = Reader::new(r.read_var_buf()?);
            let msg = match body.read_var_u64()? {
                HUDDLE_SAVE_REQUEST => HuddleMessage::SaveRequest {
                    seq: body.read_var_u64()?,
                },
                HUDDLE_SAVED => HuddleMessage::Saved {
                    seq: body.read_var_u64()?,
                },
                HUDDLE_ROUND_REQUEST => {
                    HuddleMessage::RoundRequest(rounds::Request::decode(body.read_var_buf()?)?)
                }
                HUDDLE_ROUND_EVENT => {
                    HuddleMessage::RoundEvent(rounds::Event::decode(body.read_var_buf()?)?)
                }
                HUDDLE_FACILITATION_REQUEST => HuddleMessage::FacilitationRequest(
                    facilitation::Request::decode(body.read_var_buf()?)?,
                ),
                HUDDLE_FACILITATION_EVENT => HuddleMessage::FacilitationEvent(
                    facilitation::Event::decode(body.read_var_buf()?)?,
                ),
                HUDDLE_COMMENT_REQUEST => {
                    HuddleMessage::CommentRequest(comments::Request::decode(body.read_var_buf()?)?)
                }
                HUDDLE_COMMENT_EVENT => {
                    HuddleMessage::CommentEvent(comments::Event::decode(body.read_var_buf()?)?)
                }
                other => return Err(WireError::UnknownHuddleType(other)),
            };
            if !body.is_empty() {
                return Err(WireError::TrailingBytes("huddle message"));
            }
            Ok(Message::Huddle(msg))
        }
        other => Err(WireError::UnknownType(other)),
    }
}

/// Checks that `count` items of at least `min_size` bytes each can fit in what is left.
fn check_count(
    r: &Reader,
    what: &'static str,
    count: u64,
    min_size: u64,
) -> Result<usize, WireError> {
    let left = r.remaining();
    match count.checked_mul(min_size) {
        Some(need) if need <= left as u64 => Ok(count as usize),
        _ => Err(WireError::CountTooLarge {
            what,
            count,
            at: r.pos(),
            left,
        }),
    }
}

fn client_id(raw: u64) -> Result<ClientID, WireError> {
    if raw > MAX_CLIENT_ID {
        return Err(WireError::BadClientId(raw));
    }
    Ok(ClientID::new(raw))
}

fn clock(raw: u64) -> Result<u32, WireError> {
    u32::try_from(raw).map_err(|_| WireError::BadClock(raw))
}

fn decode_state_vector(payload: &[u8]) -> Result<StateVector, WireError> {
    let mut r = Reader::new(payload);
    let count = r.read_var_u64()?;
    // Each entry is at least two one-byte varUints.
    let count = check_count(&r, "state vector", count, 2)?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let client = client_id(r.read_var_u64()?)?;
        entries.push((client, clock(r.read_var_u64()?)?));
    }
    if !r.is_empty() {
        return Err(WireError::TrailingBytes("state vector"));
    }
    Ok(entries.into_iter().collect())
}

fn decode_awareness(payload: &[u8]) -> Result<AwarenessUpdate, WireError> {
    let mut r = Reader::new(payload);
    let count = r.read_var_u64()?;
    // Each entry is at least a client id, a clock and an empty string: three bytes.
    let count = check_count(&r, "awareness", count, 3)?;
    let mut clients = HashMap::with_capacity(count);
    for _ in 0..count {
        let client = client_id(r.read_var_u64()?)?;
        let clock = clock(r.read_var_u64()?)?;
        let json: Arc<str> = Arc::from(r.read_var_string()?);
        clients.insert(client, AwarenessUpdateEntry { clock, json });
    }
    if !r.is_empty() {
        return Err(WireError::TrailingBytes("awareness update"));
    }
    Ok(AwarenessUpdate { clients })
}

// ---- encoding ---------------------------------------------------------------------------------

/// `[sync, step 1, state vector]`.
pub fn encode_sync_step1(sv: &StateVector) -> Vec<u8> {
    use yrs::updates::encoder::Encode;
    sync_frame(SYNC_STEP1, &sv.encode_v1())
}

/// `[sync, step 2, update]`.
pub fn encode_sync_step2(update: &[u8]) -> Vec<u8> {
    sync_frame(SYNC_STEP2, update)
}

/// `[sync, update, update]`.
pub fn encode_update(update: &[u8]) -> Vec<u8> {
    sync_frame(SYNC_UPDATE, update)
}

fn sync_frame(step: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    write_var_u64(&mut out, MSG_SYNC);
    write_var_u64(&mut out, step);
    write_var_buf(&mut out, payload);
    out
}

/// `[awareness, update]`.
pub fn encode_awareness(update: &AwarenessUpdate) -> Vec<u8> {
    use yrs::updates::encoder::Encode;
    let body = update.encode_v1();
    let mut out = Vec::with_capacity(body.len() + 6);
    write_var_u64(&mut out, MSG_AWARENESS);
    write_var_buf(&mut out, &body);
    out
}

/// `[auth, permission denied, reason]`: y-protocols' way of telling a client it may not do
/// something. Stock y-websocket clients read it (and log the reason); the connection stays.
pub fn encode_auth_denied(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reason.len() + 4);
    write_var_u64(&mut out, MSG_AUTH);
    write_var_u64(&mut out, AUTH_DENIED);
    write_var_buf(&mut out, reason.as_bytes());
    out
}

/// `[query awareness]`.
pub fn encode_awareness_query() -> Vec<u8> {
    vec![MSG_QUERY_AWARENESS as u8]
}

/// `[huddle, [kind, seq]]`, or `[huddle, [kind, json]]` for rounds.
pub fn encode_huddle(msg: &HuddleMessage) -> Vec<u8> {
    let mut body = Vec::with_capacity(11);
    match msg {
        HuddleMessage::SaveRequest { seq } => {
            write_var_u64(&mut body, HUDDLE_SAVE_REQUEST);
            write_var_u64(&mut body, *seq);
        }
        HuddleMessage::Saved { seq } => {
            write_var_u64(&mut body, HUDDLE_SAVED);
            write_var_u64(&mut body, *seq);
        }
        HuddleMessage::RoundRequest(req) => {
            write_var_u64(&mut body, HUDDLE_ROUND_REQUEST);
            write_var_buf(&mut body, &req.encode());
        }
        HuddleMessage::RoundEvent(event) => {
            write_var_u64(&mut body, HUDDLE_ROUND_EVENT);
            write_var_buf(&mut body, &event.encode());
        }
        HuddleMessage::FacilitationRequest(req) => {
            write_var_u64(&mut body, HUDDLE_FACILITATION_REQUEST);
            write_var_buf(&mut body, &req.encode());
        }
        HuddleMessage::FacilitationEvent(event) => {
            write_var_u64(&mut body, HUDDLE_FACILITATION_EVENT);
            write_var_buf(&mut body, &event.encode());
        }
        HuddleMessage::CommentRequest(req) => {
            write_var_u64(&mut body, HUDDLE_COMMENT_REQUEST);
            write_var_buf(&mut body, &req.encode());
        }
        HuddleMessage::CommentEvent(event) => {
            write_var_u64(&mut body, HUDDLE_COMMENT_EVENT);
            write_var_buf(&mut body, &event.encode());
        }
    }
    let mut out = Vec::with_capacity(body.len() + 2);
    write_var_u64(&mut out, MSG_HUDDLE);
    write_var_buf(&mut out, &body);
    out
}
