//! A CSV backlog (from Jira, Trello or Huddle's own export) into a new story map.
//!
//! [`parse_backlog`] reads and checks the whole file into a [`Backlog`], a plain value;
//! [`write_backlog`] then writes it in the caller's transaction. Which tool wrote the file is
//! told by the header: a `Summary` column is Jira's (Huddle writes Jira's columns), a
//! `Card Name` column is Trello's.
//!
//! How the map is formed:
//! - activities: Jira epics (rows of type `Epic`, named by `Epic Name` or `Summary`), in file
//!   order; a story joins its epic through `Parent` (the epic's `Issue Id` or key), `Parent
//!   summary`, or `Epic Link` (the epic's name or key). An epic that is not in the file
//!   becomes an activity of that name. Stories with no epic go to a last activity
//!   "Unsorted". Trello: the card's list (`List Name`) is the activity.
//! - steps: the story's `Component` (Huddle writes the step there), else one step
//!   "Stories" per activity. Steps are ordered by `Step Order` when the file has it (Huddle
//!   writes it), else by their first story; a step with no story cannot be told from the
//!   file and is not created (nor is an empty release slice).
//! - release slices: `Fix Version` (the first non-empty one), in order of first use; no
//!   version is "Unscheduled". Trello cards are all unscheduled.
//! - order: by the `Rank` column when there is one, else file order.
//! - labels become tags; a label that is not yet a `#tag` of the title is appended to it as
//!   one, since tags are read from a note's text when someone edits it.
//! - Jira sub-tasks are skipped (a story map has no level below a story), and so are
//!   archived Trello cards.

use std::collections::HashMap;

use yrs::TransactionMut;

use super::ImportError;
use super::csv_reader::{Limits, Row, read};
use crate::model::{
    Board, DEFAULT_NOTE_SIZE, ItemKind, ItemSnapshot, MAX_STORY_FIELD_CHARS, ModelError, Place,
    Status, StoryFields, StoryType, hashtags,
};
use crate::rank;
use crate::storymap::UNSORTED;

/// Largest CSV accepted: 5,000 stories with a paragraph each is about 2 MB.
pub const MAX_CSV_BYTES: usize = 4 * 1024 * 1024;
/// Most rows after the header: a release plan, not a whole issue tracker.
pub const MAX_CSV_ROWS: usize = 5_000;
/// Longest field: as long as a story's description may be.
pub const MAX_CSV_FIELD_CHARS: usize = MAX_STORY_FIELD_CHARS;
/// The step of stories whose file names none.
pub const DEFAULT_STEP: &str = "Stories";
/// The activity of stories that belong to no epic (the map's own name for such a column).
pub const NO_EPIC: &str = UNSORTED;

/// Which tool wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvSource {
    /// Jira's export, or Huddle's (which writes Jira's columns).
    Jira,
    Trello,
}

/// A checked backlog, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    pub source: CsvSource,
    /// Activities left to right, each with its steps.
    pub activities: Vec<(String, Vec<String>)>,
    /// Release slices top to bottom.
    pub releases: Vec<String>,
    /// Stories in map order.
    pub stories: Vec<BacklogStory>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BacklogStory {
    /// The file line it came from.
    pub line: usize,
    pub title: String,
    pub activity: usize,
    /// Index among its activity's steps.
    pub step: usize,
    pub release: Option<usize>,
    pub fields: StoryFields,
    pub labels: Vec<String>,
}

/// Column lookup by name, ignoring case and surrounding spaces.
struct Header(Vec<String>);

impl Header {
    fn all(&self, names: &[&str]) -> Vec<usize> {
        (0..self.0.len())
            .filter(|&i| names.iter().any(|n| self.0[i].eq_ignore_ascii_case(n)))
            .collect()
    }

    fn one(&self, names: &[&str]) -> Option<usize> {
        self.all(names).first().copied()
    }
}

/// Reads and checks a CSV backlog. Nothing is written; any error names its line and column.
pub fn parse_backlog(text: &str) -> Result<Backlog, ImportError> {
    if text.len() > MAX_CSV_BYTES {
        return Err(ImportError::at(
            1,
            1,
            format!(
                "the file is {} bytes, more than {MAX_CSV_BYTES}",
                text.len()
            ),
        ));
    }
    let limits = Limits {
        field_chars: MAX_CSV_FIELD_CHARS,
        rows: MAX_CSV_ROWS + 1,
    };
    let rows = read(text, &limits)?;
    let Some((head, rows)) = rows.split_first() else {
        return Err(ImportError::at(1, 1, "the file is empty"));
    };
    let header = Header(head.fields.iter().map(|h| h.trim().to_owned()).collect());
    let mut b = Builder::default();
    let source = if header.one(&["Summary"]).is_some() {
        jira(&header, rows, &mut b)?;
        CsvSource::Jira
    } else if header.one(&["Card Name"]).is_some() {
        trello(&header, rows, &mut b)?;
        CsvSource::Trello
    } else {
        return Err(ImportError::at(
            head.line,
            1,
            "no \"Summary\" column (Jira, Huddle) and no \"Card Name\" column (Trello)",
        ));
    };
    if rows.is_empty() {
        return Err(ImportError::at(
            head.line + 1,
            1,
            "no rows after the header",
        ));
    }
    Ok(b.finish(source))
}

