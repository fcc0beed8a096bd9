//! When our awareness state goes out: at most once per [`SEND_INTERVAL_MS`], and the latest
//! value always at the end of a window (trailing edge), so a cursor that stops moving is
//! shown where it stopped, not where it was 40 ms before. Pure (the caller passes the time
//! and owns the timer) so it is tested natively.
//!
//! A pointer moving at 120 Hz would otherwise send 120 frames a second to a room where the
//! server relays each to everyone; 20 Hz still looks live (the server coalesces at the same
//! rate, see README.md, "Wire protocol").

/// Shortest time between two sends of our state: 20 per second.
pub const SEND_INTERVAL_MS: f64 = 50.0;

/// Timers fire a little early now and then (clock granularity): a send this close to the
/// end of its window counts as on time rather than re-arming for a millisecond.
const SLACK_MS: f64 = 1.0;

/// What the caller does after telling the throttle something.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Send the current state now.
    Send,
    /// Arm a timer for this many milliseconds, then call [`Throttle::timer_fired`].
    Arm(f64),
    /// Nothing: a timer already armed will send the latest state.
    Wait,
}

#[derive(Debug, Default)]
pub struct Throttle {
    /// When the state last went out.
    last_sent: Option<f64>,
    /// A change not sent yet.
    pending: bool,
    /// A timer is armed and will call `timer_fired`.
    armed: bool,
}

impl Throttle {
    /// The state changed at `now` (ms): send it now if the window allows, else later.
    pub fn changed(&mut self, now: f64) -> Action {
        self.pending = true;
        if self.armed {
            return Action::Wait;
        }
        self.due(now)
    }

    /// The state changed in a way that must go out at once (selection, end of a drag).
    pub fn urgent(&mut self, now: f64) -> Action {
        self.sent(now)
    }

    /// The armed timer fired at `now`.
    pub fn timer_fired(&mut self, now: f64) -> Action {
        self.armed = false;
        if !self.pending {
            return Action::Wait;
        }
        self.due(now)
    }

    fn due(&mut self, now: f64) -> Action {
        let wait = match self.last_sent {
            Some(last) => SEND_INTERVAL_MS - (now - last),
            None => 0.0,
        };
        if wait <= SLACK_MS {
            self.sent(now)
        } else {
            self.armed = true;
            Action::Arm(wait)
        }
    }

    fn sent(&mut self, now: f64) -> Action {
        self.pending = false;
        self.last_sent = Some(now);
        Action::Send
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_change_goes_out_at_once() {
        let mut t = Throttle::default();
        assert_eq!(t.changed(1000.0), Action::Send);
    }

    #[test]
    fn changes_within_a_window_go_out_once_at_its_end() {
        let mut t = Throttle::default();
        assert_eq!(t.changed(0.0), Action::Send);
        assert_eq!(t.changed(10.0), Action::Arm(40.0));
        assert_eq!(t.changed(20.0), Action::Wait);
        assert_eq!(t.changed(49.0), Action::Wait);
        // The trailing send carries the latest state (the caller sends what it has now).
        assert_eq!(t.timer_fired(50.0), Action::Send);
        // Nothing changed since: the next change waits for the next window.
        assert_eq!(t.changed(60.0), Action::Arm(40.0));
    }

    #[test]
    fn a_timer_with_nothing_pending_sends_nothing() {
        let mut t = Throttle::default();
        assert_eq!(t.changed(0.0), Action::Send);
        assert_eq!(t.changed(10.0), Action::Arm(40.0));
        // A selection change went out meanwhile and carried the latest state.
        assert_eq!(t.urgent(20.0), Action::Send);
        assert_eq!(t.timer_fired(50.0), Action::Wait);
        assert_eq!(t.changed(100.0), Action::Send);
    }

    #[test]
    fn an_early_timer_rearms_for_the_rest_of_the_window() {
        let mut t = Throttle::default();
        assert_eq!(t.changed(0.0), Action::Send);
        assert_eq!(t.changed(10.0), Action::Arm(40.0));
        assert_eq!(t.urgent(30.0), Action::Send);
        assert_eq!(t.changed(40.0), Action::Wait);
        // The timer armed for the first window fires 20 ms after the urgent send.
        assert_eq!(t.timer_fired(50.0), Action::Arm(30.0));
        assert_eq!(t.timer_fired(80.0), Action::Send);
    }

    #[test]
    fn never_more_than_one_send_per_window() {
        let mut t = Throttle::default();
        let mut sends = Vec::new();
        let mut timer: Option<f64> = None;
        // A pointer at ~120 Hz for one second.
        for step in 0..120 {
            let now = step as f64 * 8.33;
            if let Some(at) = timer.filter(|at| *at <= now) {
                timer = None;
                match t.timer_fired(at) {
                    Action::Send => sends.push(at),
                    Action::Arm(ms) => timer = Some(at + ms),
                    Action::Wait => {}
                }
            }
            match t.changed(now) {
                Action::Send => sends.push(now),
                Action::Arm(ms) => timer = Some(now + ms),
                Action::Wait => {}
            }
        }
        assert!(
            sends
                .windows(2)
                .all(|w| w[1] - w[0] >= SEND_INTERVAL_MS - SLACK_MS)
        );
        assert!((19..=21).contains(&sends.len()), "{}", sends.len());
    }
}
