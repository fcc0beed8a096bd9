//! W4: a 10,000-note board joined over the wire, first from disk (the join loads the board),
//! then again while it is loaded, on a pinned server, as a participant sees it.
//!
//! The `cold-load` scenario measures the same first join in-process (stored bytes -> sync
//! step 2 ready, and the document built) with a log tail and without; this one adds the
//! second join and splits each join at the client: the WebSocket upgrade, then from the
//! upgrade until sync step 2 has arrived (the server's time plus moving ~3 MB over loopback),
//! then applying it in the client.
//!
//! Against the reference servers (`--compare`) the board is stored the way each keeps boards:
//! y-sweet's own `convert-from-update` writes it into its store; y-websocket's LevelDB is
//! written by seeding it over the wire on a server that is then stopped. y-websocket answers a
//! first client's sync step 1 before it has read LevelDB and sends the board afterwards as an
//! update, so a join counts as done when the client holds every note, whichever message
//! brought them (for Huddle and y-sweet that is the sync step 2).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use huddle_shared::model::Board;
use huddle_shared::wire::{self, Message};
use huddle_tests::server::DataDir;
use yrs::{ReadTxn, StateVector, Transact};

use super::Session;
use super::baseline::Joins;
use super::conn::{self, Incoming, Ws};
use super::options::ServerKind;
use super::report;
use super::server::Server;
use super::{ysweet, yws};
use crate::stats::{median, millis};

/// The big board.
const NOTES: usize = 10_000;
/// Samples, each on a freshly started server (so that the first join really loads from disk).
const SAMPLES: usize = 21;
/// How long one join may take before the sample fails.
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);
/// The targets (ms): first join ready, second join's server time.
const FIRST_MS: f64 = 60.0;
const SECOND_MS: f64 = 15.0;
const BOARD: &str = "load-0";

/// One join, split at the client.
#[derive(Debug, Clone, Copy, Default)]
struct JoinTimes {
    upgrade: Duration,
    step2: Duration,
    apply: Duration,
    bytes: usize,
}

pub fn run_w4(session: &mut Session) -> anyhow::Result<bool> {
    let data = DataDir::new();
    let kind = session.server;
    store_board(kind, data.path(), session, NOTES)?;
    session.pinning.pin_generator()?;
    let samples = samples(data.path(), session);
    session.pinning.restore();
    let (first, second) = samples?;

    println!(
        "## w4: cold load over the wire (a {NOTES}-note board), server: {}\n",
        kind.name()
    );
    println!(
        "parameters: {SAMPLES} samples, each on a freshly started server; join 1 loads the board from disk, join 2 comes while join 1 is still connected. In-process figures: the `cold-load` scenario."
    );
    println!(
        "{}; {}\n",
        report::context_line(),
        session.pinning.describe()
    );
    println!(
        "| join | WebSocket upgrade | upgrade -> whole board received (server + transfer) | apply in the client | total | bytes |"
    );
    println!("|---|---|---|---|---|---|");
    let mut medians = Vec::new();
    for (name, joins) in [
        ("first (from disk), median", &first),
        ("second (loaded), median", &second),
    ] {
        let m =
            |f: fn(&JoinTimes) -> Duration| median(&mut joins.iter().map(f).collect::<Vec<_>>());
        let (u, s, a) = (m(|j| j.upgrade), m(|j| j.step2), m(|j| j.apply));
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} KiB |",
            millis(u),
            millis(s),
            millis(a),
            millis(u + s + a),
            joins.first().map_or(0, |j| j.bytes) / 1024
        );
        medians.push((u, s));
    }
    println!();
    let (u1, s1) = medians[0];
    let (u2, s2) = medians[1];
    let figures = (millis(u1 + s1), millis(s2));
    let joins = Joins {
        first: millis(u1 + s1),
        first_upgrade: millis(u1),
        second: millis(u2 + s2),
        second_upgrade: millis(u2),
    };
    match (kind, session.w4_huddle) {
        (ServerKind::Huddle, _) => {
            session.w4_huddle = Some(figures);
            session.w4_current = Some(joins);
        }
        (ServerKind::HuddleBaseline, _) => {
            // The ratios to the current binary follow the scenario (`baseline`).
            session.w4_baseline = Some(joins);
            return Ok(true);
        }
        (_, Some(huddle)) => {
            println!(
                "Huddle / {}: first join {:.2}, second join {:.2} (below 1: Huddle is faster)\n",
                kind.name(),
                huddle.0 / figures.0,
                huddle.1 / figures.1
            );
            return Ok(true);
        }
        (_, None) => return Ok(true),
    }
    report::target(
        "first join, connect -> sync step 2 received (median)",
        millis(u1 + s1),
        "ms",
        FIRST_MS,
    );
    report::target(
        "second join, upgrade -> sync step 2 received (median; an upper bound of server time)",
        millis(medians[1].1),
        "ms",
        SECOND_MS,
    );
    println!();
    Ok(true)
}

type Samples = (Vec<JoinTimes>, Vec<JoinTimes>);

