//! Runs one workload against a real `huddle` process: seeds the boards on disk, starts and
//! pins the server, connects every participant, lets them send for the duration, waits until
//! everything sent has arrived, then hands the outcomes to [`verify`](super::verify).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use huddle_tests::server::DataDir;
use tokio::sync::watch;

use super::admin;
use super::latency::Summary;
use super::ledger::Ledger;
use super::locks;
use super::options::ServerKind;
use super::participant::{self, Outcome, Phase, Shared, Spec};
use super::pin::Pinning;
use super::procstat::{self, Reading, Sampler};
use super::restart;
use super::seed;
use super::server::Server;
use super::verify::{self, Verdict};
use super::version_soak;
use super::vote;
pub use super::workload::{Workload, board_id, expected_deliveries};
use super::{ysweet, yws};

/// How long all participants may take to connect and sync: thousands of connections on a
/// shared 2-core machine take seconds, not minutes.
const JOIN_TIMEOUT: Duration = Duration::from_secs(90);
/// Quiet time before a memory reading, so that connection set-up garbage has settled.
const SETTLE: Duration = Duration::from_secs(2);
/// Time between "go" and the first sends, so that every participant has its timers first.
const START_DELAY: Duration = Duration::from_millis(200);
/// How long participants may take to notice the end of sending.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the last edits may take to arrive everywhere before the run counts them missing.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long participant tasks may take to close and hand back their outcomes.
const FINISH_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the driver polls the shared counters.
const POLL: Duration = Duration::from_millis(20);
/// Period of the generator's lag probe: a timer that should fire exactly this often; how late
/// it fires shows how much of a latency is the generator's own queueing.
const PROBE_PERIOD: Duration = Duration::from_millis(10);
/// How often the server's slow-connection counter is read while a slow reader runs (W7): the
/// client learns of its close only when it reads that far, so the server's side is timed here.
const METRICS_POLL: Duration = Duration::from_millis(500);

/// Server memory after connecting one participant per board, and after connecting the rest;
/// and how long each of the two waves took until all its participants had synced.
#[derive(Debug, Clone, Copy)]
pub struct IdleMemory {
    pub before_kib: u64,
    pub one_per_board_kib: u64,
    pub all_kib: u64,
    /// The first wave's joins load every board from disk; the rest join loaded boards.
    pub first_wave: Duration,
    pub rest_wave: Duration,
    /// The server's threads at the three readings.
    pub threads: [u64; 3],
    /// The server's CPU time (clock ticks) at the three readings: what each wave cost it.
    pub cpu_ticks: [u64; 3],
}

impl IdleMemory {
    /// The server's CPU time per join (ms) in the first wave (each loads a board) and in the
    /// rest (boards loaded), settling time included (an idle server uses next to none).
    pub fn cpu_ms_per_join(&self, w: &Workload) -> (f64, f64) {
        let tps = procstat::ticks_per_sec();
        let ms = |a: u64, b: u64, joins: usize| {
            b.saturating_sub(a) as f64 / tps * 1e3 / joins.max(1) as f64
        };
        let [t0, t1, t2] = self.cpu_ticks;
        let rest = w.boards * w.clients_per_board.saturating_sub(1);
        (ms(t0, t1, w.boards), ms(t1, t2, rest))
    }

    /// What each connection after a board's first added to the server's RSS (KiB).
    pub fn per_idle_connection_kib(&self, w: &Workload) -> f64 {
        let extra = w.boards * w.clients_per_board.saturating_sub(1);
        self.all_kib.saturating_sub(self.one_per_board_kib) as f64 / extra.max(1) as f64
    }
}

/// Resource use while the participants were sending.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resources {
    pub server_cores_mean: f64,
    pub server_cores_peak: f64,
    pub server_rss_peak_kib: u64,
    pub generator_cores_mean: f64,
    pub window: Duration,
}

