//! The scene: the board's items as plain values, cached between frames.
//!
//! Reading the whole document every frame would cost far more than drawing it, so the page
//! keeps this cache and updates it only for the items a transaction touched (collected from
//! `observe_deep` events on `items`, see [`super::sync`]). Items live in slots (small integers)
//! indexed by a [`Grid`] for culling and hit-testing, and carry their stacking position
//! (`order`) so a frame sorts the visible slots by integer, not by rank string.
//!
//! Story maps lay out their parts and stories themselves ([`super::storymap`]): the scene
//! keeps what the layout said as [`Drawn`] overrides, so a story is drawn, culled and hit at
//! its cell and not at its stored `pos`, and a collapsed or filtered-out story is nowhere.

use std::collections::HashMap;
use std::mem;

use rustc_hash::FxHashMap;

use huddle_shared::model::{Color, ItemKind, ItemSnapshot};

use super::camera::{Rect, enclosing};
use super::grid::Grid;
use super::layout::TextLayout;

#[derive(Debug)]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    pub pos: [f64; 2],
    pub size: [f64; 2],
    pub text: String,
    pub color: Color,
    pub tags: Vec<String>,
    pub z: String,
    /// Connectors only: the items the arrow goes from and to.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Position in the stacking order (0 = bottom); valid after [`Scene::ensure_order`].
    pub order: u32,
    /// Wrapped text, computed by the renderer when first drawn; cleared when text or size change.
    pub layout: Option<TextLayout>,
    /// Where the document puts the item (`pos`, `size` are where it is drawn: different for
    /// the parts and stories of a story map).
    pub stored: ([f64; 2], [f64; 2]),
    /// Drawn by a story map's layout (a story in a cell, a part, the map itself).
    pub placed: bool,
    /// Laid out by a story map but not shown to this viewer (collapsed, filtered out).
    pub hidden: bool,
    /// Small labels shown before the tags (a story's estimate, type, status, persona).
    pub badges: Vec<String>,
}

/// Where a story map's layout draws an item instead of at its stored position.
#[derive(Debug, Clone, PartialEq)]
pub enum Drawn {
    At { rect: Rect, badges: Vec<String> },
    Hidden,
}

/// How the scene finds an item: in the grid, in the connector list, or not at all (map parts
/// are hit by their map; hidden stories are not hit).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Index {
    Grid(Rect),
    Connector,
    Nowhere,
}

impl Item {
    pub fn rect(&self) -> Rect {
        [self.pos[0], self.pos[1], self.size[0], self.size[1]]
    }

    /// Connectors have no rectangle of their own: they are drawn between their ends and kept
    /// out of the grid.
    pub fn is_connector(&self) -> bool {
        self.kind == ItemKind::Connector
    }

    /// Can be moved by its `pos` and resized (not a map part, not a story in a cell).
    pub fn is_free(&self) -> bool {
        !self.placed && !self.kind.is_map_part() && !self.is_connector()
    }

    fn index(&self) -> Index {
        if self.is_connector() {
            Index::Connector
        } else if self.hidden || self.kind.is_map_part() {
            Index::Nowhere
        } else {
            Index::Grid(self.rect())
        }
    }

    /// Applies a layout's override (`None`: back to the stored position).
    fn apply(&mut self, drawn: Option<&Drawn>) {
        let before = (self.pos, self.size, mem::take(&mut self.badges));
        match drawn {
            Some(Drawn::At { rect, badges }) => {
                self.pos = [rect[0], rect[1]];
                self.size = [rect[2], rect[3]];
                self.badges = badges.clone();
                self.placed = true;
                self.hidden = false;
            }
            Some(Drawn::Hidden) => {
                (self.pos, self.size) = self.stored;
                self.placed = true;
                self.hidden = true;
            }
            None => {
                (self.pos, self.size) = self.stored;
                self.placed = false;
                self.hidden = false;
            }
        }
        if self.size != before.1 || self.badges != before.2 {
            self.layout = None;
        }
    }
}

#[derive(Debug, Default)]
pub struct Scene {
    slots: Vec<Option<Item>>,
    free: Vec<u32>,
    /// FxHash: on wasm32-unknown-unknown, std's SipHash is keyed from two memory addresses
    /// (the target has no source of randomness), the same on every load of a build, so it
    /// bought little protection and slower lookups.
    by_id: FxHashMap<String, u32>,
    grid: Grid,
    /// Slots of the connectors (few; drawn and hit-tested by walking this list).
    connectors: Vec<u32>,
    order_dirty: bool,
    /// Story map layout overrides by item id (see [`Scene::set_drawn`]).
    drawn: HashMap<String, Drawn>,
}

