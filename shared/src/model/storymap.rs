//! Story maps in the document: the map item, its activities, steps and release slices, and
//! stories (sticky notes) placed into its cells.
//!
//! Every part and every story holds its position in the map as one [`Place`] value: a move
//! writes one value, so concurrent moves of one story leave it in exactly one cell (the last
//! writer's), never in two and never in none. Orders are fractional ranks; ties between
//! concurrent writers are broken by item id, so every replica sorts identically.
//!
//! # Parts that are gone
//!
//! Deleting never deletes a story. Deleting a step moves its stories to the map's "Unsorted"
//! column (a story whose `parent` is `None`); deleting a release slice makes its stories
//! unscheduled (`release` `None`); deleting an activity deletes its steps, whose stories go
//! to "Unsorted". Someone can still place a story into a step another person deletes at the
//! same moment: after the merge the story points at a step that is gone. Readers treat it
//! exactly like an unsorted story ([`crate::storymap`]), so it stays visible and movable.
//! A step whose activity is gone shows under the map's "Unsorted" activity the same way.

use yrs::{Map, MapPrelim, MapRef, Out, ReadTxn, TextPrelim, TransactionMut};

use super::board::Board;
use super::items::{ItemFields, read_kind};
use super::keys;
use super::story::{Place, read_place};
use super::values::{check_point, pair};
use super::{Color, ItemKind, ModelError, Point};
use crate::rank;

/// Where a new part or a moved story goes among its siblings: `None` is the end.
pub type Index = Option<usize>;

impl Board {
    /// Creates an empty story map with its top-left corner at `pos`. Maps go to the back of
    /// the stacking order, like frames, so they never hide notes.
    pub fn create_story_map(
        &self,
        txn: &mut TransactionMut,
        pos: Point,
        title: &str,
        author: &str,
        created_at: f64,
    ) -> Result<String, ModelError> {
        check_point(pos)?;
        let z = rank::before(self.bottom_z(txn).as_deref());
        Ok(self.write_item(
            txn,
            ItemFields {
                kind: ItemKind::StoryMap.as_str(),
                pos: Some(pos),
                size: None,
                text: title,
                color: Color::default().name(),
                tags: &[],
                author,
                created_at,
                z,
                ends: None,
            },
        ))
    }

    /// Adds an activity to the map's backbone at `index` (left to right).
    pub fn add_activity(
        &self,
        txn: &mut TransactionMut,
        map: &str,
        index: Index,
        name: &str,
        author: &str,
        created_at: f64,
    ) -> Result<String, ModelError> {
        self.add_to_map(
            txn,
            ItemKind::Activity,
            map,
            index,
            name,
            author,
            created_at,
        )
    }

    /// Adds a step (a user task) under `activity` at `index`.
    pub fn add_step(
        &self,
        txn: &mut TransactionMut,
        activity: &str,
        index: Index,
        name: &str,
        author: &str,
        created_at: f64,
    ) -> Result<String, ModelError> {
        let map = self.part_map(txn, activity, ItemKind::Activity)?;
        let place = self.place_at(
            txn,
            ItemKind::Step,
            None,
            list(&map, Some(activity), None),
            index,
        );
        Ok(self.write_part(txn, ItemKind::Step, place, name, author, created_at))
    }

    /// Adds a release slice to the map at `index` (top to bottom).
    pub fn add_release(
        &self,
        txn: &mut TransactionMut,
        map: &str,
        index: Index,
        name: &str,
        author: &str,
        created_at: f64,
    ) -> Result<String, ModelError> {
        self.add_to_map(txn, ItemKind::Release, map, index, name, author, created_at)
    }

    /// Moves an activity to `index` in its map's backbone (its steps and stories follow).
    pub fn move_activity(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        index: usize,
    ) -> Result<(), ModelError> {
        self.move_in_map(txn, ItemKind::Activity, id, index)
    }

    /// Moves a release slice to `index` among its map's slices.
    pub fn move_release(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        index: usize,
    ) -> Result<(), ModelError> {
        self.move_in_map(txn, ItemKind::Release, id, index)
    }

    /// Moves a step to `index` under `activity` (its own or another activity of the same
    /// map); its stories follow it.
    pub fn move_step(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        activity: &str,
        index: usize,
    ) -> Result<(), ModelError> {
        let map = self.part_map(txn, id, ItemKind::Step)?;
        let target_map = self.part_map(txn, activity, ItemKind::Activity)?;
        if map != target_map {
            return Err(other_map(activity));
        }
        let place = self.place_at(
            txn,
            ItemKind::Step,
            Some(id),
            list(&map, Some(activity), None),
            Some(index),
        );
        self.write_place(txn, id, Some(place))
    }

