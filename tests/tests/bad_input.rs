//! Bad frames against the real server: frames over the size limit (the default one and
//! `--max-frame-bytes`), frames of random bytes, and the metric that counts refusals. Each must
//! close only the offending connection (with a close code and a reason), the server stays up,
//! the other clients in the room keep syncing, and nothing of the bad input is stored.
//!
//! Truncated and hand-crafted updates are in `crafted_updates.rs`; what a refused connection
//! leaves behind, in `refused_connections.rs`. The property test that feeds arbitrary bytes to
//! the decode path itself (no server) is `shared/tests/wire_props.rs`.

use anyhow::{Context, ensure};
use huddle_shared::wire::{self, HuddleMessage};
use huddle_tests::client::Client;
use huddle_tests::crafted::{decodes, note_frame_of_len, note_update, var_buf, varint};
use huddle_tests::refusal::{
    CLOSE_INVALID, CLOSE_TOO_BIG, CLOSE_UNSUPPORTED, CONCURRENT, Pair, assert_healthy, close_after,
    join, metric, texts, wait_metric,
};
use huddle_tests::server::{DataDir, TestServer};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The server's default frame limit (`--max-frame-bytes`).
const DEFAULT_LIMIT: usize = wire::DEFAULT_MAX_FRAME_BYTES;

// ---- helpers --------------------------------------------------------------------------------

/// Whether a text is one of the long notes of [`note_frame_of_len`] (the frame's other
/// bytes, the note's keys and values, take a few hundred).
fn is_long_note(text: &str, fill: char, frame_len: usize) -> bool {
    text.len() + 1000 > frame_len && text.chars().all(|c| c == fill)
}

/// Waits until `client` has the long note of `fill`; errors without printing the board.
async fn wait_for_long_note(client: &Client, fill: char, frame_len: usize) -> anyhow::Result<()> {
    client
        .wait_until(|s| {
            s.items
                .values()
                .any(|i| is_long_note(&i.text, fill, frame_len))
        })
        .await
        .map(drop)
        .map_err(|_| anyhow::anyhow!("no note of {fill:?} x ~{frame_len} arrived"))
}

/// What happened to a connection that sent one frame.
#[derive(Debug)]
enum Outcome {
    Closed(u16, String),
    /// Still open: a "saved" round trip after the frame succeeded.
    Open,
}

/// Sends `frame` on a new connection and finds out whether the server closed it. A frame that
/// does not decode must be closed: the client sends nothing more and waits. One that decodes
/// may be harmless, so a "saved" round trip then checks whether the connection still works.
async fn outcome_of(url: String, frame: Vec<u8>, decodes: bool) -> anyhow::Result<Outcome> {
    let client = join(&url).await?;
    client.send_raw(frame);
    let outcome = if decodes && client.save().await.is_ok() && client.state().closed.is_none() {
        Outcome::Open
    } else {
        let (code, reason) = client.closed().await?;
        Outcome::Closed(code, reason)
    };
    client.close().await;
    Ok(outcome)
}

// ---- tests ----------------------------------------------------------------------------------

/// Frames over the default 1 MiB limit close the connection with 1009, before anything of
/// them is decoded or stored; a frame of exactly the limit is fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_close_with_1009() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let board = "oversized";
    let pair = Pair::join(&server, board).await?;
    let mut good = pair.assert_syncs("before").await?.to_vec();

    // Exactly the limit: accepted, applied and forwarded.
    let sender = join(&server.ws_url(board)).await?;
    sender.send_raw(note_frame_of_len(1001, 'a', DEFAULT_LIMIT));
    wait_for_long_note(&pair.a, 'a', DEFAULT_LIMIT)
        .await
        .context("a frame of exactly the limit was not applied")?;
    ensure!(
        sender.state().closed.is_none(),
        "closed: {:?}",
        sender.state().closed
    );
    sender.close().await;

    // One byte over: a valid update that would apply, refused by size alone.
    let over = note_frame_of_len(1002, 'b', DEFAULT_LIMIT + 1);
    ensure!(
        decodes(&over),
        "the over-limit frame should be valid apart from its size"
    );
    let (code, reason) = close_after(&server, board, WsMessage::Binary(over.into())).await?;
    assert_eq!(code, CLOSE_TOO_BIG, "1 MiB + 1 byte: reason {reason:?}");
    assert!(!reason.is_empty(), "1009 without a reason");

    // Five times the limit: past the transport's own limit (2x). The server may manage a 1009
    // close frame, or drop the socket while the client is still sending (then the client
    // sees a reset, code 0, or 1006): either way the connection must end.
    let huge = note_frame_of_len(1003, 'c', 5 * DEFAULT_LIMIT);
    let (code, reason) = close_after(&server, board, WsMessage::Binary(huge.into())).await?;
    eprintln!("5 MiB frame: connection ended with code {code}, reason {reason:?}");
    assert!(
        [CLOSE_TOO_BIG, 0, 1006].contains(&code),
        "5 MiB frame: unexpected close {code} {reason:?}"
    );
    if code == CLOSE_TOO_BIG {
        assert!(!reason.is_empty(), "1009 without a reason");
    }

    assert_healthy(&server).await?;
    good.extend(pair.assert_syncs("after").await?);
    pair.save().await?;

    // Nothing of the refused frames is on the board; the accepted one is.
    let fresh = join(&server.ws_url(board)).await?;
    let seen = texts(&fresh.snapshot());
    for text in &good {
        assert!(seen.contains(text), "missing {text:?}");
    }
    assert!(
        seen.iter().any(|t| is_long_note(t, 'a', DEFAULT_LIMIT)),
        "the at-limit note is missing"
    );
    assert!(
        !seen
            .iter()
            .any(|t| t.starts_with("bbb") || t.starts_with("ccc")),
        "an oversized note was stored"
    );
    assert_eq!(seen.len(), good.len() + 1);
    Ok(())
}

