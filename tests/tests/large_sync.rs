//! A board much larger than the server's fragment size: on the wire its initial sync (sync
//! step 2) really is several WebSocket frames of at most `FRAGMENT_BYTES` each (so tungstenite's
//! write buffer never grows to the board's size), and every kind of client reassembles it: the
//! Rust client (tungstenite), the stock JavaScript peer (y-websocket over Node's `ws`) and the
//! web client in Chromium.
//!
//! The frame check speaks WebSocket over a plain TCP socket and parses frame headers itself:
//! tungstenite would reassemble the fragments and hide them.

use std::collections::BTreeMap;

use anyhow::{Context, bail, ensure};
use huddle_server::ws::FRAGMENT_BYTES;
use huddle_shared::model::{Board, BoardSnapshot, ItemSnapshot, NewNote};
use huddle_shared::wire::{self, Message};
use huddle_tests::browser::{self, Browser};
use huddle_tests::client::{Client, WAIT};
use huddle_tests::js;
use huddle_tests::server::TestServer;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use yrs::{StateVector, Transact};

/// Notes on the board: with their texts, the sync step 2 is many times [`FRAGMENT_BYTES`].
const NOTES: usize = 300;

/// One WebSocket frame as sent by the server (unmasked).
#[derive(Debug)]
struct WireFrame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// Opcodes of RFC 6455 section 5.2.
const CONTINUATION: u8 = 0x0;
const BINARY: u8 = 0x2;

/// A writer fills a board and waits until it is on disk; returns what the board holds.
async fn fill_board(server: &TestServer, board: &str) -> anyhow::Result<BoardSnapshot> {
    let writer = Client::join(&server.ws_url(board)).await?;
    for i in 0..NOTES {
        writer.edit(|b, txn| {
            let note = NewNote {
                pos: [i as f64 * 10.0, 0.0],
                text: format!("note {i}: {}", "refine the backlog ".repeat(4)),
                ..Default::default()
            };
            b.create_note(txn, note).map(drop)
        })?;
    }
    writer.save().await?;
    let snapshot = writer.snapshot();
    writer.close().await;
    Ok(snapshot)
}

/// Opens a WebSocket to `board` on a raw TCP socket: the HTTP upgrade by hand, then sync step 1
/// of an empty document as one masked binary frame; `pipelined` sends the frame in the same
/// write as the request, before the 101 is read (the server must keep the bytes it read past
/// the request).
async fn raw_join(server: &TestServer, board: &str, pipelined: bool) -> anyhow::Result<TcpStream> {
    let url = server.ws_url(board);
    let addr = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .context("ws url")?;
    let mut socket = TcpStream::connect(addr).await?;
    let request = format!(
        "GET /ws/{board}?key={key} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        key = server.admin_key()
    );
    let step1 = wire::encode_sync_step1(&StateVector::default());
    ensure!(step1.len() < 126, "sync step 1 needs a longer header");
    // FIN + binary; mask bit + length; a zero mask key leaves the payload as it is.
    let mut frame = vec![0x80 | BINARY, 0x80 | step1.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(&step1);
    if pipelined {
        socket
            .write_all(&[request.as_bytes(), &frame].concat())
            .await?;
    } else {
        socket.write_all(request.as_bytes()).await?;
    }
    // The response head, byte by byte so that no frame after it is consumed.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(socket.read_u8().await?);
    }
    let head = String::from_utf8_lossy(&head);
    ensure!(head.starts_with("HTTP/1.1 101"), "no upgrade: {head}");
    ensure!(
        head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "wrong Sec-WebSocket-Accept: {head}"
    );

    if !pipelined {
        socket.write_all(&frame).await?;
    }
    Ok(socket)
}

/// Reads one frame (RFC 6455 section 5.2); server frames are not masked.
async fn read_frame(socket: &mut TcpStream) -> anyhow::Result<WireFrame> {
    let b0 = socket.read_u8().await?;
    let b1 = socket.read_u8().await?;
    ensure!(b1 & 0x80 == 0, "server frames must not be masked");
    let len = match b1 & 0x7f {
        126 => socket.read_u16().await? as usize,
        127 => socket.read_u64().await? as usize,
        len => len as usize,
    };
    let mut payload = vec![0; len];
    socket.read_exact(&mut payload).await?;
    Ok(WireFrame {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0f,
        payload,
    })
}

/// Reads data frames until a whole message has arrived; returns its frames. Control frames
/// (a ping) between them are skipped, as RFC 6455 allows them inside a fragmented message.
async fn read_message(socket: &mut TcpStream) -> anyhow::Result<Vec<WireFrame>> {
    let mut frames = Vec::new();
    loop {
        let frame = read_frame(socket).await?;
        if frame.opcode >= 0x8 {
            ensure!(frame.opcode != 0x8, "closed: {:?}", frame.payload);
            continue;
        }
        let fin = frame.fin;
        frames.push(frame);
        if fin {
            return Ok(frames);
        }
    }
}

