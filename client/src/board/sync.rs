//! Which items changed since the last frame, from `observe_deep` events on the document.
//!
//! Every transaction (local, remote, restored, undo) fires the observers; they only record
//! the touched item ids, and the next frame re-reads just those items into the scene. The
//! observers run inside yrs and must be `Send + Sync` when yrs' `sync` feature is on, so the
//! record is an `Arc<Mutex<..>>` of plain strings, never a JavaScript object.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use huddle_shared::model::{Board, ItemSnapshot};
use huddle_shared::yrs::types::{Event, PathSegment};
use huddle_shared::yrs::{DeepObservable, Transact};

use super::scene::Scene;
use super::storymap::Maps;

/// Key of our observers on the document.
const OBSERVER_KEY: &str = "huddle-board";

#[derive(Debug, Default)]
struct Pending {
    /// Everything must be re-read (first frame).
    all: bool,
    ids: HashSet<String>,
    meta: bool,
}

/// The changes not yet applied to the scene (cheap to clone).
#[derive(Clone, Default)]
pub struct Changes(Arc<Mutex<Pending>>);

fn lock(m: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Changes {
    /// Starts recording the changes to `board`; the first [`Changes::apply`] reads everything.
    pub fn observe(board: &Board) -> Changes {
        let changes = Changes::default();
        lock(&changes.0).all = true;
        let (items, meta) = (board.items_root(), board.meta_root());
        let record = changes.clone();
        items.observe_deep(OBSERVER_KEY, move |txn, events| {
            let mut pending = lock(&record.0);
            for event in events.iter() {
                match event.path().front() {
                    Some(PathSegment::Key(id)) => {
                        pending.ids.insert(id.to_string());
                    }
                    Some(PathSegment::Index(_)) => {}
                    None => {
                        if let Event::Map(map) = event {
                            pending
                                .ids
                                .extend(map.keys(txn).keys().map(|k| k.to_string()));
                        }
                    }
                }
            }
        });
        let record = changes.clone();
        meta.observe_deep(OBSERVER_KEY, move |_, _| lock(&record.0).meta = true);
        changes
    }

    /// Marks `ids` to be read again from the document at the next frame (an id it does not
    /// hold leaves the scene).
    pub fn touch(&self, ids: impl IntoIterator<Item = String>) {
        lock(&self.0).ids.extend(ids);
    }

    pub fn is_empty(&self) -> bool {
        let p = lock(&self.0);
        !p.all && !p.meta && p.ids.is_empty()
    }

    /// Re-reads the changed items into `scene` (and the story maps' members into `maps`);
    /// returns the ids it re-read (empty for "all") and whether the board's metadata changed.
    pub fn apply(&self, board: &Board, scene: &mut Scene, maps: &mut Maps) -> (Vec<String>, bool) {
        let pending = std::mem::take(&mut *lock(&self.0));
        let txn = board.doc().transact();
        let mut read = |id: &str| put(scene, maps, id, board.item_snapshot(&txn, id));
        if pending.all {
            for id in board.item_ids(&txn) {
                read(&id);
            }
            return (Vec::new(), true);
        }
        let ids: Vec<String> = pending.ids.into_iter().collect();
        for id in &ids {
            read(id);
        }
        (ids, pending.meta)
    }
}

/// Takes item `id` as `snap` says (`None`: gone) into the scene and the story maps: the one
/// way items enter the scene, from the document or from the board's first view.
pub fn put(scene: &mut Scene, maps: &mut Maps, id: &str, snap: Option<ItemSnapshot>) {
    maps.note(id, snap.as_ref());
    scene.set(id, snap);
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::model::NewNote;

    #[test]
    fn records_only_touched_items() {
        let board = Board::with_client_id(1);
        let changes = Changes::observe(&board);
        let mut scene = Scene::default();
        let mut maps = Maps::default();
        let (a, b) = {
            let mut txn = board.transact_mut();
            let a = board.create_note(&mut txn, NewNote::default()).unwrap();
            let b = board.create_note(&mut txn, NewNote::default()).unwrap();
            (a, b)
        };
        changes.apply(&board, &mut scene, &mut maps);
        assert_eq!(scene.len(), 2);
        assert!(changes.is_empty());

        board
            .insert_text(&mut board.transact_mut(), &a, 0, "hi")
            .unwrap();
        let (ids, _) = changes.apply(&board, &mut scene, &mut maps);
        assert_eq!(ids, vec![a.clone()]);
        assert_eq!(scene.get(&a).map(|i| i.text.as_str()), Some("hi"));

        board
            .move_item(&mut board.transact_mut(), &b, [5.0, 6.0])
            .unwrap();
        let (ids, _) = changes.apply(&board, &mut scene, &mut maps);
        assert_eq!(ids, vec![b.clone()]);
        assert_eq!(scene.get(&b).map(|i| i.pos), Some([5.0, 6.0]));

        board.delete_item(&mut board.transact_mut(), &a).unwrap();
        let (ids, meta) = changes.apply(&board, &mut scene, &mut maps);
        assert_eq!(ids, vec![a.clone()]);
        assert!(!meta);
        assert_eq!(scene.len(), 1);

        board.set_title(&mut board.transact_mut(), "T");
        assert!(changes.apply(&board, &mut scene, &mut maps).1);
    }

    /// An item put in from elsewhere (the board's first view) that the document does not
    /// hold leaves the scene once touched; one it holds is read from the document.
    #[test]
    fn touched_items_are_read_from_the_document() {
        let board = Board::with_client_id(1);
        let changes = Changes::observe(&board);
        let (mut scene, mut maps) = (Scene::default(), Maps::default());
        changes.apply(&board, &mut scene, &mut maps);
        let other = Board::with_client_id(2);
        let stale = other
            .create_note(&mut other.transact_mut(), NewNote::default())
            .unwrap();
        let snap = other.item_snapshot(&other.transact_mut(), &stale);
        put(&mut scene, &mut maps, &stale, snap);
        assert_eq!(scene.len(), 1);
        let kept = board
            .create_note(&mut board.transact_mut(), NewNote::default())
            .unwrap();
        changes.touch([stale.clone()]);
        let (mut ids, _) = changes.apply(&board, &mut scene, &mut maps);
        ids.sort();
        let mut want = vec![stale.clone(), kept.clone()];
        want.sort();
        assert_eq!(ids, want);
        assert!(scene.get(&stale).is_none());
        assert!(scene.get(&kept).is_some());
    }
}
