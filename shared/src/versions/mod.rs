//! Version history: the plain values that describe a stored version of a board, when one is
//! due ([`schedule`]), which ones retention keeps ([`retention`]) and what changed between
//! two of them ([`summary`]). No I/O: the server stores versions and runs the clock; this
//! module only decides, so it is tested with simulated hours.
//!
//! # Layout
//!
//! - this file: [`VersionKind`], [`VersionHead`] (what a list of versions shows), the
//!   version's id;
//! - [`schedule`]: the hourly rule, as a pure function of times;
//! - [`retention`]: which versions pruning deletes;
//! - [`summary`]: items added, changed and removed between two snapshots.

use serde::{Deserialize, Serialize};

pub mod retention;
pub mod schedule;
pub mod summary;

pub use retention::{Retention, to_prune};
pub use schedule::{DEFAULT_INTERVAL_MS, hourly_due};
pub use summary::{Summary, summarize};

/// Longest name of a named version, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Why a version was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionKind {
    /// The room unloaded after the last person left (the end of a session).
    SessionEnd,
    /// At least hourly while people edit ([`schedule`]).
    Hourly,
    /// The board as it was just before a restore: restoring it undoes the restore.
    BeforeRestore,
    /// The board as it was just before an import into it.
    BeforeImport,
    /// Saved on demand, with a name.
    Named,
}

impl VersionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionKind::SessionEnd => "session-end",
            VersionKind::Hourly => "hourly",
            VersionKind::BeforeRestore => "before-restore",
            VersionKind::BeforeImport => "before-import",
            VersionKind::Named => "named",
        }
    }

    /// What a list shows for it.
    pub fn label(self) -> &'static str {
        match self {
            VersionKind::SessionEnd => "End of session",
            VersionKind::Hourly => "Hourly",
            VersionKind::BeforeRestore => "Before restore",
            VersionKind::BeforeImport => "Before import",
            VersionKind::Named => "Named",
        }
    }
}

/// Someone whose edits a version holds (since the version before it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The person's id (the server's, never the client's word).
    pub id: String,
    /// Their name when they last edited.
    pub name: String,
}

/// A stored version without its state: what the list of versions shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionHead {
    /// The version's id: the time it was taken (milliseconds since the Unix epoch), moved
    /// on by a millisecond or more when the board already has a version at that time.
    pub id: u64,
    /// When it was taken (milliseconds since the Unix epoch).
    pub at: u64,
    pub kind: VersionKind,
    /// The name given on "save a version" (named versions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who edited the board since the version before this one.
    pub authors: Vec<Author>,
    /// What changed since the version before this one (everything, for the first).
    pub summary: Summary,
    /// Items on the board in this version.
    pub items: u32,
    /// The state's size as an update, before compression, in bytes.
    pub state_bytes: u64,
    /// The state's size as stored (compressed), in bytes.
    pub stored_bytes: u64,
}

/// Checks and trims a version's name.
pub fn check_name(name: &str) -> Result<&str, NameError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    Ok(name)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NameError {
    #[error("a version needs a name")]
    Empty,
    #[error("a version's name is at most {MAX_NAME_CHARS} characters")]
    TooLong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            check_name("  Before the workshop "),
            Ok("Before the workshop")
        );
        assert_eq!(check_name("   "), Err(NameError::Empty));
        assert_eq!(check_name(&"x".repeat(101)), Err(NameError::TooLong));
        let json = serde_json::to_string(&VersionKind::BeforeRestore).expect("json");
        assert_eq!(json, "\"before-restore\"");
    }
}