/// Collects activities, steps and releases in order of first use.
#[derive(Default)]
struct Builder {
    /// Each activity's steps with their `Step Order` (infinite when the file has none).
    activities: Vec<(String, Vec<(String, f64)>)>,
    releases: Vec<String>,
    /// `(rank, file order, story)`, sorted when finished.
    stories: Vec<(f64, usize, BacklogStory)>,
    no_epic: Option<usize>,
}

impl Builder {
    fn activity(&mut self, name: &str) -> usize {
        match self.activities.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => self.new_activity(name),
        }
    }

    /// The activity of stories without an epic (or a list), made on first use.
    fn no_epic(&mut self) -> usize {
        match self.no_epic {
            Some(a) => a,
            None => {
                let a = self.activity(NO_EPIC);
                self.no_epic = Some(a);
                a
            }
        }
    }

    fn new_activity(&mut self, name: &str) -> usize {
        self.activities.push((name.to_owned(), Vec::new()));
        self.activities.len() - 1
    }

    fn step(&mut self, activity: usize, name: &str, order: Option<f64>) -> usize {
        let steps = &mut self.activities[activity].1;
        match steps.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                steps.push((name.to_owned(), order.unwrap_or(f64::INFINITY)));
                steps.len() - 1
            }
        }
    }

    fn release(&mut self, name: &str) -> Option<usize> {
        if name.is_empty() {
            return None;
        }
        Some(match self.releases.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.releases.push(name.to_owned());
                self.releases.len() - 1
            }
        })
    }

    fn finish(mut self, source: CsvSource) -> Backlog {
        // "Unsorted" goes last, as the map draws it.
        if let Some(i) = self.no_epic
            && i + 1 != self.activities.len()
        {
            let last = self.activities.len() - 1;
            let moved = self.activities.remove(i);
            self.activities.push(moved);
            for (_, _, s) in &mut self.stories {
                if s.activity == i {
                    s.activity = last;
                } else if s.activity > i {
                    s.activity -= 1;
                }
            }
        }
        // Steps by their order (stable: first use breaks ties), stories' indices remapped.
        let mut activities = Vec::new();
        for (a, (name, steps)) in self.activities.into_iter().enumerate() {
            let mut sorted: Vec<(usize, (String, f64))> = steps.into_iter().enumerate().collect();
            sorted.sort_by(|x, y| x.1.1.total_cmp(&y.1.1).then(x.0.cmp(&y.0)));
            let mut new_index = vec![0; sorted.len()];
            for (new, (old, _)) in sorted.iter().enumerate() {
                new_index[*old] = new;
            }
            for (_, _, s) in self.stories.iter_mut().filter(|s| s.2.activity == a) {
                s.step = new_index[s.step];
            }
            activities.push((name, sorted.into_iter().map(|(_, (n, _))| n).collect()));
        }
        self.stories
            .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        Backlog {
            source,
            activities,
            releases: self.releases,
            stories: self.stories.into_iter().map(|s| s.2).collect(),
        }
    }
}

/// A field of `row` at `col`, trimmed ("" if the column is absent).
fn cell(row: &Row, col: Option<usize>) -> &str {
    col.and_then(|c| row.fields.get(c)).map_or("", |s| s.trim())
}

fn first_nonempty<'a>(row: &'a Row, cols: &[usize]) -> &'a str {
    cols.iter()
        .map(|&c| cell(row, Some(c)))
        .find(|s| !s.is_empty())
        .unwrap_or("")
}

