//! What a refused connection leaves behind, and how its close reaches it: its awareness state
//! is gone from the room, a burst of refused connections leaves no connection, room or data
//! behind, and the close code and reason arrive even while the server is busy writing to the
//! client.

use std::time::Duration;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use huddle_shared::model::BoardSnapshot;
use huddle_shared::wire;
use huddle_tests::client::WAIT;
use huddle_tests::http;
use huddle_tests::refusal::{CLOSE_INVALID, Pair, add_note, assert_healthy, join, wait_metric};
use huddle_tests::server::{DataDir, TestServer};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::Transact;

// ---- tests ----------------------------------------------------------------------------------

/// The room stays correct for a client that was *in* it when its neighbour misbehaved: the
/// neighbour's awareness state is gone once it is closed, and the awareness of the good
/// clients still flows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_leaves_no_awareness_behind() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let board = "awareness";
    let pair = Pair::join(&server, board).await?;
    let bad = join(&server.ws_url(board)).await?;
    bad.set_awareness(serde_json::json!({"name": "mallory"}))?;
    pair.a
        .wait_peers(|p| p.iter().any(|s| s["name"] == "mallory"))
        .await?;

    bad.send_raw(vec![0, 2, 5, 1, 2]);
    let (code, reason) = bad.closed().await?;
    assert_eq!(code, CLOSE_INVALID, "reason {reason:?}");
    pair.a
        .wait_peers(|p| !p.iter().any(|s| s["name"] == "mallory"))
        .await?;
    pair.b
        .wait_peers(|p| !p.iter().any(|s| s["name"] == "mallory"))
        .await?;

    pair.b.set_awareness(serde_json::json!({"name": "bob"}))?;
    pair.a
        .wait_peers(|p| p.iter().any(|s| s["name"] == "bob"))
        .await?;
    pair.assert_syncs("after").await?;
    Ok(())
}

/// The server survives a burst of bad connections on many boards at once and every one of
/// them is accounted for: no connection or room is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_connections_leave_nothing_behind() -> anyhow::Result<()> {
    let data = DataDir::new();
    let server = TestServer::start_on(data.path(), &["--idle-unload-secs", "1"])?;
    let mut running = JoinSet::new();
    for i in 0..24 {
        let url = server.ws_url(&format!("burst-{}", i % 6));
        running.spawn(async move {
            let client = join(&url).await?;
            client.send_raw(vec![0, 2, 3, 0xff, 0xff, 0xff]);
            let closed = client.closed().await;
            client.abort();
            closed
        });
    }
    while let Some(done) = running.join_next().await {
        let (code, reason) = done??;
        assert_eq!(code, CLOSE_INVALID, "reason {reason:?}");
    }
    wait_metric(&server, "huddle_connections_open", |v| v == 0.0).await?;
    wait_metric(&server, "huddle_rooms_loaded", |v| v == 0.0).await?;
    assert_healthy(&server).await?;

    // The boards that only ever saw bad input hold nothing.
    for i in 0..6 {
        let board = format!("burst-{i}");
        let res = http::get(server.addr(), &format!("/api/boards/{board}/export.json")).await?;
        if res.status == 200 {
            let snapshot: BoardSnapshot = serde_json::from_str(&res.body)?;
            assert!(snapshot.items.is_empty(), "{board}: {snapshot:?}");
        } else {
            assert_eq!(res.status, 404, "{board}: {}", res.body);
        }
    }
    let fresh = join(&server.ws_url("burst-0")).await?;
    assert!(fresh.snapshot().items.is_empty());
    let title = fresh.board.title(&fresh.board.doc().transact());
    assert!(
        title.as_deref().is_none_or(str::is_empty),
        "title {title:?}"
    );
    Ok(())
}

/// The close code and reason reach a client even when its bad frame arrives while the server
/// is in the middle of writing to it (here: the initial sync of a 9 MB board to a client that
/// has not read it yet). The writer must still send the close frame after what it was
/// sending, not drop the socket mid-frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_reason_reaches_a_client_the_server_is_writing_to() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let url = server.ws_url("big-board");
    let setup = join(&url).await?;
    for _ in 0..10 {
        add_note(&setup, &"x".repeat(900_000));
    }
    setup.save().await?;
    setup.close().await;

    let (ws, _) = tokio_tungstenite::connect_async(&url).await?;
    let (mut sink, mut stream) = ws.split();
    let sv = yrs::StateVector::default();
    sink.send(WsMessage::Binary(wire::encode_sync_step1(&sv).into()))
        .await?;
    // Not reading: the server's answer (the whole board) fills the socket buffers and its
    // writer waits. Then the bad frame; then read everything.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sink.send(WsMessage::Binary(vec![7].into())).await?;
    let (mut received, mut close) = (0, None);
    tokio::time::timeout(WAIT, async {
        while let Some(message) = stream.next().await {
            match message {
                Ok(WsMessage::Close(frame)) => {
                    close = Some(frame.map(|f| (u16::from(f.code), f.reason.to_string())));
                    break;
                }
                Ok(m) => received += m.len(),
                Err(e) => {
                    close = Some(Some((0, e.to_string())));
                    break;
                }
            }
        }
    })
    .await
    .context("the connection was not closed")?;
    eprintln!("received {received} bytes before the close: {close:?}");
    let (code, reason) = close.flatten().context("closed without a close frame")?;
    assert_eq!(
        code, CLOSE_INVALID,
        "reason {reason:?} after {received} bytes"
    );
    assert!(!reason.is_empty());
    Ok(())
}
