//! Every story map of a board as an ordered backlog in Markdown: per map, per release slice
//! (the implicit "Unscheduled" last), per activity and step, the stories in map order.
//!
//! The order is exactly [`StoryMap::stories_in_order`], so the Markdown reads like the map
//! from top-left to bottom-right, slice by slice: the order a team would build it in.
//!
//! The board's RACI matrices follow the maps, a table each (`raci`).
//! A story the team dot-voted on says so ("4 votes", from its latest revealed dot vote).
//! After the maps come the board's round results and its decision log (`results`), when it
//! has any, then who facilitated it and what is locked (`facilitation`).

use std::fmt::Write;

use std::collections::HashMap;

use super::results::{votes_phrase, write_decisions, write_results};
use crate::model::{BoardSnapshot, ItemSnapshot};
use crate::storymap::{StoryMap, Totals};

/// The board's story maps as Markdown. A board without maps gets a line saying so.
pub fn markdown(board: &BoardSnapshot) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}", one_line(&board.meta.title));
    let maps = StoryMap::all(board);
    if maps.is_empty() {
        out.push_str("\n_This board has no story map._\n");
    }
    let votes = board.votes();
    for map in &maps {
        write_map(&mut out, board, map, &votes);
    }
    super::raci::write_racis(&mut out, board);
    write_results(&mut out, board);
    write_decisions(&mut out, &board.decisions);
    super::facilitation::write_facilitation(&mut out, board);
    super::comments::write_comments(&mut out, board);
    out
}

fn write_map(
    out: &mut String,
    board: &BoardSnapshot,
    map: &StoryMap,
    votes: &HashMap<String, u32>,
) {
    let _ = writeln!(out, "\n## {}", one_line(&map.title));
    for (r, release) in map.releases.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n### {} ({})",
            one_line(&release.name),
            totals(&map.release_totals[r])
        );
        if map.release_totals[r].stories == 0 {
            out.push_str("\n_No stories._\n");
            continue;
        }
        for activity in &map.activities {
            let in_row = |s: &crate::storymap::Step| !s.cells[r].is_empty();
            if !activity.steps.iter().any(in_row) {
                continue;
            }
            let _ = writeln!(out, "\n#### {}", one_line(&activity.name));
            for step in activity.steps.iter().filter(|s| in_row(s)) {
                let _ = writeln!(out, "\n##### {}\n", one_line(&step.name));
                for id in &step.cells[r] {
                    if let Some(story) = board.items.get(id) {
                        write_story(out, story, votes.get(id).copied());
                    }
                }
            }
        }
    }
}

/// "3 stories, 8 points, 2 tech debt".
fn totals(t: &Totals) -> String {
    let stories = if t.stories == 1 { "story" } else { "stories" };
    let points = if t.points == 1.0 { "point" } else { "points" };
    let mut s = format!("{} {stories}, {} {points}", t.stories, number(t.points));
    if t.tech_debt_points > 0.0 {
        let _ = write!(s, ", {} tech debt", number(t.tech_debt_points));
    }
    s
}

/// One story: its title, then its facts ("PAY-2 · 3 pt · Feature · Done · 4 votes"); `votes`
/// is `None` for a story no revealed dot vote included.
fn write_story(out: &mut String, story: &ItemSnapshot, votes: Option<u32>) {
    let f = &story.story;
    let mut facts = Vec::new();
    if let Some(key) = &f.issue_key {
        facts.push(key.clone());
    }
    if let Some(e) = f.estimate {
        facts.push(format!("{} pt", number(e)));
    }
    facts.push(f.kind().label().to_owned());
    facts.push(f.status.unwrap_or_default().label().to_owned());
    if !story.tags.is_empty() {
        facts.push(
            story
                .tags
                .iter()
                .map(|t| format!("#{t}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    if let Some(p) = f.persona.as_deref().filter(|p| !p.trim().is_empty()) {
        facts.push(format!("for {}", one_line(p)));
    }
    if let Some(n) = votes {
        facts.push(votes_phrase(n));
    }
    let _ = writeln!(
        out,
        "- **{}** ({})",
        one_line(&story.text),
        facts.join(" · ")
    );
    if let Some(d) = f.description.as_deref() {
        for line in d.lines() {
            // Indented under the list item, so it stays part of the story.
            if line.trim().is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "  {}", line.trim_end());
            }
        }
    }
}

/// Text on one line (titles can hold line breaks; a heading cannot).
pub(super) fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        "(untitled)".into()
    } else {
        joined
    }
}

/// 3 not 3.0, 0.5 as 0.5.
pub(super) fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}
