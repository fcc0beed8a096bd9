//! Rounds: dot votes, fist-to-five, planning poker and impact/effort scoring, and the decision
//! log. Pure rules, no I/O: the server's room holds the state and calls these; the page calls
//! the same checks to grey out what the server would refuse.
//!
//! A round is opened by a facilitator on a list of items (its targets). Each person casts one
//! [`Ballot`] (item id -> [`Choice`]), which they may replace until the reveal. The server
//! keeps ballots to itself: until the reveal a person is sent only their own ballot and the
//! count of people who voted. At the reveal the ballots are tallied into a [`RoundResult`],
//! which the server writes into the board's document (root map `rounds`), so it syncs,
//! exports and works offline like everything else. An anonymous round's result carries no
//! names, and its ballots are not kept once tallied.
//!
//! # Layout
//!
//! - this file: kinds, settings, scales and cards, ballots and their checks ([`check_ballot`]);
//! - `tally`: [`RoundResult`] from the ballots, per item: dot counts, spreads, medians;
//!   [`Dissent`] and [`Decision`], the decision log's entries;
//! - `protocol`: [`Command`]s a page sends and [`Event`]s the server answers with, as JSON
//!   inside Huddle's custom message (README: "The wire protocol").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod protocol;
mod tally;

pub use protocol::{Command, Event, ProtocolError, Request, RoundView};
pub use tally::{Decision, Dissent, ItemResult, NamedBallot, RoundResult, Stat, tally};

/// Default dot budget per person: three dots, as on paper.
pub const DEFAULT_BUDGET: u32 = 3;
/// Largest budget or cap: more dots than this is not a vote but a survey.
pub const MAX_BUDGET: u32 = 100;
/// Rounds open at once on one board: a session runs one or two; a few async ones may wait for
/// their deadlines. More is a client opening rounds in a loop (each is stored).
pub const MAX_OPEN_ROUNDS: usize = 20;
/// Items in one round: a big backlog refinement has a few hundred stories.
pub const MAX_TARGETS: usize = 500;
/// Longest what-is-being-decided line, dissent sentence, custom card label and decision.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DISSENT_CHARS: usize = 500;
pub const MAX_CARD_CHARS: usize = 8;
pub const MAX_CUSTOM_CARDS: usize = 20;
pub const MAX_DECISION_CHARS: usize = 2000;
/// Longest item or round id accepted from a page (item ids are 16 characters).
pub const MAX_ID_CHARS: usize = 64;
/// Fist-to-five values at or below this are asked what would change their mind.
pub const DISSENT_AT_MOST: u8 = 2;
/// The two cards every poker scale has besides its values.
pub const CARD_UNSURE: &str = "?";
pub const CARD_COFFEE: &str = "coffee";

/// What a round asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Dots on notes, stories or frames, within a budget.
    Dots,
    /// One proposal, each person shows 0 to 5 fingers.
    FistToFive,
    /// Estimates of stories on a card scale.
    Poker,
    /// Each note placed on impact (1-5) and effort (1-5).
    ImpactEffort,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Dots => "Dot vote",
            Kind::FistToFive => "Fist to five",
            Kind::Poker => "Planning poker",
            Kind::ImpactEffort => "Impact/effort",
        }
    }
}

/// A poker deck. T-shirt sizes map to points as XS=1, S=2, M=3, L=5, XL=8 (README).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// 0, 1, 2, 3, 5, 8, 13, 21.
    #[default]
    Fibonacci,
    /// XS, S, M, L, XL.
    TShirt,
    /// The team's own labels (numbers count as points).
    Custom(Vec<String>),
}

/// One card of a deck: what it says, and what it is worth in story points (none for "?").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub label: String,
    pub points: Option<f64>,
}

const FIBONACCI: [u32; 8] = [0, 1, 2, 3, 5, 8, 13, 21];
/// T-shirt sizes and the points they stand for when accepted as an estimate.
pub const T_SHIRT: [(&str, f64); 5] =
    [("XS", 1.0), ("S", 2.0), ("M", 3.0), ("L", 5.0), ("XL", 8.0)];

impl Scale {
    /// The deck, values first, then "?" and coffee.
    pub fn cards(&self) -> Vec<Card> {
        let mut cards: Vec<Card> = match self {
            Scale::Fibonacci => FIBONACCI
                .iter()
                .map(|n| Card {
                    label: n.to_string(),
                    points: Some(f64::from(*n)),
                })
                .collect(),
            Scale::TShirt => T_SHIRT
                .iter()
                .map(|(l, p)| Card {
                    label: (*l).to_owned(),
                    points: Some(*p),
                })
                .collect(),
            Scale::Custom(labels) => labels
                .iter()
                .map(|l| Card {
                    label: l.clone(),
                    points: l.trim().parse::<f64>().ok().filter(|p| p.is_finite()),
                })
                .collect(),
        };
        cards.push(Card {
            label: CARD_UNSURE.to_owned(),
            points: None,
        });
        cards.push(Card {
            label: CARD_COFFEE.to_owned(),
            points: None,
        });
        cards
    }

