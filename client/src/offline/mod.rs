//! The board kept in the browser (IndexedDB), so that it opens without a network and edits
//! made offline survive a reload.
//!
//! SEAM, NOT BUILT YET (issue 3, in progress): `open` restores nothing and stores nothing.
//! The board page calls it before connecting; the real store replaces this body.

use huddle_shared::model::Board;
use wasm_bindgen::JsValue;

/// A board's local copy. Dropping it stops storing updates.
pub struct LocalStore {
    /// Whether anything was restored from the browser (then the first sync asks for a save).
    pub restored: bool,
}

/// Restores `board_id`'s stored updates into `board` and keeps storing every later update.
pub async fn open(_board: &Board, _board_id: &str) -> Result<LocalStore, JsValue> {
    Ok(LocalStore { restored: false })
}
