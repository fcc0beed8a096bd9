//! Copy and paste within a board and across boards. The model makes the [`Clip`] (versioned
//! JSON, checked on the way in); this module keeps it: in `localStorage` (key
//! `huddle.clipboard`, shared by every board of this origin) and, when the browser allows
//! it, in the system clipboard too.

use huddle_shared::model::Clip;
use huddle_shared::yrs::Transact;
use wasm_bindgen::prelude::*;

use super::State;
use super::camera::{Rect, enclosing};
use crate::dom::{self, log_error};

/// The `localStorage` key of the board clipboard.
const STORAGE_KEY: &str = "huddle.clipboard";

/// The selection as a clip (with the connectors between selected items), if anything is
/// selected.
pub fn copy(s: &State) -> Option<Clip> {
    let ids: Vec<String> = s.selection.ids.iter().cloned().collect();
    let mut clip = s.board.copy(&s.board.doc().transact(), &ids);
    // A story in a map is copied from where it is drawn (its stored `pos` is where it was
    // before it went into the map, maybe far away).
    for item in &mut clip.items {
        if let Some(drawn) = s.scene.get(&item.id).filter(|i| i.placed && !i.hidden) {
            item.pos = Some(drawn.pos);
        }
    }
    (!clip.items.is_empty()).then_some(clip)
}

/// Keeps `clip` for pasting here or on another board (and in the system clipboard).
pub fn store(clip: &Clip) {
    let json = clip.to_json();
    let Ok(window) = dom::window() else {
        return;
    };
    if let Ok(Some(storage)) = window.local_storage()
        && let Err(err) = storage.set_item(STORAGE_KEY, &json)
    {
        log_error("could not store the clipboard", &err);
    }
    // Absent outside secure contexts, refused without focus or permission: then only the
    // board clipboard has it. Calling an absent API would throw through the wasm, so look
    // first, and catch the refusal so it is not reported as an unhandled rejection.
    let navigator = window.navigator();
    let present = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|c| c.is_object());
    if present {
        let ignore = Closure::<dyn FnMut(JsValue)>::new(|_| {});
        let _ = navigator.clipboard().write_text(&json).catch(&ignore);
        // One small closure per copy, kept for whenever the promise settles.
        ignore.forget();
    }
}

/// The clip last stored, if there is a valid one.
pub fn load() -> Option<Clip> {
    let storage = dom::window().ok()?.local_storage().ok()??;
    let json = storage.get_item(STORAGE_KEY).ok()??;
    match Clip::from_json(&json) {
        Ok(clip) => Some(clip),
        Err(err) => {
            log_error("ignoring the clipboard", &dom::js_error(err));
            None
        }
    }
}

/// The rectangle around the clip's items (connectors have none).
pub fn bounds(clip: &Clip) -> Option<Rect> {
    enclosing(
        clip.items
            .iter()
            .filter_map(|i| Some([i.pos?[0], i.pos?[1], i.size?[0], i.size?[1]])),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use huddle_shared::model::{ClipItem, ItemKind};

    fn item(pos: Option<[f64; 2]>, size: Option<[f64; 2]>) -> ClipItem {
        ClipItem {
            id: "x".into(),
            kind: ItemKind::Note,
            pos,
            size,
            text: String::new(),
            color: String::new(),
            tags: Vec::new(),
            from: None,
            to: None,
            story: Default::default(),
        }
    }

    #[test]
    fn bounds_skip_connectors() {
        let clip = Clip {
            huddle_clip: huddle_shared::model::CLIP_VERSION,
            items: vec![
                item(Some([10.0, 20.0]), Some([100.0, 50.0])),
                item(None, None),
                item(Some([-10.0, 0.0]), Some([20.0, 20.0])),
            ],
        };
        assert_eq!(bounds(&clip), Some([-10.0, 0.0, 120.0, 70.0]));
        let empty = Clip {
            huddle_clip: huddle_shared::model::CLIP_VERSION,
            items: vec![item(None, None)],
        };
        assert_eq!(bounds(&empty), None);
    }
}
