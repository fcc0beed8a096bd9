//! A story map's grid on the canvas: where its title, activities, steps, release slices and
//! stories are drawn, and which cell or slot a point falls in when something is dropped.
//!
//! ```text
//!  origin
//!  +-----------------------------------------------------------+
//!  | Title                                                      |  HEADER_HEIGHT
//!  |            [Activity A        ] [Activity B]               |  CARD_SIZE[1]
//!  |            [Step 1] [Step 2]    [Step 3]                   |  CARD_SIZE[1]
//!  |-----------------------------------------------------------|
//!  | MVP        [story ] [story ]    [story ]                   |  a band per release:
//!  |  8 pts     [story ]                                        |  as tall as its
//!  |-----------------------------------------------------------|  fullest cell
//!  | Unscheduled ...                                            |
//!  +-----------------------------------------------------------+
//!   LABEL_WIDTH
//! ```
//!
//! The layout is per viewer: collapsing a slice or an activity and filtering stories are
//! [`ViewOptions`], not document edits, so one person's focus does not move everyone's map.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::StoryMap;
use crate::model::{BoardSnapshot, ItemSnapshot, Point, Size, StoryType};

/// Size of a story, activity or step card in the map.
pub const CARD_SIZE: Size = [180.0, 96.0];
/// Space between cards, rows and columns.
pub const GAP: f64 = 12.0;
/// Height of the map's title row.
pub const HEADER_HEIGHT: f64 = 48.0;
/// Width of the column on the left that names each release slice and shows its totals.
pub const LABEL_WIDTH: f64 = 170.0;
/// Height of a collapsed release slice.
const COLLAPSED_HEIGHT: f64 = 40.0;

/// An axis-aligned rectangle in board coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn contains(&self, p: Point) -> bool {
        p[0] >= self.x && p[0] <= self.x + self.w && p[1] >= self.y && p[1] <= self.y + self.h
    }

    pub fn center(&self) -> Point {
        [self.x + self.w / 2.0, self.y + self.h / 2.0]
    }

    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
}

/// Which stories a viewer sees. Every set field must match; an empty filter shows all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    /// A tag the story carries (compared without case, with or without `#`).
    pub tag: Option<String>,
    pub story_type: Option<StoryType>,
    /// The persona, compared without case.
    pub persona: Option<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    pub fn matches(&self, story: &ItemSnapshot) -> bool {
        let tag_ok = self.tag.as_deref().is_none_or(|want| {
            let want = want.trim_start_matches('#');
            story.tags.iter().any(|t| t.eq_ignore_ascii_case(want))
        });
        let type_ok = self.story_type.is_none_or(|t| story.story.kind() == t);
        let persona_ok = self.persona.as_deref().is_none_or(|want| {
            story
                .story
                .persona
                .as_deref()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case(want.trim()))
        });
        tag_ok && type_ok && persona_ok
    }
}

/// One viewer's view of a map. Implicit parts ("Unsorted", "Unscheduled") are `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ViewOptions {
    pub collapsed_activities: HashSet<Option<String>>,
    pub collapsed_releases: HashSet<Option<String>>,
    pub filter: Filter,
}

/// A drawn activity, step or release slice (the title row is [`MapLayout::title`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartBox {
    /// `None` for the implicit "Unsorted" / "Unscheduled" parts.
    pub id: Option<String>,
    pub name: String,
    pub rect: Rect,
    pub collapsed: bool,
    /// For steps: the index of their activity in [`StoryMap::activities`].
    pub activity: usize,
}

