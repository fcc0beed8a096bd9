//! Taking a version: on a blocking thread, from a state the room encoded (an update v1 of
//! the whole board; encoding is the only part that needs the room's document). Here the
//! state is read back into plain values for its summary against the board's previous
//! version, compressed and stored, and retention prunes the board's old versions.

use huddle_shared::model::{Board, BoardSnapshot};
use huddle_shared::versions::{Author, VersionHead, VersionKind, summarize, to_prune};
use huddle_shared::wire;
use yrs::Transact;

use super::VersionConfig;
use crate::store::{Store, StoreError};

/// What a version is taken of and why.
#[derive(Debug, Clone)]
pub struct Capture {
    pub kind: VersionKind,
    pub name: Option<String>,
    pub authors: Vec<Author>,
    /// The whole board as an update v1.
    pub state: Vec<u8>,
    /// When (the version clock's milliseconds).
    pub at: u64,
}

/// Reads a whole-board update v1 into plain values. Blocking: O(board).
pub fn snapshot_of(board: &str, state: &[u8]) -> Result<BoardSnapshot, StoreError> {
    let doc = yrs::Doc::with_options(huddle_shared::model::doc_options());
    {
        let update = wire::decode_update(state).map_err(|e| bad(board, &e.to_string()))?;
        doc.transact_mut()
            .apply_update(update)
            .map_err(|e| bad(board, &e.to_string()))?;
    }
    let board = Board::from_doc(doc);
    let txn = board.doc().transact();
    Ok(board.snapshot(&txn))
}

fn bad(board: &str, what: &str) -> StoreError {
    StoreError::Corrupt {
        board: board.to_owned(),
        what: format!("version state: {what}"),
    }
}

/// Stores the version, then prunes. Blocking.
pub fn take(
    store: &Store,
    config: &VersionConfig,
    board: &str,
    capture: Capture,
) -> Result<VersionHead, StoreError> {
    let now = snapshot_of(board, &capture.state)?;
    let before = match store.latest_version(board)? {
        Some(head) => match store.version_state(board, head.id)? {
            Some(state) => Some(snapshot_of(board, &state)?),
            None => None,
        },
        None => None,
    };
    let head = VersionHead {
        id: 0,
        at: capture.at,
        kind: capture.kind,
        name: capture.name,
        authors: capture.authors,
        summary: summarize(before.as_ref(), &now),
        items: now.items.len() as u32,
        state_bytes: 0,
        stored_bytes: 0,
    };
    let head = store.put_version(board, head, &capture.state)?;
    prune(store, config, board)?;
    Ok(head)
}

/// Deletes the board's versions that retention no longer keeps. Blocking.
pub fn prune(store: &Store, config: &VersionConfig, board: &str) -> Result<usize, StoreError> {
    let heads = store.list_versions(board)?;
    let doomed = to_prune(&heads, &config.retention, config.clock.now_ms());
    store.delete_versions(board, &doomed)?;
    Ok(doomed.len())
}
