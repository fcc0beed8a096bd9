//! Each board's first view as its room left it ([`CachedView`](crate::room::CachedView)'s
//! gzip'd binary form), in its own tree:
//!
//! - `views`: `{board}` -> [`FORM`], then the view in its binary form
//!   ([`huddle_shared::model::BoardView::to_binary`]), gzip'd. Views stored before the binary
//!   form (gzip'd JSON, without the byte) are dropped when read, as if none were stored.
//!
//! A board's page draws this view while its document comes over the WebSocket. A room that
//! stops (it unloads, or the server stops) or whose board has gone quiet
//! (`--store-view-after-secs`) stores its board's view, as does the creation of a board (new,
//! imported, copied from a version: `transfer::NewBoard`), and the first change to a board
//! removes it, so a view stored here is the board as it is: serving it takes one read, where a
//! view from the room has to load the board first (for a 10,000-note board, reading and
//! building the document, then reading and encoding its items). Only the room's first change
//! after loading (or after storing the view) removes it, written before the change and so
//! durable with it; the view is a first drawing the document then replaces, so the one that
//! may outlive a crash between a change and its removal costs a moment's stale drawing, never
//! a lost edit.

use bytes::Bytes;

use super::{Store, StoreError};

/// The first byte of a stored view: the form that follows.
const FORM: u8 = 2;

impl Store {
    pub(super) fn view_tree(db: &super::kv::Db) -> Result<super::kv::Tree, StoreError> {
        db.open_board_tree("views")
    }

    /// The board's view as its room last left it (gzip'd binary), unless the board has
    /// changed since. A view stored in an older form is forgotten.
    pub fn stored_view(&self, board: &str) -> Result<Option<Bytes>, StoreError> {
        let Some(value) = self.inner.views.get(board)? else {
            return Ok(None);
        };
        match value.split_first() {
            Some((&FORM, gzipped)) => Ok(Some(Bytes::copy_from_slice(gzipped))),
            _ => {
                self.forget_view(board)?;
                Ok(None)
            }
        }
    }

    /// Whether the board has a stored view (without reading it).
    pub fn has_stored_view(&self, board: &str) -> Result<bool, StoreError> {
        self.inner.views.contains_key(board)
    }

    /// Stores the board's view, gzip'd binary (its room stops), durable with the next group
    /// commit.
    pub fn store_view(&self, board: &str, gzipped: &[u8]) -> Result<(), StoreError> {
        let mut value = Vec::with_capacity(1 + gzipped.len());
        value.push(FORM);
        value.extend_from_slice(gzipped);
        self.inner.views.insert_behind(board.as_bytes(), value)?;
        self.mark_written();
        Ok(())
    }

    /// Forgets the board's stored view (the board is changing).
    pub fn forget_view(&self, board: &str) -> Result<(), StoreError> {
        self.inner.views.remove_behind(board)?;
        self.mark_written();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_view_is_kept_until_forgotten_or_the_board_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        assert_eq!(store.stored_view("b").unwrap(), None);
        store.store_view("b", b"gz").unwrap();
        store.store_view("b2", b"other").unwrap();
        assert_eq!(store.stored_view("b").unwrap().as_deref(), Some(&b"gz"[..]));
        // A view of the older form (gzip'd JSON, without the form's byte) is dropped.
        store
            .inner
            .views
            .insert_behind("old".as_bytes(), b"\x1f\x8b...".to_vec())
            .unwrap();
        assert!(store.has_stored_view("old").unwrap());
        assert_eq!(store.stored_view("old").unwrap(), None);
        assert!(!store.has_stored_view("old").unwrap());
        assert!(store.has_stored_view("b").unwrap());
        store.forget_view("b").unwrap();
        assert_eq!(store.stored_view("b").unwrap(), None);
        assert!(!store.has_stored_view("b").unwrap());
        store.store_view("b", b"again").unwrap();
        store.delete_board("b").unwrap();
        assert_eq!(store.stored_view("b").unwrap(), None);
        assert_eq!(
            store.stored_view("b2").unwrap().as_deref(),
            Some(&b"other"[..])
        );
    }
}
