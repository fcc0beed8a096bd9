//! Crafted and truncated updates against the real server: every truncation of a real update,
//! and hand-crafted frames with absurd counts and lengths, client ids past 2^53, values nested
//! 10,000 deep, unknown message types. Each must close only its own connection with 1007 and a
//! reason, the server stays up and small, the room keeps syncing, and nothing of the bad input
//! is applied or stored (checked in a fresh client, the export, and after a restart).
//!
//! The frames are built with `huddle_tests::crafted`.

use std::collections::BTreeSet;

use anyhow::{Context, ensure};
use huddle_shared::model::BoardSnapshot;
use huddle_shared::wire;
use huddle_tests::client::Client;
use huddle_tests::crafted::{
    ANY_ARRAY, ANY_STRING, CONTENT_ANY, CONTENT_EMBED, CONTENT_STRING, SCRATCH, any_nested,
    any_string, assert_harmless_variant_applies, crafted_item, decodes, json_nested, note_update,
    var_buf, varint,
};
use huddle_tests::http;
use huddle_tests::refusal::{
    CLOSE_INVALID, CLOSE_UNSUPPORTED, Pair, assert_healthy, close_after, close_after_each, join,
    metric, texts,
};
use huddle_tests::server::TestServer;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{ReadTxn, Transact};

/// How much the server's resident memory may grow while it refuses hostile frames. A frame is
/// at most 1 MiB, so anything near this means a length prefix was believed.
const MAX_RSS_GROWTH_KIB: u64 = 200 * 1024;

// ---- helpers --------------------------------------------------------------------------------

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}

/// Item texts of a board as exported by `GET /api/boards/{id}/export.json`.
async fn exported_texts(server: &TestServer, board: &str) -> anyhow::Result<BTreeSet<String>> {
    let res = http::get(server.addr(), &format!("/api/boards/{board}/export.json")).await?;
    ensure!(
        res.status == 200,
        "export answered {}: {}",
        res.status,
        res.body
    );
    let snapshot: BoardSnapshot = serde_json::from_str(&res.body)?;
    Ok(texts(&snapshot))
}

/// Root types in a client's replica (bad updates would add one).
fn root_names(client: &Client) -> BTreeSet<String> {
    let txn = client.board.doc().transact();
    txn.root_refs().map(|(name, _)| name.to_owned()).collect()
}

// ---- tests ----------------------------------------------------------------------------------

/// Every truncation of a real update is refused (1007) and nothing of it is applied or
/// stored: a fresh client, the export and a restarted server show only the good edits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_updates_are_refused_and_not_stored() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let board = "truncated";
    let pair = Pair::join(&server, board).await?;
    let mut good = pair.assert_syncs("before").await?.to_vec();

    let evil = "evil note that must never arrive";
    let update = note_update(4001, evil);
    let full_frame = wire::encode_update(&update);
    let mut frames = Vec::new();
    // The update cut short, in a well-formed frame.
    for len in 0..update.len() {
        frames.push(wire::encode_update(&update[..len]));
    }
    // The frame itself cut short (its length prefix then overstates the payload).
    for len in (1..full_frame.len()).step_by(7) {
        frames.push(full_frame[..len].to_vec());
    }
    for frame in &frames {
        ensure!(!decodes(frame), "a truncation decodes: {frame:02x?}");
    }
    let count = frames.len();
    for (frame, (code, reason)) in frames
        .clone()
        .into_iter()
        .zip(close_after_each(&server, board, frames).await?)
    {
        assert_eq!(code, CLOSE_INVALID, "frame {frame:02x?}: reason {reason:?}");
        assert!(
            !reason.is_empty(),
            "frame {frame:02x?}: 1007 without a reason"
        );
    }
    eprintln!("{count} truncated frames refused");

    assert_healthy(&server).await?;
    good.extend(pair.assert_syncs("after").await?);
    pair.save().await?;
    let want: BTreeSet<String> = good.iter().cloned().collect();

    let fresh = join(&server.ws_url(board)).await?;
    assert_eq!(texts(&fresh.snapshot()), want);
    assert_eq!(exported_texts(&server, board).await?, want);
    fresh.close().await;
    drop(pair);

    // What is on disk: kill -9 (only durable data survives), then read it back.
    server.restart()?;
    assert_eq!(
        exported_texts(&server, board).await?,
        want,
        "export from disk"
    );
    let fresh = join(&server.ws_url(board)).await?;
    assert_eq!(texts(&fresh.snapshot()), want, "board loaded from disk");
    assert!(!root_names(&fresh).contains(SCRATCH));
    Ok(())
}

