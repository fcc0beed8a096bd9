//! How a room reaches its connections: one `try_send` per frame, never a wait. A connection
//! whose queue is full is closed (it reconnects and resyncs), never skipped; whoever leaves
//! has its awareness states removed for everyone else (with the next awareness flush).

use bytes::Bytes;

use super::{ConnId, Room};
use crate::outbox::{SendError, code};

impl Room {
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
    }
}

pub(super) fn slow() -> (u16, String) {
    (
        code::TRY_AGAIN,
        "too slow: outbound queue full; reconnect to resync".to_owned(),
    )
}
