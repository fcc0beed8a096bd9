//! One voter of the `vote` scenario: a person (their own cookie, an editor link's key) on a
//! lean connection in W1's room. It syncs without keeping the board (200 copies of a
//! 1,000-note board, each integrating W1's 500 moves a second, would make the generator the
//! bottleneck), says Hello, and when the round opens casts its planned ballots, timing each
//! one's acknowledgement. It reads everything the server sends, as a browser must, and looks
//! for the one update that matters: the server's write of the result into the board's
//! `rounds` map, which is what people see at the reveal.
//!
//! [`RoundConn`] is the part the facilitator shares: the handshake, the frame reading that
//! skips W1's moves and cursors by their headers, requests with their numbers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use huddle_shared::model::Board;
use huddle_shared::rounds::{Command, Event, Request, RoundResult, Status};
use huddle_shared::wire::{self, HuddleMessage, Message};
use tokio::time::Instant;
use yrs::{ReadTxn, StateVector, Transact};

use super::ballots::{self, Casts, Timing};
use super::conn::{self, Close, Framing, Incoming, Ws};
use super::latency::micros_between;
use super::light::{self, Light};
use super::participant::{Phase, Shared};

/// How long a polite close may take before the socket is simply dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// What the vote's tasks share, beside W1's [`Shared`] (its clock, its phases).
pub struct VoteShared {
    pub run: Arc<Shared>,
    /// Connections through their sync and Hello (or given up: see `ended`).
    pub ready: AtomicUsize,
    /// Connections that ended before the run did (a close, a failure).
    pub ended: AtomicUsize,
    /// Casts answered (acknowledged or refused), over all voters: the facilitator reveals
    /// once every cast is answered.
    pub casts_answered: AtomicUsize,
    pub budget: u32,
    pub casts: usize,
    pub timing: Timing,
}

/// Where a voter connects, as whom.
#[derive(Debug, Clone)]
pub struct Seat {
    pub addr: SocketAddr,
    /// `/ws/BOARD?key=KEY`: an editor link's key for a voter, the admin key for the facilitator.
    pub path: String,
    /// `huddle_person=...`: each voter is their own person (none for the facilitator).
    pub cookie: Option<String>,
}

/// What one voter saw, in ledger time.
#[derive(Debug, Default)]
pub struct VoterOutcome {
    /// Cast -> its Ack, per cast (µs).
    pub ack_us: Vec<u32>,
    pub refused: Vec<String>,
    /// When the server's view of the open round arrived (its bar appears): the voter starts
    /// casting from then.
    pub view_at_ns: Option<u64>,
    /// When the update carrying the result in the `rounds` map arrived.
    pub result_at_ns: Option<u64>,
    /// When the `Closed` event arrived.
    pub closed_at_ns: Option<u64>,
    /// Dots in the last ballot this voter cast and had acknowledged.
    pub last_dots: u64,
    pub progress_events: u64,
    pub close: Option<Close>,
    pub error: Option<String>,
}

/// What reading one frame gave a voter or the facilitator.
pub enum Seen {
    /// The server's sync step 1: answer it ([`RoundConn::answer_step1`]).
    Step1,
    /// The server's sync step 2 (the board as it has it).
    Synced(Vec<u8>),
    /// Boxed: a round's view is large, and most frames are not events.
    Event(Box<Event>),
    /// A live update not written by one of W1's participants that names the round: the
    /// server's write of its result (the bytes are checked later, see [`result_in`]).
    Result(Vec<u8>),
}

/// A connection that speaks rounds.
pub struct RoundConn {
    ws: Ws,
    next_req: u64,
    /// Requests sent and not answered: number -> ledger time sent.
    pending: HashMap<u64, u64>,
}

impl RoundConn {
    /// Connects, asks for the board (sync step 1 of an empty document) and says Hello
    /// (request 1).
    pub async fn open(seat: &Seat) -> anyhow::Result<RoundConn> {
        let headers: Vec<(&str, &str)> = seat
            .cookie
            .as_deref()
            .map(|c| ("Cookie", c))
            .into_iter()
            .collect();
        let ws =
            conn::connect_as(seat.addr, &seat.path, &Framing::YWebsocket, false, &headers).await?;
        let mut conn = RoundConn {
            ws,
            next_req: 1,
            pending: HashMap::new(),
        };
        conn.ws
            .send(wire::encode_sync_step1(&StateVector::default()))
            .await?;
        conn.request(Command::Hello, 0)
            .await
            .map_err(|c| anyhow::anyhow!("closed while saying Hello: {c:?}"))?;
        Ok(conn)
    }

