//! Comment threads beside the boards, in their own tree:
//!
//! - `comments`: `{board}/{thread}` -> [`Thread`] (JSON), the whole thread.
//!
//! A thread is rewritten whole on every change: threads are small (at most
//! [`MAX_COMMENTS_PER_THREAD`](huddle_shared::comments::MAX_COMMENTS_PER_THREAD) comments),
//! and one value per thread keeps a reply, an edit and a resolve each one insert. The room
//! writes here before it acknowledges or sends a change, so the HTTP read and the exports,
//! which read this tree, see every acknowledged comment.

use huddle_shared::comments::Thread;

use super::{Store, StoreError};

fn key(board: &str, thread: &str) -> Vec<u8> {
    format!("{board}/{thread}").into_bytes()
}

fn prefix(board: &str) -> Vec<u8> {
    format!("{board}/").into_bytes()
}

impl Store {
    pub(super) fn comment_tree(db: &super::kv::Db) -> Result<super::kv::Tree, StoreError> {
        db.open_board_tree("comments")
    }

    /// Every thread of the board, oldest first (by its first comment), ties by id.
    pub fn comment_threads(&self, board: &str) -> Result<Vec<Thread>, StoreError> {
        let mut out = Vec::new();
        for entry in self.inner.comments.scan_prefix(prefix(board)) {
            let (k, v) = entry?;
            match serde_json::from_slice::<Thread>(&v) {
                Ok(thread) => out.push(thread),
                Err(e) => {
                    return Err(StoreError::Corrupt {
                        board: board.to_owned(),
                        what: format!("comment thread {}: {e}", String::from_utf8_lossy(&k)),
                    });
                }
            }
        }
        out.sort_by_key(|t| (t.comments.first().map_or(0, |c| c.created_at), t.id.clone()));
        Ok(out)
    }

    /// Writes (creates or replaces) a thread. Durable with the next flush.
    pub fn put_comment_thread(&self, board: &str, thread: &Thread) -> Result<(), StoreError> {
        let json = serde_json::to_vec(thread).unwrap_or_default();
        self.inner.comments.insert(key(board, &thread.id), json)?;
        self.mark_written();
        Ok(())
    }

    pub(super) fn delete_comments(&self, board: &str) -> Result<(), StoreError> {
        let mut batch = super::kv::Batch::default();
        for entry in self.inner.comments.scan_prefix(prefix(board)) {
            batch.remove(entry?.0);
        }
        self.inner.comments.apply_batch(batch)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::comments::{Anchor, Comment};

    fn thread(id: &str, at: u64) -> Thread {
        Thread {
            id: id.into(),
            anchor: Anchor::Point { pos: [1.0, 2.0] },
            comments: vec![Comment {
                id: format!("c-{id}"),
                author: "p".into(),
                name: "P".into(),
                text: "hi".into(),
                mentions: Vec::new(),
                created_at: at,
                edited_at: None,
                deleted: false,
            }],
            resolved: None,
        }
    }

    #[test]
    fn threads_are_kept_per_board_in_order_and_deleted_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        store.put_comment_thread("b1", &thread("t2", 20)).unwrap();
        store.put_comment_thread("b1", &thread("t1", 10)).unwrap();
        store.put_comment_thread("b10", &thread("t3", 5)).unwrap();
        let ids: Vec<String> = store
            .comment_threads("b1")
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, ["t1", "t2"], "b10 is another board");
        store.delete_comments("b1").unwrap();
        assert!(store.comment_threads("b1").unwrap().is_empty());
        assert_eq!(store.comment_threads("b10").unwrap().len(), 1);
    }
}
