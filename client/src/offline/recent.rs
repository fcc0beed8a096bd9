//! The boards this browser opened lately, for the home page. Kept in localStorage (a few
//! hundred bytes, read synchronously while the home page draws); the boards themselves are in
//! IndexedDB.

use serde::{Deserialize, Serialize};
use web_sys::Storage;

use crate::dom::{self, js_error, log_error};

/// The localStorage key of the list.
const KEY: &str = "huddle.recent-boards";
/// Entries kept: more than a home page lists, few enough to parse on every visit.
const MAX_RECENT: usize = 30;

/// A board this browser opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentBoard {
    pub id: String,
    /// The board's title when last seen (may be empty: not known yet).
    pub title: String,
    /// When it was last opened, in ms since the Unix epoch (`Date.now()`).
    pub last_opened: f64,
}

/// The recently opened boards, most recent first. Empty if localStorage is unavailable.
pub fn recent_boards() -> Vec<RecentBoard> {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|json| huddle_shared::json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Moves board `id` to the top of the list with `title` (an empty title keeps the known one).
pub fn remember_board(id: &str, title: &str) {
    update(id, title, true);
}

/// Updates the title of board `id` if it is listed, without moving it.
pub fn retitle(id: &str, title: &str) {
    update(id, title, false);
}

fn update(id: &str, title: &str, opened: bool) {
    let mut boards = recent_boards();
    match boards.iter().position(|b| b.id == id) {
        Some(i) => {
            if !opened && (title.is_empty() || boards[i].title == title) {
                return;
            }
            let mut entry = boards.remove(i);
            if !title.is_empty() {
                entry.title = title.to_owned();
            }
            if opened {
                entry.last_opened = js_sys::Date::now();
                boards.insert(0, entry);
            } else {
                boards.insert(i, entry);
            }
        }
        None if opened => boards.insert(
            0,
            RecentBoard {
                id: id.to_owned(),
                title: title.to_owned(),
                last_opened: js_sys::Date::now(),
            },
        ),
        None => return,
    }
    boards.truncate(MAX_RECENT);
    let Some(storage) = storage() else { return };
    match serde_json::to_string(&boards) {
        Ok(json) => {
            if let Err(err) = storage.set_item(KEY, &json) {
                log_error("could not save the recent boards", &err);
            }
        }
        Err(err) => log_error("could not encode the recent boards", &js_error(err)),
    }
}

fn storage() -> Option<Storage> {
    dom::window().ok()?.local_storage().ok().flatten()
}
