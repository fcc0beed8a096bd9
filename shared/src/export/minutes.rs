//! A session's minutes as Markdown, for the people who were not there: who took part, the
//! decisions recorded (with results and dissent), and what changed on the board.
//!
//! A session is a span of time: by default from when the latest facilitator took the role
//! ([`session_start`]), since a facilitator runs a session; the caller may name another
//! start. What the board tells about that span is written and nothing else: a snapshot knows
//! when each item was created and by whom, so the minutes list the items added; edits and
//! deletions leave no trace in a snapshot and are not claimed (the minutes say so).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::markdown::one_line;
use super::results::{utc, write_decisions};
use crate::model::{BoardSnapshot, ItemKind};

/// Most added items listed by title (the count is always complete).
pub const MAX_LISTED: usize = 100;

/// When the session being minuted started (ms since the Unix epoch): when the latest
/// facilitator took the role, or else when the board was made.
pub fn session_start(board: &BoardSnapshot) -> u64 {
    board
        .facilitation
        .history
        .iter()
        .map(|turn| turn.from)
        .max()
        .unwrap_or(board.meta.created_at.max(0.0) as u64)
}

/// The minutes of `board` from `since` to `now` (ms since the Unix epoch, UTC).
pub fn minutes(board: &BoardSnapshot, since: u64, now: u64) -> String {
    let mut out = String::new();
    let title = if board.meta.title.trim().is_empty() {
        "Board".to_owned()
    } else {
        one_line(&board.meta.title)
    };
    let _ = writeln!(out, "# Minutes: {title}\n");
    let _ = writeln!(out, "Session: {} to {}", utc(since), utc(now));

    let in_session = |at: u64| at >= since && at <= now;
    let facilitators: Vec<&str> = board
        .facilitation
        .history
        .iter()
        .filter(|t| t.from <= now && t.to.is_none_or(|to| to >= since))
        .map(|t| t.name.as_str())
        .collect();
    if !facilitators.is_empty() {
        let _ = writeln!(out, "Facilitated by: {}", dedup(&facilitators).join(", "));
    }

    let decisions: Vec<_> = board
        .decisions
        .iter()
        .filter(|d| in_session(d.at))
        .cloned()
        .collect();
    let rounds: Vec<_> = board
        .rounds
        .values()
        .filter(|r| r.round.closed_at.is_some_and(in_session))
        .collect();
    let added: Vec<(&String, &crate::model::ItemSnapshot)> = board
        .items
        .iter()
        .filter(|(_, item)| item.created_at >= since as f64 && item.created_at <= now as f64)
        .filter(|(_, item)| item.kind != ItemKind::Connector)
        .collect();

    // Who took part: facilitators, who recorded or voted on a decision, who voted in a
    // round revealed in the session, who added items.
    let mut people: BTreeSet<String> = facilitators.iter().map(|n| one_line(n)).collect();
    for d in &decisions {
        people.insert(one_line(&d.by));
        people.extend(d.participants.iter().map(|p| one_line(p)));
    }
    for r in &rounds {
        people.extend(r.participants.iter().map(|p| one_line(p)));
        people.insert(one_line(&r.round.opened_by));
    }
    for (_, item) in &added {
        if !item.author.trim().is_empty() {
            people.insert(one_line(&item.author));
        }
    }
    people.remove("(untitled)");
    out.push_str("\n## Who took part\n\n");
    if people.is_empty() {
        out.push_str("Nobody left a trace on the board in this session.\n");
    } else {
        for p in &people {
            let _ = writeln!(out, "- {p}");
        }
    }
    let anonymous: u32 = rounds
        .iter()
        .filter(|r| r.participants.is_empty())
        .map(|r| r.voters)
        .max()
        .unwrap_or(0);
    if anonymous > 0 {
        let _ = writeln!(
            out,
            "\nAn anonymous round had {anonymous} voter{} (not named).",
            if anonymous == 1 { "" } else { "s" }
        );
    }

    if decisions.is_empty() {
        out.push_str("\n## Decisions\n\nNo decision was recorded in this session.\n");
    } else {
        write_decisions(&mut out, &decisions);
    }

    out.push_str("\n## What changed\n\n");
    if added.is_empty() {
        out.push_str("No item was added in this session.\n");
    } else {
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, item) in &added {
            *by_kind.entry(kind_name(&item.kind)).or_default() += 1;
        }
        let counts: Vec<String> = by_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}{}", if *n == 1 { "" } else { "s" }))
            .collect();
        let _ = writeln!(out, "Added: {}.\n", counts.join(", "));
        let mut listed = added.clone();
        crate::sort::sort_by(&mut listed, |a, b| {
            a.1.created_at
                .partial_cmp(&b.1.created_at)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.0.cmp(b.0))
        });
        for (_, item) in listed.iter().take(MAX_LISTED) {
            let by = if item.author.trim().is_empty() {
                String::new()
            } else {
                format!(", by {}", one_line(&item.author))
            };
            let _ = writeln!(
                out,
                "- {} ({}{by})",
                one_line(&item.text),
                kind_name(&item.kind)
            );
        }
        if added.len() > MAX_LISTED {
            let _ = writeln!(out, "- ... and {} more", added.len() - MAX_LISTED);
        }
    }
    let mut now_kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for item in board
        .items
        .values()
        .filter(|i| i.kind != ItemKind::Connector)
    {
        *now_kinds.entry(kind_name(&item.kind)).or_default() += 1;
    }
    let now_counts: Vec<String> = now_kinds
        .iter()
        .map(|(k, n)| format!("{n} {k}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if !now_counts.is_empty() {
        let _ = writeln!(out, "\nOn the board now: {}.", now_counts.join(", "));
    }
    out.push_str(
        "\nEdits and deletions are not listed: the minutes are read from the board as it is \
         now, which keeps when each item was added but not what was changed or removed.\n",
    );
    out
}

