//! Story-map gestures that are not drags, each one transaction: make a map, add an
//! activity, a step or a release slice (the new part's name opens for typing), delete map
//! parts and maps (their stories stay on the board), collapse the selected part.

use std::collections::BTreeSet;

use huddle_shared::model::{ItemKind, ModelError, NewNote};
use huddle_shared::rank;
use huddle_shared::yrs::TransactionMut;

use super::super::{State, actions::js_now, editor};
use crate::dom::{self, log_error};

/// Offset of a new map's top-left corner from the point it is made at, so the point is
/// over its first cards.
const NEW_MAP_OFFSET: [f64; 2] = [-200.0, -150.0];

/// Ends a gesture that made `what`: shows it, selects it and opens its name for typing.
fn made(s: &mut State, what: &str, result: Result<String, ModelError>) -> bool {
    s.after_gesture();
    match result {
        Ok(id) => {
            s.catch_up();
            s.set_selection(BTreeSet::from([id.clone()]));
            editor::open(s, &id);
        }
        Err(err) => log_error(&format!("could not add the {what}"), &dom::js_error(err)),
    }
    true
}

/// A new map around `world` with one activity, one step and the slice "MVP", so there is a
/// cell to drop stories into. Its title opens for typing.
pub fn create_map(s: &mut State, world: [f64; 2]) -> bool {
    let author = s.author();
    let now = js_now();
    let pos = [world[0] + NEW_MAP_OFFSET[0], world[1] + NEW_MAP_OFFSET[1]];
    let result = {
        let mut txn = s.local_txn();
        let b = &s.board;
        (|| {
            let map = b.create_story_map(&mut txn, pos, "Story map", &author, now)?;
            let activity = b.add_activity(&mut txn, &map, None, "Activity", &author, now)?;
            b.add_step(&mut txn, &activity, None, "Step", &author, now)?;
            b.add_release(&mut txn, &map, None, "MVP", &author, now)?;
            Ok(map)
        })()
    };
    made(s, "story map", result)
}

pub fn add_activity(s: &mut State, map: &str) -> bool {
    let author = s.author();
    let result = s
        .board
        .add_activity(&mut s.local_txn(), map, None, "Activity", &author, js_now());
    made(s, "activity", result)
}

pub fn add_step(s: &mut State, activity: &str) -> bool {
    let author = s.author();
    let result = s.board.add_step(
        &mut s.local_txn(),
        activity,
        None,
        "Step",
        &author,
        js_now(),
    );
    made(s, "step", result)
}

pub fn add_release(s: &mut State, map: &str) -> bool {
    let author = s.author();
    let n = s.maps.get(map).map_or(1, |l| l.map.releases.len());
    let name = if n <= 1 {
        "MVP".to_owned()
    } else {
        format!("Release {n}")
    };
    let result = s
        .board
        .add_release(&mut s.local_txn(), map, None, &name, &author, js_now());
    made(s, "release slice", result)
}

/// A new note (of the current colour) in the cell of `step` and `release` at `index`, open
/// for typing.
pub fn create_story(s: &mut State, step: &str, release: Option<&str>, index: usize) {
    let note = NewNote {
        color: s.color,
        author: s.author(),
        created_at: js_now(),
        z: Some(rank::after(s.scene.z_range().1)),
        ..NewNote::default()
    };
    let result = {
        let mut txn = s.local_txn();
        s.board.create_note(&mut txn, note).and_then(|id| {
            s.board
                .place_story(&mut txn, &id, step, release, Some(index))
                .map(|()| id)
        })
    };
    made(s, "story", result);
}

/// Deletes the maps and map parts among `ids` in `txn` (their stories are kept: a map's
/// stories stay where they were drawn); returns the other ids, for the caller to delete.
pub fn delete_parts(s: &State, txn: &mut TransactionMut, ids: &[String]) -> Vec<String> {
    let mut rest = Vec::new();
    for id in ids {
        let Some(kind) = s.board.kind_of(txn, id) else {
            // Deleted with its activity a moment ago, or by someone else.
            continue;
        };
        let result = match kind {
            ItemKind::StoryMap => {
                let drop_at: Vec<(String, [f64; 2])> = s
                    .maps
                    .get(id)
                    .map(|l| {
                        l.layout
                            .stories
                            .iter()
                            .map(|(sid, r)| (sid.clone(), [r.x, r.y]))
                            .collect()
                    })
                    .unwrap_or_default();
                s.board.delete_story_map(txn, id, &drop_at)
            }
            k if k.is_map_part() => s.board.delete_map_part(txn, id),
            _ => {
                rest.push(id.clone());
                Ok(())
            }
        };
        if let Err(err) = result {
            log_error("could not delete the map part", &dom::js_error(err));
        }
    }
    rest
}

/// Collapses or expands the selected activity or release slice (for this viewer only).
pub fn toggle_selected(s: &mut State) {
    if s.selection.ids.len() != 1 {
        return;
    }
    let Some(item) = s.selection.ids.iter().next().and_then(|id| s.scene.get(id)) else {
        return;
    };
    let (id, activity) = match item.kind {
        ItemKind::Activity => (item.id.clone(), true),
        ItemKind::Release => (item.id.clone(), false),
        _ => return,
    };
    s.maps.toggle_collapsed(Some(id), activity);
    s.request_frame();
}
