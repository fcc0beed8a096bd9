//! `w8-versions` (issue 14): version storage after W8's drag soak. The same 20 participants
//! dragging in the same 1,000-note board, against a Huddle started with `--test-clock`: the
//! generator moves the server's version clock an hour forward at each twelfth of the sending
//! window but the last, so the room takes its hourly versions while people drag (a
//! twelve-hour day of editing, compressed into the window). The server is then stopped with
//! SIGTERM, which takes the session-end version of the last twelfth.
//!
//! Afterwards the data directory is opened with the server's own `Store`: the versions and
//! their kinds, each version's bytes as stored (deflate) against the board's snapshot, their
//! total in sled's trees (`versions_disk_bytes`), and the directory on disk against the same
//! board freshly seeded. Opening a version is timed twice: in-process, as
//! `GET /api/boards/{id}/versions/{v}` does it (head, state, inflate, the board's plain values,
//! JSON), and over HTTP on the server started again on the directory.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use huddle_server::store::Store;
use huddle_server::versions::capture::snapshot_of;
use huddle_shared::model::BoardSnapshot;
use huddle_shared::versions::VersionHead;

use super::Session;
use super::drag_soak::{self, NOTES, dir_bytes};
use super::driver::{self, board_id};
use super::options::ServerKind;
use super::report;
use super::seed;
use super::server::Server;
use crate::stats::{median, millis};

/// The hours the sending window stands for: one version per hour.
const HOURS: u32 = 12;
/// An hour of the version clock, as `POST /api/test/clock` takes it.
const HOUR_MS: u64 = 3_600_000;

pub fn run_w8_versions(session: &mut Session) -> anyhow::Result<bool> {
    if session.server != ServerKind::Huddle {
        println!(
            "## w8-versions against {}: skipped (only the current Huddle has versions and a test clock)\n",
            session.server.name()
        );
        return Ok(true);
    }
    let mut w = drag_soak::w8(session);
    w.name = "w8-versions";
    w.title = "drag soak with hourly versions (W8; the version clock moved an hour forward every twelfth of the window)";
    w.clock_every = Some(w.duration / HOURS);
    let board = board_id(0);

    // The starting point: the same board seeded the same way, in a directory of its own.
    let fresh = tempfile::tempdir()?;
    seed::boards(fresh.path(), std::slice::from_ref(&board), NOTES)?;
    let dir_before = dir_bytes(fresh.path());
    let snapshot_before = Store::open(fresh.path(), Arc::default())?
        .read(&board)?
        .snapshot_bytes();

    let run = driver::run(&w, &session.pinning, session.server)?;
    let lat = report::print_run(&run);
    // Whether a tail lines up with the hourly versions (one every twelfth of the window).
    report::print_p99_by_second(&run);
    session.record(&run, &lat);
    let ok = report::print_verdict(&run);
    let data = run
        .data
        .as_ref()
        .context("the run kept no data directory")?;
    let dir_after = dir_bytes(data.path());

    let store = Store::open(data.path(), Arc::default())?;
    let heads = store.list_versions(&board)?;
    ensure!(!heads.is_empty(), "the soak left no versions");
    let raw = store.read(&board)?;
    let snapshot = raw.snapshot_bytes();
    let in_trees = store.versions_disk_bytes(&board)?;
    let opens = open_in_process(&store, &board, &heads)?;
    drop(store);
    let http = open_over_http(data.path(), session, &board, &heads)?;

    print_versions(&heads, snapshot, raw.log_bytes());
    let stored: u64 = heads.iter().map(|h| h.stored_bytes).sum();
    let per_version = stored / heads.len() as u64;
    let ratio = |a: u64, b: u64| a as f64 / b.max(1) as f64;
    let kib = |b: u64| format!("{:.1} KiB", b as f64 / 1024.0);
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| the board's snapshot (update v1), freshly seeded -> after the soak | {snapshot_before} -> {snapshot} bytes ({:.2}x) |",
        ratio(snapshot, snapshot_before)
    );
    println!(
        "| a version as stored (deflate), mean of {} | {per_version} bytes = {:.2}x the snapshot |",
        heads.len(),
        ratio(per_version, snapshot)
    );
    println!(
        "| the {} versions' states as stored, in all | {stored} bytes ({}) |",
        heads.len(),
        kib(stored)
    );
    println!(
        "| the versions in sled's trees (keys, heads, states: `versions_disk_bytes`) | {in_trees} bytes = {} per version |",
        in_trees / heads.len() as u64
    );
    println!(
        "| the data directory on disk, the board freshly seeded -> after the soak | {} -> {} ({:.2}x) |",
        kib(dir_before),
        kib(dir_after),
        ratio(dir_after, dir_before)
    );
    println!(
        "| opening a version in-process as `GET /api/boards/{{id}}/versions/{{v}}` does (head, state, inflate, plain values, JSON), each version once | median {:.1} ms, max {:.1} ms |",
        millis(median(&mut opens.clone())),
        millis(opens.iter().copied().max().unwrap_or_default())
    );
    println!(
        "| `GET /api/boards/{{id}}/versions/{{v}}` over HTTP on the server started again, each version once | median {:.1} ms, max {:.1} ms |\n",
        millis(median(&mut http.clone())),
        millis(http.iter().copied().max().unwrap_or_default())
    );
    Ok(ok)
}

