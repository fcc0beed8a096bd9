//! [`Facilitation`]: what the page knows about facilitation. The public state as the
//! document holds it (re-read when the server rewrites the `facilitation` or `locks` map),
//! the requests in flight (so a refusal names what was refused), the server's clock offset
//! and the contribution balance when the server shows it to this person.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use huddle_shared::facilitation::{Command, Contribution, Lock, Public};
use huddle_shared::model::Board;
use huddle_shared::yrs::DeepObservable;

/// Key of our observers on the document's `facilitation` and `locks` maps.
const OBSERVER_KEY: &str = "huddle-facilitation";

/// Everything the page knows about facilitation.
pub struct Facilitation {
    /// Facilitator, history, agenda, timer, private writing, balance shared: the document's.
    pub public: Public,
    /// Locked items, by id (the document's).
    pub locks: BTreeMap<String, Lock>,
    /// Requests not answered yet, by number: what each asked, for the refusal notice.
    pub pending: HashMap<u64, &'static str>,
    /// When (`Date.now()` ms) the current connection said `Hello`: the clock offset is taken
    /// against the middle of that round trip.
    pub(super) hello_at: Option<f64>,
    /// The server's clock minus this browser's, in ms (0 until the server said its clock).
    pub offset_ms: f64,
    /// Whether the server's clock was heard on this page at all.
    pub clock_known: bool,
    /// The contribution balance as last sent to this person: since when, quiet ones first.
    pub balance: Option<(u64, Vec<Contribution>)>,
    /// The document's maps changed since the last read.
    pub(super) stale: Arc<AtomicBool>,
    /// The panel and the timer badge, once built.
    pub(super) ui: Option<super::panel::Ui>,
    /// The timer version that already rang (the sound plays once per run out).
    pub(super) rang: Option<u64>,
    /// The facilitator's agenda draft (steps being edited, not sent yet); `None`: shows the
    /// document's agenda.
    pub(super) draft: Option<Vec<huddle_shared::facilitation::Step>>,
    /// Bumped when the draft's shape changes (a step added, removed or moved): the editor is
    /// rebuilt then, and not while someone types into it.
    pub(super) draft_version: u64,
    /// This person's private notes (see `super::private`).
    pub(super) private: super::private::Private,
}

impl Facilitation {
    /// Starts watching the board's facilitation and locks maps.
    pub fn observe(board: &Board) -> Facilitation {
        let stale = Arc::new(AtomicBool::new(true));
        for root in board.facilitation_roots() {
            let flag = stale.clone();
            root.observe_deep(OBSERVER_KEY, move |_, _| {
                flag.store(true, Ordering::Relaxed)
            });
        }
        Facilitation {
            public: Public::default(),
            locks: BTreeMap::new(),
            pending: HashMap::new(),
            hello_at: None,
            offset_ms: 0.0,
            clock_known: false,
            balance: None,
            stale,
            ui: None,
            rang: None,
            draft: None,
            draft_version: 0,
            private: Default::default(),
        }
    }

    /// The server's clock now, in ms since the epoch, from this browser's `local_now`.
    pub fn server_now(&self, local_now: f64) -> u64 {
        (local_now + self.offset_ms).max(0.0) as u64
    }

    /// Takes in the server's clock `server_now`, said in answer to the hello sent at
    /// `hello_at` and received at `received_at` (both this browser's ms): the offset is taken
    /// against the middle of the round trip, so half the latency cancels out.
    pub fn clock(&mut self, server_now: u64, received_at: f64) {
        let sent = self.hello_at.unwrap_or(received_at).min(received_at);
        self.offset_ms = server_now as f64 - (sent + received_at) / 2.0;
        self.clock_known = true;
    }
}

/// What a command is called in a refusal notice.
pub fn what(cmd: &Command) -> &'static str {
    match cmd {
        Command::Hello => "Facilitation",
        Command::Hand { .. } | Command::Rotate | Command::Claim => "The facilitator role",
        Command::AgendaSet { .. }
        | Command::AgendaStart { .. }
        | Command::AgendaNext
        | Command::AgendaStop => "The agenda",
        Command::TimerStart { .. }
        | Command::TimerPause
        | Command::TimerResume
        | Command::TimerExtend { .. }
        | Command::TimerEnd => "The timer",
        Command::PrivateStart
        | Command::PrivateEnd
        | Command::PrivatePut { .. }
        | Command::PrivateDelete { .. } => "Private writing",
        Command::Lock { .. } | Command::Unlock { .. } => "Locking",
        Command::ShareBalance { .. } => "The contribution balance",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_is_taken_against_the_middle_of_the_round_trip() {
        let board = Board::with_client_id(1);
        let mut f = Facilitation::observe(&board);
        f.hello_at = Some(1_000.0);
        // The server said 10_000 when our clock said 1_100 on the way back: 1_050 is the
        // middle, so the server is 8_950 ms ahead.
        f.clock(10_000, 1_100.0);
        assert_eq!(f.offset_ms, 8_950.0);
        assert_eq!(f.server_now(2_000.0), 10_950);
        // A clock without a hello (a server's own push) counts its receipt time.
        f.hello_at = None;
        f.clock(5_000, 6_000.0);
        assert_eq!(f.offset_ms, -1_000.0);
        assert_eq!(f.server_now(500.0), 0, "never before the epoch");
    }
}
