//! Pointer gestures on story maps. A press on a map's controls acts at once ("+", chevrons);
//! a press on a card or a slice label starts a [`PartDrag`]; the title row drags the whole
//! map like any item. Stories are notes and are dragged like notes; on the drop they go into
//! the cell under the pointer ([`Board::place_story`]) or, outside every map, back onto the
//! free canvas ([`Board::unplace_story`]). Each drop is one transaction.
//!
//! [`Board::place_story`]: huddle_shared::model::Board::place_story
//! [`Board::unplace_story`]: huddle_shared::model::Board::unplace_story

use std::collections::BTreeSet;

use huddle_shared::model::ItemKind;
use huddle_shared::storymap::{DropTarget, GAP, Rect};

use super::super::gesture::Gesture;
use super::super::{State, actions as board_actions, editor, locks};
use super::chrome::{self, Spot};
use super::{Laid, actions};
use crate::dom::{self, log_error};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PartKind {
    Activity,
    Step,
    Release,
}

/// An activity, step or release slice being dragged to a new place in its map.
#[derive(Debug, Clone)]
pub struct PartDrag {
    pub map: String,
    pub kind: PartKind,
    pub id: String,
    /// Where the part was drawn when pressed.
    pub rect: Rect,
    pub start: [f64; 2],
    pub start_screen: [f64; 2],
    pub now: [f64; 2],
    pub moved: bool,
}

impl PartDrag {
    /// The part where the pointer has it now.
    pub fn ghost(&self) -> Rect {
        Rect {
            x: self.rect.x + self.now[0] - self.start[0],
            y: self.rect.y + self.now[1] - self.start[1],
            ..self.rect
        }
    }
}

/// The map (with its controls) under `world` and what is there.
pub fn spot_at(s: &State, world: [f64; 2]) -> Option<(String, Spot)> {
    s.maps
        .laid
        .iter()
        .rev()
        .filter(|l| chrome::reach(&l.layout).contains(world))
        .find_map(|l| chrome::spot(&l.layout, world).map(|spot| (l.map.id.clone(), spot)))
}

/// A press at `world` (`at` on screen): `true` if a map took it.
pub fn press(s: &mut State, world: [f64; 2], at: [f64; 2]) -> bool {
    let Some((map, spot)) = spot_at(s, world) else {
        return false;
    };
    let (kind, id) = match spot {
        // Buttons act on release, like buttons: the new part's name editor then keeps the
        // focus (a press would hand it to the canvas right after).
        Spot::AddActivity | Spot::AddStep(_) | Spot::AddRelease => {
            if !locks::may_change(s, &map) {
                return true;
            }
            s.pointer.gesture = Gesture::MapButton(map, spot);
            return true;
        }
        Spot::Chevron { id, activity } => {
            s.maps.toggle_collapsed(id, activity);
            s.request_frame();
            return true;
        }
        Spot::Title => {
            s.set_selection(BTreeSet::from([map.clone()]));
            if !locks::may_change(s, &map) {
                return true;
            }
            // Its stories are dragged along so the whole map is seen moving (only the map's
            // origin is written on the drop: the stories follow from the layout).
            let mut ids = vec![map.clone()];
            if let Some(laid) = s.maps.get(&map) {
                ids.extend(laid.layout.stories.iter().map(|(id, _)| id.clone()));
            }
            s.pointer.gesture = Gesture::drag(s, world, at, ids, None);
            return true;
        }
        Spot::Activity(Some(id)) => (PartKind::Activity, id),
        Spot::Step(Some(id)) => (PartKind::Step, id),
        Spot::Release(Some(id)) => (PartKind::Release, id),
        // The implicit parts cannot be moved or selected.
        Spot::Activity(None) | Spot::Step(None) | Spot::Release(None) => return false,
    };
    let Some(rect) = s.scene.get(&id).map(|i| Rect {
        x: i.pos[0],
        y: i.pos[1],
        w: i.size[0],
        h: i.size[1],
    }) else {
        return false;
    };
    s.set_selection(BTreeSet::from([id.clone()]));
    if !locks::may_change(s, &id) {
        return true;
    }
    s.pointer.gesture = Gesture::MapPart(PartDrag {
        map,
        kind,
        id,
        rect,
        start: world,
        start_screen: at,
        now: world,
        moved: false,
    });
    true
}

