//! A workload (boards, participants per board, rates, duration, what happens during the
//! run) and the participants it makes.

use std::time::Duration;

use super::ledger::Ledger;
use super::participant::{Rates, Spec};
use super::replica::Apply;
use super::server::Server;

/// A workload: boards, participants per board, rates and duration.
#[derive(Debug, Clone)]
pub struct Workload {
    pub name: &'static str,
    pub title: &'static str,
    pub boards: usize,
    pub clients_per_board: usize,
    pub notes_per_board: usize,
    pub rates: Rates,
    pub duration: Duration,
    /// Participant 0 of board 0 sends nothing and reads this many bytes per second (W7).
    pub slow_reader: Option<u64>,
    /// Connects one participant per board, then the others, reading the server's memory
    /// after each wave (W3's memory per idle connection).
    pub idle_memory: bool,
    /// Every participant asks the server this often to confirm its edits durable (W6).
    pub save_every: Option<Duration>,
    /// Kills the server (SIGKILL) this long into the sending window and restarts it on the
    /// same data directory (W6, see [`restart`]).
    pub restart_after: Option<Duration>,
    /// Voters and a facilitator in the first board, voting while the run sends (the `vote`
    /// scenario, see [`vote`](super::vote)).
    pub vote: Option<super::vote::Plan>,
    /// A story map's backbone on every board, locked or not, and the participants as editors
    /// (the `locks` scenario, see [`locks`](super::locks)).
    pub locks: Option<super::locks::Plan>,
    /// Starts Huddle with `--test-clock` and moves its version clock an hour forward this
    /// often while the run sends, so the room takes hourly versions (`w8-versions`, see
    /// [`version_soak`](super::version_soak)).
    pub clock_every: Option<Duration>,
    /// When receivers integrate live updates (W2's big room: after the run).
    pub apply: Apply,
}

impl Workload {
    pub fn participants(&self) -> usize {
        self.boards * self.clients_per_board
    }

    pub fn specs(&self, server: &Server) -> Vec<Spec> {
        let per = self.clients_per_board;
        (0..self.participants())
            .map(|index| {
                let board = index / per;
                let slow = (index == 0).then_some(self.slow_reader).flatten();
                Spec {
                    index,
                    board: board_id(board),
                    path: server.ws_path(&board_id(board)),
                    // Spread: board k's first client (its owner) on node k, the rest in turn.
                    node: server.node_for(board + index % per),
                    framing: server.framing(&board_id(board)),
                    room: board * per..(board + 1) * per,
                    rates: match slow {
                        Some(_) => Rates {
                            moves: 0.0,
                            cursors: 0.0,
                            texts: 0.0,
                        },
                        None => self.rates,
                    },
                    slow_bytes_per_sec: slow,
                    save_every: self.save_every,
                    apply: self.apply,
                    window: self.duration,
                }
            })
            .collect()
    }
}

pub fn board_id(board: usize) -> String {
    format!("load-{board}")
}

/// Deliveries a complete run makes: every edit of every participant, to each other
/// participant of its board.
pub fn expected_deliveries(w: &Workload, ledger: &Ledger) -> u64 {
    (0..w.participants())
        .map(|p| ledger.edits_sent(p) as u64 * (w.clients_per_board as u64 - 1))
        .sum()
}
