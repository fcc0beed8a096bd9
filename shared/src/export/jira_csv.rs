//! The board's story maps as CSV for Jira's CSV importer (and for Huddle's own import).
//!
//! One row per activity (an epic), then one row per story in map order. Columns:
//!
//! - `Issue Id`: a number unique in the file; epics' ids are what stories' `Parent` names.
//! - `Issue Type`: `Epic` for activities; `Story` for features, else the type's label
//!   (`Bug`, `Tech debt`, `Spike`), which the importer's value mapping turns into issue types.
//! - `Summary` (the note's text on one line, without the `#tags` that the `Labels` columns
//!   carry: see [`without_tags`]), `Description`, `Story Points`, `Status` (`To Do`,
//!   `In Progress`, `Done`).
//! - `Fix Version`: the release slice; empty for "Unscheduled".
//! - `Component`: the step (Jira has no "step"; components are the closest per-issue tag).
//! - `Step Order`: the step's place in its activity (1, 2, ...), for Huddle's own import: a
//!   step's stories may all sit in a later slice than the next step's, so row order alone
//!   cannot tell the steps' order. Jira's importer ignores a column that is not mapped.
//! - `Epic Name` (on epics) and `Epic Link` (on stories, the epic's name): for Jira Data
//!   Center and Server, whose importer links stories to epics this way.
//! - `Parent`: the epic's `Issue Id`, for Jira Cloud, which replaced Epic Link/Epic Name by
//!   the parent field in 2024 and links parent and child through `Issue Id` + `Parent`. Both
//!   are written so one file imports into either; map the pair your Jira has, ignore the
//!   other. Epics come first because the importer must create a parent before its children.
//! - `Persona`: no Jira field; map it to a custom field or ignore it.
//! - `Rank`: 1, 2, 3... in file order, which is map order. Jira ranks imported issues in file
//!   order; the explicit column keeps the order if the file is re-sorted in a spreadsheet.
//! - `Map Steps` and `Map Slices`, on epic rows only: the activity's steps and the map's
//!   release slices, in order, one per line. They carry what no story row can, steps and
//!   slices that hold no story yet, so Huddle's own import gives back an equal map. Jira
//!   ignores them unless mapped.
//! - `Issue key`, only when a story of the file has one (it was imported from Jira, or typed
//!   into the story panel): map it to Jira's "Issue key" so that the importer updates those
//!   issues instead of creating copies. Epic rows leave it empty.
//! - `Votes`, only when the team dot-voted on a story of the file: the dots from the story's
//!   latest revealed dot vote (empty for a story no vote included, and on epic rows). Jira's
//!   importer skips a column left unmapped, or maps it to a number custom field; Huddle's own
//!   import ignores it (the votes belong to the board's rounds, not to the stories).
//! - `Labels`, repeated once per tag: Jira's importer takes several columns of the same
//!   name as several values of a multi-value field.

use crate::model::{BoardSnapshot, StoryType, without_tags};
use crate::storymap::StoryMap;

use super::markdown::number;

/// The columns before `Votes` and the repeated `Labels`.
pub(super) const COLUMNS: [&str; WIDTH] = [
    "Issue Id",
    "Issue Type",
    "Summary",
    "Description",
    "Story Points",
    "Status",
    "Fix Version",
    "Component",
    "Step Order",
    "Epic Name",
    "Epic Link",
    "Parent",
    "Persona",
    "Rank",
    "Map Steps",
    "Map Slices",
];

/// How many columns come before `Votes` and the repeated `Labels`.
const WIDTH: usize = 16;
/// The column of dots, written after [`COLUMNS`] when any story was voted on.
const VOTES: &str = "Votes";
/// The column of issue keys, written after [`COLUMNS`] when any story has one.
const ISSUE_KEY: &str = "Issue key";

/// The Jira issue type written for epics (activities).
pub(super) const EPIC: &str = "Epic";
/// The Jira issue type written for features.
pub(super) const STORY: &str = "Story";

