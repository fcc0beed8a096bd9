//! The columns of Jira's and Trello's CSV exports (and Huddle's, which are Jira's), and their
//! values mapped onto a story's fields. See the parent module for how a map is formed.

use std::collections::HashMap;

use super::{BacklogStory, Builder, DEFAULT_STEP, Header, cell, first_nonempty};
use crate::export::ImportError;
use crate::export::csv_reader::Row;
use crate::model::{Status, StoryFields, StoryType};

pub(super) fn jira(header: &Header, rows: &[Row], b: &mut Builder) -> Result<(), ImportError> {
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
    let map_steps = header.one(&["Map Steps"]);
    let map_slices = header.one(&["Map Slices"]);

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
        // Huddle's own export lists every step and slice, empty ones included, in order.
        let listed = |col| {
            cell(row, col)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
        };
        for (i, step) in listed(map_steps).enumerate() {
            b.step(a, step, Some(i as f64 + 1.0));
        }
        for slice in listed(map_slices) {
            b.release(slice);
        }
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
        let key = match cell(row, issue_key) {
            "" => None,
            k => {
                crate::model::check_issue_key(k).map_err(|e| {
                    ImportError::at(row.line, col(issue_key), format!("Issue key: {e}"))
                })?;
                Some(k.to_owned())
            }
        };
        let fields = StoryFields {
            description: Some(cell(row, description).to_owned()).filter(|d| !d.is_empty()),
            estimate,
            status: Some(parse_status(cell(row, status))).filter(|s| *s != Status::Todo),
            story_type: Some(parse_type(&t)).filter(|t| *t != StoryType::Feature),
            persona: Some(cell(row, persona).to_owned()).filter(|p| !p.is_empty()),
            issue_key: key,
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

pub(super) fn trello(header: &Header, rows: &[Row], b: &mut Builder) -> Result<(), ImportError> {
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