pub fn intersects(a: Rect, b: Rect) -> bool {
    a[0] <= b[0] + b[2] && b[0] <= a[0] + a[2] && a[1] <= b[1] + b[3] && b[1] <= a[1] + a[3]
}

pub fn contains(r: Rect, p: [f64; 2]) -> bool {
    p[0] >= r[0] && p[0] <= r[0] + r[2] && p[1] >= r[1] && p[1] <= r[1] + r[3]
}

impl Scene {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn slot(&self, slot: u32) -> Option<&Item> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn slot_mut(&mut self, slot: u32) -> Option<&mut Item> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    pub fn slot_of(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Item> {
        self.slot_of(id).and_then(|s| self.slot(s))
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.slots.iter().filter_map(Option::as_ref)
    }

    /// Brings item `id` in line with `snap` (`None`: the item is gone).
    pub fn set(&mut self, id: &str, snap: Option<ItemSnapshot>) {
        let Some(snap) = snap else {
            self.remove(id);
            return;
        };
        let color = Color::from_name(&snap.color).unwrap_or_default();
        let drawn = self.drawn.get(id);
        if let Some(slot) = self.slot_of(id) {
            let Some(item) = self.slots[slot as usize].as_mut() else {
                return;
            };
            let old = item.index();
            if item.text != snap.text || item.stored.1 != snap.size || item.tags != snap.tags {
                item.layout = None;
            }
            if item.z != snap.z {
                self.order_dirty = true;
            }
            item.kind = snap.kind;
            item.stored = (snap.pos, snap.size);
            item.text = snap.text;
            item.color = color;
            item.tags = snap.tags;
            item.z = snap.z;
            item.from = snap.from;
            item.to = snap.to;
            item.apply(drawn);
            let new = item.index();
            if old != new {
                self.unindex(slot, old);
                self.index(slot, new);
            }
            return;
        }
        let mut item = Item {
            id: id.to_owned(),
            kind: snap.kind,
            pos: snap.pos,
            size: snap.size,
            text: snap.text,
            color,
            tags: snap.tags,
            z: snap.z,
            from: snap.from,
            to: snap.to,
            order: 0,
            layout: None,
            stored: (snap.pos, snap.size),
            placed: false,
            hidden: false,
            badges: Vec::new(),
        };
        item.apply(drawn);
        let index = item.index();
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(item);
                slot
            }
            None => {
                self.slots.push(Some(item));
                (self.slots.len() - 1) as u32
            }
        };
        self.by_id.insert(id.to_owned(), slot);
        self.index(slot, index);
        self.order_dirty = true;
    }

    /// Replaces the story maps' overrides: items in `drawn` are drawn (or hidden) where it
    /// says, items no longer in it go back to their stored position.
    pub fn set_drawn(&mut self, drawn: HashMap<String, Drawn>) {
        let old = mem::replace(&mut self.drawn, drawn);
        let touched: Vec<String> = old
            .into_iter()
            .filter(|(id, d)| self.drawn.get(id) != Some(d))
            .map(|(id, _)| id)
            .chain(self.drawn.keys().cloned())
            .collect();
        for id in touched {
            let Some(slot) = self.slot_of(&id) else {
                continue;
            };
            let Some(item) = self.slots[slot as usize].as_mut() else {
                continue;
            };
            let old = item.index();
            item.apply(self.drawn.get(&id));
            let new = item.index();
            if old != new {
                self.unindex(slot, old);
                self.index(slot, new);
            }
        }
    }

    fn remove(&mut self, id: &str) {
        let Some(slot) = self.by_id.remove(id) else {
            return;
        };
        if let Some(item) = self.slots[slot as usize].take() {
            self.unindex(slot, item.index());
        }
        self.free.push(slot);
        self.order_dirty = true;
    }

    /// Puts a slot in the grid or the connector list.
    fn index(&mut self, slot: u32, index: Index) {
        match index {
            Index::Grid(rect) => self.grid.insert(slot, rect),
            Index::Connector => self.connectors.push(slot),
            Index::Nowhere => {}
        }
    }

    fn unindex(&mut self, slot: u32, index: Index) {
        match index {
            Index::Grid(rect) => self.grid.remove(slot, rect),
            Index::Connector => self.connectors.retain(|s| *s != slot),
            Index::Nowhere => {}
        }
    }

    /// Slots of all connectors.
    pub fn connectors(&self) -> &[u32] {
        &self.connectors
    }

    /// Recomputes every item's `order` if ranks changed (rank, then id, as the model sorts).
    pub fn ensure_order(&mut self) {
        if !self.order_dirty {
            return;
        }
        self.order_dirty = false;
        // In slot order: items added bottom to top (a board's first view comes so) are sorted
        // already.
        let mut keys: Vec<(&str, &str, u32)> = self
            .slots
            .iter()
            .zip(0..)
            .filter_map(|(item, slot)| item.as_ref().map(|i| (i.z.as_str(), i.id.as_str(), slot)))
            .collect();
        // A plain pass first: cheaper than the sort's own run detection, behind `dyn`.
        if !keys.windows(2).all(|w| w[0] <= w[1]) {
            huddle_shared::sort::sort(&mut keys);
        }
        let bottom_to_top: Vec<u32> = keys.into_iter().map(|(_, _, slot)| slot).collect();
        for (slot, order) in bottom_to_top.into_iter().zip(0..) {
            if let Some(item) = self.slot_mut(slot) {
                item.order = order;
            }
        }
    }

    /// Makes room for `more` items, so that adding a whole board does not grow the tables
    /// one doubling at a time.
    pub fn reserve(&mut self, more: usize) {
        self.by_id.reserve(more);
        self.slots.reserve(more);
    }

    /// Slots of the items intersecting `rect`, bottom to top, into `out` (cleared first).
    pub fn visible(&mut self, rect: Rect, out: &mut Vec<u32>) {
        self.ensure_order();
        out.clear();
        self.grid.query(rect, out);
        let slots = &self.slots;
        out.retain(|s| {
            slots[*s as usize]
                .as_ref()
                .is_some_and(|i| intersects(i.rect(), rect))
        });
        out.sort_unstable_by_key(|s| slots[*s as usize].as_ref().map_or(0, |i| i.order));
    }

    /// The topmost item under `point` accepted by `accept`.
    pub fn hit(&mut self, point: [f64; 2], accept: impl Fn(&Item) -> bool) -> Option<u32> {
        let mut out = Vec::new();
        self.visible([point[0], point[1], 0.0, 0.0], &mut out);
        out.into_iter().rev().find(|s| {
            self.slot(*s)
                .is_some_and(|i| contains(i.rect(), point) && accept(i))
        })
    }

    /// Ids of the items intersecting `rect`.
    pub fn ids_in(&mut self, rect: Rect) -> Vec<String> {
        let mut out = Vec::new();
        self.visible(rect, &mut out);
        out.into_iter()
            .filter_map(|s| self.slot(s).map(|i| i.id.clone()))
            .collect()
    }

    /// The rectangle around every item, if there is any.
    pub fn bounds(&self) -> Option<Rect> {
        enclosing(
            self.items()
                .filter(|i| !i.is_connector() && !i.hidden && !i.kind.is_map_part())
                .map(Item::rect),
        )
    }

    /// Lowest and highest rank on the board (for "send to back" / "bring to front").
    pub fn z_range(&self) -> (Option<&str>, Option<&str>) {
        let mut lo: Option<&str> = None;
        let mut hi: Option<&str> = None;
        for item in self.items().filter(|i| !i.z.is_empty()) {
            let z = item.z.as_str();
            lo = Some(lo.map_or(z, |l| l.min(z)));
            hi = Some(hi.map_or(z, |h| h.max(z)));
        }
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(pos: [f64; 2], z: &str) -> Option<ItemSnapshot> {
        Some(ItemSnapshot {
            kind: ItemKind::Note,
            pos,
            size: [200.0, 200.0],
            text: "hi".into(),
            color: "blue".into(),
            tags: vec![],
            author: String::new(),
            created_at: 0.0,
            z: z.into(),
            from: None,
            to: None,
            place: None,
            story: Default::default(),
            raci: None,
        })
    }

    #[test]
    fn updates_moves_and_removes_items() {
        let mut scene = Scene::default();
        scene.set("a", note([0.0, 0.0], "a0"));
        scene.set("b", note([1000.0, 0.0], "a1"));
        assert_eq!(scene.len(), 2);
        assert_eq!(scene.get("a").map(|i| i.color), Some(Color::Blue));
        assert_eq!(scene.ids_in([-10.0, -10.0, 300.0, 300.0]), vec!["a"]);
        scene.set("a", note([5000.0, 5000.0], "a0"));
        assert!(scene.ids_in([-10.0, -10.0, 300.0, 300.0]).is_empty());
        assert_eq!(scene.ids_in([5100.0, 5100.0, 1.0, 1.0]), vec!["a"]);
        scene.set("a", None);
        assert_eq!(scene.len(), 1);
        assert!(scene.ids_in([5100.0, 5100.0, 1.0, 1.0]).is_empty());
        // The freed slot is reused.
        scene.set("c", note([0.0, 0.0], "a2"));
        assert_eq!(scene.slot_of("c"), Some(0));
    }

    /// The ids of the items in the square (0, 0)-(400, 400), bottom to top.
    fn visible_ids(scene: &mut Scene) -> Vec<String> {
        let mut out = Vec::new();
        scene.visible([0.0, 0.0, 400.0, 400.0], &mut out);
        out.iter()
            .map(|s| scene.slot(*s).unwrap().id.clone())
            .collect()
    }

    #[test]
    fn visible_is_bottom_to_top_and_hit_finds_the_top() {
        let mut scene = Scene::default();
        scene.set("low", note([0.0, 0.0], "a5"));
        scene.set("high", note([100.0, 100.0], "a9"));
        scene.set("mid", note([50.0, 50.0], "a7"));
        assert_eq!(visible_ids(&mut scene), ["low", "mid", "high"]);
        let top = scene.hit([150.0, 150.0], |_| true);
        assert_eq!(
            top.and_then(|s| scene.slot(s)).map(|i| i.id.as_str()),
            Some("high")
        );
        let top = scene.hit([20.0, 20.0], |_| true);
        assert_eq!(
            top.and_then(|s| scene.slot(s)).map(|i| i.id.as_str()),
            Some("low")
        );
        assert_eq!(scene.hit([1000.0, 1000.0], |_| true), None);
        // Restacking re-sorts.
        scene.set("low", note([0.0, 0.0], "b0"));
        let top = scene.hit([150.0, 150.0], |_| true);
        assert_eq!(
            top.and_then(|s| scene.slot(s)).map(|i| i.id.as_str()),
            Some("low")
        );
        assert_eq!(scene.z_range(), (Some("a7"), Some("b0")));
    }

    #[test]
    fn equal_ranks_stack_by_id_and_reused_slots_sort_too() {
        let mut scene = Scene::default();
        scene.set("b", note([0.0, 0.0], "a5"));
        scene.set("a", note([10.0, 10.0], "a5"));
        scene.set("c", note([20.0, 20.0], "a1"));
        scene.set("c", None);
        // Takes the slot "c" had, below "b" and "a" in slot order, and goes to the bottom.
        scene.set("d", note([30.0, 30.0], "a0"));
        assert_eq!(visible_ids(&mut scene), ["d", "a", "b"]);
    }

    #[test]
    fn text_changes_drop_the_cached_layout() {
        let mut scene = Scene::default();
        scene.set("a", note([0.0, 0.0], "a0"));
        if let Some(slot) = scene.slot_of("a") {
            scene.slot_mut(slot).unwrap().layout = Some(TextLayout::default());
        }
        scene.set("a", note([10.0, 0.0], "a0"));
        assert!(scene.get("a").unwrap().layout.is_some());
        let mut changed = note([10.0, 0.0], "a0").unwrap();
        changed.text = "other".into();
        scene.set("a", Some(changed));
        assert!(scene.get("a").unwrap().layout.is_none());
        assert_eq!(scene.bounds(), Some([10.0, 0.0, 200.0, 200.0]));
    }

    #[test]
    fn connectors_stay_out_of_the_grid() {
        let mut scene = Scene::default();
        scene.set("a", note([0.0, 0.0], "a0"));
        let mut arrow = note([0.0, 0.0], "a1").unwrap();
        arrow.kind = ItemKind::Connector;
        arrow.from = Some("a".into());
        arrow.to = Some("b".into());
        scene.set("c", Some(arrow));
        assert_eq!(scene.connectors().len(), 1);
        assert_eq!(scene.ids_in([0.0, 0.0, 10.0, 10.0]), vec!["a"]);
        assert_eq!(scene.bounds(), Some([0.0, 0.0, 200.0, 200.0]));
        scene.set("c", None);
        assert!(scene.connectors().is_empty());
    }
}