fn samples(dir: &std::path::Path, session: &Session) -> anyhow::Result<Samples> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(session.pinning.generator_cores())
        .enable_all()
        .build()?;
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        let mut server = Server::start_kind(session.server, dir, &session.pinning)?;
        let (a, b) = rt.block_on(async {
            let (a, ws_a, board_a) = timed_join(&server, NOTES).await.context("first join")?;
            let (b, ws_b, board_b) = timed_join(&server, NOTES).await.context("second join")?;
            let (sa, sb) = (
                board_a.snapshot(&board_a.doc().transact()),
                board_b.snapshot(&board_b.doc().transact()),
            );
            if sa != sb || sa.items.len() != NOTES {
                bail!("the two joins got different boards, or not {NOTES} notes");
            }
            for mut ws in [ws_a, ws_b] {
                let _ = ws.close().await;
            }
            anyhow::Ok((a, b))
        })?;
        first.push(a);
        second.push(b);
        server.stop()?;
    }
    Ok((first, second))
}

/// A board's first join from disk over the wire, as any server answers it.
#[derive(Debug, Clone, Copy)]
pub(super) struct DiskJoin {
    /// Median, from connecting until the client holds every note.
    pub total: Duration,
    /// The joined document, encoded as one update v1 from an empty state vector.
    pub doc_bytes: usize,
}

/// Starts `kind` on `dir` `samples` times and times a fresh client's first join of board
/// `load-0` (which must hold `notes` notes) from disk; the generator is pinned meanwhile.
pub(super) fn join_from_disk(
    dir: &std::path::Path,
    session: &Session,
    notes: usize,
    samples: usize,
) -> anyhow::Result<DiskJoin> {
    session.pinning.pin_generator()?;
    let result = (|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(session.pinning.generator_cores())
            .enable_all()
            .build()?;
        let (mut totals, mut doc_bytes) = (Vec::new(), 0);
        for _ in 0..samples {
            let mut server = Server::start_kind(session.server, dir, &session.pinning)?;
            let joined = rt.block_on(async {
                let (times, mut ws, board) = timed_join(&server, notes).await?;
                let _ = ws.close().await;
                anyhow::Ok((times, board))
            });
            server.stop()?;
            let (times, board) = joined?;
            totals.push(times.upgrade + times.step2 + times.apply);
            doc_bytes = board
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default())
                .len();
        }
        anyhow::Ok(DiskJoin {
            total: median(&mut totals),
            doc_bytes,
        })
    })();
    session.pinning.restore();
    result
}

/// Connects a fresh replica and times its handshake until it holds `notes` notes.
async fn timed_join(server: &Server, notes: usize) -> anyhow::Result<(JoinTimes, Ws, Board)> {
    tokio::time::timeout(JOIN_TIMEOUT, async {
        let started = Instant::now();
        let (path, framing) = (server.ws_path(BOARD), server.framing(BOARD));
        let mut ws = conn::connect(server.addr(), &path, &framing, false).await?;
        let upgraded = Instant::now();
        let empty = StateVector::default();
        ws.send(wire::encode_sync_step1(&empty)).await?;
        let board = Board::new();
        let mut bytes = 0;
        loop {
            let frame = match conn::next(&mut ws).await {
                Incoming::Frame(frame) => frame,
                Incoming::Closed(c) => bail!("closed during the join: {} {:?}", c.code, c.reason),
                Incoming::Other => continue,
            };
            let received = Instant::now();
            bytes += frame.len();
            for message in wire::decode_frame(&frame, &wire::Limits::default())? {
                match message {
                    Message::SyncStep1(_) => {
                        // Nothing the server lacks: answer with an empty update.
                        let update = board.doc().transact().encode_state_as_update_v1(&empty);
                        ws.send(wire::encode_sync_step2(&update)).await?;
                    }
                    Message::SyncStep2(update) | Message::Update(update) => {
                        let decoded = wire::decode_update(&update)?;
                        board.doc().transact_mut().apply_update(decoded)?;
                        if board.item_count(&board.doc().transact()) as usize >= notes {
                            let times = JoinTimes {
                                upgrade: upgraded - started,
                                step2: received - upgraded,
                                apply: received.elapsed(),
                                bytes,
                            };
                            return Ok((times, ws, board));
                        }
                    }
                    _ => {}
                }
            }
        }
    })
    .await
    .context("the join timed out")?
}

/// Stores a board of `notes` notes as `load-0` where `kind` keeps boards, before its first
/// start.
pub(super) fn store_board(
    kind: ServerKind,
    dir: &std::path::Path,
    session: &Session,
    notes: usize,
) -> anyhow::Result<()> {
    match kind {
        ServerKind::Huddle | ServerKind::HuddleBaseline | ServerKind::HuddleCluster => {
            super::seed::boards(dir, &[BOARD.to_owned()], notes)
        }
        ServerKind::YSweet => {
            let (_, state) = crate::fixtures::board_with_notes(notes);
            ysweet::store_update(dir, BOARD, &state)
        }
        ServerKind::Relay => anyhow::bail!("the null relay keeps nothing on disk"),
        ServerKind::Hocuspocus => anyhow::bail!("Hocuspocus runs in memory here"),
        ServerKind::YWebsocket => {
            // Over the wire (LevelDB writes every update as it comes), then a clean stop.
            let (_, state) = crate::fixtures::board_with_notes(notes);
            let mut server = Server::start_kind(kind, dir, &session.pinning)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let seeders = yws::seed_boards(&server, &[BOARD.to_owned()], &state).await?;
                yws::close_seeders(seeders).await;
                // y-websocket writes the update to LevelDB asynchronously; give it time.
                tokio::time::sleep(Duration::from_secs(2)).await;
                anyhow::Ok(())
            })?;
            server.stop()?;
            Ok(())
        }
    }
}