    /// The card labelled `label`, if the deck has one.
    pub fn card(&self, label: &str) -> Option<Card> {
        self.cards().into_iter().find(|c| c.label == label)
    }
}

/// What the facilitator chose when opening a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub kind: Kind,
    /// What is being decided, shown in the bar and the decision log (may be empty).
    #[serde(default)]
    pub title: String,
    /// Anonymous: results carry no names and ballots are not kept after the reveal.
    #[serde(default)]
    pub anonymous: bool,
    /// When the round closes itself (milliseconds since the Unix epoch, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<u64>,
    /// Dots per person (dot votes only).
    #[serde(default = "default_budget")]
    pub budget: u32,
    /// Most dots one person may put on one item (dot votes only; `None`: no cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// The deck (poker only).
    #[serde(default)]
    pub scale: Scale,
}

fn default_budget() -> u32 {
    DEFAULT_BUDGET
}

impl Settings {
    pub fn new(kind: Kind) -> Settings {
        Settings {
            kind,
            title: String::new(),
            anonymous: false,
            deadline: None,
            budget: DEFAULT_BUDGET,
            cap: None,
            scale: Scale::default(),
        }
    }
}

/// What the round was opened on, for people reading the result (the items are the targets).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum Scope {
    #[default]
    Selection,
    Frame(String),
    /// A story map's release slice.
    Slice(String),
    Board,
}

/// One person's choice on one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Dots on the item (at least 1).
    Dots(u32),
    /// Fingers shown, 0 to 5.
    Fist(u8),
    /// A poker card's label.
    Card(String),
    /// Impact and effort, 1 to 5 each.
    Score { impact: u8, effort: u8 },
}

/// One person's whole ballot: item id -> choice. Casting replaces the previous ballot; an
/// empty ballot withdraws it.
pub type Ballot = BTreeMap<String, Choice>;

/// Where a round stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Revealed,
    Cancelled,
}

/// A round as everyone may see it (no ballots): held by the server, sent in [`RoundView`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    pub id: String,
    pub settings: Settings,
    pub targets: Vec<String>,
    #[serde(default)]
    pub scope: Scope,
    /// Impact/effort: the matrix's area `[x, y, w, h]`, where the reveal places each note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<[f64; 4]>,
    /// Name of who opened it.
    pub opened_by: String,
    /// Milliseconds since the Unix epoch.
    pub opened_at: u64,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<u64>,
    /// The round this one runs again (after the team talked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_of: Option<String>,
}

/// Why a round could not be opened or a ballot was refused. The text is shown to the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundError {
    #[error("a round needs at least one item")]
    NoTargets,
    #[error("a round takes at most {MAX_TARGETS} items")]
    TooManyTargets,
    #[error("{0} takes exactly one item")]
    OneTarget(&'static str),
    #[error("item {0} cannot be voted on in a {1} round")]
    WrongItem(String, &'static str),
    #[error("item {0} is listed twice")]
    DuplicateTarget(String),
    #[error("the budget must be 1 to {MAX_BUDGET}")]
    BadBudget,
    #[error("the cap per item must be 1 to {MAX_BUDGET}")]
    BadCap,
    #[error(
        "a custom deck needs 2 to {MAX_CUSTOM_CARDS} distinct cards of 1 to {MAX_CARD_CHARS} characters"
    )]
    BadScale,
    #[error("the title is longer than {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("the deadline has passed")]
    DeadlinePassed,
    #[error("the matrix area is not a finite rectangle")]
    BadArea,
    #[error("item {0} is not in this round")]
    NotATarget(String),
    #[error("a {0} ballot cannot hold {1}")]
    WrongChoice(&'static str, &'static str),
    #[error("over your budget: {used} dots of {budget}")]
    OverBudget { used: u64, budget: u32 },
    #[error("at most {cap} dots per item")]
    OverCap { cap: u32 },
    #[error("a dot count must be at least 1 (leave the item out to remove your dots)")]
    ZeroDots,
    #[error("fist to five takes 0 to 5")]
    BadFist,
    #[error("{0:?} is not a card of this deck")]
    BadCard(String),
    #[error("impact and effort take 1 to 5")]
    BadScore,
    #[error("this round is not open")]
    NotOpen,
    #[error("{MAX_OPEN_ROUNDS} rounds are open on this board; reveal or cancel one first")]
    TooManyOpen,
}