/// A story's row: its cells, its Jira issue key, its votes and its tags (the last columns,
/// written only when some story has them).
type StoryRow<'a> = ([String; WIDTH], Option<&'a str>, Option<u32>, &'a [String]);

/// The board's story maps as Jira CSV (header row, epics, stories; RFC 4180 quoting).
pub fn jira_csv(board: &BoardSnapshot) -> String {
    let maps = StoryMap::all(board);
    let mut epics: Vec<[String; WIDTH]> = Vec::new();
    let mut stories: Vec<StoryRow> = Vec::new();
    let votes = board.votes();
    let mut next_id = 1;
    for map in &maps {
        let mut epic_ids = Vec::new();
        for activity in &map.activities {
            if activity.id.is_none() {
                // The implicit "Unsorted" activity is not an epic: its stories have none.
                epic_ids.push(None);
                continue;
            }
            let id = next_id.to_string();
            next_id += 1;
            let name = one_line(&activity.name);
            let mut row: [String; WIDTH] = Default::default();
            row[0] = id.clone();
            row[1] = EPIC.into();
            row[2] = name.clone();
            row[9] = name.clone();
            row[14] = lines(
                activity
                    .steps
                    .iter()
                    .filter(|s| s.id.is_some())
                    .map(|s| &s.name),
            );
            row[15] = lines(
                map.releases
                    .iter()
                    .filter(|r| r.id.is_some())
                    .map(|r| &r.name),
            );
            epics.push(row);
            epic_ids.push(Some((id, name)));
        }
        for (r, a, s, story_id) in map.stories_in_order() {
            let Some(story) = board.items.get(story_id) else {
                continue;
            };
            let f = &story.story;
            let mut row: [String; WIDTH] = Default::default();
            row[0] = next_id.to_string();
            next_id += 1;
            row[1] = match f.kind() {
                StoryType::Feature => STORY.into(),
                other => other.label().into(),
            };
            row[2] = one_line(&without_tags(&story.text, &story.tags));
            row[3] = f.description.clone().unwrap_or_default();
            row[4] = f.estimate.map(number).unwrap_or_default();
            row[5] = f.status.unwrap_or_default().label().into();
            let release = &map.releases[r];
            if release.id.is_some() {
                row[6] = one_line(&release.name);
            }
            row[7] = one_line(&map.activities[a].steps[s].name);
            row[8] = (s + 1).to_string();
            if let Some((id, name)) = &epic_ids[a] {
                row[10] = name.clone();
                row[11] = id.clone();
            }
            row[12] = f.persona.clone().unwrap_or_default();
            let key = f.issue_key.as_deref();
            stories.push((row, key, votes.get(story_id).copied(), &story.tags));
        }
    }
    let labels = stories
        .iter()
        .map(|(_, _, _, t)| t.len())
        .max()
        .unwrap_or(0);
    let keyed = stories.iter().any(|(_, k, _, _)| k.is_some());
    let voted = stories.iter().any(|(_, _, v, _)| v.is_some());
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = COLUMNS
        .iter()
        .copied()
        .chain(keyed.then_some(ISSUE_KEY))
        .chain(voted.then_some(VOTES))
        .chain(std::iter::repeat_n("Labels", labels));
    // Writing to a Vec cannot fail, and every row has the header's length.
    let _ = writer.write_record(header);
    let rows = epics
        .into_iter()
        .map(|row| (row, None, None, &[][..]))
        .chain(stories);
    for (rank, (mut row, key, dots, tags)) in rows.enumerate() {
        row[13] = (rank + 1).to_string();
        let key = keyed.then(|| key.unwrap_or_default());
        let dots = voted.then(|| dots.map(|n| n.to_string()).unwrap_or_default());
        let padded = (0..labels).map(|i| tags.get(i).map_or("", String::as_str));
        let _ = writer.write_record(
            row.iter()
                .map(String::as_str)
                .chain(key)
                .chain(dots.as_deref())
                .chain(padded),
        );
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Names one per line (each made one line first).
fn lines<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(|n| one_line(n)).collect::<Vec<_>>().join("\n")
}

/// Summary, version and component are one-line fields in Jira.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
