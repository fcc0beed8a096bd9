//! A round's result, tallied from its ballots at the reveal, and the decision log's entries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Ballot, Choice, Kind, Round};

/// What everyone sees once a round is revealed; written into the board's `rounds` map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundResult {
    /// The round, with its status (revealed or cancelled) and when it closed.
    pub round: Round,
    /// It closed itself at its deadline.
    #[serde(default)]
    pub by_deadline: bool,
    /// How many people voted.
    pub voters: u32,
    /// Their names, sorted (empty in an anonymous round).
    #[serde(default)]
    pub participants: Vec<String>,
    /// Per target item.
    pub items: BTreeMap<String, ItemResult>,
    /// Who chose what (empty in an anonymous round).
    #[serde(default)]
    pub ballots: Vec<NamedBallot>,
    /// Fist to five: what would change the mind of those at 0 to 2.
    #[serde(default)]
    pub dissent: Vec<Dissent>,
    /// Poker: the card accepted as each story's estimate.
    #[serde(default)]
    pub accepted: BTreeMap<String, String>,
}

/// One item's share of a result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ItemResult {
    /// Dots on the item.
    #[serde(default)]
    pub votes: u32,
    /// Fist to five: people at each value "0".."5" (all six present); poker: people per card.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spread: BTreeMap<String, u32>,
    /// Poker: the lowest and highest card chosen that has points (the outliers speak first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<String>,
    /// Impact/effort: the team's median and range on each axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Stat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<Stat>,
}

/// Median and range of 1-to-5 scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub median: f64,
    pub min: u8,
    pub max: u8,
    pub n: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedBallot {
    pub name: String,
    pub ballot: Ballot,
}

/// What would change a dissenter's mind, in their words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dissent {
    /// `None` in an anonymous round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub text: String,
    /// Milliseconds since the Unix epoch.
    pub at: u64,
}

/// One entry of a board's decision log. Entries are never changed: a correction is a new
/// entry whose `corrects` names the old one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Zero-padded sequence number: sorts in the order recorded.
    pub id: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub at: u64,
    /// Name of who recorded it.
    pub by: String,
    /// What was decided.
    pub text: String,
    /// The round it was recorded from, if any, with its kind and result in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result: String,
    /// Who took part (names; empty for an anonymous round, see `voters`).
    #[serde(default)]
    pub participants: Vec<String>,
    #[serde(default)]
    pub voters: u32,
    #[serde(default)]
    pub dissent: Vec<Dissent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