/// Where a dragged thing would land.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DropTarget {
    /// Into a cell at `index` (among the cell's stories other than the dragged one).
    Story {
        step: String,
        release: Option<String>,
        index: usize,
    },
    Activity {
        index: usize,
    },
    Step {
        activity: String,
        index: usize,
    },
    Release {
        index: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Column {
    activity: usize,
    /// `None`: a collapsed activity, or one with no steps yet.
    step: Option<usize>,
    x: f64,
}

/// A map laid out on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct MapLayout {
    pub map: String,
    /// Everything the map covers.
    pub bounds: Rect,
    /// The title row.
    pub title: Rect,
    pub activities: Vec<PartBox>,
    pub steps: Vec<PartBox>,
    /// Each release slice's band, the label column included.
    pub releases: Vec<PartBox>,
    /// Visible stories (not collapsed away, matching the filter) and where they are drawn.
    pub stories: Vec<(String, Rect)>,
    /// Stories of the map that this viewer does not see (collapsed or filtered out).
    pub hidden: Vec<String>,
    /// Story id -> its index in `stories` (drop targets are found on every pointer move).
    drawn_at: HashMap<String, usize>,
    columns: Vec<Column>,
    /// Top of the first release band.
    rows_top: f64,
}

impl MapLayout {
    pub fn compute(map: &StoryMap, board: &BoardSnapshot, options: &ViewOptions) -> MapLayout {
        let [x0, y0] = map.origin;
        let [cw, ch] = CARD_SIZE;
        let grid_x = x0 + LABEL_WIDTH + GAP;
        let activity_y = y0 + HEADER_HEIGHT;
        let step_y = activity_y + ch + GAP;
        let rows_top = step_y + ch + 2.0 * GAP;

        let mut columns = Vec::new();
        let mut activities = Vec::new();
        let mut steps = Vec::new();
        let mut x = grid_x;
        for (a, activity) in map.activities.iter().enumerate() {
            let collapsed = options.collapsed_activities.contains(&activity.id);
            let start = x;
            if collapsed || activity.steps.is_empty() {
                columns.push(Column {
                    activity: a,
                    step: None,
                    x,
                });
                x += cw + GAP;
            } else {
                for (s, step) in activity.steps.iter().enumerate() {
                    columns.push(Column {
                        activity: a,
                        step: Some(s),
                        x,
                    });
                    steps.push(PartBox {
                        id: step.id.clone(),
                        name: step.name.clone(),
                        rect: Rect {
                            x,
                            y: step_y,
                            w: cw,
                            h: ch,
                        },
                        collapsed: false,
                        activity: a,
                    });
                    x += cw + GAP;
                }
            }
            activities.push(PartBox {
                id: activity.id.clone(),
                name: activity.name.clone(),
                rect: Rect {
                    x: start,
                    y: activity_y,
                    w: x - GAP - start,
                    h: ch,
                },
                collapsed,
                activity: a,
            });
        }
        let grid_right = if columns.is_empty() {
            grid_x + cw
        } else {
            x - GAP
        };

        let mut stories = Vec::new();
        let mut hidden = Vec::new();
        let mut releases = Vec::new();
        let mut y = rows_top;
        for (r, release) in map.releases.iter().enumerate() {
            let collapsed = options.collapsed_releases.contains(&release.id);
            let mut tallest = 1usize;
            for column in &columns {
                let activity = &map.activities[column.activity];
                let cell_ids: Vec<&String> = match column.step {
                    Some(s) => activity.steps[s].cells[r].iter().collect(),
                    None => activity.steps.iter().flat_map(|s| &s.cells[r]).collect(),
                };
                let mut shown = 0usize;
                for id in cell_ids {
                    let visible = !collapsed
                        && column.step.is_some()
                        && board
                            .items
                            .get(id)
                            .is_some_and(|s| options.filter.matches(s));
                    if visible {
                        let sy = y + GAP + shown as f64 * (ch + GAP);
                        stories.push((
                            id.clone(),
                            Rect {
                                x: column.x,
                                y: sy,
                                w: cw,
                                h: ch,
                            },
                        ));
                        shown += 1;
                    } else {
                        hidden.push(id.clone());
                    }
                }
                tallest = tallest.max(shown);
            }
            let h = if collapsed {
                COLLAPSED_HEIGHT
            } else {
                GAP + tallest as f64 * (ch + GAP)
            };
            releases.push(PartBox {
                id: release.id.clone(),
                name: release.name.clone(),
                rect: Rect {
                    x: x0,
                    y,
                    w: grid_right - x0,
                    h,
                },
                collapsed,
                activity: 0,
            });
            y += h;
        }
        let bounds = Rect {
            x: x0,
            y: y0,
            w: grid_right + GAP - x0,
            h: y + GAP - y0,
        };
        let drawn_at = stories
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.clone(), i))
            .collect();
        MapLayout {
            map: map.id.clone(),
            bounds,
            title: Rect {
                x: x0,
                y: y0,
                w: bounds.w,
                h: HEADER_HEIGHT - GAP,
            },
            activities,
            steps,
            releases,
            stories,
            hidden,
            drawn_at,
            columns,
            rows_top,
        }
    }

    /// Where a story dragged to `p` would land: the cell under `p` and its index among the
    /// cell's stories (hidden ones included) other than `moving`. `None` outside the grid,
    /// over a collapsed part, or over the "Unsorted" column.
    pub fn drop_story(&self, map: &StoryMap, p: Point, moving: &str) -> Option<DropTarget> {
        if !self.bounds.contains(p) || p[1] < self.rows_top {
            return None;
        }
        let column = self.column_at(p[0])?;
        let step = map.activities[column.activity].steps.get(column.step?)?;
        let step_id = step.id.clone()?;
        let r = self.releases.iter().position(|b| b.rect.contains(p))?;
        if self.releases[r].collapsed {
            return None;
        }
        let mut index = 0;
        for id in step.cells[r].iter().filter(|id| *id != moving) {
            let drawn = self
                .stories
                .iter()
                .find(|(s, _)| s == id)
                .map(|(_, rect)| rect);
            if drawn.is_some_and(|rect| rect.center()[1] > p[1]) {
                break;
            }
            index += 1;
        }
        Some(DropTarget::Story {
            step: step_id,
            release: self.releases[r].id.clone(),
            index,
        })
    }

    /// Where an activity dragged to `p` would land among the real activities (other than
    /// `moving`): before the first whose centre is right of `p`.
    pub fn drop_activity(&self, p: Point, moving: &str) -> DropTarget {
        let index = self
            .activities
            .iter()
            .filter(|a| a.id.as_deref().is_some_and(|id| id != moving))
            .take_while(|a| a.rect.center()[0] < p[0])
            .count();
        DropTarget::Activity { index }
    }

    /// Where a step dragged to `p` would land: the activity under `p` (by x), and the index
    /// among its steps other than `moving`. `None` over a collapsed or implicit activity.
    pub fn drop_step(&self, map: &StoryMap, p: Point, moving: &str) -> Option<DropTarget> {
        let activity = self
            .activities
            .iter()
            .find(|a| p[0] >= a.rect.x - GAP / 2.0 && p[0] <= a.rect.right() + GAP / 2.0)?;
        if activity.collapsed {
            return None;
        }
        let id = activity.id.clone()?;
        let index = map.activities[activity.activity]
            .steps
            .iter()
            .filter(|s| s.id.as_deref() != Some(moving))
            .filter_map(|s| self.steps.iter().find(|b| b.id == s.id))
            .take_while(|b| b.rect.center()[0] < p[0])
            .count();
        Some(DropTarget::Step {
            activity: id,
            index,
        })
    }

    /// Where a release slice dragged to `p` would land among the real slices (other than
    /// `moving`): before the first whose centre is below `p`.
    pub fn drop_release(&self, p: Point, moving: &str) -> DropTarget {
        let index = self
            .releases
            .iter()
            .filter(|r| r.id.as_deref().is_some_and(|id| id != moving))
            .take_while(|r| r.rect.center()[1] < p[1])
            .count();
        DropTarget::Release { index }
    }

    /// Where story `id` is drawn, if this viewer sees it.
    pub fn story_rect(&self, id: &str) -> Option<Rect> {
        self.drawn_at.get(id).map(|&i| self.stories[i].1)
    }

    fn column_at(&self, x: f64) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| x >= c.x - GAP / 2.0 && x <= c.x + CARD_SIZE[0] + GAP / 2.0)
    }
}
