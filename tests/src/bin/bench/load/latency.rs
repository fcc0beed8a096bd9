//! Latency samples and their summary (p50, p95, p99, max).
//!
//! Every sample is kept (microseconds as `u32`): a 20-second W1 run holds about half a million,
//! 2 MB, so exact percentiles cost less than a histogram crate would add to the build.

/// Summary of one set of latency samples, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Summary {
    /// Sorts `samples_us` in place and summarises them.
    pub fn of(samples_us: &mut [u32]) -> Summary {
        if samples_us.is_empty() {
            return Summary::default();
        }
        samples_us.sort_unstable();
        let at = |p: f64| {
            let rank = ((p / 100.0) * samples_us.len() as f64).ceil().max(1.0) as usize;
            f64::from(samples_us[rank.min(samples_us.len()) - 1]) / 1000.0
        };
        Summary {
            count: samples_us.len(),
            p50: at(50.0),
            p95: at(95.0),
            p99: at(99.0),
            max: at(100.0),
        }
    }

    /// `| count | p50 | p95 | p99 | max |` cells of a markdown row.
    pub fn cells(&self) -> String {
        format!(
            "{} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms",
            self.count, self.p50, self.p95, self.p99, self.max
        )
    }
}

/// Microseconds between two ledger times, saturating (a sample never wraps or goes negative).
pub fn micros_between(sent_ns: u64, received_ns: u64) -> u32 {
    u32::try_from(received_ns.saturating_sub(sent_ns) / 1000).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        let s = Summary::of(&mut samples);
        assert_eq!(
            (s.count, s.p50, s.p95, s.p99, s.max),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
    }
}
