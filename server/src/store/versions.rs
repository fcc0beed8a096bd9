//! Stored versions of boards: whole states, compressed, beside the board's log and snapshot.
//!
//! Two trees, with the same keys `{board}/{id: 8 bytes big-endian}` (board ids never contain
//! `/`; the id is the time the version was taken, in milliseconds, so a board's versions
//! scan in time order):
//! - `version_heads` -> the [`VersionHead`] as JSON (a few hundred bytes): what the list of
//!   versions reads, without touching the states;
//! - `version_states` -> the board's whole state as an update v1, deflate-compressed.
//!
//! A version is a whole state (never a diff against the log), so garbage collection and
//! compaction of the board stay on: nothing here keeps the log alive. Deflate (flate2 on
//! miniz_oxide, already in the workspace for xtask) at its default level: an update v1 is
//! mostly item ids, key names and text repeated per item, which it shrinks well (see
//! BENCHMARKS.md, "Version history"); the state is compressed on a blocking thread, never in
//! a room.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use huddle_shared::versions::VersionHead;

use super::{Store, StoreError, corrupt, log_prefix};

/// Largest state a stored version may decompress to: corrupt or hostile bytes on disk must not
/// make the server allocate without bound (a board's JSON import is capped far below this).
const MAX_STATE_BYTES: u64 = 1 << 30;

/// A board's version trees.
pub(crate) struct VersionTrees {
    heads: super::kv::Tree,
    states: super::kv::Tree,
}

