//! Story maps as plain structure: who is in which column and row, in map order, with totals.
//!
//! [`StoryMap::build`] reads a [`BoardSnapshot`] (the same plain values the renderer and the
//! exporters read) and resolves every [`Place`](crate::model::Place) into the grid: activities
//! left to right, their steps, release slices top to bottom, and in each cell the stories by
//! rank (ties by id, so all replicas agree). Items whose parent is gone are never dropped:
//!
//! - a story whose step is gone (or that was never given one) goes to the step "Unsorted" of
//!   an implicit last activity, also called "Unsorted";
//! - a step whose activity is gone goes under that implicit activity too;
//! - a story whose release slice is gone (or that has none) is in the implicit last row,
//!   "Unscheduled", which every map has.
//!
//! # Layout
//!
//! - this file: [`StoryMap`], [`Activity`], [`Step`], [`Release`], [`Totals`].
//! - `layout`: [`MapLayout`], the grid on the canvas (rectangles for the renderer, hit
//!   tests for drops) under per-viewer [`ViewOptions`] (collapsed parts, filter).
//! - `labels`: the words a map shows (points, slice summaries, story badges), for the page
//!   and the server's pictures alike.

pub mod labels;
mod layout;

pub use layout::{
    CARD_SIZE, DropTarget, Filter, GAP, HEADER_HEIGHT, LABEL_WIDTH, MapLayout, PartBox, Rect,
    ViewOptions,
};

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{BoardSnapshot, ItemKind, ItemSnapshot, Place, Point, StoryType};

/// Name of the implicit activity and step that hold stories and steps whose parent is gone.
pub const UNSORTED: &str = "Unsorted";
/// Name of the implicit last row, for stories in no release slice.
pub const UNSCHEDULED: &str = "Unscheduled";

/// One story map, resolved into its grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryMap {
    pub id: String,
    pub title: String,
    /// Top-left corner on the canvas.
    pub origin: Point,
    /// Left to right; the last one has `id: None` when it is the implicit "Unsorted".
    pub activities: Vec<Activity>,
    /// Top to bottom; the last one is always the implicit "Unscheduled" (`id: None`).
    pub releases: Vec<Release>,
    /// Per release (same index as `releases`): the total of every story in the row.
    pub release_totals: Vec<Totals>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// `None` for the implicit "Unsorted" activity.
    pub id: Option<String>,
    pub name: String,
    pub steps: Vec<Step>,
    /// Every story under this activity, in all rows.
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// `None` for the implicit "Unsorted" step.
    pub id: Option<String>,
    pub name: String,
    /// Per release (same index as [`StoryMap::releases`]): story ids, top to bottom.
    pub cells: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Release {
    /// `None` for the implicit "Unscheduled" row.
    pub id: Option<String>,
    pub name: String,
}

/// Story points in a row or column, and how many of them are tech debt.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Totals {
    pub stories: u32,
    /// Sum of the estimates; stories without one count 0.
    pub points: f64,
    pub tech_debt_points: f64,
}

impl Totals {
    fn add(&mut self, story: &ItemSnapshot) {
        let points = story.story.estimate.unwrap_or(0.0);
        self.stories += 1;
        self.points += points;
        if story.story.kind() == StoryType::TechDebt {
            self.tech_debt_points += points;
        }
    }

    /// Share of tech-debt points, 0 to 1 (0 when there are no points at all).
    pub fn tech_debt_share(&self) -> f64 {
        if self.points > 0.0 {
            self.tech_debt_points / self.points
        } else {
            0.0
        }
    }
}

