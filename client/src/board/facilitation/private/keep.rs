//! The page's copy of its private notes in `localStorage` (key `huddle.private.{board}`), so
//! a note written offline, or not yet sent when the tab closed, survives a reload and is sent
//! when the page is back. Only this person's own notes are ever kept here.

use huddle_shared::facilitation::{MAX_PRIVATE_NOTES, PrivateNote};

use crate::dom;

fn key(board: &str) -> String {
    format!("huddle.private.{board}")
}

fn storage() -> Option<web_sys::Storage> {
    dom::window().ok()?.local_storage().ok()?
}

/// The notes kept for `board` (none if nothing or something unreadable is kept; each note is
/// checked as the server would, so a tampered entry is left out rather than sent).
pub fn read(board: &str) -> Vec<PrivateNote> {
    let Some(json) = storage().and_then(|s| s.get_item(&key(board)).ok().flatten()) else {
        return Vec::new();
    };
    let notes: Vec<PrivateNote> = huddle_shared::json::from_str(&json).unwrap_or_default();
    notes
        .into_iter()
        .filter(|n| n.check().is_ok())
        .take(MAX_PRIVATE_NOTES)
        .collect()
}

/// Keeps `notes` for `board` (removes the key when there are none).
pub fn write(board: &str, notes: &[&PrivateNote]) {
    let Some(storage) = storage() else {
        return;
    };
    let result = if notes.is_empty() {
        storage.remove_item(&key(board))
    } else {
        let json = serde_json::to_string(notes).unwrap_or_default();
        storage.set_item(&key(board), &json)
    };
    if let Err(err) = result {
        dom::log_error("could not keep the private notes", &err);
    }
}