fn version_key(board: &str, id: u64) -> Vec<u8> {
    let mut k = log_prefix(board);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn id_of_key(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// Deflates a state at the default level.
pub fn compress(state: &[u8]) -> Vec<u8> {
    let mut encoder =
        DeflateEncoder::new(Vec::with_capacity(state.len() / 4), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(state);
    encoder.finish().unwrap_or_default()
}

/// Inflates a stored state, refusing more than [`MAX_STATE_BYTES`].
pub fn decompress(board: &str, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut state = Vec::with_capacity(stored.len() * 4);
    DeflateDecoder::new(stored)
        .take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut state)
        .map_err(|e| corrupt(board, &format!("version state: {e}")))?;
    if state.len() as u64 > MAX_STATE_BYTES {
        return Err(corrupt(board, "version state is too large"));
    }
    Ok(state)
}

impl Store {
    pub(crate) fn version_trees(db: &super::kv::Db) -> Result<VersionTrees, StoreError> {
        Ok(VersionTrees {
            heads: db.open_tree("version_heads")?,
            states: db.open_tree("version_states")?,
        })
    }

    /// Stores a version of `board` whose state is `state` (an update v1): `head.id` is set to
    /// the first free id at or after `head.at`, and `head.stored_bytes` to the compressed
    /// size. Blocking: compresses on the calling thread.
    pub fn put_version(
        &self,
        board: &str,
        mut head: VersionHead,
        state: &[u8],
    ) -> Result<VersionHead, StoreError> {
        let packed = compress(state);
        head.state_bytes = state.len() as u64;
        head.stored_bytes = packed.len() as u64;
        let trees = &self.inner.versions;
        let mut id = head
            .at
            .max(self.latest_version(board)?.map_or(0, |h| h.id + 1));
        loop {
            head.id = id;
            let json = serde_json::to_vec(&head).unwrap_or_default();
            // Claim the id: two versions taken in the same millisecond get consecutive ids.
            match trees
                .heads
                .compare_and_swap(version_key(board, id), None::<&[u8]>, Some(json))?
            {
                Ok(()) => break,
                Err(_) => id += 1,
            }
        }
        trees.states.insert(version_key(board, id), packed)?;
        self.mark_written();
        Ok(head)
    }

    /// The board's versions, oldest first. Reads only the heads.
    pub fn list_versions(&self, board: &str) -> Result<Vec<VersionHead>, StoreError> {
        let mut heads = Vec::new();
        for entry in self.inner.versions.heads.scan_prefix(log_prefix(board)) {
            let (key, value) = entry?;
            let head: VersionHead = serde_json::from_slice(&value)
                .map_err(|e| corrupt(board, &format!("version head: {e}")))?;
            if id_of_key(&key) == Some(head.id) {
                heads.push(head);
            }
        }
        Ok(heads)
    }

    /// The board's newest version's head.
    pub fn latest_version(&self, board: &str) -> Result<Option<VersionHead>, StoreError> {
        match self
            .inner
            .versions
            .heads
            .scan_prefix(log_prefix(board))
            .next_back()
        {
            Some(entry) => {
                let (_, value) = entry?;
                Ok(Some(serde_json::from_slice(&value).map_err(|e| {
                    corrupt(board, &format!("version head: {e}"))
                })?))
            }
            None => Ok(None),
        }
    }

    pub fn version_head(&self, board: &str, id: u64) -> Result<Option<VersionHead>, StoreError> {
        match self.inner.versions.heads.get(version_key(board, id))? {
            Some(value) => {
                Ok(Some(serde_json::from_slice(&value).map_err(|e| {
                    corrupt(board, &format!("version head: {e}"))
                })?))
            }
            None => Ok(None),
        }
    }

    /// A version's state, decompressed (an update v1). Blocking.
    pub fn version_state(&self, board: &str, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match self.inner.versions.states.get(version_key(board, id))? {
            Some(packed) => Ok(Some(decompress(board, &packed)?)),
            None => Ok(None),
        }
    }

    /// Deletes the given versions of a board (retention).
    pub fn delete_versions(&self, board: &str, ids: &[u64]) -> Result<(), StoreError> {
        let trees = &self.inner.versions;
        for id in ids {
            trees.heads.remove(version_key(board, *id))?;
            trees.states.remove(version_key(board, *id))?;
        }
        if !ids.is_empty() {
            self.mark_written();
        }
        Ok(())
    }

    /// Deletes every version of a board (the board is deleted).
    pub(crate) fn delete_all_versions(&self, board: &str) -> Result<(), StoreError> {
        let trees = &self.inner.versions;
        for tree in [&trees.heads, &trees.states] {
            let mut batch = super::kv::Batch::default();
            for entry in tree.scan_prefix(log_prefix(board)) {
                batch.remove(entry?.0);
            }
            tree.apply_batch(batch)?;
        }
        Ok(())
    }

    /// Bytes the board's versions take as stored (compressed states and heads).
    pub fn versions_disk_bytes(&self, board: &str) -> Result<u64, StoreError> {
        let trees = &self.inner.versions;
        let mut bytes = 0;
        for tree in [&trees.heads, &trees.states] {
            for entry in tree.scan_prefix(log_prefix(board)) {
                let (key, value) = entry?;
                bytes += (key.len() + value.len()) as u64;
            }
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use huddle_shared::versions::{Summary, VersionKind};

    use super::*;

    fn head(at: u64) -> VersionHead {
        VersionHead {
            id: 0,
            at,
            kind: VersionKind::Hourly,
            name: None,
            authors: Vec::new(),
            summary: Summary::default(),
            items: 0,
            state_bytes: 0,
            stored_bytes: 0,
        }
    }

    #[test]
    fn versions_round_trip_in_time_order_with_unique_ids() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::default()).unwrap();
        let state = b"a state, a state, a state, a state, a state".repeat(20);
        let a = store.put_version("b", head(1000), &state).unwrap();
        let b = store.put_version("b", head(1000), b"other").unwrap();
        let c = store
            .put_version("b", head(500), b"clock went back")
            .unwrap();
        store.put_version("b2", head(7), b"another board").unwrap();
        assert_eq!((a.id, b.id, c.id), (1000, 1001, 1002));
        assert!(a.stored_bytes < a.state_bytes, "{a:?}");
        let ids: Vec<u64> = store
            .list_versions("b")
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        assert_eq!(ids, vec![1000, 1001, 1002]);
        assert_eq!(store.version_state("b", 1000).unwrap().unwrap(), state);
        assert_eq!(store.latest_version("b").unwrap().unwrap().id, 1002);
        store.delete_versions("b", &[1001]).unwrap();
        assert_eq!(store.list_versions("b").unwrap().len(), 2);
        assert!(store.version_state("b", 1001).unwrap().is_none());
        store.delete_all_versions("b").unwrap();
        assert!(store.list_versions("b").unwrap().is_empty());
        assert_eq!(store.list_versions("b2").unwrap().len(), 1);
        assert!(decompress("b", b"not deflate at all \xff\xff").is_err());
    }
}