fn dedup<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    names.iter().copied().filter(|n| seen.insert(*n)).collect()
}

fn kind_name(kind: &ItemKind) -> &str {
    match kind {
        ItemKind::Note => "note",
        ItemKind::Frame => "frame",
        ItemKind::Text => "text label",
        ItemKind::Connector => "connector",
        ItemKind::StoryMap => "story map",
        ItemKind::Activity => "activity",
        ItemKind::Step => "step",
        ItemKind::Release => "release slice",
        ItemKind::Raci => "RACI matrix",
        ItemKind::Other(name) => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilitation::Turn;
    use crate::model::{ItemSnapshot, MetaSnapshot};
    use crate::rounds::{Decision, Dissent, Kind};

    fn note(text: &str, author: &str, at: f64) -> ItemSnapshot {
        ItemSnapshot {
            kind: ItemKind::Note,
            pos: [0.0, 0.0],
            size: [200.0, 200.0],
            text: text.into(),
            color: "yellow".into(),
            tags: Vec::new(),
            author: author.into(),
            created_at: at,
            z: "a".into(),
            from: None,
            to: None,
            place: None,
            story: Default::default(),
            raci: None,
        }
    }

    #[test]
    fn lists_people_decisions_and_additions_of_the_session_only() {
        let mut board = BoardSnapshot {
            meta: MetaSnapshot {
                title: "Refinement".into(),
                created_at: 0.0,
                template: None,
            },
            items: [
                ("old".to_owned(), note("Before", "Zed", 500.0)),
                ("new".to_owned(), note("Refunds", "Ana", 2_000.0)),
            ]
            .into(),
            rounds: Default::default(),
            decisions: vec![
                Decision {
                    id: "0001".into(),
                    at: 100,
                    by: "Old".into(),
                    text: "Earlier".into(),
                    round: None,
                    kind: None,
                    result: String::new(),
                    participants: Vec::new(),
                    voters: 0,
                    dissent: Vec::new(),
                    corrects: None,
                },
                Decision {
                    id: "0002".into(),
                    at: 3_000,
                    by: "Ben".into(),
                    text: "Ship refunds first".into(),
                    round: Some("r".into()),
                    kind: Some(Kind::FistToFive),
                    result: "average 3.5".into(),
                    participants: vec!["Ana".into(), "Ben".into(), "Cy".into()],
                    voters: 3,
                    dissent: vec![Dissent {
                        name: Some("Cy".into()),
                        text: "too risky".into(),
                        at: 2_900,
                    }],
                    corrects: None,
                },
            ],
            facilitation: Default::default(),
            locks: Default::default(),
            comments: Vec::new(),
        };
        board.facilitation.history = vec![Turn {
            person: "p1".into(),
            name: "Ben".into(),
            from: 1_000,
            to: None,
        }];
        assert_eq!(session_start(&board), 1_000);
        let md = minutes(&board, 1_000, 4_000);
        assert!(md.contains("Facilitated by: Ben"), "{md}");
        assert!(md.contains("- Ana\n- Ben\n- Cy\n"), "{md}");
        assert!(!md.contains("Zed") && !md.contains("Earlier"), "{md}");
        assert!(md.contains("Ship refunds first"), "{md}");
        assert!(md.contains("too risky"), "{md}");
        assert!(md.contains("Added: 1 note."), "{md}");
        assert!(md.contains("- Refunds (note, by Ana)"), "{md}");
        assert!(md.contains("On the board now: 2 notes."), "{md}");
    }
}
