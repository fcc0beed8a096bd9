//! How a room reaches its connections: one `try_send` per frame, never a wait. A connection
//! whose queue is full is closed (it reconnects and resyncs), never skipped; whoever leaves
//! has its awareness states removed for everyone else (with the next awareness flush). In big
//! rooms each connection's writes are gathered over a short linger ([`linger_for`]).

use std::time::Duration;

use bytes::Bytes;

use super::{ConnId, Room};
use crate::outbox::{SendError, code};

/// Rooms this big gather each connection's writes (see [`linger_for`]).
const LINGER_FROM_CONNS: usize = 100;
/// A big room's linger per connection in it: 10 ms at 500 people. Measured in W2 at 500
/// (`cargo xtask bench -- w2`, BENCHMARKS.md): no linger p99 36.8 ms and 0.90 server cores,
/// 5 ms 25.1 ms and 0.85, 10 ms 15.6 ms and 0.60.
const LINGER_PER_CONN: Duration = Duration::from_micros(20);
/// The longest linger, whatever the room's size.
const MAX_LINGER: Duration = Duration::from_millis(10);

/// How long a connection's writer in a room of `conns` may hold a frame for the ones behind
/// it. In a room of n people every move is n - 1 frames, and the kernel's cost per send
/// dominates the server's time in big rooms (two thirds of it at 500 people, measured with
/// `perf`). Writing each connection at most once per linger caps the sends; it adds at most
/// the linger to a frame's way out, and takes more off the tail than that, because the
/// server no longer queues near the limit of its core. Rooms under [`LINGER_FROM_CONNS`]
/// write every frame at once.
pub(super) fn linger_for(conns: usize) -> Duration {
    if conns < LINGER_FROM_CONNS {
        return Duration::ZERO;
    }
    (LINGER_PER_CONN * u32::try_from(conns).unwrap_or(u32::MAX)).min(MAX_LINGER)
}

impl Room {
    /// Sets every connection's linger for the room's size, when the size moved it.
    pub(super) fn retune_linger(&mut self) {
        let linger = linger_for(self.conns.len());
        if linger != self.linger {
            self.linger = linger;
            for c in self.conns.values() {
                c.outbox.linger.set(linger);
            }
        }
    }

    pub(super) fn send(&mut self, conn: ConnId, frame: Bytes) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        match c.outbox.send(frame) {
            Ok(()) => {}
            Err(SendError::Full) => self.remove(vec![(conn, Some(slow()))]),
            Err(SendError::Gone) => self.remove(vec![(conn, None)]),
        }
    }

    /// Sends `frame` to every connection but `except`; connections that cannot take it are
    /// closed (and their departure is itself broadcast).
    /// Returns how many connections the frame was queued for.
    pub(super) fn broadcast(&mut self, except: Option<ConnId>, frame: Bytes) -> usize {
        let receivers =
            self.conns.len() - usize::from(except.is_some_and(|c| self.conns.contains_key(&c)));
        let failed = self.broadcast_collect(except, &frame);
        let sent = receivers - failed.len();
        if !failed.is_empty() {
            self.remove(failed);
        }
        sent
    }

    fn broadcast_collect(
        &self,
        except: Option<ConnId>,
        frame: &Bytes,
    ) -> Vec<(ConnId, Option<(u16, String)>)> {
        let mut failed = Vec::new();
        for (&id, c) in &self.conns {
            if Some(id) == except {
                continue;
            }
            match c.outbox.send(frame.clone()) {
                Ok(()) => {}
                Err(SendError::Full) => failed.push((id, Some(slow()))),
                Err(SendError::Gone) => failed.push((id, None)),
            }
        }
        failed
    }

    /// Removes connections (closing them with the given code and reason, if any) and tells
    /// everyone else, with the next awareness flush, that their awareness states are gone, so
    /// no ghost cursors remain.
    pub(super) fn remove(&mut self, mut queue: Vec<(ConnId, Option<(u16, String)>)>) {
        while let Some((id, close)) = queue.pop() {
            let Some(conn) = self.conns.remove(&id) else {
                continue;
            };
            self.pending_saves.retain(|p| p.conn != id);
            self.rounds.left(id);
            self.facilitation.left(id);
            self.comments.left(id);
            self.since_left(&conn.member.person);
            if let Some((code, reason)) = close {
                if code == code::TRY_AGAIN {
                    self.ctx
                        .metrics
                        .slow_connections_closed
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                conn.outbox.closer.close(code, &reason);
            }
            if conn.awareness_ids.is_empty() {
                continue;
            }
            for &client in &conn.awareness_ids {
                self.awareness_owners.remove(&client);
                self.awareness.remove_state(client);
            }
            self.awareness_changed(conn.awareness_ids);
        }
        self.retune_linger();
    }
}

pub(super) fn slow() -> (u16, String) {
    (
        code::TRY_AGAIN,
        "too slow: outbound queue full; reconnect to resync".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_big_rooms_linger_and_never_long() {
        assert_eq!(linger_for(0), Duration::ZERO);
        assert_eq!(linger_for(99), Duration::ZERO);
        assert_eq!(linger_for(100), Duration::from_millis(2));
        assert_eq!(linger_for(500), Duration::from_millis(10));
        assert_eq!(linger_for(100_000), MAX_LINGER);
    }
}