/// Hand-crafted hostile frames: absurd counts and lengths, client ids past 2^53, values nested
/// 10,000 deep, unknown message types, a text frame. Each closes only its own connection with
/// a code and a reason, the server's memory stays flat, and the room keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_frames_close_only_their_connection() -> anyhow::Result<()> {
    let (mut server, _data) = TestServer::start()?;
    let board = "crafted";
    let pair = Pair::join(&server, board).await?;
    let mut good = pair.assert_syncs("before").await?.to_vec();

    // The crafted items are otherwise valid: their harmless variants apply.
    assert_harmless_variant_applies(&crafted_item(42, 0, CONTENT_ANY, &any_string("v")))?;
    assert_harmless_variant_applies(&crafted_item(
        (1 << 53) - 1,
        0,
        CONTENT_ANY,
        &any_string("v"),
    ))?;
    assert_harmless_variant_applies(&crafted_item(42, 0, CONTENT_ANY, &any_nested(3)))?;
    assert_harmless_variant_applies(&crafted_item(42, 0, CONTENT_STRING, &var_buf(b"ab")))?;
    assert!(decodes(&wire::encode_update(&crafted_item(
        42,
        0,
        CONTENT_EMBED,
        &json_nested(3)
    ))));

    let u32_max = varint(u32::MAX.into());
    // (what, frame, a word the close reason must contain)
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "update claiming 2^32-1 client sections",
            wire::encode_update(&[u32_max.clone(), vec![1, 1, 42, 0]].concat()),
            "client sections",
        ),
        (
            "sync step 2 claiming 2^32-1 blocks",
            wire::encode_sync_step2(&[vec![1], u32_max.clone(), vec![42, 0, 4, 1]].concat()),
            "blocks",
        ),
        (
            "delete set claiming 2^32-1 clients",
            wire::encode_update(&[vec![0], u32_max.clone(), vec![1, 1]].concat()),
            "delete set",
        ),
        (
            "Any array claiming 2^40 elements",
            wire::encode_update(&crafted_item(
                42,
                0,
                CONTENT_ANY,
                &[vec![1, ANY_ARRAY], varint(1 << 40)].concat(),
            )),
            "Any array",
        ),
        (
            "string claiming 2^32-1 bytes",
            wire::encode_update(&crafted_item(
                42,
                0,
                CONTENT_ANY,
                &[vec![1, ANY_STRING], u32_max.clone()].concat(),
            )),
            "Any string",
        ),
        (
            "state vector claiming 2^32 entries",
            [vec![0, 0], var_buf(&[varint(1 << 32), vec![1, 1]].concat())].concat(),
            "state vector",
        ),
        (
            "awareness claiming 2^40 clients",
            [vec![1], var_buf(&[varint(1 << 40), vec![1, 1, 0]].concat())].concat(),
            "awareness",
        ),
        (
            "frame length prefix of 2^32-1",
            [vec![0, 2], u32_max.clone(), vec![0, 0]].concat(),
            "length",
        ),
        (
            "update from client id 2^53",
            wire::encode_update(&crafted_item(1 << 53, 0, CONTENT_ANY, &any_string("v"))),
            "client id",
        ),
        (
            "update from client id 2^64-1",
            wire::encode_update(&crafted_item(u64::MAX, 0, CONTENT_ANY, &any_string("v"))),
            "client id",
        ),
        (
            "state vector with client id 2^53+1",
            [
                vec![0, 0],
                var_buf(&[vec![1], varint((1 << 53) + 1), vec![0]].concat()),
            ]
            .concat(),
            "client id",
        ),
        (
            "awareness from client id 2^64-1",
            [
                vec![1],
                var_buf(&[vec![1], varint(u64::MAX), vec![0], var_buf(b"{}")].concat()),
            ]
            .concat(),
            "client id",
        ),
        (
            "Any value nested 10,000 deep",
            wire::encode_update(&crafted_item(42, 0, CONTENT_ANY, &any_nested(10_000))),
            "nested",
        ),
        (
            "JSON embed nested 10,000 deep",
            wire::encode_update(&crafted_item(42, 0, CONTENT_EMBED, &json_nested(10_000))),
            "JSON",
        ),
        (
            "block clock overflowing u32",
            wire::encode_update(&crafted_item(
                42,
                u32::MAX.into(),
                CONTENT_STRING,
                &var_buf(b"ab"),
            )),
            "overflows",
        ),
        (
            "delete range overflowing u32",
            wire::encode_update(&[vec![0, 1, 42, 1], u32_max.clone(), vec![1]].concat()),
            "overflows",
        ),
        ("unknown message type 7", vec![7], "unknown message type"),
        (
            "unknown message type 2^40",
            varint(1 << 40),
            "unknown message type",
        ),
        ("unknown sync message type 3", vec![0, 3, 0], "unknown sync"),
        (
            "unknown huddle message type 9",
            [vec![100], var_buf(&[9, 1])].concat(),
            "unknown huddle",
        ),
        ("65 messages in one frame", vec![3; 65], "messages"),
        ("varint longer than 64 bits", vec![0xff; 11], "64 bits"),
        ("empty frame", vec![], "empty"),
        (
            "save request with trailing bytes",
            [vec![100], var_buf(&[0, 1, 2])].concat(),
            "trailing",
        ),
    ];

    let pid = server.pid();
    let rss_before = rss_kib(pid)?;
    let rejected_before = metric(&server, "huddle_rejected_messages_total").await?;
    for (what, frame, _) in &cases {
        ensure!(!decodes(frame), "{what}: decodes locally");
    }
    let frames: Vec<Vec<u8>> = cases.iter().map(|(_, f, _)| f.clone()).collect();
    let closes = close_after_each(&server, board, frames).await?;
    for ((what, _, word), (code, reason)) in cases.iter().zip(&closes) {
        assert_eq!(*code, CLOSE_INVALID, "{what}: reason {reason:?}");
        assert!(!reason.is_empty(), "{what}: 1007 without a reason");
        assert!(
            reason.to_lowercase().contains(&word.to_lowercase()),
            "{what}: reason {reason:?} should mention {word:?}"
        );
    }
    let (code, reason) = close_after(&server, board, WsMessage::Text("hello".into())).await?;
    assert_eq!(code, CLOSE_UNSUPPORTED, "text frame: reason {reason:?}");
    assert!(!reason.is_empty(), "text frame: 1003 without a reason");

    let rss_after = rss_kib(pid)?;
    eprintln!(
        "server RSS: {rss_before} KiB before, {rss_after} KiB after {} crafted frames",
        cases.len() + 1
    );
    assert!(
        rss_after < rss_before + MAX_RSS_GROWTH_KIB,
        "server RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    let rejected = metric(&server, "huddle_rejected_messages_total").await?;
    assert!(rejected >= rejected_before + (cases.len() + 1) as f64);

    assert_healthy(&server).await?;
    good.extend(pair.assert_syncs("after").await?);
    pair.save().await?;
    let want: BTreeSet<String> = good.into_iter().collect();
    let fresh = join(&server.ws_url(board)).await?;
    assert_eq!(texts(&fresh.snapshot()), want);
    assert!(
        !root_names(&fresh).contains(SCRATCH),
        "a crafted item was applied"
    );
    fresh.close().await;
    drop(pair);
    server.restart()?;
    let fresh = join(&server.ws_url(board)).await?;
    assert_eq!(texts(&fresh.snapshot()), want, "after restart");
    assert!(
        !root_names(&fresh).contains(SCRATCH),
        "a crafted item was stored"
    );
    Ok(())
}
