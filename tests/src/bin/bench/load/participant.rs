//! One simulated participant: a task that connects, syncs, then sends edits and cursors at
//! its rates while reading everything the server sends, through the phases the driver sets.
//! If the server closes it, it reconnects and resyncs (as the browser client does), and the
//! close is recorded.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use huddle_shared::wire::{self, HuddleMessage};
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use yrs::{ReadTxn, Transact};

use super::conn::{self, Close, Framing, Incoming, Ws};
use super::ledger::Ledger;
use super::replica::{Apply, Replica, Stats};

/// Connections a participant opens at most (the first and reconnections): a server that keeps
/// closing it is a finding, not a reason to loop.
const MAX_CONNECTIONS: usize = 5;
/// Pause before reconnecting, as a client would back off.
const RECONNECT_DELAY: Duration = Duration::from_millis(100);
/// How long a polite close may take before the socket is simply dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(1);
/// How long a participant waits for a server that is down to be back (W6 restarts it in
/// well under a second; a server that takes longer is the finding, not a reason to hang).
const SERVER_BACK_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the driver has the run: everyone joins, sends, stops sending, leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Join,
    /// Send from `start` on (each participant adds a random offset under one period).
    Run {
        start: Instant,
    },
    /// Stop sending; keep reading until everything sent has arrived.
    Drain,
    Done,
}

/// Per second, per participant.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    pub moves: f64,
    pub cursors: f64,
    pub texts: f64,
}

/// What the driver and all participants share.
pub struct Shared {
    pub ledger: Ledger,
    pub phase: watch::Receiver<Phase>,
    /// Participants through their first sync (or given up).
    pub synced: AtomicUsize,
    /// Participants that have sent their last edit (or given up).
    pub stopped: AtomicUsize,
    /// Edits held by receivers, summed over all of them: the drain waits for the expected sum.
    pub delivered: AtomicU64,
    /// Where the server listens; `None` while it is down (W6 restarts it on a new port).
    pub addr: watch::Receiver<Option<SocketAddr>>,
}

/// One participant's part in a run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub index: usize,
    pub board: String,
    /// The URL path of the board's room on the server under test.
    pub path: String,
    /// A cluster's node this participant connects to (`None`: the server's address).
    pub node: Option<std::net::SocketAddr>,
    /// How that server frames messages (Hocuspocus names the document in each).
    pub framing: Framing,
    /// Participant indexes of everyone in the same board (this one included).
    pub room: Range<usize>,
    pub rates: Rates,
    /// While the run sends, read at most this many bytes per second (W7's slow reader).
    pub slow_bytes_per_sec: Option<u64>,
    /// While the run sends, ask the server this often to confirm the own edits durable (W6).
    pub save_every: Option<Duration>,
    /// When this participant integrates what it receives (W2: after the run).
    pub apply: Apply,
    /// How long the run sends: with the rates, what to make room for ([`Replica::reserve`]).
    pub window: Duration,
}

impl Spec {
    /// Edits and cursors this participant will receive in a complete run, give or take.
    fn expected_receipts(&self) -> (usize, usize) {
        let others = self.room.len().saturating_sub(1) as f64;
        let secs = self.window.as_secs_f64() * 1.1 + 1.0;
        let r = self.rates;
        let count = |rate: f64| (rate * others * secs) as usize;
        (count(r.moves + r.texts), count(r.cursors))
    }
}

/// What a participant hands back at the end.
pub struct Outcome {
    pub spec: Spec,
    pub replica: Replica,
    /// Every close by the server (or broken socket), with the ledger time it was seen.
    pub closes: Vec<(Close, u64)>,
    /// Ledger time when a reconnection after a close had synced again.
    pub resynced_at: Vec<u64>,
}

enum End {
    Done,
    Closed(Close),
}

