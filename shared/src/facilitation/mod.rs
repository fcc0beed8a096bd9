//! Facilitation: who runs the session, its agenda and shared timer, private writing, locks
//! and the contribution balance, as plain values and rules (no I/O).
//!
//! The room on the server holds this state, checks every command against it and writes what
//! everyone may see (the facilitator, the history, the agenda, the timer, whether private
//! writing is on, the locks) into the document's `facilitation` and `locks` maps, so it syncs,
//! exports and works offline like everything else. Private notes and the contribution balance
//! are not in the document: they travel as [`protocol::Event`]s, each to whom it belongs.
//!
//! Times are milliseconds since the Unix epoch on the *server's* clock; a page learns the
//! offset to its own clock from [`protocol::Event::Clock`], so everyone sees the same remaining
//! time whatever their clock says.
//!
//! # Layout
//!
//! - this file: the facilitator and its history ([`Turn`], [`rotate_pick`]), the agenda
//!   ([`Agenda`], [`Step`], [`StepKind`]), the [`Timer`], [`PrivateWriting`] and
//!   [`PrivateNote`], [`Lock`], [`Contribution`], and the limits;
//! - `protocol`: the messages ([`protocol::Request`], [`protocol::Command`],
//!   [`protocol::Event`]), JSON inside Huddle's custom message, kinds 4 and 5.

pub mod protocol;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::rounds::{Scope, Settings};

pub use protocol::{Command, Event, ProtocolError, Request};

/// Most steps in an agenda: a refinement session has a handful; 30 leaves room for a day.
pub const MAX_STEPS: usize = 30;
/// Longest timebox of a step or timer, in minutes: a working day.
pub const MAX_MINUTES: u32 = 8 * 60;
/// Longest step title or timer label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// Longest private note text, in characters (a sticky note, not an essay).
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Most private notes one person may hold in one private-writing session.
pub const MAX_PRIVATE_NOTES: usize = 200;
/// Most items one lock command names (a whole story map's backbone fits).
pub const MAX_LOCK_ITEMS: usize = 2_000;
/// Turns kept in the history written into the document (older ones stay in the store).
pub const HISTORY_IN_DOC: usize = 200;
/// Longest extension of a running timer in one command, in seconds (an hour).
pub const MAX_EXTEND_SECS: u32 = 3_600;
/// Default window of the contribution balance without a running agenda: the last hour.
pub const BALANCE_WINDOW_MS: u64 = 60 * 60 * 1000;

/// A person as facilitation names them: their id (the server's) and the name shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

/// One person's time as facilitator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub person: String,
    pub name: String,
    /// When they took the role.
    pub from: u64,
    /// When they handed it on (`None`: they still hold it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u64>,
}

/// Whom "Rotate" hands the role to: of the `present` people (id, name), not the current
/// facilitator, the one who facilitated least recently (never is least recent of all); ties
/// by name, then id, so every replica and every test agrees.
pub fn rotate_pick<'a>(
    present: &'a [PersonRef],
    history: &[Turn],
    current: Option<&str>,
) -> Option<&'a PersonRef> {
    let last_turn = |id: &str| {
        history
            .iter()
            .filter(|t| t.person == id)
            .map(|t| t.to.unwrap_or(u64::MAX).max(t.from))
            .max()
    };
    present
        .iter()
        .filter(|p| Some(p.id.as_str()) != current)
        .min_by(|a, b| {
            (last_turn(&a.id), a.name.to_lowercase(), &a.id).cmp(&(
                last_turn(&b.id),
                b.name.to_lowercase(),
                &b.id,
            ))
        })
}

/// What a step of the agenda is for, and what starting it arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Turns private writing on; leaving the step publishes everyone's notes.
    WritePrivately,
    /// Sort and cluster the notes (nothing armed).
    Cluster,
    /// Opens a dot vote on the step's targets; leaving the step reveals it if still open.
    DotVote,
    /// Talk (nothing armed).
    Discuss,
    /// Opens a planning-poker round on the step's targets; leaving the step reveals it.
    Estimate,
    /// Record decisions in the decision log (nothing armed).
    Decide,
    /// Anything else (nothing armed).
    Free,
}

