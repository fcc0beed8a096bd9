//! How a room reaches one connection: a bounded queue of encoded frames, and a way to close
//! the connection with a code and a reason.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// WebSocket close codes Huddle uses (RFC 6455 section 7.4, and 4000-4999 for our own).
pub mod code {
    /// The client went away or closed normally.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down; clients reconnect.
    pub const GOING_AWAY: u16 = 1001;
    /// Text frames are not part of the protocol.
    pub const UNSUPPORTED: u16 = 1003;
    /// The frame did not decode, or its update was invalid.
    pub const INVALID: u16 = 1007;
    /// Ping deadline missed.
    pub const POLICY: u16 = 1008;
    /// The frame exceeded the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// Storage or an internal invariant failed; reconnecting loads the board afresh.
    pub const INTERNAL: u16 = 1011;
    /// The outbound queue was full: reconnect and resync rather than silently miss updates.
    pub const TRY_AGAIN: u16 = 1013;
    /// The person's role on the board changed or was removed: reconnect to continue with the
    /// new role (a removed person's reconnection is refused with HTTP 404).
    pub const ROLE_CHANGED: u16 = 4001;
    /// An update touched an item the facilitator locked: it was refused, and the client
    /// (which keeps the change in its own copy) resyncs from the server's copy.
    pub const LOCKED: u16 = 4009;
    /// The board was deleted.
    pub const BOARD_DELETED: u16 = 4404;
}

/// Close reasons are limited to 123 bytes by the WebSocket protocol.
const MAX_REASON_BYTES: usize = 123;

/// Closes one connection, once: the first reason wins.
#[derive(Debug, Default)]
pub struct Closer {
    token: CancellationToken,
    reason: OnceLock<(u16, String)>,
    /// Send what is already queued before the close frame (the message that says why).
    drain: std::sync::atomic::AtomicBool,
}

impl Closer {
    /// Closes after the frames already queued have been sent (within the close's grace
    /// period): for a refusal whose explanation was queued just before.
    pub fn close_after_queued(&self, code: u16, reason: &str) {
        self.drain.store(true, Relaxed);
        self.close(code, reason);
    }

    /// Whether queued frames go out before the close frame.
    pub fn drains(&self) -> bool {
        self.drain.load(Relaxed)
    }

    pub fn close(&self, code: u16, reason: &str) {
        let mut end = reason.len().min(MAX_REASON_BYTES);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let _ = self.reason.set((code, reason[..end].to_owned()));
        self.token.cancel();
    }

    pub fn is_closed(&self) -> bool {
        self.token.is_cancelled()
    }

    pub async fn closed(&self) {
        self.token.cancelled().await
    }

    /// The code and reason given to [`Closer::close`].
    pub fn reason(&self) -> (u16, String) {
        self.reason
            .get()
            .cloned()
            .unwrap_or((code::NORMAL, String::new()))
    }
}

/// The room's end of a connection.
#[derive(Debug, Clone)]
pub struct Outbox {
    pub frames: mpsc::Sender<Bytes>,
    pub closer: Arc<Closer>,
    pub linger: Linger,
}

/// How long a connection's writer may hold a frame so that the frames behind it leave in the
/// same write. The room sets it from its size (see `Room::retune_linger`); zero, the default,
/// writes at once. Shared between the room and the connection's writer.
#[derive(Debug, Clone, Default)]
pub struct Linger(Arc<AtomicU32>);

impl Linger {
    pub fn get(&self) -> Duration {
        Duration::from_micros(self.0.load(Relaxed).into())
    }

    pub fn set(&self, linger: Duration) {
        let micros = u32::try_from(linger.as_micros()).unwrap_or(u32::MAX);
        self.0.store(micros, Relaxed);
    }
}

/// Why a frame could not be queued.
pub enum SendError {
    /// The connection is not reading fast enough: it must be closed, never skipped.
    Full,
    /// The connection is gone.
    Gone,
}

impl Outbox {
    pub fn send(&self, frame: Bytes) -> Result<(), SendError> {
        self.frames.try_send(frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SendError::Full,
            mpsc::error::TrySendError::Closed(_) => SendError::Gone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_reason_wins_and_is_truncated_on_a_char_boundary() {
        let c = Closer::default();
        assert!(!c.is_closed());
        c.close(code::TOO_BIG, &"é".repeat(100));
        c.close(code::NORMAL, "later");
        let (code, reason) = c.reason();
        assert_eq!(code, code::TOO_BIG);
        assert!(reason.len() <= MAX_REASON_BYTES && reason.len() == 122);
        assert!(c.is_closed());
    }
}