fn jira(header: &Header, rows: &[Row], b: &mut Builder) -> Result<(), ImportError> {
    let summary = header.one(&["Summary"]);
    let kind = header.one(&["Issue Type"]);
    let description = header.one(&["Description"]);
    let points = header.one(&[
        "Story Points",
        "Custom field (Story Points)",
        "Story point estimate",
        "Custom field (Story point estimate)",
    ]);
    let labels = header.all(&["Labels"]);
    let versions = header.all(&["Fix Version", "Fix Version/s", "Fix versions"]);
    let status = header.one(&["Status"]);
    let components = header.all(&["Component", "Component/s", "Components"]);
    let step_order = header.one(&["Step Order"]);
    let parent = header.one(&["Parent", "Parent id"]);
    let parent_summary = header.one(&["Parent summary"]);
    let epic_link = header.one(&["Epic Link", "Custom field (Epic Link)"]);
    let epic_name = header.one(&["Epic Name", "Custom field (Epic Name)"]);
    let issue_id = header.one(&["Issue Id"]);
    let issue_key = header.one(&["Issue key"]);
    let persona = header.one(&["Persona"]);
    let rank_col = header.one(&["Rank"]);

    // Epics first: a story may come before its epic in a hand-made file.
    let mut epics: HashMap<String, usize> = HashMap::new();
    for row in rows {
        if !cell(row, kind).eq_ignore_ascii_case("epic") {
            continue;
        }
        let name = match cell(row, epic_name) {
            "" => cell(row, summary),
            n => n,
        };
        let a = b.new_activity(name);
        for key in [cell(row, issue_id), cell(row, issue_key), name] {
            if !key.is_empty() {
                epics.entry(key.to_lowercase()).or_insert(a);
            }
        }
    }
    for (order, row) in rows.iter().enumerate() {
        let t = cell(row, kind).to_lowercase();
        if t == "epic" || t == "sub-task" || t == "subtask" {
            continue;
        }
        let col = |c: Option<usize>| c.map_or(1, |c| c + 1);
        let activity = {
            let by_key = |k: &str| {
                (!k.is_empty())
                    .then(|| epics.get(&k.to_lowercase()))
                    .flatten()
            };
            let (p, ps, el) = (
                cell(row, parent),
                cell(row, parent_summary),
                cell(row, epic_link),
            );
            match by_key(p).or_else(|| by_key(el)).or_else(|| by_key(ps)) {
                Some(&a) => a,
                None => match [ps, el, p].into_iter().find(|s| !s.is_empty()) {
                    Some(name) => b.activity(name),
                    None => b.no_epic(),
                },
            }
        };
        let step = match first_nonempty(row, &components) {
            "" => DEFAULT_STEP,
            s => s,
        };
        let step_rank = match cell(row, step_order) {
            "" => None,
            o => Some(
                o.parse::<f64>()
                    .ok()
                    .filter(|o| o.is_finite())
                    .ok_or_else(|| {
                        ImportError::at(
                            row.line,
                            col(step_order),
                            format!("Step Order: {o:?} is not a number"),
                        )
                    })?,
            ),
        };
        let step = b.step(activity, step, step_rank);
        let release = b.release(first_nonempty(row, &versions));
        let estimate = match cell(row, points) {
            "" => None,
            p => Some(parse_points(p).map_err(|m| {
                ImportError::at(row.line, col(points), format!("Story Points: {m}"))
            })?),
        };
        let rank = match cell(row, rank_col) {
            "" => order as f64,
            r => r
                .parse::<f64>()
                .ok()
                .filter(|r| r.is_finite())
                .ok_or_else(|| {
                    ImportError::at(
                        row.line,
                        col(rank_col),
                        format!("Rank: {r:?} is not a number"),
                    )
                })?,
        };
        let fields = StoryFields {
            description: Some(cell(row, description).to_owned()).filter(|d| !d.is_empty()),
            estimate,
            status: Some(parse_status(cell(row, status))).filter(|s| *s != Status::Todo),
            story_type: Some(parse_type(&t)).filter(|t| *t != StoryType::Feature),
            persona: Some(cell(row, persona).to_owned()).filter(|p| !p.is_empty()),
        };
        let story = BacklogStory {
            line: row.line,
            title: cell(row, summary).to_owned(),
            activity,
            step,
            release,
            fields,
            labels: labels
                .iter()
                .map(|&c| cell(row, Some(c)).to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
        };
        b.stories.push((rank, order, story));
    }
    Ok(())
}

fn trello(header: &Header, rows: &[Row], b: &mut Builder) -> Result<(), ImportError> {
    let name = header.one(&["Card Name"]);
    let description = header.one(&["Card Description"]);
    let labels = header.one(&["Labels"]);
    let list = header.one(&["List Name"]);
    let archived = header.one(&["Archived"]);
    for (order, row) in rows.iter().enumerate() {
        if cell(row, archived).eq_ignore_ascii_case("true") {
            continue;
        }
        let activity = match cell(row, list) {
            "" => b.no_epic(),
            l => b.activity(l),
        };
        let step = b.step(activity, DEFAULT_STEP, None);
        // Trello writes "name (colour), other (colour)"; a colour-only label has no name.
        let labels = cell(row, labels)
            .split(", ")
            .map(|l| match l.rfind(" (") {
                Some(i) if l.ends_with(')') => &l[..i],
                _ => l,
            })
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty() && !l.starts_with('('))
            .collect();
        let story = BacklogStory {
            line: row.line,
            title: cell(row, name).to_owned(),
            activity,
            step,
            release: None,
            fields: StoryFields {
                description: Some(cell(row, description).to_owned()).filter(|d| !d.is_empty()),
                ..StoryFields::default()
            },
            labels,
        };
        b.stories.push((order as f64, order, story));
    }
    Ok(())
}

