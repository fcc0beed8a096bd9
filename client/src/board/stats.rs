//! Frame timings for `huddle.frames()`: the benchmark reads time to first complete frame and
//! the frame-time distribution while panning and zooming.

use std::collections::VecDeque;

/// How many frame durations are kept (the benchmark's window).
const KEPT: usize = 1000;

#[derive(Debug, Default)]
pub struct FrameStats {
    pub count: u64,
    /// `performance.now()` when the first frame with every visible item drawn ended.
    pub first_complete_at: Option<f64>,
    /// How many items the scene held in that frame (from the document, or the board's first
    /// view before the document is synced): the benchmark checks it is the whole board.
    pub first_complete_items: usize,
    /// Durations (ms) of the last [`KEPT`] frames.
    pub times: VecDeque<f64>,
}

impl FrameStats {
    pub fn record(&mut self, duration: f64, complete: bool, end: f64, items: usize) {
        self.count += 1;
        if self.times.len() == KEPT {
            self.times.pop_front();
        }
        self.times.push_back(duration);
        if complete && self.first_complete_at.is_none() {
            self.first_complete_at = Some(end);
            self.first_complete_items = items;
        }
    }
}

/// `performance.now()`, or 0 where there is none (native tests).
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_thousand_and_the_first_complete() {
        let mut stats = FrameStats::default();
        stats.record(1.0, false, 10.0, 0);
        stats.record(2.0, true, 20.0, 2);
        stats.record(3.0, true, 30.0, 3);
        assert_eq!(stats.first_complete_at, Some(20.0));
        assert_eq!(stats.first_complete_items, 2);
        for _ in 0..2000 {
            stats.record(5.0, true, 40.0, 4);
        }
        assert_eq!(stats.times.len(), KEPT);
        assert_eq!(stats.count, 2003);
    }
}
