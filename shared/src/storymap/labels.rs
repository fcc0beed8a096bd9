//! The words a story map shows: points with their unit, a release slice's summary, a story's
//! badges. Shared by the page's canvas and the server's pictures, so both say the same.

use super::Totals;
use crate::model::{ItemSnapshot, StoryType};

/// Story points as people write them: `5`, `0.5`, `13`.
pub fn points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{}", (p * 10.0).round() / 10.0)
    }
}

/// A number of story points with its unit: "1 pt", "0.5 pts", "13 pts".
pub fn with_unit(p: f64) -> String {
    let unit = if p == 1.0 { "pt" } else { "pts" };
    format!("{} {unit}", points(p))
}

/// A release slice's label: "MVP - 21 pts - 24% tech debt" (the share only when there is
/// any tech debt).
pub fn release_summary(name: &str, totals: &Totals) -> String {
    let mut s = format!("{name} - {}", with_unit(totals.points));
    let share = totals.tech_debt_share();
    if share > 0.0 {
        s.push_str(&format!(" - {:.0}% tech debt", share * 100.0));
    }
    s
}

/// A story's badges: its issue key (from Jira), estimate, type (unless a plain feature),
/// status, persona.
pub fn badges(story: &ItemSnapshot) -> Vec<String> {
    let f = &story.story;
    let mut out = Vec::new();
    if let Some(key) = &f.issue_key {
        out.push(key.clone());
    }
    if let Some(e) = f.estimate {
        out.push(with_unit(e));
    }
    if f.kind() != StoryType::Feature {
        out.push(f.kind().label().to_owned());
    }
    if let Some(status) = f.status {
        out.push(status.label().to_owned());
    }
    if let Some(persona) = f
        .persona
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        out.push(format!("@{persona}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_units() {
        assert_eq!(points(5.0), "5");
        assert_eq!(points(0.5), "0.5");
        assert_eq!(with_unit(1.0), "1 pt");
        assert_eq!(with_unit(13.0), "13 pts");
        let totals = Totals {
            stories: 2,
            points: 8.0,
            tech_debt_points: 2.0,
        };
        assert_eq!(
            release_summary("MVP", &totals),
            "MVP - 8 pts - 25% tech debt"
        );
    }
}
