//! Awareness in a room: who speaks for which client id, and coalescing what is relayed.
//!
//! Cursors move at up to 20 Hz per person (clients throttle to that). Relaying each change at
//! once costs a room of n people n x (n - 1) x 20 frames a second: 50 people make ~50,000
//! frames a second, most of them cursor positions superseded 50 ms later. So a *busy* room
//! keeps only *which* client ids changed since the last flush (their latest state is in the
//! room's [`Awareness`] already) and at most every [`AWARENESS_FLUSH`] sends ONE awareness
//! update holding every changed client's latest `(clock, state)` to every connection: n frames
//! per flush, 50 people make ~1,000 frames a second, and each of them still sees everyone's
//! latest state within 50 ms.
//!
//! A *light* room relays each change at once (right after the message that made it), as a
//! plain relay would: a cursor in a room of a few people should not wait 25 ms for a saving
//! nobody needs. What decides is the fan-out a window of [`AWARENESS_FLUSH`] asks for, changes
//! x connections: up to [`AWARENESS_BUDGET`] frames a window the room relays at once; past it
//! (in the current window or the last one) it coalesces. Ten people moving their cursors at
//! 20 Hz ask for 100 frames a window (light); fifty ask for 2,500 (busy).
//!
//! - The frame is encoded once and the same `Bytes` goes to every connection through the usual
//!   fan-out (a full queue closes that connection).
//! - The flush timer is armed by the first change after a flush, so an idle room has none.
//! - The combined frame also goes back to the senders: they ignore their own states (same
//!   clock), and one frame for all beats an encoding per receiver.
//! - Departures (a connection's ids, state `null`) are coalesced the same way.
//! - Late joiners and awareness queries are answered at once with everyone's current state.
//! - Document updates are never batched: they are relayed the moment they are applied.

use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::Bytes;
use huddle_shared::wire;
use tokio::time::Instant;
use yrs::block::ClientID;
use yrs::sync::{Awareness, AwarenessUpdate};

use super::{ConnId, Room};

/// Longest an awareness change waits to be relayed, and so the shortest time between two
/// awareness frames from a room: 20 per second, the rate clients throttle their cursors to.
/// Shorter relays more frames for no visible gain; much longer makes cursors visibly jumpy.
pub const AWARENESS_FLUSH: Duration = Duration::from_millis(50);

/// Frames a room may relay per [`AWARENESS_FLUSH`] window (changes x connections) and still
/// send each change at once: ten people at 20 Hz ask for 100, sixteen for 256. Past it the
/// room coalesces, so the frames a busy room sends stay where they were (n per 50 ms) and a
/// light room's cost, at most 5,120 frames a second, stays small next to a busy one's saving.
pub const AWARENESS_BUDGET: u64 = 256;

/// Awareness changes not relayed yet, and how busy the room's awareness is.
#[derive(Debug, Default)]
pub(super) struct PendingAwareness {
    /// Client ids whose state changed (or went) since the last flush.
    changed: HashSet<ClientID>,
    /// Changes folded in since the last flush (one per accepted message or departure).
    changes: u64,
    /// When the next flush is due; `None` while nothing is pending.
    pub due: Option<Instant>,
    /// The fan-out asked for in the current window, for [`Pace`].
    pace: Pace,
}

/// Whether a room's awareness is light (relay at once) or busy (coalesce), from the frames the
/// current and the last [`AWARENESS_FLUSH`] window asked for.
#[derive(Debug, Default)]
struct Pace {
    /// Start of the current window; `None` before the first change.
    window: Option<Instant>,
    /// Frames asked for in the current window (changes x connections).
    asked: u64,
    /// The last window asked for more than [`AWARENESS_BUDGET`].
    was_busy: bool,
}

impl Pace {
    /// Counts a change fanned out to `conns` connections at `now`; returns how long it may
    /// wait to be relayed: nothing in a light room, [`AWARENESS_FLUSH`] in a busy one.
    fn change(&mut self, now: Instant, conns: usize) -> Duration {
        let elapsed = self.window.map(|w| now.saturating_duration_since(w));
        if elapsed.is_none_or(|e| e >= AWARENESS_FLUSH) {
            // A new window. A gap of a whole window or more with no change means the last
            // window asked for nothing.
            let consecutive = elapsed.is_some_and(|e| e < 2 * AWARENESS_FLUSH);
            self.was_busy = consecutive && self.asked > AWARENESS_BUDGET;
            self.window = Some(now);
            self.asked = 0;
        }
        self.asked = self.asked.saturating_add(conns as u64);
        if self.was_busy || self.asked > AWARENESS_BUDGET {
            AWARENESS_FLUSH
        } else {
            Duration::ZERO
        }
    }
}

impl Room {
    /// A client's awareness update: applied now, relayed with the next flush.
    pub(super) fn awareness(&mut self, conn: ConnId, update: AwarenessUpdate) {
        // The gate kept only the client ids this connection speaks for (the ones it announced
        // first, or that nobody holds): nobody can move, rename or remove someone else's cursor.
        if update.clients.is_empty() {
            return;
        }
        let summary = match self.awareness.apply_update_summary(update) {
            Ok(Some(summary)) => summary,
            Ok(None) => return,
            Err(e) => return self.reject(conn, &format!("awareness update rejected: {e}")),
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            for &id in summary.added.iter().chain(&summary.updated) {
                c.awareness_ids.insert(id);
                self.awareness_owners.insert(id, conn);
            }
            for id in &summary.removed {
                c.awareness_ids.remove(id);
                self.awareness_owners.remove(id);
            }
        }
        self.awareness_changed(summary.all_changes());
    }