/// `--max-frame-bytes` sets the limit: with 64 KiB, a 64 KiB frame is applied, one byte more
/// closes with 1009, and a frame past twice the limit ends the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_frame_bytes_flag_sets_the_limit() -> anyhow::Result<()> {
    const LIMIT: usize = 65536;
    let data = DataDir::new();
    let server = TestServer::start_on(data.path(), &["--max-frame-bytes", &LIMIT.to_string()])?;
    let board = "small-frames";
    let pair = Pair::join(&server, board).await?;
    pair.assert_syncs("before").await?;

    let sender = join(&server.ws_url(board)).await?;
    sender.send_raw(note_frame_of_len(2001, 'a', LIMIT));
    wait_for_long_note(&pair.b, 'a', LIMIT)
        .await
        .context("a frame of exactly --max-frame-bytes was not applied")?;
    sender.close().await;

    let (code, reason) = close_after(
        &server,
        board,
        WsMessage::Binary(note_frame_of_len(2002, 'b', LIMIT + 1).into()),
    )
    .await?;
    assert_eq!(code, CLOSE_TOO_BIG, "limit + 1: reason {reason:?}");
    assert!(
        reason.contains(&LIMIT.to_string()),
        "the reason should name the limit: {reason:?}"
    );

    // The default limit (1 MiB) would accept this one; the flag must not.
    let (code, reason) = close_after(
        &server,
        board,
        WsMessage::Binary(note_frame_of_len(2003, 'c', 200_000).into()),
    )
    .await?;
    eprintln!("200 kB frame with a 64 KiB limit: code {code}, reason {reason:?}");
    assert!(
        [CLOSE_TOO_BIG, 0, 1006].contains(&code),
        "unexpected close {code} {reason:?}"
    );

    assert_healthy(&server).await?;
    pair.assert_syncs("after").await?;
    let seen = texts(&pair.a.snapshot());
    assert!(
        !seen
            .iter()
            .any(|t| t.starts_with("bbb") || t.starts_with("ccc")),
        "an oversized note was applied"
    );
    Ok(())
}

