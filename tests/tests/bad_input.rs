//! Bad input against the real server: oversized frames, random bytes, truncated and crafted
//! updates. Each must close only the offending connection (with a close code and a reason),
//! the server stays up and small, the other clients in the room keep syncing, and nothing of
//! the bad input is stored.
//!
//! The property test that feeds arbitrary bytes to the decode path itself (no server) is
//! `shared/tests/wire_props.rs`.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use futures_util::{SinkExt, StreamExt};
use huddle_shared::model::{Board, BoardSnapshot, NewNote};
use huddle_shared::wire::lib0;
use huddle_shared::wire::{self, HuddleMessage, Limits, Message};
use huddle_tests::client::{Client, WAIT};
use huddle_tests::http;
use huddle_tests::server::{DataDir, TestServer};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Map, ReadTxn, Transact};

/// Close codes the server sends (RFC 6455; see `server/src/outbox.rs`).
const CLOSE_UNSUPPORTED: u16 = 1003;
const CLOSE_INVALID: u16 = 1007;
const CLOSE_TOO_BIG: u16 = 1009;

/// The server's default frame limit (`--max-frame-bytes`).
const DEFAULT_LIMIT: usize = wire::DEFAULT_MAX_FRAME_BYTES;

/// Bad connections opened at once: enough to overlap, few enough for a 2-core machine.
const CONCURRENT: usize = 8;

/// How much the server's resident memory may grow while it refuses hostile frames. A frame is
/// at most 1 MiB, so anything near this means a length prefix was believed.
const MAX_RSS_GROWTH_KIB: u64 = 200 * 1024;

/// Root type the crafted updates write to; never touched by the board model.
const SCRATCH: &str = "scratch";

// ---- helpers --------------------------------------------------------------------------------

/// Two well-behaved clients on one board, used to check the room keeps working.
struct Pair {
    a: Client,
    b: Client,
}

impl Pair {
    async fn join(server: &TestServer, board: &str) -> anyhow::Result<Pair> {
        let url = server.ws_url(board);
        Ok(Pair {
            a: join(&url).await?,
            b: join(&url).await?,
        })
    }

    /// A note from each side reaches the other; returns the two texts.
    async fn assert_syncs(&self, label: &str) -> anyhow::Result<[String; 2]> {
        let (from_a, from_b) = (format!("{label} from a"), format!("{label} from b"));
        add_note(&self.a, &from_a);
        wait_for_text(&self.b, &from_a).await?;
        add_note(&self.b, &from_b);
        wait_for_text(&self.a, &from_b).await?;
        Ok([from_a, from_b])
    }

    /// Waits until both clients' edits are on disk.
    async fn save(&self) -> anyhow::Result<()> {
        self.a.save().await?;
        self.b.save().await
    }
}

/// Connects and completes the handshake both ways. `Client::join` returns once the server
/// answered our sync step 1, but a room that is still loading greets the connection (its own
/// step 1, which the client answers) only afterwards; the "saved" reply comes after that
/// greeting, so once it is in, the client sends nothing on its own.
async fn join(url: &str) -> anyhow::Result<Client> {
    let client = Client::join(url).await?;
    client.save().await.context("handshake")?;
    Ok(client)
}

fn add_note(client: &Client, text: &str) -> String {
    client
        .edit(|board, txn| {
            let note = NewNote {
                text: text.to_owned(),
                ..NewNote::default()
            };
            board.create_note(txn, note)
        })
        .expect("a valid note")
}

fn texts(snapshot: &BoardSnapshot) -> BTreeSet<String> {
    snapshot.items.values().map(|i| i.text.clone()).collect()
}

/// The update v1 of a transaction that creates one note, made by a replica no client uses.
fn note_update(client_id: u64, text: &str) -> Vec<u8> {
    let board = Board::with_client_id(client_id);
    let mut txn = board.transact_mut();
    let note = NewNote {
        text: text.to_owned(),
        ..NewNote::default()
    };
    board.create_note(&mut txn, note).expect("a valid note");
    txn.encode_update_v1()
}

/// A sync Update frame of exactly `len` bytes whose update creates a note of `fill` repeated.
fn note_frame_of_len(client_id: u64, fill: char, len: usize) -> Vec<u8> {
    assert!(fill.is_ascii());
    let mut chars = len;
    for _ in 0..10 {
        let frame = wire::encode_update(&note_update(client_id, &fill.to_string().repeat(chars)));
        if frame.len() == len {
            return frame;
        }
        chars = (chars + len).saturating_sub(frame.len()).max(1);
    }
    panic!("cannot build a frame of exactly {len} bytes");
}

/// Waits until `client` has a note with `text`. The error names the texts it has (boards in
/// these tests may hold megabyte notes, which are abbreviated).
async fn wait_for_text(client: &Client, text: &str) -> anyhow::Result<()> {
    match client.wait_until(|s| texts(s).contains(text)).await {
        Ok(_) => Ok(()),
        Err(_) => {
            let have: Vec<String> = texts(&client.snapshot())
                .into_iter()
                .map(|t| {
                    if t.len() > 40 {
                        let head: String = t.chars().take(20).collect();
                        format!("{head}... ({} bytes)", t.len())
                    } else {
                        t
                    }
                })
                .collect();
            bail!(
                "note {text:?} did not arrive (closed: {:?}); the board has {have:?}",
                client.state().closed
            )
        }
    }
}

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