impl StoryMap {
    /// Every story map on the board, ordered by position (top to bottom, then left to right,
    /// then id), so exports list them in the order people see them.
    pub fn all(board: &BoardSnapshot) -> Vec<StoryMap> {
        let mut maps: Vec<(&String, &ItemSnapshot)> = board
            .items
            .iter()
            .filter(|(_, item)| item.kind == ItemKind::StoryMap)
            .collect();
        crate::sort::sort_by(&mut maps, |a, b| {
            (a.1.pos[1], a.1.pos[0])
                .partial_cmp(&(b.1.pos[1], b.1.pos[0]))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.0.cmp(b.0))
        });
        let mut index = Index::new(board);
        maps.into_iter()
            .filter_map(|(id, _)| StoryMap::build_with(board, id, &mut index))
            .collect()
    }

    /// The map `id`, or `None` if there is no story map with that id.
    pub fn build(board: &BoardSnapshot, id: &str) -> Option<StoryMap> {
        StoryMap::build_with(board, id, &mut Index::new(board))
    }

    fn build_with(board: &BoardSnapshot, id: &str, index: &mut Index) -> Option<StoryMap> {
        let map = board
            .items
            .get(id)
            .filter(|i| i.kind == ItemKind::StoryMap)?;
        let members = index.members.remove(id).unwrap_or_default();
        let of_kind = |kind: ItemKind| -> Vec<&(String, &ItemSnapshot, &Place)> {
            let mut v: Vec<_> = members.iter().filter(|m| m.1.kind == kind).collect();
            crate::sort::sort_by(&mut v, |a, b| (&a.2.rank, &a.0).cmp(&(&b.2.rank, &b.0)));
            v
        };

        let mut releases: Vec<Release> = of_kind(ItemKind::Release)
            .into_iter()
            .map(|(rid, item, _)| Release {
                id: Some(rid.clone()),
                name: item.text.clone(),
            })
            .collect();
        releases.push(Release {
            id: None,
            name: UNSCHEDULED.to_owned(),
        });
        let row_of: HashMap<&str, usize> = releases
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.id.as_deref().map(|id| (id, i)))
            .collect();
        let unscheduled = releases.len() - 1;
        let empty_cells = || vec![Vec::new(); releases.len()];

        let mut activities: Vec<Activity> = of_kind(ItemKind::Activity)
            .into_iter()
            .map(|(aid, item, _)| Activity {
                id: Some(aid.clone()),
                name: item.text.clone(),
                steps: Vec::new(),
                totals: Totals::default(),
            })
            .collect();
        let activity_of: HashMap<String, usize> = activities
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.id.clone().map(|id| (id, i)))
            .collect();
        let mut orphan_steps = Vec::new();
        for (sid, item, place) in of_kind(ItemKind::Step) {
            let step = Step {
                id: Some(sid.clone()),
                name: item.text.clone(),
                cells: empty_cells(),
            };
            match place.parent.as_ref().and_then(|a| activity_of.get(a)) {
                Some(&a) => activities[a].steps.push(step),
                None => orphan_steps.push(step),
            }
        }
        let mut step_at: HashMap<String, (usize, usize)> = HashMap::new();
        for (a, activity) in activities.iter().enumerate() {
            for (s, step) in activity.steps.iter().enumerate() {
                if let Some(id) = &step.id {
                    step_at.insert(id.clone(), (a, s));
                }
            }
        }

        let mut release_totals = vec![Totals::default(); releases.len()];
        let mut stories = of_kind(ItemKind::Note);
        // Cell order is rank then id, already sorted; unsorted stories keep that order too.
        let mut unsorted_cells = empty_cells();
        let mut orphan_cells: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        for (nid, item, place) in stories.drain(..) {
            let row = place
                .release
                .as_ref()
                .and_then(|r| row_of.get(r.as_str()).copied())
                .unwrap_or(unscheduled);
            release_totals[row].add(item);
            let parent = place.parent.as_deref();
            match parent.and_then(|p| step_at.get(p)) {
                Some(&(a, s)) => {
                    activities[a].steps[s].cells[row].push(nid.clone());
                    activities[a].totals.add(item);
                }
                None => match parent
                    .filter(|p| orphan_steps.iter().any(|s| s.id.as_deref() == Some(*p)))
                {
                    Some(p) => orphan_cells.entry(p.to_owned()).or_insert_with(empty_cells)[row]
                        .push(nid.clone()),
                    None => unsorted_cells[row].push(nid.clone()),
                },
            }
        }
        for step in &mut orphan_steps {
            if let Some(cells) = step.id.as_ref().and_then(|id| orphan_cells.remove(id)) {
                step.cells = cells;
            }
        }
        if unsorted_cells.iter().any(|c| !c.is_empty()) {
            orphan_steps.push(Step {
                id: None,
                name: UNSORTED.to_owned(),
                cells: unsorted_cells,
            });
        }
        if !orphan_steps.is_empty() {
            let mut totals = Totals::default();
            for step in &orphan_steps {
                for nid in step.cells.iter().flatten() {
                    totals.add(&board.items[nid]);
                }
            }
            activities.push(Activity {
                id: None,
                name: UNSORTED.to_owned(),
                steps: orphan_steps,
                totals,
            });
        }

        Some(StoryMap {
            id: id.to_owned(),
            title: map.text.clone(),
            origin: map.pos,
            activities,
            releases,
            release_totals,
        })
    }

    /// Every story in map order: release slice, then activity, then step, then the cell from
    /// top to bottom. Yields `(release, activity, step, story id)` indices into this map.
    pub fn stories_in_order(&self) -> impl Iterator<Item = (usize, usize, usize, &str)> + '_ {
        (0..self.releases.len()).flat_map(move |r| {
            self.activities
                .iter()
                .enumerate()
                .flat_map(move |(a, activity)| {
                    activity
                        .steps
                        .iter()
                        .enumerate()
                        .flat_map(move |(s, step)| {
                            step.cells[r].iter().map(move |id| (r, a, s, id.as_str()))
                        })
                })
        })
    }

    /// How many stories the map holds.
    pub fn story_count(&self) -> usize {
        self.stories_in_order().count()
    }
}

/// Placed items grouped by map id, built once per snapshot.
struct Index<'a> {
    members: HashMap<&'a str, Vec<(String, &'a ItemSnapshot, &'a Place)>>,
}

impl<'a> Index<'a> {
    fn new(board: &'a BoardSnapshot) -> Self {
        let mut members: HashMap<&str, Vec<_>> = HashMap::new();
        for (id, item) in &board.items {
            let Some(place) = &item.place else { continue };
            if item.kind == ItemKind::Note || item.kind.is_map_part() {
                members
                    .entry(place.map.as_str())
                    .or_default()
                    .push((id.clone(), item, place));
            }
        }
        Index { members }
    }
}

#[cfg(test)]
mod tests;