impl StepKind {
    pub const ALL: [StepKind; 7] = [
        StepKind::WritePrivately,
        StepKind::Cluster,
        StepKind::DotVote,
        StepKind::Discuss,
        StepKind::Estimate,
        StepKind::Decide,
        StepKind::Free,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StepKind::WritePrivately => "Write privately",
            StepKind::Cluster => "Sort and cluster",
            StepKind::DotVote => "Dot vote",
            StepKind::Discuss => "Discuss",
            StepKind::Estimate => "Estimate",
            StepKind::Decide => "Decide",
            StepKind::Free => "Free",
        }
    }

    /// The round a step of this kind opens when it starts, if any.
    pub fn round_kind(self) -> Option<crate::rounds::Kind> {
        match self {
            StepKind::DotVote => Some(crate::rounds::Kind::Dots),
            StepKind::Estimate => Some(crate::rounds::Kind::Poker),
            _ => None,
        }
    }
}

/// One timeboxed step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    #[serde(default)]
    pub title: String,
    /// The timebox, 1 to [`MAX_MINUTES`].
    pub minutes: u32,
    /// Vote and estimate steps: the items the round is on (empty: every note, or every
    /// story for an estimate, on the board when the step starts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    #[serde(default)]
    pub scope: Scope,
    /// Vote and estimate steps: the round's settings (default: 3 dots each; Fibonacci).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

impl Step {
    /// Why the step cannot be on an agenda, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.minutes == 0 || self.minutes > MAX_MINUTES {
            return Err(format!(
                "a step lasts 1 to {MAX_MINUTES} minutes, not {}",
                self.minutes
            ));
        }
        if self.title.chars().count() > MAX_LABEL_CHARS {
            return Err(format!(
                "a step's title has at most {MAX_LABEL_CHARS} characters"
            ));
        }
        if self.targets.len() > crate::rounds::MAX_TARGETS {
            return Err(format!(
                "a step names at most {} items",
                crate::rounds::MAX_TARGETS
            ));
        }
        Ok(())
    }

    /// The title shown: the step's own, or its kind's label.
    pub fn shown_title(&self) -> &str {
        if self.title.trim().is_empty() {
            self.kind.label()
        } else {
            &self.title
        }
    }
}

/// The facilitator's plan for the session, and where it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Agenda {
    pub steps: Vec<Step>,
    /// The running step (`None`: not started, or finished).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<usize>,
    /// When the first step started: the contribution balance counts from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// The round the running step opened, if any (revealed when the step ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
}

/// The server's countdown: running (with an end on the server's clock) or paused (with what
/// is left). It never ends anything by itself: at zero it shows "time is up" (and plays the
/// sound, if asked) and the facilitator moves on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    #[serde(default)]
    pub label: String,
    /// The timebox as set, extensions included (for the progress ring).
    pub total_ms: u64,
    /// Running: when it reaches zero. `None`: paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<u64>,
    /// Paused: what is left.
    #[serde(default)]
    pub left_ms: u64,
    /// Play a sound at zero.
    #[serde(default)]
    pub sound: bool,
    /// Bumped on every change, so a page notices a restart with the same end.
    #[serde(default)]
    pub version: u64,
}

impl Timer {
    /// Times saturate rather than overflow: a clock or length near `u64::MAX` is nonsense,
    /// but it must not take the room down.
    pub fn start(label: String, secs: u64, sound: bool, now: u64) -> Timer {
        let ms = secs.saturating_mul(1000);
        Timer {
            label,
            total_ms: ms,
            ends_at: Some(now.saturating_add(ms)),
            left_ms: ms,
            sound,
            version: 1,
        }
    }

    pub fn running(&self) -> bool {
        self.ends_at.is_some()
    }

    /// Milliseconds left at `now` (server time); 0 once it ran out.
    pub fn left(&self, now: u64) -> u64 {
        match self.ends_at {
            Some(end) => end.saturating_sub(now),
            None => self.left_ms,
        }
    }

    pub fn pause(&mut self, now: u64) {
        if let Some(end) = self.ends_at.take() {
            self.left_ms = end.saturating_sub(now);
            self.version = self.version.wrapping_add(1);
        }
    }

    pub fn resume(&mut self, now: u64) {
        if self.ends_at.is_none() {
            self.ends_at = Some(now.saturating_add(self.left_ms));
            self.version = self.version.wrapping_add(1);
        }
    }