/// The frames that carried the sync step 2 sent to a fresh raw connection, and the update in it.
async fn sync_step2_frames(
    server: &TestServer,
    board: &str,
    pipelined: bool,
) -> anyhow::Result<(Vec<WireFrame>, Vec<u8>)> {
    let mut socket = raw_join(server, board, pipelined).await?;
    loop {
        let frames = read_message(&mut socket).await?;
        let message: Vec<u8> = frames.iter().flat_map(|f| f.payload.clone()).collect();
        for decoded in wire::decode_frame(&message, &wire::Limits::default())? {
            if let Message::SyncStep2(update) = decoded {
                return Ok((frames, update));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_initial_sync_is_fragmented_on_the_wire() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let board = "big-sync";
    let want = fill_board(&server, board).await?;
    ensure!(
        want.items.len() == NOTES,
        "the writer has {}",
        want.items.len()
    );

    // A binary frame, continuation frames, only the last one final, none larger than the
    // fragment size, and together the whole board.
    let (frames, update) = tokio::time::timeout(WAIT, sync_step2_frames(&server, board, false))
        .await
        .context("timed out reading the sync step 2")??;
    let total: usize = frames.iter().map(|f| f.payload.len()).sum();
    eprintln!(
        "sync step 2 of {NOTES} notes: {total} bytes in {} frames",
        frames.len()
    );
    if total <= 4 * FRAGMENT_BYTES {
        bail!("the board's sync step 2 is only {total} bytes: make the board bigger");
    }
    assert_eq!(
        frames.len(),
        total.div_ceil(FRAGMENT_BYTES),
        "a {total}-byte message should be fragments of {FRAGMENT_BYTES} bytes"
    );
    for (i, frame) in frames.iter().enumerate() {
        let opcode = if i == 0 { BINARY } else { CONTINUATION };
        assert_eq!(frame.opcode, opcode, "frame {i} of {}", frames.len());
        assert_eq!(frame.fin, i + 1 == frames.len(), "frame {i} fin");
        assert!(
            frame.payload.len() <= FRAGMENT_BYTES,
            "frame {i} carries {} bytes",
            frame.payload.len()
        );
    }
    let board_copy = Board::new();
    board_copy
        .doc()
        .transact_mut()
        .apply_update(wire::decode_update(&update)?)?;
    assert_eq!(
        board_copy.snapshot(&board_copy.doc().transact()),
        want,
        "the reassembled sync step 2 is not the board"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_sent_with_the_upgrade_request_is_answered() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let board = "pipelined";
    let want = fill_board(&server, board).await?;
    // The sync step 1 travels in the same segment as the HTTP request: hyper reads it with the
    // request, and the connection must still see it, or no step 2 ever comes.
    let (_, update) = tokio::time::timeout(WAIT, sync_step2_frames(&server, board, true))
        .await
        .context("no sync step 2 for a step 1 sent with the upgrade request")??;
    let copy = Board::new();
    copy.doc()
        .transact_mut()
        .apply_update(wire::decode_update(&update)?)?;
    assert_eq!(copy.snapshot(&copy.doc().transact()), want);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_reassembles_a_fragmented_sync() -> anyhow::Result<()> {
    browser::ensure_client_built()?;
    let (server, _data) = TestServer::start()?;
    let board = "big-sync";
    let want = fill_board(&server, board).await?;

    let rust = Client::join(&server.ws_url(board)).await?;
    assert_eq!(rust.snapshot(), want, "the Rust client's board differs");
    rust.close().await;

    let out = js::run(
        &server.ws_base(),
        board,
        Some(server.admin_key()),
        json!([{"op": "wait_synced"}, {"op": "dump"}]),
    )
    .await?;
    let js_items: BTreeMap<String, ItemSnapshot> = serde_json::from_value(out[0]["items"].clone())?;
    assert_eq!(js_items, want.items, "the JS peer's board differs");

    let browser = Browser::launch().await?;
    let page = browser.new_page(&server.page_url(board)).await?;
    let loaded = format!("Object.keys(window.huddle?.snapshot().items ?? {{}}).length === {NOTES}");
    page.wait_for(&loaded, WAIT)
        .await
        .context("the page never showed the whole board")?;
    let page_items: BTreeMap<String, ItemSnapshot> =
        serde_json::from_value(page.eval("huddle.snapshot().items").await?)?;
    assert_eq!(page_items, want.items, "the page's board differs");
    ensure!(
        page.errors().is_empty(),
        "the page logged errors: {:#?}",
        page.errors()
    );
    Ok(())
}
