//! How a room reaches one connection: a bounded queue of encoded frames ([`Outbox`], read by
//! the connection's [`Outbound`]), and a way to close the connection with a code and a reason.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
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

/// Closes one connection, once: the first reason wins. Also notes when the client was last
/// heard from, for the writer's ping deadline.
#[derive(Debug)]
pub struct Closer {
    token: CancellationToken,
    reason: OnceLock<(u16, String)>,
    /// Send what is already queued before the close frame (the message that says why).
    drain: AtomicBool,
    /// When the client was last heard from ([`clock_ms`]): any frame, a pong included.
    heard_ms: AtomicU64,
}

impl Default for Closer {
    fn default() -> Closer {
        Closer::from_token(CancellationToken::new())
    }
}

/// What a connection closed by the server's shutdown (not by [`Closer::close`]) tells its
/// client.
const SHUTDOWN: (u16, &str) = (code::GOING_AWAY, "server shutting down");

impl Closer {
    /// A closer that the server's `shutdown` also closes (with [`code::GOING_AWAY`]): the
    /// connection's tasks then wait on one token instead of two.
    pub fn within(shutdown: &CancellationToken) -> Closer {
        Closer::from_token(shutdown.child_token())
    }

    fn from_token(token: CancellationToken) -> Closer {
        Closer {
            token,
            reason: OnceLock::new(),
            drain: AtomicBool::new(false),
            heard_ms: AtomicU64::new(clock_ms()),
        }
    }

    /// The client was heard from just now.
    pub fn heard(&self) {
        self.heard_ms.store(clock_ms(), Relaxed);
    }

    /// How long since the client was last heard from.
    pub fn silent_for(&self) -> Duration {
        Duration::from_millis(clock_ms().saturating_sub(self.heard_ms.load(Relaxed)))
    }

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

    /// The code and reason given to [`Closer::close`]; closed without one, by the server's
    /// shutdown.
    pub fn reason(&self) -> (u16, String) {
        match self.reason.get() {
            Some(reason) => reason.clone(),
            None if self.is_closed() => (SHUTDOWN.0, SHUTDOWN.1.to_owned()),
            None => (code::NORMAL, String::new()),
        }
    }

    /// Gives the shutdown's reason if the connection was closed without one (call when
    /// [`Closer::closed`] returns): the first reason wins, so later closes keep it.
    pub fn closed_by_shutdown(&self) {
        self.close(SHUTDOWN.0, SHUTDOWN.1);
    }
}

/// Milliseconds on a monotonic clock that starts with the process.
fn clock_ms() -> u64 {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    start.elapsed().as_millis() as u64
}

/// The room's end of a connection.
#[derive(Debug, Clone)]
pub struct Outbox {
    pub frames: FrameSender,
    pub closer: Arc<Closer>,
    pub linger: Linger,
}

/// A connection's queue of frames: one producer side ([`FrameSender`], cloned by whoever
/// sends: the room, a loading room) and one consumer ([`Outbound`], the connection's writer).
///
/// Not tokio's `mpsc`: a bounded channel allocates its first block of 32 slots (32 bytes
/// each) with the channel and keeps it, about 1.2 KiB of every idle connection (heaptrack,
/// BENCHMARKS.md "Issue 16: idle connections, continued"). This queue holds nothing while
/// empty: its buffer is released when the writer takes the last frame, unless it is small.
pub fn frame_queue(capacity: usize) -> (FrameSender, Outbound) {
    let shared = Arc::new(Queue {
        frames: Mutex::new(VecDeque::new()),
        capacity,
        ready: Notify::new(),
        senders: AtomicUsize::new(1),
        receiver_gone: AtomicBool::new(false),
    });
    (
        FrameSender {
            queue: shared.clone(),
        },
        Outbound { queue: shared },
    )
}

/// Frames left in the queue's buffer when it runs empty: up to this many slots it is kept (a
/// connection that receives a frame now and then does not allocate for each), beyond it
/// released.
const KEPT_SLOTS: usize = 4;

#[derive(Debug)]
struct Queue {
    frames: Mutex<VecDeque<Bytes>>,
    capacity: usize,
    /// Woken for every frame queued and when the last sender goes.
    ready: Notify,
    /// Live [`FrameSender`]s: at zero, the writer ends once the queue is empty.
    senders: AtomicUsize,
    /// The [`Outbound`] was dropped: the connection is gone.
    receiver_gone: AtomicBool,
}