/// Everything a run produced.
pub struct Run {
    pub workload: Workload,
    /// The server the run was against.
    pub server: ServerKind,
    pub pinning: String,
    pub outcomes: Vec<Outcome>,
    pub shared: Arc<Shared>,
    pub resources: Resources,
    pub memory: Option<IdleMemory>,
    /// Ledger time when sending started.
    pub start_ns: u64,
    /// How late the generator's probe timer fired while the run sent.
    pub generator_lag: Summary,
    /// Ledger time when the server's count of connections closed as too slow first rose.
    pub slow_closed_at_ns: Option<u64>,
    /// Huddle's counters ([`COUNTERS`]) over the sending window: how much each rose.
    pub counters: Vec<(&'static str, f64)>,
    /// What W6's kill and restart found.
    pub restart: Option<restart::Restarted>,
    /// What the voters and the facilitator saw (the `vote` scenario).
    pub vote: Option<vote::Outcome>,
    /// How the story map's backbone was locked, or shown unlocked (the `locks` scenario).
    pub locks: Option<locks::Outcome>,
    pub verdict: Verdict,
    /// The server's data directory, stopped and kept until the run is dropped (W8 reads the
    /// soaked board from it); `None` only while the run is being assembled.
    pub data: Option<DataDir>,
}

/// Counters of Huddle's `/metrics` read at both ends of the sending window.
pub const COUNTERS: [&str; 3] = [
    "huddle_compactions_total",
    "huddle_store_flush_seconds_count",
    "huddle_store_flush_seconds_sum",
];

pub fn run(w: &Workload, pinning: &Pinning, kind: ServerKind) -> anyhow::Result<Run> {
    let data = DataDir::new();
    let ids: Vec<String> = (0..w.boards).map(board_id).collect();
    if kind.is_huddle() && w.locks.is_some() {
        locks::seed(data.path(), &ids, w.notes_per_board).context("seeding the boards")?;
    } else if kind.is_huddle() {
        seed::boards(data.path(), &ids, w.notes_per_board).context("seeding the boards")?;
    } else {
        // The reference servers' stores are not written beforehand: seeded over the wire in
        // `drive`. Installed first, so that the install is not part of any timing.
        match kind {
            ServerKind::YWebsocket | ServerKind::Hocuspocus => yws::ensure_installed()?,
            ServerKind::YSweet => ysweet::ensure_installed()?,
            _ => {}
        }
    }
    pinning.pin_generator()?;
    let result = (|| {
        let extra: &[&str] = match w.clock_every {
            Some(_) => &["--test-clock"],
            None => &[],
        };
        let mut server = Server::start_kind_with(kind, data.path(), pinning, extra)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(pinning.generator_cores())
            .enable_all()
            .build()?;
        let sampler = Sampler::start(server.pid());
        let driven = rt.block_on(drive(w, &mut server, data.path(), pinning));
        let readings = sampler.stop();
        let (outcomes, shared, memory, mut window) = driven?;
        progress(w, "checking the replicas and a late joiner");
        let mut verdict = rt.block_on(verify::check(w, &server, &outcomes, &shared));
        progress(w, "stopping the server");
        match server.stop() {
            Ok(0) => {}
            Ok(code) => verdict.fail(format!("the server exited with status {code} on SIGTERM")),
            Err(e) => verdict.fail(format!("the server did not stop cleanly: {e:#}")),
        }
        let resources = resources(&window, &readings);
        let (start_ns, slow_closed_at_ns) = (window.start_ns, window.slow_closed_at_ns);
        let generator_lag = window.generator_lag;
        let (counters, restart) = (std::mem::take(&mut window.counters), window.restart.take());
        let vote = window.vote.take();
        let locks = window.locks.take();
        anyhow::Ok(Run {
            workload: w.clone(),
            server: kind,
            pinning: format!("server: {}; {}", kind.name(), pinning.describe()),
            outcomes,
            shared,
            resources,
            memory,
            start_ns,
            slow_closed_at_ns,
            generator_lag,
            counters,
            restart,
            vote,
            locks,
            verdict,
            data: None,
        })
    })();
    pinning.restore();
    result.map(|run| Run {
        data: Some(data),
        ..run
    })
}

/// Readings of both processes at the start and the end of the sending window.
struct Window {
    start_ns: u64,
    slow_closed_at_ns: Option<u64>,
    generator_lag: Summary,
    server: (Reading, Reading),
    generator: (Reading, Reading),
    counters: Vec<(&'static str, f64)>,
    restart: Option<restart::Restarted>,
    vote: Option<vote::Outcome>,
    locks: Option<locks::Outcome>,
}

type Driven = (Vec<Outcome>, Arc<Shared>, Option<IdleMemory>, Window);

async fn drive(
    w: &Workload,
    server: &mut Server,
    data: &std::path::Path,
    pinning: &Pinning,
) -> anyhow::Result<Driven> {
    let mut specs = w.specs(server);
    // The `locks` scenario: the backbone locked (or not) and the participants made editors.
    let locked = match w.locks {
        Some(plan) => Some(locks::prepare(plan, server, &mut specs).await?),
        None => None,
    };
    let (phase_tx, phase) = watch::channel(Phase::Join);
    let (addr_tx, addr) = watch::channel(Some(server.addr()));
    let shared = Arc::new(Shared {
        ledger: Ledger::new(specs.len()),
        phase,
        synced: AtomicUsize::new(0),
        stopped: AtomicUsize::new(0),
        delivered: AtomicU64::new(0),
        addr,
    });
    let mut pid = server.pid();
    let reading = || procstat::read(pid).map_or((0, 0, 0), |r| (r.rss_kib, r.threads, r.cpu_ticks));

    // Join: in two waves when measuring idle memory (the first loads every board).
    let mut tasks = Vec::with_capacity(specs.len());
    let mut memory = None;
    let (first, rest): (Vec<Spec>, Vec<Spec>) = if w.idle_memory {
        specs.into_iter().partition(|s| s.index == s.room.start)
    } else {
        (specs, Vec::new())
    };
    if server.kind().is_huddle() {
        let ids: Vec<String> = (0..w.boards).map(board_id).collect();
        admin::check_boards(server, &ids).await?;
    }
    let before = reading();
    // The reference servers: seed every board over the wire and keep the seeding connections
    // open until the first wave has synced (see [`yws`]).
    let mut seeders = if !server.kind().is_huddle() {
        let boards: Vec<String> = (0..w.boards).map(board_id).collect();
        let (_, state) = crate::fixtures::board_with_notes(w.notes_per_board);
        progress(w, &format!("seeding {} board(s) over the wire", w.boards));
        yws::seed_boards(server, &boards, &state)
            .await
            .context("seeding the boards over the wire")?
    } else {
        Vec::new()
    };
    progress(w, &format!("{} participants joining", w.participants()));
    let joining = Instant::now();
    join_wave(&mut tasks, first, &shared).await?;
    let first_wave = joining.elapsed();
    yws::close_seeders(std::mem::take(&mut seeders)).await;
    if w.idle_memory {
        tokio::time::sleep(SETTLE).await;
        let one = reading();
        progress(w, &format!("the other {} participants joining", rest.len()));
        let joining = Instant::now();
        join_wave(&mut tasks, rest, &shared).await?;
        let rest_wave = joining.elapsed();
        tokio::time::sleep(SETTLE).await;
        let all = reading();
        memory = Some(IdleMemory {
            before_kib: before.0,
            one_per_board_kib: one.0,
            all_kib: all.0,
            first_wave,
            rest_wave,
            threads: [before.1, one.1, all.1],
            cpu_ticks: [before.2, one.2, all.2],
        });
    }

    // The vote's people join the first board (they close by themselves when sending ends).
    let voting = match w.vote {
        Some(plan) => {
            progress(
                w,
                &format!("{} voters and the facilitator joining", plan.voters),
            );
            let board = board_id(0);
            Some(vote::Room::join(plan, w.duration, server, &board, &shared).await?)
        }
        None => None,
    };

    // Send for the duration.
    progress(w, &format!("sending for {} s", w.duration.as_secs()));
    let start = tokio::time::Instant::now() + START_DELAY;
    phase_tx.send_replace(Phase::Run { start });
    tokio::time::sleep_until(start).await;
    let start_ns = shared.ledger.now_ns();
    let probe = tokio::spawn(lag_probe(shared.phase.clone()));
    let mut server_start = procstat::read(pid).context("the server is gone")?;
    let generator_start = procstat::read(std::process::id()).context("no /proc/self")?;
    let counters_start = counters(server).await;
    let mut restarted = None;
    // Only Huddle has the counter (an HTTP request to a saturated y-sweet hung for minutes).
    let slow_closed_at_ns = if w.slow_reader.is_some() && server.kind().is_huddle() {
        watch_slow_closes(server, &shared.ledger, w.duration).await
    } else if let Some(after) = w.restart_after {
        tokio::time::sleep(after).await;
        let board = board_id(0);
        let r = restart::kill_and_restart(
            server,
            data,
            pinning,
            &shared,
            &addr_tx,
            &board,
            w.notes_per_board,
        )
        .await?;
        restarted = Some(r);
        // The new process: CPU and memory are measured from here.
        pid = server.pid();
        server_start = procstat::read(pid).context("the restarted server is gone")?;
        tokio::time::sleep(w.duration.saturating_sub(after)).await;
        None
    } else if let Some(every) = w.clock_every {
        version_soak::move_clock(server, every, w.duration).await?;
        None
    } else {
        tokio::time::sleep(w.duration).await;
        None
    };
    phase_tx.send_replace(Phase::Drain);
    let server_end = procstat::read(pid).context("the server is gone")?;
    let generator_end = procstat::read(std::process::id()).context("no /proc/self")?;
    let counters = match (counters_start, counters(server).await) {
        // After a restart the counters start again from zero: what rose since the restart.
        (Some(a), Some(b)) if restarted.is_none() => {
            a.iter().zip(b).map(|(a, b)| (a.0, b.1 - a.1)).collect()
        }
        (_, Some(b)) => b,
        _ => Vec::new(),
    };
    wait_for(
        &shared.stopped,
        tasks.len(),
        STOP_TIMEOUT,
        "participants to stop",
    )
    .await?;
    let vote = match voting {
        Some(room) => Some(room.finish().await?),
        None => None,
    };
    let mut lag = probe.await.unwrap_or_default();

    // Drain: wait until every receiver holds every edit sent to its board.
    let expected = expected_deliveries(w, &shared.ledger);
    progress(
        w,
        &format!(
            "waiting up to {} s for the last deliveries",
            DRAIN_TIMEOUT.as_secs()
        ),
    );
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    while shared.delivered.load(Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
    }
    phase_tx.send_replace(Phase::Done);
    progress(w, "closing the participants");
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        match tokio::time::timeout(FINISH_TIMEOUT, task).await {
            Ok(Ok(outcome)) => outcomes.push(outcome),
            Ok(Err(e)) => bail!("a participant task failed: {e}"),
            Err(_) => bail!("a participant did not finish within {FINISH_TIMEOUT:?}"),
        }
    }
    // The verification slices outcomes by board: put them in participant order.
    outcomes.sort_by_key(|o| o.spec.index);
    settle(&mut outcomes);
    let window = Window {
        start_ns,
        slow_closed_at_ns,
        generator_lag: Summary::of(&mut lag),
        server: (server_start, server_end),
        generator: (generator_start, generator_end),
        counters,
        restart: restarted,
        vote,
        locks: locked,
    };
    Ok((outcomes, shared, memory, window))
}

/// One line on standard error about where the run is (the tables go to standard output): a
/// run against a saturated server can take minutes, and this tells where it waits.
fn progress(w: &Workload, what: &str) {
    eprintln!("  {}: {what}...", w.name);
}

/// Integrates what receivers kept to apply later ([`Apply::Later`](super::replica::Apply)),
/// so that the replicas can be compared; a failure is that participant's error.
fn settle(outcomes: &mut [participant::Outcome]) {
    let started = Instant::now();
    let total = outcomes.len();
    let mut settled = 0;
    for o in outcomes.iter_mut() {
        if let Err(e) = o.replica.settle() {
            o.replica
                .stats
                .error(format!("participant {}: {e}", o.spec.index));
        }
        settled += 1;
        if started.elapsed() > Duration::from_secs(2) && settled % 100 == 0 {
            eprintln!("  integrating the updates receivers kept: {settled} of {total}");
        }
    }
    if started.elapsed() > Duration::from_secs(2) {
        eprintln!(
            "  integrated the updates receivers kept in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
}

/// Huddle's [`COUNTERS`] now (`None` for another server, or if `/metrics` did not answer).
async fn counters(server: &Server) -> Option<Vec<(&'static str, f64)>> {
    if !server.kind().is_huddle() {
        return None;
    }
    let mut values = Vec::with_capacity(COUNTERS.len());
    for name in COUNTERS {
        values.push((
            name,
            huddle_tests::http::metric(server.addr(), name).await.ok()?,
        ));
    }
    Some(values)
}

/// Until the run stops sending: how late (µs) a timer of period [`PROBE_PERIOD`] fires.
async fn lag_probe(mut phase: watch::Receiver<Phase>) -> Vec<u32> {
    let mut lags = Vec::new();
    let mut next = tokio::time::Instant::now() + PROBE_PERIOD;
    while matches!(*phase.borrow_and_update(), Phase::Run { .. }) {
        tokio::select! {
            () = tokio::time::sleep_until(next) => {
                let late = tokio::time::Instant::now().saturating_duration_since(next);
                lags.push(u32::try_from(late.as_micros()).unwrap_or(u32::MAX));
                next += PROBE_PERIOD;
            }
            _ = phase.changed() => {}
        }
    }
    lags
}

/// Sleeps for `duration`, reading the server's slow-connection counter; returns the ledger
/// time it first rose.
async fn watch_slow_closes(server: &Server, ledger: &Ledger, duration: Duration) -> Option<u64> {
    let end = tokio::time::Instant::now() + duration;
    let metric = "huddle_slow_connections_closed_total";
    let mut closed_at = None;
    while tokio::time::Instant::now() < end {
        tokio::time::sleep(METRICS_POLL.min(end - tokio::time::Instant::now())).await;
        if closed_at.is_none()
            && huddle_tests::http::metric(server.addr(), metric)
                .await
                .is_ok_and(|n| n > 0.0)
        {
            closed_at = Some(ledger.now_ns());
        }
    }
    closed_at
}

/// Starts a participant task for each spec and waits until every participant so far synced.
async fn join_wave(
    tasks: &mut Vec<tokio::task::JoinHandle<participant::Outcome>>,
    specs: Vec<Spec>,
    shared: &Arc<Shared>,
) -> anyhow::Result<()> {
    for spec in specs {
        tasks.push(tokio::spawn(participant::run(spec, shared.clone())));
    }
    wait_for(
        &shared.synced,
        tasks.len(),
        JOIN_TIMEOUT,
        "participants to sync",
    )
    .await
}

async fn wait_for(
    counter: &AtomicUsize,
    target: usize,
    timeout: Duration,
    what: &str,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while counter.load(Relaxed) < target {
        if Instant::now() > deadline {
            bail!(
                "timed out after {timeout:?} waiting for {what}: {} of {target}",
                counter.load(Relaxed)
            );
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

fn resources(window: &Window, readings: &[Reading]) -> Resources {
    let tps = procstat::ticks_per_sec();
    let (s0, s1) = &window.server;
    let (g0, g1) = &window.generator;
    let (peak_cpu, peak_rss) = procstat::peaks(readings, s0.at, s1.at, tps);
    Resources {
        server_cores_mean: procstat::cores_between(s0, s1, tps),
        server_cores_peak: peak_cpu,
        server_rss_peak_kib: peak_rss.max(s1.rss_kib),
        generator_cores_mean: procstat::cores_between(g0, g1, tps),
        // The generator's readings span the whole sending window (the server's start again
        // after a restart, W6).
        window: g1.at.duration_since(g0.at),
    }
}