    /// Puts the note `id` into the cell of `step` and `release` (`None`: unscheduled) at
    /// `index` among the cell's stories. Works for any sticky note: one on the free canvas,
    /// one in another cell, or one in another map.
    pub fn place_story(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        step: &str,
        release: Option<&str>,
        index: Index,
    ) -> Result<(), ModelError> {
        self.note_map(txn, id)?;
        let map = self.part_map(txn, step, ItemKind::Step)?;
        if let Some(release) = release
            && self.part_map(txn, release, ItemKind::Release)? != map
        {
            return Err(other_map(release));
        }
        let place = self.place_at(
            txn,
            ItemKind::Note,
            Some(id),
            list(&map, Some(step), release),
            index,
        );
        self.write_place(txn, id, Some(place))
    }

    /// Takes the note `id` out of its map onto the free canvas at `pos`.
    pub fn unplace_story(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        pos: Point,
    ) -> Result<(), ModelError> {
        check_point(pos)?;
        let item = self.note_map(txn, id)?;
        item.insert(txn, keys::POS, pair(pos));
        item.remove(txn, keys::PLACE);
        Ok(())
    }

    /// Deletes an activity (with its steps), a step or a release slice. No story is deleted:
    /// see the module docs for where they go.
    pub fn delete_map_part(&self, txn: &mut TransactionMut, id: &str) -> Result<(), ModelError> {
        let kind = self.kind_of(txn, id);
        let doomed: Vec<String> = match kind {
            Some(ItemKind::Activity) => {
                let mut doomed = vec![id.to_owned()];
                doomed.extend(self.children(txn, id, ItemKind::Step));
                doomed
            }
            Some(ItemKind::Step | ItemKind::Release) => vec![id.to_owned()],
            Some(_) => {
                return Err(ModelError::WrongKind {
                    id: id.to_owned(),
                    expected: "activity, step or release slice",
                });
            }
            None => return Err(ModelError::NoSuchItem(id.to_owned())),
        };
        for (story, mut place) in self.placed(txn, ItemKind::Note) {
            let mut changed = false;
            if place.parent.as_ref().is_some_and(|p| doomed.contains(p)) {
                place.parent = None;
                changed = true;
            }
            if place.release.as_ref().is_some_and(|r| doomed.contains(r)) {
                place.release = None;
                changed = true;
            }
            if changed {
                self.write_place(txn, &story, Some(place))?;
            }
        }
        self.delete_items(txn, &doomed);
        Ok(())
    }

    /// Deletes a story map and its parts. Its stories stay on the board as free notes at the
    /// positions given in `drop_at` (the caller passes where they were drawn); a story missing
    /// from `drop_at` keeps its stored position.
    pub fn delete_story_map(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        drop_at: &[(String, Point)],
    ) -> Result<(), ModelError> {
        self.map_of_kind(txn, id, ItemKind::StoryMap)?;
        let mut doomed = vec![id.to_owned()];
        let members: Vec<(String, Place)> = self.all_placed(txn).collect();
        for (item, place) in members {
            if place.map != id {
                continue;
            }
            if self.kind_of(txn, &item) == Some(ItemKind::Note) {
                let pos = drop_at.iter().find(|(s, _)| *s == item).map(|(_, p)| *p);
                match pos {
                    Some(pos) => self.unplace_story(txn, &item, pos)?,
                    None => self.write_place(txn, &item, None)?,
                }
            } else {
                doomed.push(item);
            }
        }
        self.delete_items(txn, &doomed);
        Ok(())
    }

