//! Locked structure in the page (issue 13): a padlock on what is locked, "Locked by NAME" when
//! someone who may not change it tries to, the facilitator's Lock / Unlock commands, and what
//! the page does when the server refuses a change to a locked item anyway.
//!
//! The server holds the locks and enforces them: it writes them into the document's `locks`
//! map (read by `facilitation::catch_up` into `s.features.facilitation.locks`) and refuses any update
//! from someone else that would change a locked item, closing the socket with code 4009. The
//! page's checks ([`may_change`], [`may_move`], [`may_place_into`]) exist so that a gesture
//! on a locked item does nothing and says why, instead of being drawn, sent, refused and
//! answered with a reload. Who may change locked items: the facilitator (the owners while
//! nobody holds the role), and owners ([`privileged`]): the server's rule.
//!
//! A story map locked for placement also keeps its stories where they are: none may be
//! placed into it, moved within it, taken out of it or deleted, though their text may be
//! edited. A map locked without placement still takes stories into its cells.
//!
//! When a lock arrives (or the person stops facilitating), a gesture on a locked item is
//! dropped, its editor closed, and this page's undo history cleared (an undo could otherwise
//! change a locked item).
//!
//! # Layout
//!
//! - this file: the checks, the lock commands, the reaction to the locks changing, the hook;
//! - `paint`: the padlock marks and the hover text;
//! - `bar`: the Lock / Unlock buttons over the toolbar (facilitator and owners);
//! - `refused`: the server refused a change anyway (close code 4009): drop the offline copy
//!   and reload.

mod bar;
mod paint;
mod refused;

use std::collections::{BTreeMap, BTreeSet};

use huddle_shared::access::Role;
use huddle_shared::facilitation::{Command, Lock};
use huddle_shared::json::to_value;

use super::gesture::Gesture;
use wasm_bindgen::JsValue;

use super::{Page, State, facilitation, role};

pub use paint::{draw, hover};
pub use refused::on_refused;

/// What the page last saw of the locks (to notice what changed).
#[derive(Debug, Default)]
pub struct Seen {
    locks: BTreeMap<String, Lock>,
    /// Whether this person could change locked items at the last frame.
    privileged: bool,
    /// The Lock / Unlock buttons, once built.
    bar: Option<bar::Bar>,
    /// A refusal (4009) is being handled: the page is about to reload.
    pub(super) reloading: bool,
}

/// Builds the lock buttons; if the page was just reloaded after a refusal, says why.
pub fn install(page: &Page) -> Result<(), JsValue> {
    bar::install(page)?;
    refused::after(&page.borrow());
    Ok(())
}

/// Whether this person may change locked items: the facilitator (or, while nobody holds the
/// role, an owner) and the owners.
pub fn privileged(s: &State) -> bool {
    s.session.role == Role::Owner || facilitation::facilitates(s)
}

/// The lock on `id`, if any.
pub fn lock_of<'a>(s: &'a State, id: &str) -> Option<&'a Lock> {
    s.features.facilitation.locks.get(id)
}

/// The lock that keeps this person from changing `id`, if any.
fn blocking<'a>(s: &'a State, id: &str) -> Option<&'a Lock> {
    if privileged(s) { None } else { lock_of(s, id) }
}

/// Whether a lock keeps this person from changing `id` (no notice).
pub fn is_blocked(s: &State, id: &str) -> bool {
    blocking(s, id).is_some()
}

/// Says who locked what the person tried to change.
fn refuse(s: &State, lock: &Lock) {
    role::notice(s, &format!("Locked by {}", lock.by));
}

/// Whether this person may change item `id` (its text, colour, size, position...); if not,
/// says "Locked by NAME".
pub fn may_change(s: &State, id: &str) -> bool {
    may_change_all(s, std::iter::once(id))
}

/// [`may_change`] for several items at once (one notice).
pub fn may_change_all<'a>(s: &State, ids: impl IntoIterator<Item = &'a str>) -> bool {
    match ids.into_iter().find_map(|id| blocking(s, id)) {
        Some(lock) => {
            refuse(s, lock);
            false
        }
        None => true,
    }
}

/// The map locked for placement that story `id` sits in, with its lock.
fn placement_lock<'a>(s: &'a State, id: &str) -> Option<&'a Lock> {
    s.features
        .facilitation
        .locks
        .iter()
        .filter(|(_, l)| l.placement)
        .find(|(map, _)| {
            s.maps.get(map).is_some_and(|laid| {
                laid.layout.story_rect(id).is_some()
                    || laid.layout.hidden.iter().any(|story| story == id)
            })
        })
        .map(|(_, lock)| lock)
}

/// Whether this person may move or delete all of `ids`: none is locked, and none is a story
/// in a map locked for placement (moving or deleting it takes it out of its cell).
pub fn may_move<'a>(s: &State, ids: impl IntoIterator<Item = &'a str>) -> bool {
    if privileged(s) {
        return true;
    }
    let lock = ids
        .into_iter()
        .find_map(|id| lock_of(s, id).or_else(|| placement_lock(s, id)));
    match lock {
        Some(lock) => {
            refuse(s, lock);
            false
        }
        None => true,
    }
}

/// Whether this person may place a story into map `map` (refused while it is locked for
/// placement).
pub fn may_place_into(s: &State, map: &str) -> bool {
    match blocking(s, map).filter(|l| l.placement) {
        Some(lock) => {
            refuse(s, lock);
            false
        }
        None => true,
    }
}

