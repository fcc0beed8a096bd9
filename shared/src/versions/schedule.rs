//! When an hourly version is due: a pure function of times, so the rule is tested with
//! simulated hours and the server only asks it on its tick.
//!
//! The rule: a board with edits that no version holds gets a version once `interval` has
//! passed since its last version; but when its first edit that no version holds came more
//! than `interval` after that version (a quiet spell), the hour counts from that edit. So
//! while people edit, a version is taken every `interval`; a board nobody edits gets none;
//! and the first edit after a long quiet spell is not saved alone at once, but with the hour
//! of work that follows it. (The end of the session takes a version of whatever is left.)

/// Default time between hourly versions while people edit: an hour, in milliseconds.
pub const DEFAULT_INTERVAL_MS: u64 = 60 * 60 * 1000;

/// Whether an hourly version is due at `now`, given when the board's last version was taken
/// (`None`: it has none) and when the first edit that no version holds was made (`None`:
/// every edit is in a version). Times in milliseconds.
pub fn hourly_due(
    last_version_at: Option<u64>,
    unsaved_since: Option<u64>,
    now: u64,
    interval: u64,
) -> bool {
    let Some(unsaved_since) = unsaved_since else {
        return false;
    };
    let since = match last_version_at {
        Some(v) if unsaved_since.saturating_sub(v) <= interval => v,
        _ => unsaved_since,
    };
    now.saturating_sub(since) >= interval
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60 * 1000;
    const HOUR: u64 = 60 * MIN;

    /// Simulates a board edited at the given minutes, ticking every minute until `end`:
    /// the minutes at which hourly versions are taken.
    fn simulate(edits: &[u64], end: u64) -> Vec<u64> {
        let mut last_version = None;
        let mut unsaved = None;
        let mut taken = Vec::new();
        for minute in 0..=end {
            let now = minute * MIN;
            if edits.contains(&minute) && unsaved.is_none() {
                unsaved = Some(now);
            }
            if hourly_due(last_version, unsaved, now, HOUR) {
                taken.push(minute);
                last_version = Some(now);
                unsaved = None;
            }
        }
        taken
    }

    #[test]
    fn an_edit_every_ten_minutes_for_three_hours_gives_a_version_each_hour() {
        let edits: Vec<u64> = (0..180).step_by(10).collect();
        assert_eq!(simulate(&edits, 240), vec![60, 120, 180]);
    }

    #[test]
    fn nothing_is_due_without_edits() {
        assert!(!hourly_due(None, None, 10 * HOUR, HOUR));
        assert!(!hourly_due(Some(0), None, 10 * HOUR, HOUR));
        assert_eq!(simulate(&[], 600), Vec::<u64>::new());
    }

    #[test]
    fn a_first_edit_after_a_quiet_spell_waits_for_the_hour_after_it() {
        // Last version at 0, quiet for five hours, then edits from minute 300 on.
        assert!(!hourly_due(Some(0), Some(300 * MIN), 301 * MIN, HOUR));
        assert!(!hourly_due(Some(0), Some(300 * MIN), 359 * MIN, HOUR));
        assert!(hourly_due(Some(0), Some(300 * MIN), 360 * MIN, HOUR));
        assert_eq!(simulate(&[300, 330], 420), vec![360]);
    }

    #[test]
    fn a_recent_version_of_another_kind_postpones_the_hourly_one() {
        // A named version at minute 50 holds the edit of minute 10; an edit at 55.
        assert!(!hourly_due(Some(50 * MIN), Some(55 * MIN), 100 * MIN, HOUR));
        assert!(hourly_due(Some(50 * MIN), Some(55 * MIN), 110 * MIN, HOUR));
    }

    #[test]
    fn a_clock_that_goes_back_is_not_due() {
        assert!(!hourly_due(Some(5 * HOUR), Some(5 * HOUR), HOUR, HOUR));
    }
}
