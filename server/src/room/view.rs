//! The board's first view (`GET /api/boards/{id}/view`): its items as the page draws them, so
//! a page can draw a big board while its document is still on the way and being integrated.
//!
//! The room reads the items (it alone holds the document) and keeps them until the document
//! next changes, as it keeps the full sync; encoding them (the binary form the web app reads,
//! or JSON for scripts; gzip'd) is left to the first request that needs the bytes, on a
//! blocking thread, and kept beside them. So the
//! room spends one read of the board per change, and repeated loads cost it one message.

use std::io::Write;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use huddle_shared::model::BoardView;
use tokio::sync::oneshot;

use super::Room;

/// One read of the board's items, and their encoding once some request has made it.
#[derive(Clone)]
pub struct CachedView {
    view: Arc<BoardView>,
    binary: Arc<OnceLock<Bytes>>,
    json: Arc<OnceLock<Bytes>>,
}

impl CachedView {
    fn new(view: BoardView) -> CachedView {
        CachedView {
            view: Arc::new(view),
            binary: Arc::default(),
            json: Arc::default(),
        }
    }

    /// The view in its binary form, gzip'd (what the web app asks for, and what is stored),
    /// encoded by the first caller (CPU work: call it off the async workers).
    pub fn gzipped_binary(&self) -> Bytes {
        self.binary
            .get_or_init(|| gzip(&self.view.to_binary()))
            .clone()
    }

    /// The view as gzip'd JSON (for scripts), encoded by the first caller (CPU work: call it
    /// off the async workers).
    pub fn gzipped_json(&self) -> Bytes {
        self.json
            .get_or_init(|| gzip(&serde_json::to_vec(&*self.view).unwrap_or_default()))
            .clone()
    }

    /// How many items the view holds.
    pub fn len(&self) -> usize {
        self.view.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.view.items.is_empty()
    }
}

/// Gzip at the fastest level: a view is mostly short strings and repeated bytes, which it
/// shrinks three to tenfold, and the first cold load waits for the encoding.
pub fn gzip(bytes: &[u8]) -> Bytes {
    let mut gz = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(bytes);
    Bytes::from(gz.finish().unwrap_or_default())
}

/// The room's cached view: made on request, dropped when the board changes or on a tick
/// nobody asked for it in (1,000 loaded rooms must not each keep a copy of their board).
#[derive(Default)]
pub(super) struct ViewCache {
    cached: Option<CachedView>,
    used: bool,
    /// The board changed since the room loaded it or last stored its view: the stored view is
    /// gone (see [`crate::store::views`]) and a new one is stored once the board is quiet
    /// ([`Room::store_view_when_quiet`]) or when the room stops.
    changed: bool,
    /// Changes to the board so far, and when the last one came.
    changes: u64,
    last_change: Option<std::time::Instant>,
    /// A view read at `changes` == `.0`, being encoded on a blocking thread to be stored.
    storing: Option<(u64, oneshot::Receiver<Bytes>)>,
}

impl ViewCache {
    pub(super) fn clear(&mut self) {
        self.cached = None;
    }

    /// The board's view, read now unless the cache still holds it.
    pub(super) fn get_or_read(&mut self, board: &huddle_shared::model::Board) -> CachedView {
        self.used = true;
        self.cached
            .get_or_insert_with(|| {
                CachedView::new(board.view(&yrs::Transact::transact(board.doc())))
            })
            .clone()
    }

    /// On the room's tick: keep the view only while requests keep using it.
    pub(super) fn tick(&mut self) {
        if !std::mem::take(&mut self.used) {
            self.cached = None;
        }
    }
}

impl Room {
    /// The board's view, read now unless the cache still holds it.
    pub(super) fn view(&mut self) -> CachedView {
        self.views.get_or_read(&self.board)
    }

    /// The document is about to change: what was cached of it no longer holds, nor, the
    /// first time, the view stored when the board was last left.
    pub(super) fn board_changing(&mut self) {
        self.full_sync = None;
        self.views.clear();
        self.views.changes += 1;
        self.views.last_change = Some(std::time::Instant::now());
        if !std::mem::replace(&mut self.views.changed, true)
            && let Err(e) = self.ctx.store.forget_view(&self.id)
        {
            tracing::warn!(board = %self.id, "cannot forget the board's stored view: {e}");
        }
    }