impl Round {
    /// Checks a round about to be opened on `targets`, given each target's kind as the
    /// document has it (`None`: no such item). `now`: milliseconds since the Unix epoch.
    pub fn check_new(
        settings: &Settings,
        targets: &[(String, Option<crate::model::ItemKind>)],
        area: Option<[f64; 4]>,
        now: u64,
    ) -> Result<(), RoundError> {
        use crate::model::ItemKind;
        if targets.is_empty() {
            return Err(RoundError::NoTargets);
        }
        if targets.len() > MAX_TARGETS {
            return Err(RoundError::TooManyTargets);
        }
        if settings.title.chars().count() > MAX_TITLE_CHARS {
            return Err(RoundError::TitleTooLong);
        }
        if settings.deadline.is_some_and(|d| d <= now) {
            return Err(RoundError::DeadlinePassed);
        }
        let mut seen = std::collections::HashSet::new();
        for (id, _) in targets {
            if !seen.insert(id.as_str()) {
                return Err(RoundError::DuplicateTarget(id.clone()));
            }
        }
        let kind = settings.kind;
        let allowed = |k: &ItemKind| match kind {
            Kind::Dots => matches!(k, ItemKind::Note | ItemKind::Frame),
            _ => matches!(k, ItemKind::Note),
        };
        for (id, k) in targets {
            if !k.as_ref().is_some_and(allowed) {
                return Err(RoundError::WrongItem(id.clone(), kind.label()));
            }
        }
        match kind {
            Kind::Dots => {
                if !(1..=MAX_BUDGET).contains(&settings.budget) {
                    return Err(RoundError::BadBudget);
                }
                if settings.cap.is_some_and(|c| !(1..=MAX_BUDGET).contains(&c)) {
                    return Err(RoundError::BadCap);
                }
            }
            Kind::FistToFive if targets.len() != 1 => {
                return Err(RoundError::OneTarget(kind.label()));
            }
            Kind::Poker => {
                if let Scale::Custom(labels) = &settings.scale {
                    let distinct: std::collections::HashSet<_> = labels.iter().collect();
                    let ok = (2..=MAX_CUSTOM_CARDS).contains(&labels.len())
                        && distinct.len() == labels.len()
                        && labels.iter().all(|l| {
                            let n = l.chars().count();
                            (1..=MAX_CARD_CHARS).contains(&n)
                                && l != CARD_UNSURE
                                && l != CARD_COFFEE
                        });
                    if !ok {
                        return Err(RoundError::BadScale);
                    }
                }
            }
            Kind::ImpactEffort => {
                if area
                    .is_some_and(|a| a.iter().any(|v| !v.is_finite()) || a[2] <= 0.0 || a[3] <= 0.0)
                {
                    return Err(RoundError::BadArea);
                }
            }
            Kind::FistToFive => {}
        }
        Ok(())
    }

    /// Checks `ballot` against this round's rules. An empty ballot (a withdrawal) is valid.
    pub fn check_ballot(&self, ballot: &Ballot) -> Result<(), RoundError> {
        check_ballot(&self.settings, &self.targets, ballot)
    }

    /// Dots left to a person whose ballot is `ballot` (dot votes only).
    pub fn budget_left(&self, ballot: &Ballot) -> Option<u32> {
        (self.settings.kind == Kind::Dots).then(|| {
            self.settings
                .budget
                .saturating_sub(dots_used(ballot).min(u64::from(u32::MAX)) as u32)
        })
    }
}

fn dots_used(ballot: &Ballot) -> u64 {
    ballot
        .values()
        .map(|c| match c {
            Choice::Dots(n) => u64::from(*n),
            _ => 0,
        })
        .sum()
}

/// Checks `ballot` against the rules of a round with `settings` on `targets`.
pub fn check_ballot(
    settings: &Settings,
    targets: &[String],
    ballot: &Ballot,
) -> Result<(), RoundError> {
    let kind = settings.kind;
    for (item, choice) in ballot {
        if !targets.iter().any(|t| t == item) {
            return Err(RoundError::NotATarget(item.clone()));
        }
        let what = match choice {
            Choice::Dots(_) => "dots",
            Choice::Fist(_) => "a fist-to-five value",
            Choice::Card(_) => "a card",
            Choice::Score { .. } => "a score",
        };
        match (kind, choice) {
            (Kind::Dots, Choice::Dots(n)) => {
                if *n == 0 {
                    return Err(RoundError::ZeroDots);
                }
                if let Some(cap) = settings.cap
                    && *n > cap
                {
                    return Err(RoundError::OverCap { cap });
                }
            }
            (Kind::FistToFive, Choice::Fist(n)) => {
                if *n > 5 {
                    return Err(RoundError::BadFist);
                }
            }
            (Kind::Poker, Choice::Card(label)) => {
                if settings.scale.card(label).is_none() {
                    return Err(RoundError::BadCard(label.clone()));
                }
            }
            (Kind::ImpactEffort, Choice::Score { impact, effort }) => {
                if !(1..=5).contains(impact) || !(1..=5).contains(effort) {
                    return Err(RoundError::BadScore);
                }
            }
            _ => return Err(RoundError::WrongChoice(kind.label(), what)),
        }
    }
    if kind == Kind::Dots {
        let used = dots_used(ballot);
        if used > u64::from(settings.budget) {
            return Err(RoundError::OverBudget {
                used,
                budget: settings.budget,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
