//! The send log: when each participant sent each edit (a note move or a text edit) and each
//! cursor, so that a receiver can tell exactly which one it got, whether it came in order, and
//! how long it took.
//!
//! An edit is identified by what yrs puts in every update anyway: the sender's client id and
//! the clock of its first block (`Update::state_vector_lower`); nothing is embedded in the
//! document. A cursor is identified by its awareness entry's client id and clock (1, 2, 3, ...
//! per sender). Participant `i` uses client id [`CLIENT_ID_BASE`]` + i`, so the sender of
//! anything received is found by arithmetic, and anything else is recognised as foreign.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Instant;

/// Client id of participant 0: clear of 0, of the seeded boards' writer
/// ([`FIXTURE_CLIENT`](crate::fixtures::FIXTURE_CLIENT)) and below 2^32 (see there).
pub const CLIENT_ID_BASE: u64 = 1_000_000;

/// One edit as its sender logged it, just before putting it on the socket.
#[derive(Debug, Clone, Copy)]
pub struct SentEdit {
    /// Sender's clock before the edit: the first clock of the update's blocks.
    pub start: u32,
    /// Sender's clock after it: the next edit starts here.
    pub end: u32,
    /// Nanoseconds since the ledger's epoch.
    pub at_ns: u64,
}

/// Edits and cursors of every participant of a run, in the order each sent them.
pub struct Ledger {
    epoch: Instant,
    edits: Vec<Mutex<Vec<SentEdit>>>,
    /// Send time of cursor `clock` at index `clock - 1`.
    cursors: Vec<Mutex<Vec<u64>>>,
    /// Per participant: the own clock up to which the server confirmed its edits durable
    /// (the `seq` of its last `Saved`, which is the clock it asked at; W6).
    acked: Vec<AtomicU32>,
}

impl Ledger {
    pub fn new(participants: usize) -> Ledger {
        Ledger {
            epoch: Instant::now(),
            edits: (0..participants).map(|_| Mutex::default()).collect(),
            cursors: (0..participants).map(|_| Mutex::default()).collect(),
            acked: (0..participants).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    /// Nanoseconds since the ledger was made: the one clock of every latency.
    pub fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    pub fn client_id(participant: usize) -> u64 {
        CLIENT_ID_BASE + participant as u64
    }

    /// The participant that uses `client`, if it is one of this run's.
    pub fn participant(&self, client: u64) -> Option<usize> {
        let index = usize::try_from(client.checked_sub(CLIENT_ID_BASE)?).ok()?;
        (index < self.edits.len()).then_some(index)
    }

    /// Participants of the run.
    pub fn participants(&self) -> usize {
        self.edits.len()
    }

    /// Logs an edit about to be sent.
    pub fn record_edit(&self, sender: usize, start: u32, end: u32) {
        let at_ns = self.now_ns();
        lock(&self.edits[sender]).push(SentEdit { start, end, at_ns });
    }

    /// Logs a cursor about to be sent; returns its awareness clock.
    pub fn record_cursor(&self, sender: usize) -> u32 {
        let at_ns = self.now_ns();
        let mut cursors = lock(&self.cursors[sender]);
        cursors.push(at_ns);
        cursors.len() as u32
    }

    /// The `k`-th edit of `sender` (0-based), if it was sent.
    pub fn edit_at(&self, sender: usize, k: usize) -> Option<SentEdit> {
        lock(&self.edits[sender]).get(k).copied()
    }

    /// Send time of cursor `clock` of `sender`, if it was sent.
    pub fn cursor_at(&self, sender: usize, clock: u32) -> Option<u64> {
        let index = usize::try_from(clock).ok()?.checked_sub(1)?;
        lock(&self.cursors[sender]).get(index).copied()
    }

    pub fn edits_sent(&self, sender: usize) -> usize {
        lock(&self.edits[sender]).len()
    }

    pub fn cursors_sent(&self, sender: usize) -> usize {
        lock(&self.cursors[sender]).len()
    }

    /// Records a `Saved` for `sender`: its edits up to `clock` are durable.
    pub fn ack(&self, sender: usize, clock: u32) {
        self.acked[sender].fetch_max(clock, Relaxed);
    }

    /// The clock up to which `sender`'s edits were confirmed durable.
    pub fn acked(&self, sender: usize) -> u32 {
        self.acked[sender].load(Relaxed)
    }

    /// How many of `sender`'s edits a replica whose state vector has `clock` for the sender
    /// holds: all edits that end at or before it (edits are logged in clock order).
    pub fn edits_covered(&self, sender: usize, clock: u32) -> usize {
        lock(&self.edits[sender]).partition_point(|m| m.end <= clock)
    }
}

/// A poisoned lock only means another participant task panicked; its log is still valid.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
