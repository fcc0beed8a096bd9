//! Awareness in a room: who speaks for which client id, and coalescing what is relayed.
//!
//! Cursors move at up to 20 Hz per person (clients throttle to that). Relaying each change at
//! once costs a room of n people n x (n - 1) x 20 frames a second: 50 people make ~50,000
//! frames a second, most of them cursor positions superseded 50 ms later. So the room keeps
//! only *which* client ids changed since the last flush (their latest state is in the room's
//! [`Awareness`] already) and at most every [`AWARENESS_FLUSH`] sends ONE awareness update
//! holding every changed client's latest `(clock, state)` to every connection: n frames per
//! flush, 50 people make ~1,000 frames a second, and each of them still sees everyone's
//! latest state within 50 ms. The frame is encoded once and the same `Bytes` goes to every
//! connection through the usual fan-out (a full queue closes that connection).
//!
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

/// Awareness changes not relayed yet.
#[derive(Debug, Default)]
pub(super) struct PendingAwareness {
    /// Client ids whose state changed (or went) since the last flush.
    changed: HashSet<ClientID>,
    /// Changes folded in since the last flush (one per accepted message or departure).
    changes: u64,
    /// When the next flush is due; `None` while nothing is pending.
    pub due: Option<Instant>,
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
    /// flush if it is not armed yet.
    pub(super) fn awareness_changed(&mut self, ids: impl IntoIterator<Item = ClientID>) {
        let pending = &mut self.pending_awareness;
        pending.changed.extend(ids);
        pending.changes += 1;
        pending
            .due
            .get_or_insert_with(|| Instant::now() + AWARENESS_FLUSH);
    }

    /// Sends every changed client's latest state, in one frame, to every connection.
    pub(super) fn flush_awareness(&mut self) {
        let pending = std::mem::take(&mut self.pending_awareness);
        let Some(frame) = encode_latest(&self.awareness, pending.changed) else {
            return;
        };
        let metrics = &self.ctx.metrics;
        metrics.awareness_flushes.fetch_add(1, Relaxed);
        metrics
            .awareness_frames_coalesced
            .fetch_add(pending.changes.saturating_sub(1), Relaxed);
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
