//! What each voter of the `vote` scenario casts, and when, without I/O: a seeded plan per
//! voter, so that a run can be repeated. Every ballot spends the whole budget (a dot vote
//! with no cap per item), and each later ballot moves one dot to another item, as a person
//! changing their mind does; the server replaces the whole ballot each time.

use std::time::Duration;

use huddle_shared::rounds::{Ballot, Choice};

/// When a voter casts, relative to when they learned that the round is open, for a sending
/// window of [`REFERENCE_WINDOW`]; shorter windows scale it down (see [`Timing::scaled`]).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The first ballot comes uniformly within this long: some click at once, some read first.
    pub first_within: Duration,
    /// Each later ballot comes this long after the previous one, uniformly between the two.
    pub gap: (Duration, Duration),
}

/// The window the default [`Timing`] is made for (W1's default 20 s): the casting is over by
/// about 12 s, the reveal follows, and W1 runs on with the voters present.
pub const REFERENCE_WINDOW: Duration = Duration::from_secs(20);

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            first_within: Duration::from_secs(6),
            gap: (Duration::from_millis(500), Duration::from_millis(2500)),
        }
    }
}

impl Timing {
    /// The default timing for a sending window of `window` (never stretched beyond it).
    pub fn scaled(window: Duration) -> Timing {
        let f = (window.as_secs_f64() / REFERENCE_WINDOW.as_secs_f64()).min(1.0);
        let d = Timing::default();
        Timing {
            first_within: d.first_within.mul_f64(f),
            gap: (d.gap.0.mul_f64(f), d.gap.1.mul_f64(f)),
        }
    }
}

/// One voter's casts: when (after learning of the round) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Casts {
    pub at: Vec<Duration>,
    pub ballots: Vec<Ballot>,
}

/// Voter `voter`'s `casts` ballots on `targets` with `budget` dots each.
pub fn plan(voter: usize, targets: &[String], budget: u32, casts: usize, timing: Timing) -> Casts {
    let mut rng = fastrand::Rng::with_seed(0xb0_11_07 ^ voter as u64);
    let mut at = Vec::with_capacity(casts);
    let mut ballots = Vec::with_capacity(casts);
    if targets.is_empty() || budget == 0 {
        return Casts { at, ballots };
    }
    // Where each dot sits: an index into `targets` per dot.
    let mut dots: Vec<usize> = (0..budget).map(|_| rng.usize(..targets.len())).collect();
    let mut when = timing.first_within.mul_f64(rng.f64());
    for k in 0..casts {
        if k > 0 {
            // Changing one's mind: one dot goes elsewhere.
            let moved = rng.usize(..dots.len());
            let from = dots[moved];
            if targets.len() > 1 {
                while dots[moved] == from {
                    dots[moved] = rng.usize(..targets.len());
                }
            }
            let (lo, hi) = timing.gap;
            when += lo + hi.saturating_sub(lo).mul_f64(rng.f64());
        }
        at.push(when);
        ballots.push(ballot_of(&dots, targets));
    }
    Casts { at, ballots }
}

fn ballot_of(dots: &[usize], targets: &[String]) -> Ballot {
    let mut ballot = Ballot::new();
    for &i in dots {
        let entry = ballot.entry(targets[i].clone()).or_insert(Choice::Dots(0));
        if let Choice::Dots(n) = entry {
            *n += 1;
        }
    }
    ballot
}

/// Dots in a ballot (what a revealed result's votes add up to, over every voter's last one).
pub fn dots(ballot: &Ballot) -> u64 {
    ballot
        .values()
        .map(|c| match c {
            Choice::Dots(n) => u64::from(*n),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use huddle_shared::rounds::{Kind, Settings, check_ballot};

    use super::*;

    fn targets(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("note-{i:03}")).collect()
    }

    #[test]
    fn every_ballot_spends_the_budget_and_passes_the_rules() {
        let targets = targets(100);
        let settings = Settings::new(Kind::Dots);
        for voter in 0..200 {
            let casts = plan(voter, &targets, 3, 3, Timing::default());
            assert_eq!(casts.ballots.len(), 3);
            for ballot in &casts.ballots {
                assert_eq!(dots(ballot), 3);
                assert_eq!(check_ballot(&settings, &targets, ballot), Ok(()));
            }
            // Each later ballot is a change of mind, not a repeat.
            assert_ne!(casts.ballots[0], casts.ballots[1]);
            assert_ne!(casts.ballots[1], casts.ballots[2]);
        }
        // A cap of one dot per item would refuse some of them: the check can fail.
        let capped = Settings {
            cap: Some(1),
            ..Settings::new(Kind::Dots)
        };
        let refused = (0..200)
            .flat_map(|v| plan(v, &targets, 3, 1, Timing::default()).ballots)
            .filter(|b| check_ballot(&capped, &targets, b).is_err())
            .count();
        assert!(refused > 0);
    }

    #[test]
    fn casts_come_in_order_within_the_timing_and_repeat_for_a_voter() {
        let targets = targets(100);
        let timing = Timing::default();
        let a = plan(7, &targets, 3, 3, timing);
        assert_eq!(a, plan(7, &targets, 3, 3, timing));
        assert_ne!(a, plan(8, &targets, 3, 3, timing));
        for voter in 0..200 {
            let at = plan(voter, &targets, 3, 3, timing).at;
            assert!(at[0] <= timing.first_within);
            for pair in at.windows(2) {
                let gap = pair[1] - pair[0];
                assert!(gap >= timing.gap.0 && gap <= timing.gap.1, "{gap:?}");
            }
        }
        let half = Timing::scaled(Duration::from_secs(10));
        assert_eq!(half.first_within, Duration::from_secs(3));
        assert_eq!(Timing::scaled(Duration::from_secs(60)).gap, timing.gap);
    }
}