    /// Sends `cmd` as the next request at ledger time `now_ns`; its number.
    pub async fn request(&mut self, cmd: Command, now_ns: u64) -> Result<u64, Close> {
        let req = self.next_req;
        self.next_req += 1;
        let frame = wire::encode_huddle(&HuddleMessage::RoundRequest(Request { req, cmd }));
        self.pending.insert(req, now_ns);
        self.send(frame).await?;
        Ok(req)
    }

    /// When request `req` was sent, once its answer is in (`None` if it was not pending).
    pub fn answered(&mut self, req: u64) -> Option<u64> {
        self.pending.remove(&req)
    }

    async fn send(&mut self, frame: Vec<u8>) -> Result<(), Close> {
        self.ws.send(frame).await.map_err(|e| Close {
            code: 1006,
            reason: format!("send failed: {e}"),
        })
    }

    /// Answers the server's sync step 1: this side holds nothing the server lacks.
    pub async fn answer_step1(&mut self) -> Result<(), Close> {
        let nothing = yrs::Doc::new()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        self.send(wire::encode_sync_step2(&nothing)).await
    }

    /// Reads the next frame: when it arrived (ledger time, before any decoding) and what in
    /// it matters here. W1's moves and cursors are skipped by their headers; an update by
    /// anyone else is the result of `round` if its bytes name the round (a byte search: the
    /// 200 voters share one core, and decoding the result's JSON in each before the next
    /// could read its socket would time the generator, not the server). Cancel-safe:
    /// nothing is sent here.
    pub async fn next(
        &mut self,
        shared: &Shared,
        round: Option<&str>,
    ) -> Result<(u64, Vec<Seen>), Close> {
        let frame = match conn::next(&mut self.ws).await {
            Incoming::Frame(frame) => frame,
            Incoming::Closed(close) => return Err(close),
            Incoming::Other => return Ok((shared.ledger.now_ns(), Vec::new())),
        };
        let at = shared.ledger.now_ns();
        let names_round = |bytes: &[u8]| {
            round.is_some_and(|id| bytes.windows(id.len()).any(|w| w == id.as_bytes()))
        };
        match light::read(&frame) {
            Some(Light::Update { client, .. }) if shared.ledger.participant(client).is_some() => {
                return Ok((at, Vec::new()));
            }
            Some(Light::Update { payload, .. }) => {
                let seen = names_round(payload).then(|| Seen::Result(payload.to_vec()));
                return Ok((at, seen.into_iter().collect()));
            }
            Some(Light::Awareness(_)) => return Ok((at, Vec::new())),
            None => {}
        }
        let messages = wire::decode_frame(&frame, &wire::Limits::default()).map_err(|e| Close {
            code: 0,
            reason: format!("undecodable frame from the server: {e}"),
        })?;
        let mut seen = Vec::new();
        for message in messages {
            match message {
                Message::SyncStep1(_) => seen.push(Seen::Step1),
                Message::SyncStep2(update) => seen.push(Seen::Synced(update)),
                Message::Update(update) if names_round(&update) => seen.push(Seen::Result(update)),
                Message::Huddle(HuddleMessage::RoundEvent(event)) => {
                    seen.push(Seen::Event(Box::new(event)))
                }
                _ => {}
            }
        }
        Ok((at, seen))
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(CLOSE_WAIT, self.ws.close()).await;
    }
}

/// The result of round `round`, if `update` writes it (applied to an empty board: the
/// server's write of a new key in the root map `rounds` needs nothing else).
pub fn result_in(update: &[u8], round: &str) -> Option<RoundResult> {
    let board = Board::new();
    let decoded = wire::decode_update(update).ok()?;
    board.doc().transact_mut().apply_update(decoded).ok()?;
    let txn = board.doc().transact();
    board.round_results(&txn).remove(round)
}

