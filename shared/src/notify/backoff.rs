//! When a failed delivery is tried again: after `base`, then twice as long each time, never
//! longer than `cap`, and at most [`Backoff::attempts`] tries in all. With the defaults (10 s,
//! doubling, capped at 10 minutes, 8 tries) a receiver may be down about 20 minutes and still
//! get everything; after that the delivery is marked failed in the owner's log.
//!
//! A receiver's answer decides whether to try again: network errors, timeouts, 408, 429 and
//! 5xx are passing troubles; any other 4xx means the URL or the body is wrong, and asking
//! again would not change it.

use std::time::Duration;

/// The retry schedule of webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait before the second try.
    pub base: Duration,
    /// Longest wait between two tries.
    pub cap: Duration,
    /// Tries in all, the first included.
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(600),
            attempts: 8,
        }
    }
}

impl Backoff {
    /// The wait after try number `done` (1 for the first) failed, or `None` if that was the
    /// last try.
    pub fn after(&self, done: u32) -> Option<Duration> {
        if done == 0 || done >= self.attempts {
            return None;
        }
        let factor = 1u32.checked_shl(done - 1).unwrap_or(u32::MAX);
        Some(self.base.saturating_mul(factor).min(self.cap))
    }

    /// All the waits, in order (one fewer than the attempts).
    pub fn waits(&self) -> Vec<Duration> {
        (1..self.attempts).filter_map(|n| self.after(n)).collect()
    }
}

/// Whether an HTTP status from a receiver is worth another try.
pub fn retry_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..=599).contains(&status)
}