/// Opens a connection to `board`, sends `frame`, and returns how the server closed it.
async fn close_after(
    server: &TestServer,
    board: &str,
    frame: WsMessage,
) -> anyhow::Result<(u16, String)> {
    let client = join(&server.ws_url(board)).await?;
    client.send_ws(frame);
    let closed = client.closed().await;
    client.abort();
    closed
}

/// As [`close_after`] for many binary frames, each on its own connection, a few at a time.
/// Returns the close (code, reason) of each, in order.
async fn close_after_each(
    server: &TestServer,
    board: &str,
    frames: Vec<Vec<u8>>,
) -> anyhow::Result<Vec<(u16, String)>> {
    let url = server.ws_url(board);
    let mut out = vec![None; frames.len()];
    let mut frames = frames.into_iter().enumerate();
    let mut running = JoinSet::new();
    loop {
        while running.len() < CONCURRENT {
            let Some((i, frame)) = frames.next() else {
                break;
            };
            let url = url.clone();
            running.spawn(async move {
                let client = join(&url).await?;
                client.send_raw(frame);
                let closed = client.closed().await;
                client.abort();
                anyhow::Ok((i, closed?))
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (i, closed) = done??;
        out[i] = Some(closed);
    }
    Ok(out.into_iter().map(|c| c.unwrap_or_default()).collect())
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

async fn metric(server: &TestServer, name: &str) -> anyhow::Result<f64> {
    http::metric(server.addr(), name).await
}

async fn wait_metric(
    server: &TestServer,
    name: &str,
    pred: impl Fn(f64) -> bool,
) -> anyhow::Result<f64> {
    http::wait_metric(server.addr(), name, pred).await
}

async fn assert_healthy(server: &TestServer) -> anyhow::Result<()> {
    let res = http::get(server.addr(), "/healthz")
        .await
        .context("server is down")?;
    ensure!(
        res.status == 200,
        "/healthz answered {}: {}",
        res.status,
        res.body
    );
    Ok(())
}

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

// ---- lib0 / update v1 building blocks for crafted input ---------------------------------------

fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    lib0::write_var_u64(&mut out, value);
    out
}

fn var_buf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    lib0::write_var_buf(&mut out, bytes);
    out
}

/// Item content refs and `Any` tags of the update v1 format.
const CONTENT_STRING: u8 = 4;
const CONTENT_EMBED: u8 = 5;
const CONTENT_ANY: u8 = 8;
const ANY_NULL: u8 = 126;
const ANY_STRING: u8 = 119;
const ANY_ARRAY: u8 = 117;
/// Info bit: a parent-sub (map key) follows the parent.
const HAS_PARENT_SUB: u8 = 0x20;

/// An update with one item by `client` at `clock`: root map [`SCRATCH`], key `k`, the given
/// content ref and content bytes, and an empty delete set.
fn crafted_item(client: u64, clock: u64, content_ref: u8, content: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(varint(1)); // client sections
    u.extend(varint(1)); // blocks
    u.extend(varint(client));
    u.extend(varint(clock));
    u.push(content_ref | HAS_PARENT_SUB);
    u.push(1); // parent given by root name
    u.extend(var_buf(SCRATCH.as_bytes()));
    u.extend(var_buf(b"k"));
    u.extend_from_slice(content);
    u.push(0); // delete set: no clients
    u
}

/// Content of an `Any` item holding one string.
fn any_string(s: &str) -> Vec<u8> {
    [vec![1, ANY_STRING], var_buf(s.as_bytes())].concat()
}

/// Content of an `Any` item holding `depth` nested one-element arrays around a null.
fn any_nested(depth: usize) -> Vec<u8> {
    let mut c = vec![1];
    for _ in 0..depth {
        c.extend([ANY_ARRAY, 1]);
    }
    c.push(ANY_NULL);
    c
}

/// Content of an embed item holding JSON nested `depth` arrays deep.
fn json_nested(depth: usize) -> Vec<u8> {
    var_buf(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).as_bytes())
}

fn decodes(frame: &[u8]) -> bool {
    wire::decode_frame(frame, &Limits::default()).is_ok()
}

/// Checks that a crafted update is well formed apart from the one thing the test breaks: the
/// harmless variant decodes, and yrs applies it to a fresh document.
fn assert_harmless_variant_applies(update: &[u8]) -> anyhow::Result<()> {
    let frame = wire::encode_update(update);
    let messages = wire::decode_frame(&frame, &Limits::default())?;
    let [Message::Update(payload)] = messages.as_slice() else {
        bail!("expected one update, got {messages:?}");
    };
    let doc = yrs::Doc::new();
    let scratch = doc.get_or_insert_map(SCRATCH);
    doc.transact_mut()
        .apply_update(wire::decode_update(payload)?)?;
    let txn = doc.transact();
    ensure!(
        scratch.get(&txn, "k").is_some(),
        "the harmless variant wrote nothing"
    );
    Ok(())
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
            wire::encode_huddle(HuddleMessage::SaveRequest { seq: 1 })[..2]
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