    /// On the tick: a board that changed and has been quiet for
    /// [`store_view_after`](super::RoomConfig::store_view_after) gets its view stored, as when
    /// its room stops, so that a crash leaves a recent view behind. The view is read here,
    /// encoded on a blocking thread, and stored on a later tick from this task (so that a
    /// change's forgetting comes after it), unless the board changed meanwhile.
    pub(super) fn store_view_when_quiet(&mut self) {
        if let Some((read_at, encoding)) = &mut self.views.storing {
            let read_at = *read_at;
            match encoding.try_recv() {
                Err(oneshot::error::TryRecvError::Empty) => return,
                Err(oneshot::error::TryRecvError::Closed) => self.views.storing = None,
                Ok(gzipped) => {
                    self.views.storing = None;
                    if read_at == self.views.changes {
                        match self.ctx.store.store_view(&self.id, &gzipped) {
                            Ok(()) => {
                                self.views.changed = false;
                                self.ctx.store.request_flush();
                                self.ctx.metrics.views_stored.fetch_add(1, Relaxed);
                            }
                            Err(e) => {
                                tracing::warn!(board = %self.id, "cannot store the board's view: {e}");
                                // Tried again after another quiet spell, not on every tick.
                                self.views.last_change = Some(std::time::Instant::now());
                            }
                        }
                    }
                }
            }
        }
        let quiet = self
            .views
            .last_change
            .is_some_and(|at| at.elapsed() >= self.ctx.config.store_view_after);
        if !self.views.changed || !quiet || self.stop.is_some() {
            return;
        }
        let view = self.view();
        let (tx, rx) = oneshot::channel();
        self.views.storing = Some((self.views.changes, rx));
        self.ctx.tracker.spawn_blocking(move || {
            let _ = tx.send(view.gzipped_binary());
        });
    }

    /// The room stops: stores the board's view for the next first load, unless the one
    /// stored is still the board's. Read here (the room holds the document), encoded and
    /// written on a blocking thread.
    pub(super) fn store_view(&mut self) {
        if !self.views.changed && matches!(self.ctx.store.has_stored_view(&self.id), Ok(true)) {
            return;
        }
        let view = self.view();
        let (store, id) = (self.ctx.store.clone(), self.id.clone());
        let metrics = self.ctx.metrics.clone();
        self.ctx.tracker.spawn_blocking(move || {
            match store.store_view(&id, &view.gzipped_binary()) {
                Ok(()) => {
                    store.request_flush();
                    metrics.views_stored.fetch_add(1, Relaxed);
                }
                Err(e) => tracing::warn!(board = %id, "cannot store the board's view: {e}"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;
    use huddle_shared::model::{Board, NewNote};

    use super::*;

    #[test]
    fn encodes_the_items_once_in_each_form() {
        let board = Board::with_client_id(1);
        let id = board
            .create_note(&mut board.transact_mut(), NewNote::default())
            .unwrap();
        let cached = CachedView::new(board.view(&yrs::Transact::transact(board.doc())));
        let gz = cached.gzipped_json();
        assert!(Arc::ptr_eq(&cached.clone().json, &cached.json));
        assert_eq!(cached.gzipped_json(), gz);
        let mut json = String::new();
        GzDecoder::new(&gz[..]).read_to_string(&mut json).unwrap();
        let view: BoardView = serde_json::from_str(&json).unwrap();
        assert_eq!(view.items.keys().collect::<Vec<_>>(), vec![&id]);

        let gz = cached.gzipped_binary();
        assert_eq!(cached.clone().gzipped_binary(), gz);
        let mut binary = Vec::new();
        GzDecoder::new(&gz[..]).read_to_end(&mut binary).unwrap();
        assert_eq!(BoardView::from_binary(&binary).unwrap(), view);
        assert_eq!(cached.len(), 1);
    }
}
