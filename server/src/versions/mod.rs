//! Version history on the server: its flags, its clock, and taking a version (the state
//! compressed and stored with a summary of what changed, then retention applied).
//!
//! The rules (when an hourly version is due, which versions retention deletes, what changed)
//! are pure functions in [`huddle_shared::versions`]; the room asks them on its tick
//! (`room::versions`), the API lists, opens, restores and copies versions (`api::versions`).
//!
//! # Layout
//!
//! - this file: [`VersionArgs`] (flags), [`VersionConfig`], [`Clock`];
//! - [`capture`]: taking a version, on a blocking thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use clap::Args;
use huddle_shared::versions::{DEFAULT_INTERVAL_MS, Retention, retention::DEFAULT_KEEP_AUTO_DAYS};

pub mod capture;

/// Version history's flags (`huddle serve`).
#[derive(Debug, Clone, Args)]
pub struct VersionArgs {
    /// Minutes between automatic versions of a board while people edit it.
    #[arg(long, env = "HUDDLE_VERSION_EVERY_MINS", default_value_t = DEFAULT_INTERVAL_MS / 60_000)]
    pub version_every_mins: u64,

    /// Days automatic versions (end of session, hourly, before a restore) are kept; 0 keeps
    /// them forever. A board's newest version is always kept.
    #[arg(long, env = "HUDDLE_KEEP_VERSIONS_DAYS", default_value_t = DEFAULT_KEEP_AUTO_DAYS)]
    pub keep_versions_days: u64,

    /// Days named versions are kept; 0 (the default) keeps them forever.
    #[arg(long, env = "HUDDLE_KEEP_NAMED_VERSIONS_DAYS", default_value_t = 0)]
    pub keep_named_versions_days: u64,

    /// For tests only: lets `POST /api/test/clock` move the server's version clock forward,
    /// so that hours of editing can be simulated. Never on a real server.
    #[arg(long, env = "HUDDLE_TEST_CLOCK", hide = true)]
    pub test_clock: bool,
}

impl VersionArgs {
    pub fn config(&self) -> VersionConfig {
        let days = |d: u64| (d > 0).then_some(d);
        VersionConfig {
            interval_ms: self.version_every_mins.max(1) * 60_000,
            retention: Retention::days(
                days(self.keep_versions_days),
                days(self.keep_named_versions_days),
            ),
            clock: Clock::new(self.test_clock),
        }
    }
}

/// What rooms and the API need of version history.
#[derive(Debug, Clone)]
pub struct VersionConfig {
    /// Time between automatic versions while people edit, in milliseconds.
    pub interval_ms: u64,
    pub retention: Retention,
    pub clock: Clock,
}

impl Default for VersionConfig {
    fn default() -> Self {
        VersionConfig {
            interval_ms: DEFAULT_INTERVAL_MS,
            retention: Retention::default(),
            clock: Clock::new(false),
        }
    }
}

/// The time versions are taken and pruned by: the system's, plus an offset that only a test
/// server (`--test-clock`) lets a test move forward. One clock for all rooms.
#[derive(Debug, Clone)]
pub struct Clock {
    /// Milliseconds added to the system's time.
    offset: Arc<AtomicU64>,
    /// Whether the offset may be moved (`--test-clock`).
    settable: bool,
}

impl Clock {
    pub fn new(settable: bool) -> Clock {
        Clock {
            offset: Arc::default(),
            settable,
        }
    }

    /// Milliseconds since the Unix epoch, as versions see it.
    pub fn now_ms(&self) -> u64 {
        crate::store::now_ms().saturating_add(self.offset.load(SeqCst))
    }

    pub fn is_settable(&self) -> bool {
        self.settable
    }

    /// Moves the clock forward by `ms`; `false` if this is not a test server's clock.
    pub fn advance(&self, ms: u64) -> bool {
        if self.settable {
            self.offset.fetch_add(ms, SeqCst);
        }
        self.settable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_test_clock_moves() {
        let real = Clock::new(false);
        assert!(!real.advance(3_600_000));
        assert!(real.now_ms() < crate::store::now_ms() + 1000);
        let test = Clock::new(true);
        assert!(test.advance(3_600_000));
        assert!(test.now_ms() >= crate::store::now_ms() + 3_600_000);
    }
}
