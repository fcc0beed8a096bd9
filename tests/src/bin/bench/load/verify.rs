//! The checks that make a run fail loudly: every edit reached every other participant of its
//! board, in order, none skipped; nobody was closed who should not have been; all replicas of a
//! board are identical, and identical to a fresh client that joins afterwards (which also
//! checks the server's copy). Slow-reader closes (W7) are expected and only reported.

use std::sync::Arc;

use huddle_shared::model::BoardSnapshot;
use huddle_tests::client::Client;
use yrs::Transact;

use super::driver::{Workload, board_id, expected_deliveries};
use super::options::ServerKind;
use super::participant::{Outcome, Shared};
use super::server::Server;

/// Failure messages printed per kind; the rest are counted.
const MAX_LISTED: usize = 10;
/// y-websocket only: how long a late joiner may take to receive the stored board after its
/// sync step 2 (see below).
const LATE_JOIN_CONVERGE: std::time::Duration = std::time::Duration::from_secs(5);
/// ... and all late joiners of a run together: a server that lost updates never converges,
/// and waiting the full time on each of W3's 1,000 boards would take over an hour.
const LATE_JOIN_CONVERGE_TOTAL: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a late joiner may take in all (connecting included): a saturated server still
/// working through a backlog (y-sweet in W5 takes many minutes) is a finding, not a reason
/// for the run to hang.
const LATE_JOIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// What the checks found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub failures: Vec<String>,
    /// Deliveries a complete run makes, and those that happened.
    pub expected: u64,
    pub delivered: u64,
    /// Server's count of connections it closed as too slow.
    pub slow_closed: f64,
}

impl Verdict {
    pub fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Collects messages of one kind, listing the first few.
struct Listed<'a> {
    verdict: &'a mut Verdict,
    kind: &'static str,
    count: usize,
}

impl Listed<'_> {
    fn push(&mut self, message: String) {
        self.count += 1;
        if self.count <= MAX_LISTED {
            self.verdict.fail(message);
        }
    }
}

impl Drop for Listed<'_> {
    fn drop(&mut self) {
        if self.count > MAX_LISTED {
            let more = self.count - MAX_LISTED;
            self.verdict
                .fail(format!("... and {more} more {}", self.kind));
        }
    }
}

pub async fn check(
    w: &Workload,
    server: &Server,
    outcomes: &[Outcome],
    shared: &Arc<Shared>,
) -> Verdict {
    let ledger = &shared.ledger;
    let mut verdict = Verdict {
        expected: expected_deliveries(w, ledger),
        ..Verdict::default()
    };

    // Every edit everywhere, counted per (receiver, sender).
    let mut missing = Listed {
        verdict: &mut verdict,
        kind: "(receiver, sender) pairs with missing edits",
        count: 0,
    };
    let mut delivered = 0;
    for o in outcomes {
        for (member, &held) in o.replica.held.iter().enumerate() {
            let sender = o.spec.room.start + member;
            if sender == o.spec.index {
                continue;
            }
            let sent = ledger.edits_sent(sender);
            delivered += held.min(sent) as u64;
            if held < sent {
                missing.push(format!(
                    "MISSING: participant {} (board {}) holds {held} of the {sent} edits participant {sender} sent",
                    o.spec.index, o.spec.board
                ));
            }
        }
    }
    drop(missing);
    verdict.delivered = delivered;

    // Errors the participants saw, and closes nobody asked for.
    let mut errors = Listed {
        verdict: &mut verdict,
        kind: "errors",
        count: 0,
    };
    for o in outcomes {
        for e in &o.stats().errors {
            errors.push(format!("ERROR: {e}"));
        }
        let unlisted = o.stats().error_count - o.stats().errors.len() as u64;
        if unlisted > 0 {
            errors.push(format!(
                "ERROR: participant {} had {unlisted} more errors",
                o.spec.index
            ));
        }
        // A slow reader's close (W7) and the closes of a killed server (W6) are expected.
        if o.spec.slow_bytes_per_sec.is_none() && w.restart_after.is_none() {
            for (close, _) in &o.closes {
                errors.push(format!(
                    "CLOSED: participant {} was disconnected: {} {:?}",
                    o.spec.index, close.code, close.reason
                ));
            }
        }
        if o.replica.has_missing_updates() {
            errors.push(format!(
                "PENDING: participant {} holds updates it cannot integrate (something before them never arrived)",
                o.spec.index
            ));
        }
    }
    drop(errors);

    // Identical replicas, and a fresh client agrees with them.
    let mut differ = Listed {
        verdict: &mut verdict,
        kind: "differing replicas",
        count: 0,
    };
    let mut converge_budget = LATE_JOIN_CONVERGE_TOTAL;
    for board in 0..w.boards {
        let room = &outcomes[board * w.clients_per_board..(board + 1) * w.clients_per_board];
        let reference = snapshot(&room[0]);
        for o in &room[1..] {
            if snapshot(o) != reference {
                differ.push(format!(
                    "DIFFERENT: participant {} and participant {} of board {} ended with different boards",
                    room[0].spec.index,
                    o.spec.index,
                    board_id(board)
                ));
            }
        }
        if server.kind() == ServerKind::Hocuspocus {
            // In memory, Hocuspocus drops a document when its last connection leaves: a
            // late joiner would find it empty whatever happened before. Not checked.
            continue;
        }
        let url = server.ws_url(&board_id(board));
        let joined = tokio::time::timeout(LATE_JOIN_TIMEOUT, Client::join(&url)).await;
        let joined = joined.unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "no initial sync within {LATE_JOIN_TIMEOUT:?} (the server was still busy)"
            ))
        });
        match joined {
            Ok(fresh) => {
                // y-websocket answers a first client's step 1 before it has read the board
                // from LevelDB and sends the stored board afterwards as an update: there the
                // late joiner may wait for it (server-neutral: until it converges).
                if !server.kind().is_huddle() {
                    let started = std::time::Instant::now();
                    let deadline = started + LATE_JOIN_CONVERGE.min(converge_budget);
                    while fresh.snapshot() != reference && std::time::Instant::now() < deadline {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    converge_budget = converge_budget.saturating_sub(started.elapsed());
                }
                if fresh.snapshot() != reference {
                    differ.push(format!(
                        "DIFFERENT: a client joining {} afterwards got a board different from the participants'",
                        board_id(board)
                    ));
                }
                fresh.close().await;
            }
            Err(e) => differ.push(format!(
                "a fresh client could not join {}: {e:#}",
                board_id(board)
            )),
        }
    }
    drop(differ);

    verdict.slow_closed = if server.kind().is_huddle() {
        huddle_tests::http::metric(server.addr(), "huddle_slow_connections_closed_total")
            .await
            .unwrap_or(f64::NAN)
    } else {
        f64::NAN // y-websocket has no metrics
    };
    if w.slow_reader.is_none() && verdict.slow_closed > 0.0 {
        verdict.fail(format!(
            "the server closed {} connection(s) as too slow in a run without a slow reader",
            verdict.slow_closed
        ));
    }
    verdict
}

fn snapshot(o: &Outcome) -> BoardSnapshot {
    let board = &o.replica.board;
    board.snapshot(&board.doc().transact())
}