/// Frames of seeded random bytes, each on its own connection: every one that does not decode
/// closes its connection with 1007 and a reason; the server stays up, leaks no connection, and
/// a pair of good clients keeps syncing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_close_only_their_connection() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let board = "random-bytes";
    let pair = Pair::join(&server, board).await?;
    pair.assert_syncs("before").await?;

    let mut rng = fastrand::Rng::with_seed(0x4875_6464_6c65);
    let valid = wire::encode_update(&note_update(3001, "mutate me"));
    let frames: Vec<Vec<u8>> = (0..160)
        .map(|i| {
            let random = |rng: &mut fastrand::Rng, max: usize| -> Vec<u8> {
                let len = rng.usize(0..max);
                std::iter::repeat_with(|| rng.u8(..)).take(len).collect()
            };
            match i % 5 {
                // Pure noise (the empty frame included).
                0 => random(&mut rng, 2048),
                // Noise behind a sync header, so it reaches the update validator.
                1 => [vec![0, rng.u8(0..3)], var_buf(&random(&mut rng, 512))].concat(),
                // Noise behind an awareness header.
                2 => [vec![1], var_buf(&random(&mut rng, 256))].concat(),
                // Noise starting with a known message type.
                3 => {
                    let mut f = random(&mut rng, 256);
                    f.insert(0, [0, 1, 2, 3, 100][rng.usize(0..5)]);
                    f
                }
                // A valid update with a few bytes changed.
                _ => {
                    let mut f = valid.clone();
                    for _ in 0..rng.usize(1..4) {
                        let at = rng.usize(0..f.len());
                        f[at] = rng.u8(..);
                    }
                    f
                }
            }
        })
        .collect();

    let url = server.ws_url(board);
    let (mut closed, mut open) = (0, 0);
    let decodable = frames.iter().filter(|f| decodes(f)).count();
    let mut running = JoinSet::new();
    let mut queue = frames.into_iter();
    loop {
        while running.len() < CONCURRENT {
            let Some(frame) = queue.next() else { break };
            let url = url.clone();
            running.spawn(async move {
                let decodes = decodes(&frame);
                let outcome = outcome_of(url, frame.clone(), decodes).await;
                (frame, decodes, outcome)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (frame, decodes, outcome) = done?;
        let outcome = outcome.with_context(|| format!("frame {frame:02x?}"))?;
        match outcome {
            // A frame that decodes but that the room refuses (yrs rejects the update) is closed
            // while our "saved" probe may be in flight; the server does not read it, and
            // closing a socket with unread input resets it, which can beat the close frame.
            Outcome::Closed(code, reason) if decodes && code != CLOSE_INVALID => {
                assert!(
                    reason.contains("reset") || code == 1006,
                    "frame {frame:02x?}: {code} {reason:?}"
                );
                closed += 1;
            }
            Outcome::Closed(code, reason) => {
                assert_eq!(code, CLOSE_INVALID, "frame {frame:02x?}: reason {reason:?}");
                assert!(
                    !reason.is_empty(),
                    "frame {frame:02x?}: 1007 without a reason"
                );
                closed += 1;
            }
            // Only a frame that decodes as valid messages may leave its connection open.
            Outcome::Open => {
                assert!(
                    decodes,
                    "undecodable frame {frame:02x?} left its connection open"
                );
                open += 1;
            }
        }
    }
    eprintln!("random frames: {decodable} decode; {closed} were closed, {open} stayed open");
    assert!(
        closed >= 100,
        "most random frames must be refused, only {closed} were"
    );

    assert_healthy(&server).await?;
    pair.assert_syncs("after").await?;
    wait_metric(&server, "huddle_connections_open", |v| v == 2.0).await?;
    Ok(())
}

/// `huddle_rejected_messages_total` counts every refused frame, whichever layer refused it:
/// size, text frame, frame decoding, update validation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_frames_are_counted_in_metrics() -> anyhow::Result<()> {
    let (server, _data) = TestServer::start()?;
    let board = "metrics";
    let pair = Pair::join(&server, board).await?;
    pair.assert_syncs("before").await?;
    let rejected_before = metric(&server, "huddle_rejected_messages_total").await?;
    let received_before = metric(&server, "huddle_bytes_received_total").await?;

    let update = note_update(5001, "cut short");
    let frames: Vec<WsMessage> = vec![
        WsMessage::Binary(vec![0u8; DEFAULT_LIMIT + 1].into()),
        WsMessage::Text("{\"hello\": 1}".into()),
        WsMessage::Binary(vec![7].into()),
        WsMessage::Binary(vec![].into()),
        WsMessage::Binary(wire::encode_update(&update[..update.len() / 2]).into()),
        WsMessage::Binary(
            [vec![1], var_buf(&[varint(1 << 40), vec![1, 1, 0]].concat())]
                .concat()
                .into(),
        ),
        WsMessage::Binary(
            wire::encode_huddle(&HuddleMessage::SaveRequest { seq: 1 })[..2]
                .to_vec()
                .into(),
        ),
    ];
    let count = frames.len();
    for frame in frames {
        let (code, reason) = close_after(&server, board, frame).await?;
        assert!(
            [CLOSE_TOO_BIG, CLOSE_UNSUPPORTED, CLOSE_INVALID].contains(&code),
            "{code} {reason:?}"
        );
    }

    let rejected = metric(&server, "huddle_rejected_messages_total").await?;
    assert!(
        rejected >= rejected_before + count as f64,
        "{count} frames refused, but the counter went from {rejected_before} to {rejected}"
    );
    let received = metric(&server, "huddle_bytes_received_total").await?;
    assert!(
        received >= received_before + DEFAULT_LIMIT as f64,
        "the oversized frame's bytes are not counted"
    );
    pair.assert_syncs("after").await?;
    Ok(())
}
