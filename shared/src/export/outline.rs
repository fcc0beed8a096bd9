//! A story map as plain values without ids: what "these two maps are equal" means after an
//! export and an import, which give every item a new id.
//!
//! Fields are normalised the way the map reads them: no type is a feature, no status is to
//! do, an empty description or persona is none.

use serde::Serialize;

use crate::model::{BoardSnapshot, Status, StoryType};
use crate::storymap::StoryMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outline {
    pub title: String,
    /// Activities left to right, each with its steps' names.
    pub activities: Vec<(String, Vec<String>)>,
    /// Release slices top to bottom, "Unscheduled" last.
    pub releases: Vec<String>,
    /// Stories in map order.
    pub stories: Vec<OutlineStory>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlineStory {
    pub release: String,
    pub activity: String,
    pub step: String,
    pub title: String,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub estimate: Option<f64>,
    pub status: Status,
    pub story_type: StoryType,
    pub persona: Option<String>,
    pub issue_key: Option<String>,
}

impl Outline {
    /// The outline of a resolved map of `board`.
    pub fn of(board: &BoardSnapshot, map: &StoryMap) -> Outline {
        let stories = map
            .stories_in_order()
            .filter_map(|(r, a, s, id)| {
                let item = board.items.get(id)?;
                let f = &item.story;
                let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
                let activity = &map.activities[a];
                Some(OutlineStory {
                    release: map.releases[r].name.clone(),
                    activity: activity.name.clone(),
                    step: activity.steps[s].name.clone(),
                    title: item.text.clone(),
                    tags: item.tags.clone(),
                    description: nonempty(&f.description),
                    estimate: f.estimate,
                    status: f.status.unwrap_or_default(),
                    story_type: f.kind(),
                    persona: nonempty(&f.persona),
                    issue_key: f.issue_key.clone(),
                })
            })
            .collect();
        Outline {
            title: map.title.clone(),
            activities: map
                .activities
                .iter()
                .map(|a| {
                    (
                        a.name.clone(),
                        a.steps.iter().map(|s| s.name.clone()).collect(),
                    )
                })
                .collect(),
            releases: map.releases.iter().map(|r| r.name.clone()).collect(),
            stories,
        }
    }

    /// The outlines of every story map on `board`, in [`StoryMap::all`] order.
    pub fn all(board: &BoardSnapshot) -> Vec<Outline> {
        StoryMap::all(board)
            .iter()
            .map(|m| Outline::of(board, m))
            .collect()
    }
}
