//! The voters of the `vote` scenario (issue 12) as a group the driver adds to W1's room: 200
//! people, each with their own cookie and an editor link's key, and the facilitator (the
//! admin). [`Room::join`] connects them all before W1 starts sending; their tasks then follow
//! the run's phases by themselves (the facilitator opens the round shortly after the start,
//! the voters cast, the facilitator reveals), and [`Room::finish`] collects what they saw
//! once the run has stopped sending. The scenario and its report are in [`vote_report`].
//!
//! [`vote_report`]: super::vote_report

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::task::JoinHandle;

use super::ballots::Timing;
use super::facilitator::{self, FacilitatorOutcome, Script};
use super::participant::Shared;
use super::server::Server;
use super::voter::{self, Seat, VoteShared, VoterOutcome};

/// How long all voters may take to connect, sync and say Hello.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the vote's tasks may take to close once the run stops sending.
const FINISH_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the join looks at the counters.
const POLL: Duration = Duration::from_millis(20);

/// The vote a workload adds to its first board.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// People voting, each on their own connection (the 200).
    pub voters: usize,
    /// Notes the round is on (the 100).
    pub notes: usize,
    /// Dots per person (the default, 3).
    pub budget: u32,
    /// Ballots each voter casts (the first, then two changes of mind).
    pub casts: usize,
    /// Whether a round is opened at all: without, the voters and the facilitator are only
    /// present (a run that separates the cost of 200 more people in the room from the vote's).
    pub voting: bool,
}

/// What the voters and the facilitator saw in a run.
#[derive(Debug)]
pub struct Outcome {
    pub plan: Plan,
    pub voters: Vec<VoterOutcome>,
    pub facilitator: FacilitatorOutcome,
}

/// The vote's connections, joined and running.
pub struct Room {
    plan: Plan,
    voters: Vec<JoinHandle<VoterOutcome>>,
    facilitator: JoinHandle<FacilitatorOutcome>,
}

impl Room {
    /// Connects the facilitator and every voter to `board` and waits until all have synced
    /// and said Hello.
    pub async fn join(
        plan: Plan,
        window: Duration,
        server: &Server,
        board: &str,
        run: &Arc<Shared>,
    ) -> anyhow::Result<Room> {
        let key = editor_key(server, board).await?;
        let mut cookies = Vec::with_capacity(plan.voters);
        for _ in 0..plan.voters {
            cookies.push(new_person(server).await?);
        }
        let vote = Arc::new(VoteShared {
            run: run.clone(),
            ready: AtomicUsize::new(0),
            ended: AtomicUsize::new(0),
            casts_answered: AtomicUsize::new(0),
            budget: plan.budget,
            casts: plan.casts,
            timing: Timing::scaled(window),
        });
        let script = Script {
            notes: plan.notes,
            casts_total: plan.voters * plan.casts,
            voting: plan.voting,
            window,
        };
        let seat = Seat {
            addr: server.addr(),
            path: server.ws_path(board),
            cookie: None,
        };
        let facilitator = tokio::spawn(facilitator::run(seat, script, vote.clone()));
        let voters: Vec<_> = cookies
            .into_iter()
            .enumerate()
            .map(|(index, cookie)| {
                let seat = Seat {
                    addr: server.addr(),
                    path: format!("/ws/{board}?key={key}"),
                    cookie: Some(cookie),
                };
                tokio::spawn(voter::run(index, seat, vote.clone()))
            })
            .collect();
        let room = Room {
            plan,
            voters,
            facilitator,
        };
        let total = plan.voters + 1;
        let deadline = tokio::time::Instant::now() + JOIN_TIMEOUT;
        loop {
            let (ready, ended) = (vote.ready.load(Relaxed), vote.ended.load(Relaxed));
            if ended > 0 {
                return Err(room.failed(ended).await);
            }
            if ready == total {
                return Ok(room);
            }
            if tokio::time::Instant::now() > deadline {
                room.abort();
                bail!(
                    "timed out after {JOIN_TIMEOUT:?}: {ready} of the vote's {total} connections had synced and said Hello (does the server speak rounds, issue 12?)"
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Collects the outcomes, once the run has stopped sending (the tasks then close).
    pub async fn finish(self) -> anyhow::Result<Outcome> {
        let mut voters = Vec::with_capacity(self.voters.len());
        for task in self.voters {
            voters.push(
                tokio::time::timeout(FINISH_TIMEOUT, task)
                    .await
                    .context("a voter did not finish")?
                    .context("a voter's task failed")?,
            );
        }
        let facilitator = tokio::time::timeout(FINISH_TIMEOUT, self.facilitator)
            .await
            .context("the facilitator did not finish")?
            .context("the facilitator's task failed")?;
        Ok(Outcome {
            plan: self.plan,
            voters,
            facilitator,
        })
    }

    /// Why the join failed: the first error of a connection that ended.
    async fn failed(self, ended: usize) -> anyhow::Error {
        let Room {
            facilitator,
            voters,
            ..
        } = self;
        let mut first = None;
        if facilitator.is_finished() {
            if let Ok(f) = facilitator.await {
                first = f.error.or(f
                    .close
                    .map(|c| format!("the facilitator was closed: {c:?}")));
            }
        } else {
            facilitator.abort();
        }
        for task in voters {
            if first.is_none() && task.is_finished() {
                if let Ok(v) = task.await {
                    first = v
                        .error
                        .or(v.close.map(|c| format!("a voter was closed: {c:?}")));
                }
            } else {
                task.abort();
            }
        }
        anyhow::anyhow!(
            "{ended} of the vote's connections ended while joining; first: {}",
            first.unwrap_or_else(|| "(no message)".into())
        )
    }

    fn abort(self) {
        self.facilitator.abort();
        self.voters.iter().for_each(JoinHandle::abort);
    }
}

/// The key of `board`'s editor link, asked as the admin.
pub(super) async fn editor_key(server: &Server, board: &str) -> anyhow::Result<String> {
    let res =
        huddle_tests::http::get(server.addr(), &format!("/api/boards/{board}/access")).await?;
    if res.status != 200 {
        bail!(
            "GET /api/boards/{board}/access as the admin answered {}: {}",
            res.status,
            res.body
        );
    }
    let access = res.json()?;
    let link = access["links"]["editor"]
        .as_str()
        .with_context(|| format!("no editor link in {access}"))?;
    Ok(huddle_tests::visitor::key_of(link)?.to_owned())
}

/// A new person: the cookie the server issues on a first request (`Cookie` header value).
async fn new_person(server: &Server) -> anyhow::Result<String> {
    let res = huddle_tests::http::request_as(server.addr(), "GET", "/api/me", None, &[]).await?;
    let set = res.set_cookie().context("GET /api/me set no cookie")?;
    Ok(set.split(';').next().unwrap_or_default().trim().to_owned())
}