/// The sending window, during which the server's version clock moves an hour forward at each
/// `every` but the last (whose edits the session-end version on SIGTERM holds).
pub(super) async fn move_clock(
    server: &Server,
    every: Duration,
    window: Duration,
) -> anyhow::Result<()> {
    let start = tokio::time::Instant::now();
    let mut at = start + every;
    while at + every <= start + window {
        tokio::time::sleep_until(at).await;
        let body = serde_json::json!({ "advance_ms": HOUR_MS });
        let res = huddle_tests::http::post_json(server.addr(), "/api/test/clock", &body).await?;
        ensure!(
            res.status == 200,
            "POST /api/test/clock: {} {}",
            res.status,
            res.body
        );
        at += every;
    }
    tokio::time::sleep_until(start + window).await;
    Ok(())
}

/// One table row per version, oldest first.
fn print_versions(heads: &[VersionHead], snapshot: u64, log: u64) {
    let first = heads.first().map_or(0, |h| h.at);
    println!(
        "Versions of the board after the soak (the board's snapshot: {snapshot} bytes, log tail {log} bytes):\n"
    );
    println!(
        "| # | kind | version clock (since the first) | items | state (update v1) | stored (deflate) | stored / snapshot |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, h) in heads.iter().enumerate() {
        println!(
            "| {} | {} | +{:.2} h | {} | {} | {} | {:.2}x |",
            i + 1,
            h.kind.as_str(),
            h.at.saturating_sub(first) as f64 / HOUR_MS as f64,
            h.items,
            h.state_bytes,
            h.stored_bytes,
            h.stored_bytes as f64 / snapshot.max(1) as f64
        );
    }
    println!();
}

/// The answer of `GET /api/boards/{id}/versions/{v}`.
#[derive(serde::Serialize)]
struct Opened<'a> {
    head: &'a VersionHead,
    board: &'a BoardSnapshot,
}

/// Opens every version once as the API's `show` does: head, state (inflated), the board's
/// plain values, and the JSON answer.
fn open_in_process(
    store: &Store,
    board: &str,
    heads: &[VersionHead],
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(heads.len());
    for h in heads {
        let started = Instant::now();
        let head = store.version_head(board, h.id)?.context("no head")?;
        let state = store.version_state(board, h.id)?.context("no state")?;
        let values = snapshot_of(board, &state)?;
        let json = serde_json::to_vec(&Opened {
            head: &head,
            board: &values,
        })?;
        times.push(started.elapsed());
        ensure!(values.items.len() == NOTES && !json.is_empty());
    }
    Ok(times)
}

/// Starts the server again on `dir` and GETs every version once.
fn open_over_http(
    dir: &Path,
    session: &Session,
    board: &str,
    heads: &[VersionHead],
) -> anyhow::Result<Vec<Duration>> {
    let mut server = Server::start_kind(ServerKind::Huddle, dir, &session.pinning)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let times = rt.block_on(async {
        let mut times = Vec::with_capacity(heads.len());
        for h in heads {
            let path = format!("/api/boards/{board}/versions/{}", h.id);
            let started = Instant::now();
            let res = huddle_tests::http::get(server.addr(), &path).await?;
            times.push(started.elapsed());
            ensure!(res.status == 200, "GET {path}: {} {}", res.status, res.body);
        }
        anyhow::Ok(times)
    });
    server.stop()?;
    times
}