/// Tallies `ballots` (voter name, ballot) of `round`. Empty ballots do not count as votes.
/// In an anonymous round no name reaches the result.
pub fn tally(round: &Round, ballots: &[(String, Ballot)], by_deadline: bool) -> RoundResult {
    let cast: Vec<&(String, Ballot)> = ballots.iter().filter(|(_, b)| !b.is_empty()).collect();
    let mut items: BTreeMap<String, ItemResult> = round
        .targets
        .iter()
        .map(|t| (t.clone(), ItemResult::default()))
        .collect();
    let kind = round.settings.kind;
    if kind == Kind::FistToFive {
        for item in items.values_mut() {
            item.spread = (0..=5).map(|v| (v.to_string(), 0)).collect();
        }
    }
    let mut scores: BTreeMap<&str, (Vec<u8>, Vec<u8>)> = BTreeMap::new();
    for (_, ballot) in &cast {
        for (id, choice) in ballot {
            let Some(item) = items.get_mut(id) else {
                continue; // checked when cast; a target list never shrinks
            };
            match choice {
                Choice::Dots(n) => item.votes = item.votes.saturating_add(*n),
                Choice::Fist(v) => *item.spread.entry(v.to_string()).or_default() += 1,
                Choice::Card(label) => *item.spread.entry(label.clone()).or_default() += 1,
                Choice::Score { impact, effort } => {
                    let s = scores.entry(id).or_default();
                    s.0.push(*impact);
                    s.1.push(*effort);
                }
            }
        }
    }
    if kind == Kind::Poker {
        let deck = round.settings.scale.cards();
        for item in items.values_mut() {
            let chosen = deck
                .iter()
                .filter(|c| c.points.is_some() && item.spread.contains_key(&c.label));
            item.low = chosen
                .clone()
                .min_by(|a, b| {
                    a.points
                        .partial_cmp(&b.points)
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .map(|c| c.label.clone());
            item.high = chosen
                .max_by(|a, b| {
                    a.points
                        .partial_cmp(&b.points)
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .map(|c| c.label.clone());
        }
    }
    for (id, (impact, effort)) in scores {
        if let Some(item) = items.get_mut(id) {
            item.impact = stat(impact);
            item.effort = stat(effort);
        }
    }
    let anonymous = round.settings.anonymous;
    let mut participants: Vec<String> = if anonymous {
        Vec::new()
    } else {
        cast.iter().map(|(name, _)| name.clone()).collect()
    };
    crate::sort::sort(&mut participants);
    let mut named: Vec<NamedBallot> = if anonymous {
        Vec::new()
    } else {
        cast.iter()
            .map(|(name, ballot)| NamedBallot {
                name: name.clone(),
                ballot: ballot.clone(),
            })
            .collect()
    };
    crate::sort::sort_by(&mut named, |a, b| a.name.cmp(&b.name));
    RoundResult {
        round: round.clone(),
        by_deadline,
        voters: cast.len() as u32,
        participants,
        items,
        ballots: named,
        dissent: Vec::new(),
        accepted: BTreeMap::new(),
    }
}

fn stat(mut values: Vec<u8>) -> Option<Stat> {
    values.sort_unstable();
    let n = values.len();
    let (&min, &max) = (values.first()?, values.last()?);
    let median = if n % 2 == 1 {
        f64::from(values[n / 2])
    } else {
        (f64::from(values[n / 2 - 1]) + f64::from(values[n / 2])) / 2.0
    };
    Some(Stat {
        median,
        min,
        max,
        n: n as u32,
    })
}

impl RoundResult {
    /// Whether anyone wrote dissent (a fist-to-five proposal "with dissent").
    pub fn has_dissent(&self) -> bool {
        !self.dissent.is_empty()
    }

    /// The result in one line of words, for the decision log and exports. `text_of` gives an
    /// item's text (its first line is used).
    pub fn summary(&self, text_of: impl Fn(&str) -> String) -> String {
        let name = |id: &str| {
            let text = text_of(id);
            let line = text.lines().next().unwrap_or("").trim().to_owned();
            if line.is_empty() { id.to_owned() } else { line }
        };
        let who = format!(
            "{} voter{}",
            self.voters,
            if self.voters == 1 { "" } else { "s" }
        );
        match self.round.settings.kind {
            Kind::Dots => {
                let mut ranked: Vec<_> = self.items.iter().filter(|(_, r)| r.votes > 0).collect();
                crate::sort::sort_by(&mut ranked, |a, b| {
                    b.1.votes.cmp(&a.1.votes).then(a.0.cmp(b.0))
                });
                let top: Vec<String> = ranked
                    .iter()
                    .take(5)
                    .map(|(id, r)| format!("{} ({})", name(id), r.votes))
                    .collect();
                format!(
                    "{who}; most dots: {}",
                    if top.is_empty() {
                        "none".into()
                    } else {
                        top.join(", ")
                    }
                )
            }
            Kind::FistToFive => {
                let spread = self
                    .items
                    .values()
                    .next()
                    .map(|r| {
                        (0..=5)
                            .map(|v| {
                                format!(
                                    "{v}: {}",
                                    r.spread.get(&v.to_string()).copied().unwrap_or(0)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                format!("{who}; fingers {spread}")
            }
            Kind::Poker => {
                let parts: Vec<String> = self
                    .items
                    .iter()
                    .map(|(id, r)| {
                        let spread: Vec<String> =
                            r.spread.iter().map(|(c, n)| format!("{c}×{n}")).collect();
                        match self.accepted.get(id) {
                            Some(card) => {
                                format!("{}: {card} accepted ({})", name(id), spread.join(" "))
                            }
                            None => format!("{}: {}", name(id), spread.join(" ")),
                        }
                    })
                    .collect();
                format!("{who}; {}", parts.join("; "))
            }
            Kind::ImpactEffort => {
                let parts: Vec<String> = self
                    .items
                    .iter()
                    .filter_map(|(id, r)| {
                        let (i, e) = (r.impact?, r.effort?);
                        Some(format!(
                            "{}: impact {} ({}-{}), effort {} ({}-{})",
                            name(id),
                            i.median,
                            i.min,
                            i.max,
                            e.median,
                            e.min,
                            e.max
                        ))
                    })
                    .collect();
                format!("{who}; {}", parts.join("; "))
            }
        }
    }
}
