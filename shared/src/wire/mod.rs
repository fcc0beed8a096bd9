//! The wire protocol: y-sync messages over WebSocket frames, decoded defensively.
//!
//! The layers, from the socket inwards: the WebSocket frame size limit (enforced by the
//! server, [`DEFAULT_MAX_FRAME_BYTES`]), then [`decode_frame`] splits a frame into
//! [`Message`]s checking every length against the bytes left, then [`validate`] walks each
//! update before yrs decodes it. Nothing here panics on any input.

pub mod lib0;
mod message;
pub mod validate;
pub mod visit;

pub use lib0::ReadError;
pub use message::{
    HuddleMessage, Limits, MSG_HUDDLE, Message, WireError, decode_frame, encode_auth_denied,
    encode_awareness, encode_awareness_query, encode_huddle, encode_sync_step1, encode_sync_step2,
    encode_update,
};

/// Default largest WebSocket frame accepted: 1 MiB holds a board's worth of typing and
/// pasted notes, and bounds what one message can make the server allocate.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1 << 20;

/// Decodes a validated update v1 payload with yrs. The payload has passed
/// [`validate::validate_update_v1`]; yrs can still refuse it, and any panic inside yrs is
/// caught and reported as an error rather than taking the process down.
pub fn decode_update(payload: &[u8]) -> Result<yrs::Update, WireError> {
    use yrs::updates::decoder::Decode;
    match std::panic::catch_unwind(|| yrs::Update::decode_v1(payload)) {
        Ok(Ok(update)) => Ok(update),
        Ok(Err(e)) => Err(WireError::Undecodable(e.to_string())),
        Err(_) => Err(WireError::Undecodable("the decoder panicked".to_owned())),
    }
}

/// Whether a document holds changes yrs could not integrate (they wait for ones it lacks).
/// The server never keeps any: see [`validate::Dependencies`].
pub fn has_pending(txn: &impl yrs::ReadTxn) -> bool {
    let store = txn.store();
    store.pending_update().is_some() || store.pending_ds().is_some_and(|ds| !ds.is_empty())
}