/// Runs voter `index` until the run stops sending (or the server closes it).
pub async fn run(index: usize, seat: Seat, vote: Arc<VoteShared>) -> VoterOutcome {
    let mut out = VoterOutcome::default();
    let mut conn = match RoundConn::open(&seat).await {
        Ok(conn) => conn,
        Err(e) => {
            out.error = Some(format!("voter {index}: connect: {e:#}"));
            vote.ended.fetch_add(1, Relaxed);
            return out;
        }
    };
    let ledger = &vote.run.ledger;
    let mut phase = vote.run.phase.clone();
    let (mut synced, mut hello, mut ready) = (false, false, false);
    // The open round: its id, this voter's casts, when they learned of it, the next cast.
    let mut round: Option<(String, Casts, Instant)> = None;
    let mut next_cast = 0;
    let mut cast_reqs: HashMap<u64, u64> = HashMap::new();
    // The update taken for the result, checked once the run is over.
    let mut result: Option<Vec<u8>> = None;
    let ended = loop {
        let due = round
            .as_ref()
            .and_then(|(_, c, t)| c.at.get(next_cast).map(|at| *t + *at));
        tokio::select! {
            changed = phase.changed() => {
                if changed.is_err() || matches!(*phase.borrow_and_update(), Phase::Drain | Phase::Done) {
                    break false;
                }
            }
            () = sleep_until(due) => {
                let Some((id, casts, _)) = &round else { continue };
                let cmd = Command::Cast { round: id.clone(), ballot: casts.ballots[next_cast].clone() };
                let dots = ballots::dots(&casts.ballots[next_cast]);
                match conn.request(cmd, ledger.now_ns()).await {
                    Ok(req) => { cast_reqs.insert(req, dots); }
                    Err(close) => { out.close = Some(close); break true; }
                }
                next_cast += 1;
            }
            seen = conn.next(&vote.run, round.as_ref().map(|r| r.0.as_str())) => {
                let (at, seen) = match seen {
                    Ok(seen) => seen,
                    Err(close) => { out.close = Some(close); break true; }
                };
                for s in seen {
                    match s {
                        Seen::Step1 => if let Err(close) = conn.answer_step1().await {
                            out.close = Some(close);
                        },
                        Seen::Synced(_) => synced = true,
                        Seen::Result(update) => {
                            if out.result_at_ns.is_none() {
                                out.result_at_ns = Some(at);
                                result = Some(update);
                            }
                        }
                        Seen::Event(event) => match *event {
                            Event::Ack { req, .. } => {
                                let sent = conn.answered(req);
                                if req == 1 {
                                    hello = true;
                                } else if let (Some(sent), Some(dots)) = (sent, cast_reqs.remove(&req)) {
                                    out.ack_us.push(micros_between(sent, at));
                                    out.last_dots = dots;
                                    vote.casts_answered.fetch_add(1, Relaxed);
                                }
                            }
                            Event::Refused { req, reason } => {
                                conn.answered(req);
                                out.refused.push(format!("request {req}: {reason}"));
                                if cast_reqs.remove(&req).is_some() {
                                    vote.casts_answered.fetch_add(1, Relaxed);
                                }
                            }
                            Event::Round(view) => {
                                if view.round.status == Status::Open && round.is_none() {
                                    out.view_at_ns = Some(at);
                                    round = Some(learn(index, &view.round.id, &view.round.targets, &vote));
                                }
                            }
                            Event::Progress { .. } => out.progress_events += 1,
                            Event::Closed { .. } => { out.closed_at_ns.get_or_insert(at); }
                        },
                    }
                }
                if out.close.is_some() {
                    break true;
                }
                if synced && hello && !ready {
                    ready = true;
                    vote.ready.fetch_add(1, Relaxed);
                }
            }
        }
    };
    if ended {
        vote.ended.fetch_add(1, Relaxed);
    }
    conn.close().await;
    if let (Some(update), Some((id, _, _))) = (&result, &round)
        && result_in(update, id).is_none()
    {
        out.error = Some(format!(
            "voter {index}: the update taken for the result of round {id} does not hold it"
        ));
    }
    out
}

/// A voter learns of the round now: its casts from now on.
fn learn(
    index: usize,
    id: &str,
    targets: &[String],
    vote: &VoteShared,
) -> (String, Casts, Instant) {
    let casts = ballots::plan(index, targets, vote.budget, vote.casts, vote.timing);
    (id.to_owned(), casts, Instant::now())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