fn parse_points(p: &str) -> Result<f64, String> {
    let n: f64 = p.parse().map_err(|_| format!("{p:?} is not a number"))?;
    crate::model::check_estimate(n).map_err(|e| e.to_string())?;
    Ok(n)
}

/// Jira's and Huddle's statuses onto Huddle's three; anything unknown is to do.
fn parse_status(s: &str) -> Status {
    if let Some(s) = Status::parse(s) {
        return s;
    }
    match s.to_lowercase().as_str() {
        "done" | "closed" | "resolved" | "complete" | "completed" => Status::Done,
        "in review" | "review" | "doing" | "in development" | "in testing" => Status::InProgress,
        _ => Status::Todo,
    }
}

/// Jira's issue types onto story types; stories, tasks and anything unknown are features.
fn parse_type(t: &str) -> StoryType {
    match t {
        "technical debt" | "debt" => StoryType::TechDebt,
        _ => StoryType::parse(t).unwrap_or_default(),
    }
}

/// The note text for a story: its title, then each label not yet a `#tag` of it.
pub(super) fn text_with_labels(title: &str, labels: &[String]) -> String {
    let mut text = title.to_owned();
    for label in labels {
        let tag: String = label.split_whitespace().collect::<Vec<_>>().join("-");
        let have = hashtags(&text);
        if hashtags(&format!("#{tag}")) == [tag.clone()]
            && !have.iter().any(|t| t.eq_ignore_ascii_case(&tag))
        {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push('#');
            text.push_str(&tag);
        }
    }
    text
}

/// Writes `backlog` as a new story map titled `title` at `pos`, in the caller's
/// transaction, and returns the map's id.
pub fn write_backlog(
    board: &Board,
    txn: &mut TransactionMut,
    backlog: &Backlog,
    title: &str,
    pos: crate::model::Point,
    author: &str,
    created_at: f64,
) -> Result<String, ModelError> {
    let map = board.create_story_map(txn, pos, title, author, created_at)?;
    let mut steps: Vec<Vec<String>> = Vec::new();
    for (name, step_names) in &backlog.activities {
        let a = board.add_activity(txn, &map, None, name, author, created_at)?;
        let mut ids = Vec::new();
        for s in step_names {
            ids.push(board.add_step(txn, &a, None, s, author, created_at)?);
        }
        steps.push(ids);
    }
    let mut releases = Vec::new();
    for r in &backlog.releases {
        releases.push(board.add_release(txn, &map, None, r, author, created_at)?);
    }
    // Ranks are computed here, not by `place_story`, which scans every placed item per call.
    let mut last_rank: HashMap<(usize, usize, Option<usize>), String> = HashMap::new();
    let mut z = board.top_z(txn);
    for story in &backlog.stories {
        let key = (story.activity, story.step, story.release);
        let rank = rank::after(last_rank.get(&key).map(String::as_str));
        last_rank.insert(key, rank.clone());
        let next_z = rank::after(z.as_deref());
        z = Some(next_z.clone());
        let text = text_with_labels(&story.title, &story.labels);
        let item = ItemSnapshot {
            kind: ItemKind::Note,
            pos,
            size: DEFAULT_NOTE_SIZE,
            tags: hashtags(&text),
            text,
            color: crate::model::Color::default().name().to_owned(),
            author: author.to_owned(),
            created_at,
            z: next_z,
            from: None,
            to: None,
            place: Some(Place {
                map: map.clone(),
                parent: Some(steps[story.activity][story.step].clone()),
                release: story.release.map(|r| releases[r].clone()),
                rank,
            }),
            story: story.fields.clone(),
        };
        board.restore_item(txn, &crate::ids::new_item_id(), &item)?;
    }
    Ok(map)
}

#[cfg(test)]
mod tests;