    /// Adds `secs` (to a timer that ran out, too: it runs again).
    pub fn extend(&mut self, secs: u64, now: u64) {
        let add = secs.saturating_mul(1000);
        self.total_ms = self.total_ms.saturating_add(add);
        match &mut self.ends_at {
            Some(end) => *end = (*end).max(now).saturating_add(add),
            None => self.left_ms = self.left_ms.saturating_add(add),
        }
        self.version = self.version.wrapping_add(1);
    }
}

/// Private writing is on: notes written now are their author's alone until it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateWriting {
    /// Identifies this session of private writing (a note written offline in an earlier one
    /// is published when its author comes back).
    pub session: String,
    pub since: u64,
}

/// A note written during private writing: held by the server, sent only to its author, and
/// written into the document, where its author put it, when private writing ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateNote {
    /// The item id it gets on the board (random, made by the page).
    pub id: String,
    pub pos: [f64; 2],
    #[serde(default = "default_note_size")]
    pub size: [f64; 2],
    #[serde(default)]
    pub color: String,
    #[serde(default)]
    pub text: String,
    /// The private-writing session it was written in.
    #[serde(default)]
    pub session: String,
}

fn default_note_size() -> [f64; 2] {
    [160.0, 120.0]
}

impl PrivateNote {
    /// Why the note cannot be kept, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.id.is_empty() || self.id.len() > crate::rounds::MAX_ID_CHARS {
            return Err("a note id is 1 to 64 characters".into());
        }
        if self.text.chars().count() > MAX_NOTE_CHARS {
            return Err(format!("a note holds at most {MAX_NOTE_CHARS} characters"));
        }
        let finite = self.pos.iter().chain(&self.size).all(|v| v.is_finite());
        let sane = self.size.iter().all(|v| (1.0..=10_000.0).contains(v))
            && self.pos.iter().all(|v| v.abs() <= 1e7);
        if !finite || !sane {
            return Err("a note's position or size is out of range".into());
        }
        if self.color.len() > 32 {
            return Err("a note's colour is a short name".into());
        }
        Ok(())
    }
}

/// A lock on an item: who set it and whether stories may still be placed into it (a map).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// Name of who locked it, for the tooltip.
    pub by: String,
    pub at: u64,
    /// A story map locked for placement: no story may be placed into or taken out of it.
    #[serde(default)]
    pub placement: bool,
}

/// What one person did in the session, counted by the server from what it received from
/// their connections (never from what a page says about itself).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contribution {
    pub person: String,
    pub name: String,
    /// Notes (and stories) they created.
    pub notes: u32,
    /// Words in the notes they created, as the notes read now.
    pub words: u32,
    /// Updates of theirs the server applied.
    pub edits: u32,
    /// Ballots cast (each change of mind counts once more).
    pub ballots: u32,
    /// Dissent written.
    pub dissent: u32,
    /// Comments written: threads started and replies.
    pub comments: u32,
    /// In the room now.
    pub present: bool,
}

impl Contribution {
    /// One number for "how much did they say", for ranking the quiet ones first.
    pub fn weight(&self) -> u64 {
        u64::from(self.notes) * 3
            + u64::from(self.words)
            + u64::from(self.edits)
            + u64::from(self.ballots) * 2
            + u64::from(self.dissent) * 3
            + u64::from(self.comments) * 2
    }
}

/// Quiet ones first (least contribution), ties by name then id.
pub fn rank_quiet(people: &mut [Contribution]) {
    crate::sort::sort_by(people, |a, b| {
        (a.weight(), a.name.to_lowercase(), &a.person).cmp(&(
            b.weight(),
            b.name.to_lowercase(),
            &b.person,
        ))
    });
}

/// Words in `text`: runs of characters between whitespace.
pub fn words(text: &str) -> u32 {
    text.split_whitespace().count() as u32
}

/// Everything about facilitation that everyone may see: written by the server into the
/// document's `facilitation` map (one JSON value per field, each replaced whole).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Public {
    /// `None`: nobody was handed the role yet, so the board's owners facilitate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilitator: Option<PersonRef>,
    /// Who facilitated, from when to when, oldest first (the latest [`HISTORY_IN_DOC`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Turn>,
    #[serde(default)]
    pub agenda: Agenda,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<Timer>,
    /// `Some` while private writing is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<PrivateWriting>,
    /// The facilitator shows the contribution balance to everyone.
    #[serde(default)]
    pub balance_public: bool,
}

impl Public {
    pub fn is_default(&self) -> bool {
        *self == Public::default()
    }
}
