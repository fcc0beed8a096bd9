//! Story maps on the canvas: every `storymap` item resolved ([`StoryMap::build`]) and laid
//! out ([`MapLayout::compute`]) with this viewer's [`ViewOptions`], then drawn, hit and
//! edited from that layout.
//!
//! The page keeps only the items a map needs (maps, their parts, placed notes) as a small
//! [`BoardSnapshot`], fed by the same changed-item records as the scene, and lays the maps out
//! again only when one of those changed or the view options did. The layout's rectangles go
//! to the scene as [`Drawn`] overrides, so everything that hits, selects, edits or draws a
//! note works on stories in their cells unchanged.
//!
//! # Layout
//!
//! - this file: [`Maps`] (the cache, view options, lookups) and the labels it shows.
//! - `chrome`: the "+" buttons and collapse chevrons, and what a point on a map is.
//! - `paint`: drawing a map's area, title, cards, slices, drop indicator.
//! - `drag`: presses on a map, dragging parts, dropping stories (one transaction each).
//! - `actions`: create a map, add and rename parts, delete, collapse, filter.
//! - `hooks`: the maps and their layout in client coordinates, for `window.huddle`.

pub mod actions;
pub mod chrome;
pub mod drag;
pub mod hooks;
pub mod paint;

use std::collections::{BTreeMap, HashMap};

use huddle_shared::model::{BoardSnapshot, ItemKind, ItemSnapshot, MetaSnapshot};
use huddle_shared::storymap::{DropTarget, Filter, MapLayout, Rect, StoryMap, ViewOptions};

use super::scene::Drawn;

/// One map as this viewer sees it.
#[derive(Debug, Clone)]
pub struct Laid {
    pub map: StoryMap,
    pub layout: MapLayout,
}

/// The story maps of the board, resolved and laid out.
#[derive(Debug)]
pub struct Maps {
    /// Maps, their parts and placed notes (nothing else: a board of free notes costs nothing).
    members: BoardSnapshot,
    pub view: ViewOptions,
    pub laid: Vec<Laid>,
    /// Something a layout depends on changed since the last [`Maps::relayout`].
    pub dirty: bool,
    /// While a note is dragged over a cell: the line where it would land.
    pub indicator: Option<Rect>,
}

impl Default for Maps {
    fn default() -> Self {
        Maps {
            members: BoardSnapshot {
                meta: MetaSnapshot {
                    title: String::new(),
                    created_at: 0.0,
                    template: None,
                },
                items: BTreeMap::new(),
                rounds: BTreeMap::new(),
                decisions: Vec::new(),
                facilitation: Default::default(),
                locks: BTreeMap::new(),
                comments: Vec::new(),
            },
            view: ViewOptions::default(),
            laid: Vec::new(),
            dirty: false,
            indicator: None,
        }
    }
}

/// Whether a map's layout depends on this item.
fn is_member(item: &ItemSnapshot) -> bool {
    item.kind == ItemKind::StoryMap || item.kind.is_map_part() || item.place.is_some()
}

impl Maps {
    /// Takes in item `id` as the document has it now (`None`: deleted).
    pub fn note(&mut self, id: &str, snap: Option<&ItemSnapshot>) {
        match snap.filter(|s| is_member(s)) {
            Some(snap) => {
                if self.members.items.get(id) != Some(snap) {
                    self.members.items.insert(id.to_owned(), snap.clone());
                    self.dirty = true;
                }
            }
            None => {
                if self.members.items.remove(id).is_some() {
                    self.dirty = true;
                }
            }
        }
    }

    /// Resolves and lays out every map again; returns the scene's overrides.
    pub fn relayout(&mut self) -> HashMap<String, Drawn> {
        self.dirty = false;
        self.laid = StoryMap::all(&self.members)
            .into_iter()
            .map(|map| {
                let layout = MapLayout::compute(&map, &self.members, &self.view);
                Laid { map, layout }
            })
            .collect();
        let mut drawn = HashMap::new();
        let at = |r: &Rect| Drawn::At {
            rect: [r.x, r.y, r.w, r.h],
            badges: Vec::new(),
        };
        for laid in &self.laid {
            let l = &laid.layout;
            drawn.insert(l.map.clone(), at(&l.bounds));
            for part in l.activities.iter().chain(&l.steps).chain(&l.releases) {
                if let Some(id) = &part.id {
                    drawn.insert(id.clone(), at(&part.rect));
                }
            }
            for (id, r) in &l.stories {
                let badges = self.members.items.get(id).map(badges).unwrap_or_default();
                drawn.insert(
                    id.clone(),
                    Drawn::At {
                        rect: [r.x, r.y, r.w, r.h],
                        badges,
                    },
                );
            }
            for id in &l.hidden {
                drawn.insert(id.clone(), Drawn::Hidden);
            }
        }
        // Steps of collapsed activities, parts of deleted maps: not shown, not hit.
        for (id, item) in &self.members.items {
            if item.kind.is_map_part() && !drawn.contains_key(id) {
                drawn.insert(id.clone(), Drawn::Hidden);
            }
        }
        drawn
    }

    /// The map with id `map`.
    pub fn get(&self, map: &str) -> Option<&Laid> {
        self.laid.iter().find(|l| l.map.id == map)
    }

    /// The map whose area holds `p` (the last drawn, i.e. topmost, first).
    pub fn at(&self, p: [f64; 2]) -> Option<&Laid> {
        self.laid.iter().rev().find(|l| l.layout.bounds.contains(p))
    }

    /// Where story `moving` dropped at `p` lands: its map and cell, if `p` is in a map's grid.
    pub fn story_target(&self, p: [f64; 2], moving: &str) -> Option<(&Laid, DropTarget)> {
        let laid = self.at(p)?;
        let target = laid.layout.drop_story(&laid.map, p, moving)?;
        Some((laid, target))
    }

    /// Shows only the stories matching `filter` (an empty filter shows all).
    pub fn set_filter(&mut self, filter: Filter) {
        if self.view.filter != filter {
            self.view.filter = filter;
            self.dirty = true;
        }
    }

    /// Collapses or expands an activity (`activity: true`) or a release slice.
    pub fn toggle_collapsed(&mut self, id: Option<String>, activity: bool) {
        let set = if activity {
            &mut self.view.collapsed_activities
        } else {
            &mut self.view.collapsed_releases
        };
        if !set.remove(&id) {
            set.insert(id);
        }
        self.dirty = true;
    }
}

// The labels moved to `shared` so that the server's pictures say the same words.
pub use huddle_shared::storymap::labels::{badges, release_summary, with_unit};

#[cfg(test)]
mod tests;
