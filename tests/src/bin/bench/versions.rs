//! Version history's costs, in-process (issue 14), on a 10,000-note board:
//!
//! - disk: a day of hourly versions of the board while it is edited (24 "hours" of note
//!   moves, a version after each, stored through the server's own `capture::take`): bytes
//!   per version as stored (deflate) against the board's compacted snapshot, and the sled
//!   trees' total as `versions_disk_bytes` counts it;
//! - time to take one (summary against the previous version, compress, store) and to open
//!   one: what `GET /api/boards/{id}/versions/{v}` does (read, inflate, build the board's
//!   plain values) and the page's part of a read-only open (inflate + apply the update).
//!
//! This is not the W8 load scenario with a live server: the edits are the fixture's random
//! note moves, applied directly.

use std::sync::Arc;
use std::time::Instant;

use huddle_server::store::Store;
use huddle_server::versions::VersionConfig;
use huddle_server::versions::capture::{self, Capture};
use huddle_shared::model::Board;
use huddle_shared::versions::VersionKind;
use yrs::{ReadTxn, StateVector, Transact};

use crate::fixtures::{board_with_notes, moves};
use crate::stats::{median, millis};

const NOTES: usize = 10_000;
/// Hourly versions taken (a day).
const HOURS: usize = 24;
/// Note moves between two versions (a busy hour of a workshop: one every 1.8 s).
const MOVES_PER_HOUR: usize = 2000;
/// Opens measured.
const OPENS: usize = 9;

pub fn run() -> anyhow::Result<()> {
    println!("## versions: version storage and opening, {NOTES} notes\n");
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), Arc::default())?;
    let config = VersionConfig::default();
    let (board, state) = board_with_notes(NOTES);
    store.append("bench", 0, &state)?;
    let mut seq = 1;
    let mut takes = Vec::new();
    let mut stored = Vec::new();
    for hour in 0..HOURS {
        for update in moves(&board, MOVES_PER_HOUR, hour as u64) {
            store.append("bench", seq, &update)?;
            seq += 1;
        }
        let state = board
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let started = Instant::now();
        let head = capture::take(
            &store,
            &config,
            "bench",
            Capture {
                kind: VersionKind::Hourly,
                name: None,
                authors: Vec::new(),
                state,
                // Real times: retention must keep all of them (it prunes by the clock).
                at: config.clock.now_ms() + hour as u64 * 3_600_000,
            },
        )?;
        takes.push(started.elapsed());
        stored.push(head);
    }
    store.compact("bench", seq - 1)?;
    let snapshot = store.read("bench")?.snapshot_bytes();
    let last = stored.last().map_or(0, |h| h.state_bytes);
    let per_version: u64 = stored.iter().map(|h| h.stored_bytes).sum::<u64>() / HOURS as u64;
    let on_disk = store.versions_disk_bytes("bench")?;
    println!("board snapshot (compacted, update v1): {snapshot} bytes");
    println!("a version's state before compression: {last} bytes (last hour)");
    println!(
        "a version as stored (deflate): {per_version} bytes on average over {HOURS} hourly \
         versions = {:.2}x the snapshot",
        per_version as f64 / snapshot.max(1) as f64
    );
    println!(
        "{HOURS} versions in sled's trees (keys + heads + states): {on_disk} bytes = {} per \
         version",
        on_disk / HOURS as u64
    );
    println!(
        "taking a version (summary vs the previous one, compress, store): median {:.1} ms",
        millis(median(&mut takes))
    );

    let id = stored.last().map_or(0, |h| h.id);
    let mut api_opens = Vec::new();
    let mut page_opens = Vec::new();
    for _ in 0..OPENS {
        let started = Instant::now();
        let bytes = store
            .version_state("bench", id)?
            .ok_or_else(|| anyhow::anyhow!("no version"))?;
        let snapshot = capture::snapshot_of("bench", &bytes)?;
        api_opens.push(started.elapsed());
        anyhow::ensure!(snapshot.items.len() == NOTES);
        let started = Instant::now();
        let bytes = store
            .version_state("bench", id)?
            .ok_or_else(|| anyhow::anyhow!("no version"))?;
        let page = Board::new();
        let update = huddle_shared::wire::decode_update(&bytes)?;
        page.doc().transact_mut().apply_update(update)?;
        page_opens.push(started.elapsed());
        anyhow::ensure!(page.item_count(&page.doc().transact()) as usize == NOTES);
    }
    println!(
        "opening a version, as GET /api/boards/{{id}}/versions/{{v}} (read, inflate, build the \
         board's values): median {:.1} ms",
        millis(median(&mut api_opens))
    );
    println!(
        "opening a version, the page's part natively (read, inflate, apply the update): \
         median {:.1} ms\n",
        millis(median(&mut page_opens))
    );
    Ok(())
}