    /// Marks client ids as changed (their latest state is in `self.awareness`) and arms the
    /// flush if it is not armed yet: due at once in a light room, in [`AWARENESS_FLUSH`] in a
    /// busy one (see the module's documentation).
    pub(super) fn awareness_changed(&mut self, ids: impl IntoIterator<Item = ClientID>) {
        let now = Instant::now();
        let pending = &mut self.pending_awareness;
        pending.changed.extend(ids);
        pending.changes += 1;
        let wait = pending.pace.change(now, self.conns.len());
        pending.due.get_or_insert(now + wait);
    }

    /// Flushes pending awareness if it is due (a light room's change, right after the message
    /// that made it).
    pub(super) fn flush_awareness_if_due(&mut self) {
        if self
            .pending_awareness
            .due
            .is_some_and(|due| due <= Instant::now())
        {
            self.flush_awareness();
        }
    }

    /// Sends every changed client's latest state, in one frame, to every connection.
    pub(super) fn flush_awareness(&mut self) {
        let pending = &mut self.pending_awareness;
        pending.due = None;
        let changes = std::mem::take(&mut pending.changes);
        let changed = std::mem::take(&mut pending.changed);
        let Some(frame) = encode_latest(&self.awareness, changed) else {
            return;
        };
        let metrics = &self.ctx.metrics;
        metrics.awareness_flushes.fetch_add(1, Relaxed);
        metrics
            .awareness_frames_coalesced
            .fetch_add(changes.saturating_sub(1), Relaxed);
        // Connections closed by a full queue mark their ids as changed: that re-arms the flush.
        self.broadcast(None, frame);
    }

    /// Everyone's current awareness state in one frame, for a late joiner or a query.
    pub(super) fn awareness_snapshot(&self) -> Option<Bytes> {
        let update = self.awareness.update().ok()?;
        (!update.clients.is_empty()).then(|| Bytes::from(wire::encode_awareness(&update)))
    }
}

/// One awareness frame holding the latest `(clock, state)` of `ids` (a departed client's
/// state is `null`); `None` if there is nothing to send.
fn encode_latest(awareness: &Awareness, ids: HashSet<ClientID>) -> Option<Bytes> {
    // Every id here was applied to `awareness`, which never forgets an id; filter anyway,
    // since one unknown id would fail the whole update.
    let known = ids.into_iter().filter(|id| awareness.meta(*id).is_some());
    let update = awareness.update_with_clients(known).ok()?;
    (!update.clients.is_empty()).then(|| Bytes::from(wire::encode_awareness(&update)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::Doc;
    use yrs::sync::awareness::AwarenessUpdateEntry;

    #[test]
    fn a_light_room_relays_at_once_and_a_busy_one_coalesces() {
        let start = Instant::now();
        let ms = |n: u64| start + Duration::from_millis(n);
        // Three people at 20 Hz: 3 changes x 3 connections a window, always at once.
        let mut pace = Pace::default();
        for tick in 0..100 {
            for _ in 0..3 {
                assert_eq!(pace.change(ms(tick * 50), 3), Duration::ZERO, "tick {tick}");
            }
        }
        // Fifty people: at once until the window's budget is spent, then coalesced, and the
        // next window (following a busy one) coalesced from its first change.
        let mut pace = Pace::default();
        let waits: Vec<_> = (0..50).map(|_| pace.change(ms(0), 50)).collect();
        let at_once = waits.iter().filter(|w| w.is_zero()).count();
        assert_eq!(at_once as u64, AWARENESS_BUDGET / 50);
        assert_eq!(pace.change(ms(50), 50), AWARENESS_FLUSH);
        assert_eq!(pace.change(ms(60), 50), AWARENESS_FLUSH);
        // Quiet for a while: light again.
        assert_eq!(pace.change(ms(500), 50), Duration::ZERO);
        // A busy window followed by a window of light traffic: light after that one.
        let mut pace = Pace::default();
        for _ in 0..10 {
            pace.change(ms(0), 50);
        }
        assert_eq!(
            pace.change(ms(50), 50),
            AWARENESS_FLUSH,
            "after a busy window"
        );
        assert_eq!(
            pace.change(ms(100), 50),
            Duration::ZERO,
            "after a light window"
        );
    }

    #[test]
    fn the_combined_frame_holds_each_clients_latest_state() {
        let mut room = Awareness::new(Doc::new());
        let announce = |room: &mut Awareness, id: u64, clock: u32, json: &str| {
            let mut update = AwarenessUpdate {
                clients: Default::default(),
            };
            update.clients.insert(
                ClientID::new(id),
                AwarenessUpdateEntry {
                    clock,
                    json: json.into(),
                },
            );
            room.apply_update(update).expect("apply");
        };
        announce(&mut room, 1, 1, r#"{"x":1}"#);
        announce(&mut room, 1, 2, r#"{"x":2}"#);
        announce(&mut room, 2, 1, r#"{"x":9}"#);
        announce(&mut room, 2, 2, "null");
        let ids = [1, 2, 3].map(ClientID::new).into_iter().collect();
        let frame = encode_latest(&room, ids).expect("a frame");
        let messages = wire::decode_frame(&frame, &wire::Limits::default()).expect("decodes");
        let [wire::Message::Awareness(update)] = messages.as_slice() else {
            panic!("one awareness message, got {messages:?}");
        };
        let state = |id: u64| {
            let entry = &update.clients[&ClientID::new(id)];
            (entry.clock, entry.json.to_string())
        };
        assert_eq!(update.clients.len(), 2, "unknown client 3 is left out");
        assert_eq!(state(1), (2, r#"{"x":2}"#.to_owned()));
        assert_eq!(state(2), (2, "null".to_owned()));
        assert!(encode_latest(&room, HashSet::new()).is_none());
    }
}