/// A map's backbone: the map, its activities, steps and releases (the implicit ones have no
/// id and are left out).
pub fn backbone(s: &State, map: &str) -> Vec<String> {
    let Some(laid) = s.maps.get(map) else {
        return vec![map.to_owned()];
    };
    let m = &laid.map;
    let parts = m
        .activities
        .iter()
        .flat_map(|a| {
            a.id.iter()
                .chain(a.steps.iter().filter_map(|st| st.id.as_ref()))
        })
        .chain(m.releases.iter().filter_map(|r| r.id.as_ref()));
    std::iter::once(map.to_owned())
        .chain(parts.cloned())
        .collect()
}

/// The one story map selected, if the selection is exactly that.
pub fn selected_map(s: &State) -> Option<String> {
    let mut ids = s.selection.ids.iter();
    let (Some(id), None) = (ids.next(), ids.next()) else {
        return None;
    };
    s.maps.get(id).map(|_| id.clone())
}

/// What the lock commands act on: the selection, a selected map as its whole backbone.
fn targets(s: &State) -> Vec<String> {
    let mut out = BTreeSet::new();
    for id in &s.selection.ids {
        if s.maps.get(id).is_some() {
            out.extend(backbone(s, id));
        } else {
            out.insert(id.clone());
        }
    }
    out.into_iter().collect()
}

/// Sends a lock command after checking the person may; `false` if nothing was sent.
fn request(s: &mut State, cmd: Command) -> bool {
    if !privileged(s) {
        role::notice(
            s,
            "Only the facilitator or an owner can lock and unlock items",
        );
        return false;
    }
    facilitation::send(s, cmd)
}

/// Ctrl+Shift+L: unlocks the selection if all of it is locked, else locks it (a selected
/// story map: its backbone).
pub fn toggle_selection(s: &mut State) {
    let items = targets(s);
    if items.is_empty() {
        return;
    }
    if items.iter().all(|id| lock_of(s, id).is_some()) {
        request(s, Command::Unlock { items });
    } else {
        request(
            s,
            Command::Lock {
                items,
                placement: false,
            },
        );
    }
}

/// Locks the selection (a selected map: its backbone); `placement`: maps also refuse
/// stories being placed into, moved within or taken out of them.
pub fn lock_selection(s: &mut State, placement: bool) {
    let items = targets(s);
    if !items.is_empty() {
        request(s, Command::Lock { items, placement });
    }
}

/// Unlocks the selection (a selected map: its backbone and its placement lock).
pub fn unlock_selection(s: &mut State) {
    let items: Vec<String> = targets(s)
        .into_iter()
        .filter(|id| lock_of(s, id).is_some())
        .collect();
    if !items.is_empty() {
        request(s, Command::Unlock { items });
    }
}

/// At each frame, before drawing: when the locks or this person's right to change locked
/// items changed, updates the lock buttons, and if a lock now applies to this person, stops
/// what they were doing to the locked item. (Cheap when nothing changed: a frame compares
/// the few locks, nothing more.)
pub fn catch_up(s: &mut State) {
    let privileged = privileged(s);
    if s.features.locks.locks == s.features.facilitation.locks
        && s.features.locks.privileged == privileged
    {
        return;
    }
    let added = s
        .features
        .facilitation
        .locks
        .iter()
        .any(|(id, lock)| s.features.locks.locks.get(id) != Some(lock));
    let demoted =
        s.features.locks.privileged && !privileged && !s.features.facilitation.locks.is_empty();
    s.features.locks.locks = s.features.facilitation.locks.clone();
    s.features.locks.privileged = privileged;
    if (added || demoted) && !privileged {
        stop_on_locked(s);
    }
    bar::show(s);
}

/// The selection changed: the lock buttons follow it.
pub fn selection_changed(s: &mut State) {
    bar::show(s);
}

/// A lock arrived (or this person no longer facilitates): the gesture or edit on a locked
/// item ends, and undo forgets this page's steps (undoing one could change a locked item,
/// which the server would refuse).
fn stop_on_locked(s: &mut State) {
    let locked = |id: &str| s.features.facilitation.locks.contains_key(id);
    let gesture_locked = match &s.pointer.gesture {
        Gesture::Drag { ids, .. } => ids.iter().any(|id| locked(id)),
        Gesture::Resize { id, .. } => locked(id),
        Gesture::MapPart(drag) => locked(&drag.id) || locked(&drag.map),
        _ => false,
    };
    if gesture_locked {
        s.pointer.gesture = Gesture::Idle;
        s.maps.indicator = None;
        if let Some(p) = &s.session.presence {
            p.set_dragging(&[]);
        }
    }
    if let Some(editing) = s.editor.as_ref().map(|e| e.id.clone())
        && let Some(lock) = lock_of(s, &editing).cloned()
    {
        super::editor::close(s);
        refuse(s, &lock);
    }
    if let Some(undo) = s.undo.as_mut() {
        undo.clear_all();
    }
}

/// For `window.huddle.locks()`: the locks, whether this person may change locked items, and
/// the ids drawn with a padlock.
pub fn hook_json(s: &State) -> serde_json::Value {
    serde_json::json!({
        "locks": to_value(&s.features.facilitation.locks),
        "privileged": privileged(s),
        "marked": paint::marked(s),
    })
}

/// The page as the connection's close handler holds it for [`on_refused`]: weakly.
pub type Handle = std::rc::Weak<std::cell::RefCell<State>>;
