//! What is under the pointer: the topmost item, an arrow within a few pixels, the resize
//! handle of a single selected item; and the canvas's CSS cursor, which shows what a press
//! there would do. Shared by the pointer handlers of [`super::input`].

use huddle_shared::model::ItemKind;

use super::State;
use super::connector;
use super::geometry::HANDLE_PX;
use super::gesture::Tool;
use super::scene::contains;

/// The topmost item (not connector) under `world`.
pub fn hit_item(s: &mut State, world: [f64; 2]) -> Option<String> {
    s.scene
        .hit(world, |i| {
            !matches!(i.kind, ItemKind::Connector | ItemKind::StoryMap)
        })
        .and_then(|slot| s.scene.slot(slot).map(|i| i.id.clone()))
}

/// The arrow within a few pixels of `world`, if any.
pub fn hit_connector(s: &State, world: [f64; 2]) -> Option<String> {
    let reach = connector::HIT_PX / s.view.camera.zoom;
    s.scene.connectors().iter().find_map(|slot| {
        let arrow = s.scene.slot(*slot)?;
        let from = s.scene.get(arrow.from.as_deref()?)?;
        let to = s.scene.get(arrow.to.as_deref()?)?;
        let (a, b) = connector::segment(from.rect(), to.rect());
        (connector::distance(world, a, b) <= reach).then(|| arrow.id.clone())
    })
}

/// The single selected item whose resize handle is under `world`: (id, slot, size).
pub fn on_handle(s: &State, world: [f64; 2]) -> Option<(String, u32, [f64; 2])> {
    if s.selection.ids.len() != 1 {
        return None;
    }
    let id = s.selection.ids.iter().next()?;
    let slot = s.scene.slot_of(id)?;
    // A RACI matrix's size follows from its rows and columns: it has no handle.
    let item = s
        .scene
        .slot(slot)
        .filter(|i| i.is_free() && i.kind != ItemKind::Raci)?;
    let h = HANDLE_PX / s.view.camera.zoom;
    let corner = [item.pos[0] + item.size[0], item.pos[1] + item.size[1]];
    let handle = [corner[0] - h, corner[1] - h, 2.0 * h, 2.0 * h];
    contains(handle, world).then(|| (id.clone(), slot, item.size))
}

/// The pointer's look over the canvas when no button is down: what a press would do.
pub fn hover(s: &mut State, world: [f64; 2]) {
    super::locks::hover(s, world);
    let cursor = if s.pointer.space {
        "grab"
    } else if s.pointer.tool != Tool::Select {
        "crosshair"
    } else if on_handle(s, world).is_some() {
        "nwse-resize"
    } else if hit_item(s, world).is_some_and(|id| super::raci::clickable(s, &id, world)) {
        "pointer"
    } else if hit_item(s, world).is_some() || hit_connector(s, world).is_some() {
        "move"
    } else if let Some((_, spot)) = super::storymap::drag::spot_at(s, world) {
        spot_cursor(&spot)
    } else {
        "default"
    };
    if s.pointer.cursor != cursor {
        s.pointer.cursor = cursor;
        let _ = s
            .view
            .canvas
            .set_attribute("style", &format!("cursor:{cursor}"));
    }
}

/// The pointer over a story map's controls (buttons), cards and title (dragged).
fn spot_cursor(spot: &super::storymap::chrome::Spot) -> &'static str {
    use super::storymap::chrome::Spot;
    match spot {
        Spot::AddActivity | Spot::AddStep(_) | Spot::AddRelease | Spot::Chevron { .. } => "pointer",
        Spot::Activity(None) | Spot::Step(None) | Spot::Release(None) => "default",
        _ => "move",
    }
}