/// A press on a "+" button of map `map` was released: adds the part.
pub fn click(s: &mut State, map: &str, spot: Spot) {
    match spot {
        Spot::AddActivity => actions::add_activity(s, map),
        Spot::AddStep(activity) => actions::add_step(s, &activity),
        Spot::AddRelease => actions::add_release(s, map),
        _ => false,
    };
}

/// A double-click at `world`: renames the map or the part there. `true` if a map took it.
pub fn double_click(s: &mut State, world: [f64; 2]) -> bool {
    let id = match spot_at(s, world) {
        Some((map, Spot::Title)) => map,
        Some((_, Spot::Activity(Some(id)) | Spot::Step(Some(id)) | Spot::Release(Some(id)))) => id,
        Some(_) => return true,
        None => return false,
    };
    s.set_selection(BTreeSet::from([id.clone()]));
    editor::open(s, &id);
    true
}

/// A double-click at `world` in an empty part of a cell: a new story there, open for typing.
pub fn double_click_cell(s: &mut State, world: [f64; 2]) -> bool {
    let Some((
        laid,
        DropTarget::Story {
            step,
            release,
            index,
        },
    )) = s.maps.story_target(world, "")
    else {
        return false;
    };
    if !locks::may_place_into(s, &laid.map.id) {
        return true;
    }
    actions::create_story(s, &step, release.as_deref(), index);
    true
}

/// Ends a part drag: moves the part to where it was dropped (one transaction).
pub fn release_part(s: &mut State, drag: PartDrag) {
    if !drag.moved {
        return;
    }
    let Some(laid) = s.maps.get(&drag.map) else {
        return;
    };
    let (l, p, id) = (&laid.layout, drag.now, drag.id.as_str());
    let target = match drag.kind {
        PartKind::Activity => Some(l.drop_activity(p, id)),
        PartKind::Step => l.drop_step(&laid.map, p, id),
        PartKind::Release => Some(l.drop_release(p, id)),
    };
    let result = {
        let mut txn = s.local_txn();
        match target {
            Some(DropTarget::Activity { index }) => s.board.move_activity(&mut txn, id, index),
            Some(DropTarget::Step { activity, index }) => {
                s.board.move_step(&mut txn, id, &activity, index)
            }
            Some(DropTarget::Release { index }) => s.board.move_release(&mut txn, id, index),
            _ => Ok(()),
        }
    };
    if let Err(err) = result {
        log_error("could not move the map part", &dom::js_error(err));
    }
    s.after_gesture();
}

/// While items are dragged with the pointer at `world`: where a story would land.
pub fn hover(s: &mut State, world: [f64; 2], ids: &[String]) {
    let map_moves = ids.iter().any(|id| {
        s.scene
            .get(id)
            .is_some_and(|i| i.kind == ItemKind::StoryMap)
    });
    let moving = ids
        .iter()
        .filter(|_| !map_moves)
        .find(|id| s.scene.get(id).is_some_and(|i| i.kind == ItemKind::Note));
    s.maps.indicator = moving.and_then(|m| {
        let (laid, target) = s.maps.story_target(world, m)?;
        indicator_line(laid, &target, m)
    });
}

