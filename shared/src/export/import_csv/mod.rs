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
//!   writes it), else by their first story. Huddle's export also lists each activity's steps
//!   and the map's slices on the epic rows (`Map Steps`, `Map Slices`), so steps and slices
//!   with no story come back too; in other tools' files, a step or slice with no story
//!   cannot be told and is not created.
//! - release slices: `Map Slices`, then `Fix Version` (the first non-empty one), in order of
//!   first use; no
//!   version is "Unscheduled". Trello cards are all unscheduled.
//! - order: by the `Rank` column when there is one, else file order.
//! - labels become tags; a label that is not yet a `#tag` of the title is appended to it as
//!   one, since tags are read from a note's text when someone edits it.
//! - Jira sub-tasks are skipped (a story map has no level below a story), and so are
//!   archived Trello cards.

//!
//! # Layout
//!
//! - this file: [`Backlog`], [`parse_backlog`], the header lookup and the builder that
//!   orders activities, steps and slices.
//! - `sources`: the Jira and Trello columns, and their values mapped onto Huddle's.
//! - `write`: [`write_backlog`], a backlog into a new story map.

mod sources;
mod write;

#[cfg(test)]
use write::text_with_labels;
pub use write::write_backlog;

use super::ImportError;
use super::csv_reader::{Limits, Row, read};
use crate::model::{MAX_STORY_FIELD_CHARS, StoryFields};
use crate::storymap::UNSORTED;

/// Largest CSV accepted: 5,000 stories with a paragraph each are about 2 MB; twice that
/// leaves room for long descriptions.
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
        sources::jira(&header, rows, &mut b)?;
        CsvSource::Jira
    } else if header.one(&["Card Name"]).is_some() {
        sources::trello(&header, rows, &mut b)?;
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
            crate::sort::sort_by(&mut sorted, |x, y| {
                x.1.1.total_cmp(&y.1.1).then(x.0.cmp(&y.0))
            });
            let mut new_index = vec![0; sorted.len()];
            for (new, (old, _)) in sorted.iter().enumerate() {
                new_index[*old] = new;
            }
            for (_, _, s) in self.stories.iter_mut().filter(|s| s.2.activity == a) {
                s.step = new_index[s.step];
            }
            activities.push((name, sorted.into_iter().map(|(_, (n, _))| n).collect()));
        }
        crate::sort::sort_by(&mut self.stories, |a, b| {
            a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
        });
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

#[cfg(test)]
mod tests;
