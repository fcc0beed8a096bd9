//! Boards written straight into a data directory before the server starts, with the server's
//! own storage code (as the `cold-load` scenario does), so a scenario starts from boards that
//! are on disk and not loaded, and no time is spent creating them over the network.

use std::path::Path;
use std::sync::Arc;

use huddle_server::store::{BoardMeta, Store};

use crate::fixtures::board_with_notes;

/// Stores a board of `notes` notes under each id, as a compacted snapshot (no log tail).
pub fn boards(dir: &Path, ids: &[String], notes: usize) -> anyhow::Result<()> {
    let (_, state) = board_with_notes(notes);
    store(dir, ids, &state)
}

/// Stores the board `state` (a full update) under each id, as a compacted snapshot.
pub fn store(dir: &Path, ids: &[String], state: &[u8]) -> anyhow::Result<()> {
    let store = Store::open(dir, Arc::default())?;
    for id in ids {
        store.append(id, 0, state)?;
        store.compact(id, 0)?;
        store.put_meta(
            id,
            &BoardMeta {
                title: "load".into(),
                created_at: 0,
                updated_at: 0,
            },
        )?;
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(store.flush_now())?;
    Ok(())
}