impl Queue {
    /// The queue's lock. It only holds frames, so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, VecDeque<Bytes>> {
        self.frames.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Queues frames for one connection (see [`frame_queue`]).
#[derive(Debug)]
pub struct FrameSender {
    queue: Arc<Queue>,
}

impl Clone for FrameSender {
    fn clone(&self) -> FrameSender {
        self.queue.senders.fetch_add(1, Relaxed);
        FrameSender {
            queue: self.queue.clone(),
        }
    }
}

impl Drop for FrameSender {
    fn drop(&mut self) {
        // Release: the frames this sender queued are seen by a writer that sees it gone.
        if self.queue.senders.fetch_sub(1, Release) == 1 {
            self.queue.ready.notify_one();
        }
    }
}

impl FrameSender {
    /// Queues `frame`, never waiting: a full queue means the connection is too slow.
    pub fn try_send(&self, frame: Bytes) -> Result<(), SendError> {
        {
            let mut frames = self.queue.lock();
            if self.queue.receiver_gone.load(Relaxed) {
                return Err(SendError::Gone);
            }
            if frames.len() >= self.queue.capacity {
                return Err(SendError::Full);
            }
            frames.push_back(frame);
        }
        self.queue.ready.notify_one();
        Ok(())
    }
}

/// The connection's end of its queue (see [`frame_queue`]).
#[derive(Debug)]
pub struct Outbound {
    queue: Arc<Queue>,
}

impl Drop for Outbound {
    fn drop(&mut self) {
        // Under the lock, so that no frame is queued after the queue is emptied.
        let mut frames = self.queue.lock();
        self.queue.receiver_gone.store(true, Relaxed);
        *frames = VecDeque::new();
    }
}

impl Outbound {
    /// The next frame, waiting for one; `None` once every sender is gone and the queue empty.
    pub async fn recv(&mut self) -> Option<Bytes> {
        loop {
            if let Some(frame) = self.try_recv() {
                return Some(frame);
            }
            if self.queue.senders.load(Acquire) == 0 {
                // A frame queued just before the last sender went is still taken.
                return self.try_recv();
            }
            // `notify_one` stores a permit when nobody waits: a frame queued between the
            // check above and this wait still wakes it.
            self.queue.ready.notified().await;
        }
    }

    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Option<Bytes> {
        let mut frames = self.queue.lock();
        let frame = frames.pop_front();
        if frames.is_empty() && frames.capacity() > KEPT_SLOTS {
            *frames = VecDeque::new();
        }
        frame
    }
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
        self.frames.try_send(frame)
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

    #[test]
    fn a_shutdown_closes_with_going_away_and_keeps_an_earlier_reason() {
        let shutdown = CancellationToken::new();
        let (a, b) = (Closer::within(&shutdown), Closer::within(&shutdown));
        b.close(code::TOO_BIG, "too big");
        shutdown.cancel();
        assert!(a.is_closed());
        assert_eq!(
            a.reason(),
            (code::GOING_AWAY, "server shutting down".into())
        );
        a.closed_by_shutdown();
        a.close(code::NORMAL, "");
        assert_eq!(a.reason().0, code::GOING_AWAY);
        b.closed_by_shutdown();
        assert_eq!(b.reason(), (code::TOO_BIG, "too big".into()));
    }

    #[test]
    fn hearing_from_the_client_resets_its_silence() {
        let c = Closer::default();
        c.heard_ms.store(0, Relaxed);
        std::thread::sleep(Duration::from_millis(20));
        let silent = c.silent_for();
        assert!(silent >= Duration::from_millis(20));
        c.heard();
        // Shorter than the silence before, however long the machine paused in between: that
        // silence counts from the clock's start.
        assert!(c.silent_for() < silent);
    }

    fn frame(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    #[test]
    fn frames_come_out_in_order_and_a_full_queue_refuses() {
        let (tx, mut rx) = frame_queue(3);
        for n in 0..3 {
            assert!(tx.try_send(frame(n)).is_ok());
        }
        assert!(matches!(tx.try_send(frame(9)), Err(SendError::Full)));
        assert_eq!(rx.try_recv(), Some(frame(0)));
        assert!(
            tx.try_send(frame(3)).is_ok(),
            "room again once one is taken"
        );
        let rest: Vec<_> = std::iter::from_fn(|| rx.try_recv()).collect();
        assert_eq!(rest, [frame(1), frame(2), frame(3)]);
    }

    #[test]
    fn sending_to_a_dropped_connection_says_gone() {
        let (tx, rx) = frame_queue(8);
        let other = tx.clone();
        drop(rx);
        assert!(matches!(tx.try_send(frame(1)), Err(SendError::Gone)));
        assert!(matches!(other.try_send(frame(1)), Err(SendError::Gone)));
    }

    #[test]
    fn an_empty_queue_gives_its_buffer_back() {
        let (tx, mut rx) = frame_queue(2048);
        for n in 0..100 {
            tx.try_send(frame(n)).ok();
        }
        while rx.try_recv().is_some() {}
        assert_eq!(rx.queue.lock().capacity(), 0);
        // A small one is kept.
        tx.try_send(frame(1)).ok();
        rx.try_recv();
        assert!(rx.queue.lock().capacity() <= KEPT_SLOTS);
    }

    #[tokio::test]
    async fn the_writer_wakes_for_a_frame_and_ends_after_the_last_sender() {
        let (tx, mut rx) = frame_queue(8);
        let writer = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(f) = rx.recv().await {
                got.push(f);
            }
            got
        });
        let second = tx.clone();
        for n in 0..5 {
            tokio::task::yield_now().await;
            tx.try_send(frame(n)).ok();
        }
        second.try_send(frame(5)).ok();
        drop(tx);
        tokio::task::yield_now().await;
        assert!(!writer.is_finished(), "one sender is left");
        second.try_send(frame(6)).ok();
        drop(second);
        let got = tokio::time::timeout(Duration::from_secs(5), writer)
            .await
            .expect("the writer ends once every sender is gone")
            .unwrap();
        assert_eq!(got, (0..7).map(frame).collect::<Vec<_>>());
    }
}