    /// Renames a map (its title), an activity, a step or a release slice.
    pub fn rename_map_part(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        name: &str,
    ) -> Result<(), ModelError> {
        let kind = self.kind_of(txn, id);
        if !kind
            .as_ref()
            .is_some_and(|k| k.is_map_part() || *k == ItemKind::StoryMap)
        {
            return Err(match kind {
                None => ModelError::NoSuchItem(id.to_owned()),
                Some(_) => ModelError::WrongKind {
                    id: id.to_owned(),
                    expected: "story map part",
                },
            });
        }
        let text = self.text(txn, id)?;
        use yrs::{GetString, Text};
        if text.get_string(txn) != name {
            let len = text.len(txn);
            text.remove_range(txn, 0, len);
            text.insert(txn, 0, name);
        }
        Ok(())
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// Adds an activity or a release (the parts listed directly under a map) at `index`.
    #[allow(clippy::too_many_arguments)]
    fn add_to_map(
        &self,
        txn: &mut TransactionMut,
        kind: ItemKind,
        map: &str,
        index: Index,
        name: &str,
        author: &str,
        created_at: f64,
    ) -> Result<String, ModelError> {
        self.map_of_kind(txn, map, ItemKind::StoryMap)?;
        let place = self.place_at(txn, kind.clone(), None, list(map, None, None), index);
        Ok(self.write_part(txn, kind, place, name, author, created_at))
    }

    /// Moves an activity or a release to `index` among its map's parts of that kind.
    fn move_in_map(
        &self,
        txn: &mut TransactionMut,
        kind: ItemKind,
        id: &str,
        index: usize,
    ) -> Result<(), ModelError> {
        let map = self.part_map(txn, id, kind.clone())?;
        let place = self.place_at(txn, kind, Some(id), list(&map, None, None), Some(index));
        self.write_place(txn, id, Some(place))
    }

    /// Writes a new activity, step or release.
    fn write_part(
        &self,
        txn: &mut TransactionMut,
        kind: ItemKind,
        place: Place,
        name: &str,
        author: &str,
        created_at: f64,
    ) -> String {
        let id = crate::ids::new_item_id();
        let item: MapRef = self.items.insert(txn, id.as_str(), MapPrelim::default());
        item.insert(txn, keys::KIND, kind.as_str());
        item.insert(txn, keys::PLACE, place.to_any());
        item.insert(txn, keys::TEXT, TextPrelim::new(name));
        item.insert(txn, keys::AUTHOR, author);
        item.insert(txn, keys::CREATED_AT, created_at);
        id
    }

    fn write_place(
        &self,
        txn: &mut TransactionMut,
        id: &str,
        place: Option<Place>,
    ) -> Result<(), ModelError> {
        let Some(Out::YMap(item)) = self.items.get(txn, id) else {
            return Err(ModelError::NoSuchItem(id.to_owned()));
        };
        match place {
            Some(place) => {
                item.insert(txn, keys::PLACE, place.to_any());
            }
            None => {
                item.remove(txn, keys::PLACE);
            }
        }
        Ok(())
    }

    /// The map id of part `id`, which must be of `kind`.
    fn part_map<T: ReadTxn>(
        &self,
        txn: &T,
        id: &str,
        kind: ItemKind,
    ) -> Result<String, ModelError> {
        let item = self.map_of_kind(txn, id, kind)?;
        read_place(txn, &item)
            .map(|p| p.map)
            .ok_or_else(|| ModelError::BadField {
                field: "place",
                reason: format!("item {id:?} is not in a story map"),
            })
    }

    /// A place in `list` at `index` among its current members of `kind` other than `moving`.
    fn place_at<T: ReadTxn>(
        &self,
        txn: &T,
        kind: ItemKind,
        moving: Option<&str>,
        list: Place,
        index: Index,
    ) -> Place {
        let mut siblings: Vec<(String, String)> = self
            .placed(txn, kind)
            .into_iter()
            .filter(|(id, place)| Some(id.as_str()) != moving && place.same_list(&list))
            .map(|(id, place)| (place.rank, id))
            .collect();
        crate::sort::sort(&mut siblings);
        let index = index.unwrap_or(siblings.len()).min(siblings.len());
        let lo = index.checked_sub(1).map(|i| siblings[i].0.as_str());
        let hi = siblings.get(index).map(|s| s.0.as_str());
        Place {
            rank: rank::between(lo, hi),
            ..list
        }
    }

    /// Every item with a readable place.
    fn all_placed<'a, T: ReadTxn>(
        &'a self,
        txn: &'a T,
    ) -> impl Iterator<Item = (String, Place)> + 'a {
        self.items.iter(txn).filter_map(|(id, value)| match value {
            Out::YMap(item) => read_place(txn, &item).map(|p| (id.to_owned(), p)),
            _ => None,
        })
    }

    /// Placed items of `kind`.
    fn placed<T: ReadTxn>(&self, txn: &T, kind: ItemKind) -> Vec<(String, Place)> {
        // The kind is read from the item in hand (no second lookup by id) and before the
        // place, so items of other kinds cost no parsing.
        self.items
            .iter(txn)
            .filter_map(|(id, value)| match value {
                Out::YMap(item) if read_kind(txn, &item) == kind => {
                    read_place(txn, &item).map(|p| (id.to_owned(), p))
                }
                _ => None,
            })
            .collect()
    }

    /// Ids of the items of `kind` whose place's parent is `parent`.
    fn children<T: ReadTxn>(&self, txn: &T, parent: &str, kind: ItemKind) -> Vec<String> {
        self.placed(txn, kind)
            .into_iter()
            .filter(|(_, p)| p.parent.as_deref() == Some(parent))
            .map(|(id, _)| id)
            .collect()
    }
}

/// The sibling list shape: map, parent, release (the rank is filled in by `place_at`).
fn list(map: &str, parent: Option<&str>, release: Option<&str>) -> Place {
    Place {
        map: map.to_owned(),
        parent: parent.map(str::to_owned),
        release: release.map(str::to_owned),
        rank: String::new(),
    }
}

fn other_map(id: &str) -> ModelError {
    ModelError::BadField {
        field: "place",
        reason: format!("{id:?} belongs to another story map"),
    }
}