/// Runs one participant until the driver says `Done` (or it gives up).
pub async fn run(spec: Spec, shared: Arc<Shared>) -> Outcome {
    let mut replica = Replica::new(spec.index, spec.room.clone(), spec.apply);
    let (edits, cursors) = spec.expected_receipts();
    replica.reserve(edits, cursors);
    let mut p = Participant {
        replica,
        spec,
        shared,
        closes: Vec::new(),
        resynced_at: Vec::new(),
        marked_synced: false,
        marked_stopped: false,
    };
    for _ in 0..MAX_CONNECTIONS {
        match p.connection().await {
            Ok(End::Done) => break,
            Ok(End::Closed(close)) => p.closes.push((close, p.shared.ledger.now_ns())),
            Err(e) => p.replica.stats.error(format!(
                "participant {}: connection failed: {e:#}",
                p.spec.index
            )),
        }
        if *p.shared.phase.borrow() == Phase::Done {
            break;
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
    // A participant that gave up must not hold the driver's barriers.
    p.mark_synced();
    p.mark_stopped();
    Outcome {
        spec: p.spec,
        replica: p.replica,
        closes: p.closes,
        resynced_at: p.resynced_at,
    }
}

struct Participant {
    spec: Spec,
    shared: Arc<Shared>,
    replica: Replica,
    closes: Vec<(Close, u64)>,
    resynced_at: Vec<u64>,
    marked_synced: bool,
    marked_stopped: bool,
}

/// The send timers of one connection; `None` sends nothing of that kind.
#[derive(Default)]
struct Timers {
    moves: Option<Interval>,
    cursors: Option<Interval>,
    texts: Option<Interval>,
    saves: Option<Interval>,
}

impl Participant {
    /// One connection, from connect to close.
    async fn connection(&mut self) -> anyhow::Result<End> {
        let slow = self.spec.slow_bytes_per_sec;
        let addr = match self.spec.node {
            Some(node) => node,
            None => {
                let mut addr = self.shared.addr.clone();
                tokio::time::timeout(SERVER_BACK_TIMEOUT, addr.wait_for(Option::is_some))
                    .await
                    .map_err(|_| {
                        anyhow::anyhow!("the server was not back within {SERVER_BACK_TIMEOUT:?}")
                    })?
                    .map_err(|_| anyhow::anyhow!("the driver is gone"))?
                    .ok_or_else(|| anyhow::anyhow!("no server address"))?
            }
        };
        let mut ws =
            conn::connect(addr, &self.spec.path, &self.spec.framing, slow.is_some()).await?;
        self.replica.connection_opened();
        let sv = self.replica.board.doc().transact().state_vector();
        ws.send(wire::encode_sync_step1(&sv)).await?;
        let mut phase_rx = self.shared.phase.clone();
        phase_rx.mark_changed(); // handle the current phase first
        let mut phase = Phase::Join;
        let mut timers = Timers::default();
        let mut synced = false;
        // A reconnecting participant holds edits the server may lack; they go out in its
        // answer to the server's sync step 1. New edits wait for that answer, or they would
        // reach the others before the older ones (the server's step 2 can come first, e.g.
        // while it loads the board).
        let reconnecting = self.marked_synced;
        let mut answered = false;
        let mut paused_until: Option<Instant> = None;
        loop {
            tokio::select! {
                changed = phase_rx.changed() => {
                    if changed.is_err() {
                        return Ok(End::Done); // the driver is gone
                    }
                    phase = *phase_rx.borrow_and_update();
                    match phase {
                        Phase::Join => {}
                        Phase::Run { start } => if synced && (answered || !reconnecting) {
                            timers = self.timers(start);
                        },
                        Phase::Drain => {
                            timers = Timers::default();
                            paused_until = None;
                            self.mark_stopped();
                        }
                        Phase::Done => {
                            let _ = tokio::time::timeout(CLOSE_WAIT, ws.close()).await;
                            return Ok(End::Done);
                        }
                    }
                }
                () = sleep_until(paused_until), if paused_until.is_some() => paused_until = None,
                incoming = conn::next(&mut ws), if paused_until.is_none() => {
                    let at = self.shared.ledger.now_ns();
                    let frame = match incoming {
                        Incoming::Frame(frame) => frame,
                        Incoming::Closed(close) => return Ok(End::Closed(close)),
                        Incoming::Other => continue,
                    };
                    let received = match self.replica.on_frame(&frame, at, &self.shared.ledger) {
                        Ok(received) => received,
                        Err(e) => {
                            self.replica.stats.error(format!("participant {}: {e}", self.spec.index));
                            return Ok(End::Closed(Close { code: 0, reason: e }));
                        }
                    };
                    self.shared.delivered.fetch_add(received.delivered, Relaxed);
                    if let Some(seq) = received.saved {
                        self.shared.ledger.ack(self.spec.index, u32::try_from(seq).unwrap_or(0));
                    }
                    let was_ready = synced && (answered || !reconnecting);
                    for reply in received.replies {
                        if let Err(close) = send(&mut ws, reply).await {
                            return Ok(End::Closed(close));
                        }
                        answered = true;
                    }
                    if received.synced && !synced {
                        synced = true;
                        if self.marked_synced {
                            self.resynced_at.push(self.shared.ledger.now_ns());
                        }
                        self.mark_synced();
                    }
                    let ready = synced && (answered || !reconnecting);
                    if let (false, true, Phase::Run { start }) = (was_ready, ready, phase) {
                        timers = self.timers(start);
                    }
                    if let (Some(rate), Phase::Run { .. }) = (slow, phase) {
                        let pause = Duration::from_secs_f64(frame.len() as f64 / rate as f64);
                        paused_until = Some(Instant::now() + pause);
                    }
                }
                () = tick(&mut timers.moves) => {
                    let frame = self.replica.edit(false, &self.shared.ledger)?;
                    if let Err(close) = send(&mut ws, frame).await {
                        return Ok(End::Closed(close));
                    }
                }
                () = tick(&mut timers.texts) => {
                    let frame = self.replica.edit(true, &self.shared.ledger)?;
                    if let Err(close) = send(&mut ws, frame).await {
                        return Ok(End::Closed(close));
                    }
                }
                () = tick(&mut timers.saves) => {
                    let seq = u64::from(self.replica.own_clock());
                    let frame = wire::encode_huddle(&HuddleMessage::SaveRequest { seq });
                    if let Err(close) = send(&mut ws, frame).await {
                        return Ok(End::Closed(close));
                    }
                }
                () = tick(&mut timers.cursors) => {
                    let frame = self.replica.cursor(&self.shared.ledger);
                    if let Err(close) = send(&mut ws, frame).await {
                        return Ok(End::Closed(close));
                    }
                }
            }
        }
    }

    /// Send timers from `start`, each offset by a random part of its period so that the
    /// participants do not all send in the same millisecond.
    fn timers(&self, start: Instant) -> Timers {
        let mut rng = fastrand::Rng::with_seed(self.spec.index as u64 ^ 0x5eed);
        let mut every = |rate: f64| {
            (rate > 0.0).then(|| {
                let period = Duration::from_secs_f64(1.0 / rate);
                let mut interval =
                    tokio::time::interval_at(start + period.mul_f64(rng.f64()), period);
                // A late tick is skipped, not made up in a burst: the achieved rate is reported.
                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                interval
            })
        };
        let rates = self.spec.rates;
        Timers {
            moves: every(rates.moves),
            cursors: every(rates.cursors),
            texts: every(rates.texts),
            saves: self
                .spec
                .save_every
                .and_then(|period| every(1.0 / period.as_secs_f64())),
        }
    }

    fn mark_synced(&mut self) {
        if !self.marked_synced {
            self.marked_synced = true;
            self.shared.synced.fetch_add(1, Relaxed);
        }
    }

    fn mark_stopped(&mut self) {
        if !self.marked_stopped {
            self.marked_stopped = true;
            self.shared.stopped.fetch_add(1, Relaxed);
        }
    }
}

impl Outcome {
    pub fn stats(&self) -> &Stats {
        &self.replica.stats
    }
}

/// Sends one frame; a failure means the connection is gone (the edit stays in the replica and
/// reaches the server with the next sync).
async fn send(ws: &mut Ws, frame: Vec<u8>) -> Result<(), Close> {
    ws.send(frame).await.map_err(|e| Close {
        code: 1006,
        reason: format!("send failed: {e}"),
    })
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