/// The line drawn where a story dropped on `target` would go (`h` 0: a line).
pub fn indicator_line(laid: &Laid, target: &DropTarget, moving: &str) -> Option<Rect> {
    let DropTarget::Story {
        step,
        release,
        index,
    } = target
    else {
        return None;
    };
    let l = &laid.layout;
    let column = l.steps.iter().find(|b| b.id.as_deref() == Some(step))?;
    let row = l.releases.iter().position(|b| b.id == *release)?;
    let cell = laid
        .map
        .activities
        .iter()
        .flat_map(|a| &a.steps)
        .find(|s| s.id.as_deref() == Some(step))?
        .cells
        .get(row)?;
    let others: Vec<&String> = cell.iter().filter(|id| *id != moving).collect();
    let drawn = |id: &String| l.story_rect(id);
    let y = match others.get(*index).and_then(|id| drawn(id)) {
        Some(r) => r.y - GAP / 2.0,
        None => match others.iter().rev().find_map(|id| drawn(id)) {
            Some(r) => r.bottom() + GAP / 2.0,
            None => l.releases[row].rect.y + GAP / 2.0,
        },
    };
    Some(Rect {
        x: column.rect.x,
        y,
        w: column.rect.w,
        h: 0.0,
    })
}

/// Drops dragged `ids` moved by `offset` with the pointer at `pointer`: notes over a map's
/// cell go into it; stories dropped outside every map go back onto the canvas where they
/// are; everything else moves. One transaction.
pub fn drop(s: &mut State, ids: &[String], offset: [f64; 2], pointer: [f64; 2]) {
    s.maps.indicator = None;
    let kind_of = |id: &String| s.scene.get(id).map(|i| i.kind.clone());
    if ids.iter().any(|id| kind_of(id) == Some(ItemKind::StoryMap)) {
        // A map moved by its title: its origin moves, its stories with it.
        return board_actions::move_by(s, ids, offset, true);
    }
    let notes: Vec<String> = ids
        .iter()
        .filter(|id| s.scene.get(id).is_some_and(|i| i.kind == ItemKind::Note))
        .cloned()
        .collect();
    let over = notes.first().and_then(|m| s.maps.story_target(pointer, m));
    if over
        .as_ref()
        .is_some_and(|(laid, _)| !locks::may_place_into(s, &laid.map.id))
    {
        return;
    }
    let target = over.map(|(_, t)| t);
    // Only stories the user picked leave their map (not ones a frame happened to hold).
    // Dropped on a map but not in a cell (its title, a card): stories stay where they are.
    let over_map = s.maps.at(pointer).is_some();
    let leaving: Vec<(String, [f64; 2])> = notes
        .iter()
        .filter(|_| !over_map)
        .filter(|id| s.selection.ids.contains(*id))
        .filter_map(|id| s.scene.get(id))
        .filter(|i| i.placed && !i.hidden)
        .map(|i| (i.id.clone(), [i.pos[0] + offset[0], i.pos[1] + offset[1]]))
        .collect();
    let Some(DropTarget::Story {
        step,
        release,
        index,
    }) = target
    else {
        let placed = |id: &String| s.scene.get(id).is_some_and(|i| i.placed);
        if leaving.is_empty() && !notes.iter().any(placed) {
            return board_actions::move_by(s, ids, offset, true);
        }
        // Free items dragged along move as usual, in the same transaction.
        let moves = board_actions::free_moves(s, ids, offset);
        let result = {
            let mut txn = s.local_txn();
            let mut result = s.board.move_items(&mut txn, &moves);
            for (id, pos) in &leaving {
                result = result.and(s.board.unplace_story(&mut txn, id, *pos));
            }
            let raise: Vec<String> = leaving.iter().map(|(id, _)| id.clone()).collect();
            s.board.bring_items_to_front(&mut txn, &raise);
            result
        };
        if let Err(err) = result {
            log_error(
                "could not take the story out of its map",
                &dom::js_error(err),
            );
        }
        s.after_gesture();
        return;
    };
    let result = {
        let mut txn = s.local_txn();
        let mut result = Ok(());
        for (k, id) in notes.iter().enumerate() {
            let placed =
                s.board
                    .place_story(&mut txn, id, &step, release.as_deref(), Some(index + k));
            result = result.and(placed);
        }
        result
    };
    if let Err(err) = result {
        log_error("could not place the story", &dom::js_error(err));
    }
    s.after_gesture();
}
