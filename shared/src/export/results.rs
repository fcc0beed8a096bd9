//! Round results and the decision log in the Markdown export, for pasting into a wiki page
//! (Confluence reads this Markdown): a "Results" section, one line per note the team voted
//! on, and a "Decisions" section, one entry per decision in the order recorded.
//!
//! Both sections appear only when the board has something to put in them, so the export of
//! a board that never held a round reads exactly as before rounds existed. Results are each
//! item's latest revealed round of each kind ([`latest_result`]): a re-run replaces what an
//! earlier round said, as it does on the board.

use std::fmt::Write;

use super::markdown::number;
use crate::arrange::natural_cmp;
use crate::model::{BoardSnapshot, latest_result};
use crate::rounds::{Decision, Dissent, Kind, RoundResult};

/// Appends "## Results": per voted item its dots, fist-to-five spread and dissent, and
/// impact/effort medians with their ranges; items of a dot vote first, most dots first,
/// then by text.
pub(super) fn write_results(out: &mut String, board: &BoardSnapshot) {
    let votes = board.votes();
    let mut lines: Vec<(Option<u32>, &str, &str, Vec<String>)> = Vec::new();
    for (id, item) in &board.items {
        let mut parts = Vec::new();
        let dots = votes.get(id).copied();
        if let Some(n) = dots {
            parts.push(votes_phrase(n));
        }
        if let Some(r) = latest_result(&board.rounds, id, Kind::FistToFive) {
            parts.push(fist_to_five(r, id));
        }
        if let Some(r) = latest_result(&board.rounds, id, Kind::ImpactEffort)
            && let Some(scores) = impact_effort(r, id)
        {
            parts.push(scores);
        }
        if !parts.is_empty() {
            lines.push((dots, &item.text, id, parts));
        }
    }
    if lines.is_empty() {
        return;
    }
    // Voted-on items first (Some > None), most dots first.
    crate::sort::sort_by(&mut lines, |a, b| {
        b.0.cmp(&a.0)
            .then_with(|| natural_cmp(a.1, b.1))
            .then_with(|| a.2.cmp(b.2))
    });
    out.push_str("\n## Results\n\n");
    for (_, text, _, parts) in lines {
        let _ = writeln!(out, "- **{}**: {}", one_line(text), parts.join(" · "));
    }
}

/// "1 vote", "5 votes".
pub(super) fn votes_phrase(n: u32) -> String {
    format!("{n} vote{}", if n == 1 { "" } else { "s" })
}

/// "Fist to five: 0:0 1:1 2:0 3:2 4:1 5:0; dissent: "..." (Bo)".
fn fist_to_five(result: &RoundResult, item: &str) -> String {
    let spread = result.items.get(item).map(|r| &r.spread);
    let counts: Vec<String> = (0..=5)
        .map(|v| {
            let n = spread
                .and_then(|s| s.get(&v.to_string()))
                .copied()
                .unwrap_or(0);
            format!("{v}:{n}")
        })
        .collect();
    let mut s = format!("Fist to five: {}", counts.join(" "));
    if result.has_dissent() {
        let _ = write!(s, "; dissent: {}", dissent(&result.dissent));
    }
    s
}

/// "Impact 4 (3-5), effort 2 (1-3)": medians, then the lowest and highest score given.
fn impact_effort(result: &RoundResult, item: &str) -> Option<String> {
    let r = result.items.get(item)?;
    let (i, e) = (r.impact?, r.effort?);
    Some(format!(
        "Impact {} ({}-{}), effort {} ({}-{})",
        number(i.median),
        i.min,
        i.max,
        number(e.median),
        e.min,
        e.max
    ))
}

/// Each dissent quoted, with its author or "anonymous": `"More tests first" (Bo)`.
fn dissent(all: &[Dissent]) -> String {
    all.iter()
        .map(|d| {
            format!(
                "\"{}\" ({})",
                one_line(&d.text),
                d.name.as_deref().map_or("anonymous".into(), one_line)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Appends "## Decisions": each entry with its number, time (UTC), text, who recorded it, the
/// decision it corrects, the round's kind and result, who took part and the dissent.
pub(super) fn write_decisions(out: &mut String, decisions: &[Decision]) {
    if decisions.is_empty() {
        return;
    }
    out.push_str("\n## Decisions\n");
    for d in decisions {
        let _ = writeln!(
            out,
            "\n### Decision {} · {}\n",
            decision_number(&d.id),
            utc(d.at)
        );
        for line in d.text.lines() {
            if line.trim().is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
        out.push('\n');
        let _ = writeln!(out, "- Recorded by {}", one_line(&d.by));
        if let Some(old) = &d.corrects {
            let _ = writeln!(out, "- Corrects decision {}", decision_number(old));
        }
        match (d.kind, d.result.trim()) {
            (Some(kind), "") => {
                let _ = writeln!(out, "- {}", kind.label());
            }
            (Some(kind), result) => {
                let _ = writeln!(out, "- {}: {}", kind.label(), one_line(result));
            }
            (None, "") => {}
            (None, result) => {
                let _ = writeln!(out, "- Result: {}", one_line(result));
            }
        }
        if !d.participants.is_empty() {
            let names: Vec<String> = d.participants.iter().map(|p| one_line(p)).collect();
            let _ = writeln!(out, "- Took part: {}", names.join(", "));
        } else if d.voters > 0 {
            let people = if d.voters == 1 { "person" } else { "people" };
            let _ = writeln!(out, "- Took part: {} {people}, anonymous", d.voters);
        }
        if !d.dissent.is_empty() {
            let _ = writeln!(out, "- Dissent: {}", dissent(&d.dissent));
        }
    }
}

/// A decision's number as people say it: "000007" is decision 7 (ids are zero-padded
/// sequence numbers); an id of another shape is shown as it is.
fn decision_number(id: &str) -> String {
    match id.trim_start_matches('0').parse::<u64>() {
        Ok(n) => n.to_string(),
        Err(_) if !id.is_empty() && id.bytes().all(|b| b == b'0') => "0".into(),
        Err(_) => one_line(id),
    }
}

/// Milliseconds since the Unix epoch as "2026-12-04 09:30 UTC" (a wiki page is read in many
/// time zones; UTC is the one everybody can convert).
pub(super) fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let (hour, minute) = (secs % 86_400 / 3600, secs % 3600 / 60);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {hour:02}:{minute:02} UTC")
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`, for
/// days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Text on one line; "(untitled)" when there is none.
fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        "(untitled)".into()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        // 2024-02-29 23:59:59.999 UTC, a leap day.
        assert_eq!(utc(1_709_251_199_999), "2024-02-29 23:59 UTC");
        assert_eq!(utc(1_709_251_200_000), "2024-03-01 00:00 UTC");
        // 2000-12-31 12:34 UTC.
        assert_eq!(utc(978_266_040_000), "2000-12-31 12:34 UTC");
    }

    #[test]
    fn decision_numbers_drop_the_padding() {
        assert_eq!(decision_number("000007"), "7");
        assert_eq!(decision_number("000000"), "0");
        assert_eq!(decision_number("x1"), "x1");
    }
}
