//! One WebSocket connection: who may open it ([`upgrade`]), then frame limits -> y-sync
//! messages -> room commands, and the room's frames back out.
//!
//! A connection is let in only with a role on the board (the person's own, or the one a share
//! link's `key` parameter gives); without one the answer is a plain 404, as for a board that
//! does not exist. What the role allows is checked by the room's gate, message by message.
//!
//! Two tasks per connection: this one reads, decodes (so decoding runs in parallel across
//! connections, not in the room) and forwards to the room; a writer task drains the outbox and
//! pings. Either side, or the room, ends the connection through its [`Closer`], which carries
//! the close code and reason the client is sent.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use huddle_shared::ids::is_valid_board_id;
use huddle_shared::wire;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Frame};
use tokio_tungstenite::tungstenite::protocol::{Message as WsMessage, WebSocketConfig};

use crate::api::KeyQuery;
use crate::error::ApiError;
use crate::guard::Rate;
use crate::outbox::{Closer, Linger, Outbound, Outbox, code, frame_queue};
use crate::people::Person;
use crate::relay;
use crate::room::{Member, RoomHandle};
use crate::serve::ConnectionSlot;
use crate::sharing;
use crate::state::AppState;
use crate::upgrade::{Socket, WebSocketUpgrade};

/// Frames queued for one connection before it counts as too slow and is closed. At 50 people
/// moving notes 10 times a second with live cursors that is a few seconds of traffic.
const OUTBOX_FRAMES: usize = 2048;

/// Read buffer of a connection, and the most one read asks the socket for (tungstenite's default
/// is 128 KiB, allocated up front for every socket). tungstenite zero-fills the whole buffer, so
/// every idle connection holds all of it: 8 KiB cost 20.1 KiB per idle connection in W3, 2 KiB
/// cost 15.2 KiB (BENCHMARKS.md, "Issue 16: idle connections"); 1 KiB saved 0.9 KiB more, 512
/// bytes about 0.5 KiB more ("third pass"). Frames are small (a note move, a cursor: tens to
/// a few hundred bytes); a big one grows the buffer to its size and is read 512 bytes a call
/// (a 1 MB offline state: two thousand reads; not measured separately).
pub const READ_BUFFER_BYTES: usize = 512;

/// Messages larger than this are sent in fragments of this size (RFC 6455 section 5.4; browsers,
/// y-websocket and tungstenite reassemble them). tungstenite's write buffer keeps the capacity of
/// the largest frame it ever held, for the life of the connection, and the initial sync step 2
/// carries the whole board (30 KiB for 100 notes, megabytes for big boards): sent whole, every
/// idle connection would keep a buffer the size of the board. Fragmented, the buffer holds one
/// fragment at most (see [`transport_config`]), and every connection holds it once its sync
/// step 2 went out: with 4 KiB fragments that was 3.9 KiB of each idle connection in W3
/// (heaptrack), with 1 KiB fragments 1.0 KiB, hence 256 bytes. Most messages (a note move, a
/// cursor) are smaller and go whole. The fragments do not cost a syscall each: [`Coalesce`]
/// gathers them; each costs a 4-byte header (1.6% of a big board's bytes on the wire) and
/// tungstenite's framing of it.
///
/// [`Coalesce`]: crate::coalesce::Coalesce
pub const FRAGMENT_BYTES: usize = 256;

/// Most frames written before one flush: a burst goes out in few syscalls, and a flush still
/// comes soon enough under a steady stream.
const MAX_FRAMES_PER_FLUSH: usize = 64;

/// How long a closing connection waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Tungstenite's own limit is twice ours: frames between the two are read and answered with a
/// clean 1009 close; only absurd frames hit tungstenite's limit and end the socket abruptly.
pub fn transport_frame_limit(max_frame_bytes: usize) -> usize {
    max_frame_bytes.saturating_mul(2)
}

/// tungstenite's settings for every connection: [`READ_BUFFER_BYTES`], no write buffer, and the
/// transport's frame and message limit.
///
/// Write buffer 0 (tungstenite's default is 128 KiB): tungstenite then hands every frame on at
/// once, so its buffer (whose capacity it never gives back) holds one frame at most. The frames
/// `write_loop` writes before one flush are gathered by [`Coalesce`] instead, which frees its
/// buffer after each flush.
///
/// [`Coalesce`]: crate::coalesce::Coalesce
pub fn transport_config(max_frame_bytes: usize) -> WebSocketConfig {
    let limit = transport_frame_limit(max_frame_bytes);
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit))
}

/// `GET /ws/{board}[?key=...]`: lets the connection in with the person's role on the board (a
/// share link's key may give one; it is remembered for a person with a cookie, and holds for
/// this connection only for a client without one). No role: 404, as for no board.
#[allow(clippy::too_many_arguments)] // one axum extractor per thing the decision needs
pub async fn upgrade(
    Path(board): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    query: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    connection: Option<Extension<ConnectionSlot>>,
    uri: Uri,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !is_valid_board_id(&board) {
        return ApiError::BadBoardId.into_response();
    }
    // The admin's connections (scripts, load tests) are not rate limited or capped.
    let admin = person.admin;
    let peer = peer.map(|Extension(ConnectInfo(peer))| peer);
    // Sent on by another node of the cluster, which took the join's token already.
    let relayed = state
        .cluster
        .as_ref()
        .is_some_and(|c| c.is_relayed_request(&headers));
    if !admin
        && !relayed
        && let Err(refused) = state.guard.take(Rate::Join, &headers, peer, &state.metrics)
    {
        return refused.into_response();
    }
    // Cluster mode: the board's room may run on another node; its clients go there.
    if let (Some(cluster), false) = (&state.cluster, relayed) {
        match relay::route(cluster, &board).await {
            relay::Route::Here => {}
            relay::Route::Moving => return relay::moving(),
            relay::Route::Owner(address) => {
                let client = relay::RelayedClient {
                    ip: state.guard.client_ip(&headers, peer),
                    // Kept for the relayed WebSocket's life, as for one served here.
                    slot: connection.map(|Extension(slot)| slot),
                };
                let (state, headers) = (state.clone(), headers.clone());
                return relay::relay(&state, cluster, &address, &uri, &headers, client, upgrade)
                    .await;
            }
        }
    }
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    let key = query.ok().and_then(|Query(q)| q.key);
    let epoch = state.rooms.access_epoch();
    // Inline, as `people::identify` reads the store: a few sled lookups in memory (and, for a
    // link's first use, an unflushed insert) cost less than a hop to a blocking thread.
    let member = (|| -> Result<Option<Member>, ApiError> {
        // A client that showed no cookie cannot keep the one issued now: its link's role holds
        // for this connection only.
        let remember = !person.new;
        let Some(role) = sharing::role_on(&state.store, &board, &person, key.as_deref(), remember)?
        else {
            return Ok(None);
        };
        Ok(Some(Member {
            name: person.shown(&state.store)?.name,
            person: person.id,
            role,
            epoch,
        }))
    })();
    let member = match member {
        Ok(Some(member)) => member,
        Ok(None) => return ApiError::NoSuchBoard(board).into_response(),
        Err(e) => return e.into_response(),
    };
    let websocket = match admin {
        true => None,
        false => match state.guard.websocket(&member.person, &state.metrics) {
            Ok(slot) => Some(slot),
            Err(refused) => return refused.into_response(),
        },
    };
    let config = transport_config(state.config.max_frame_bytes);
    // With debug logging on, everything the connection logs names its person and role. An
    // enabled span is entered on every poll of the connection: at info level it cost the
    // first join of a 10,000-note board 18% (bench w4 against a build without it).
    let span =
        tracing::debug_span!("ws", board = %board, person = %member.person, role = %member.role);
    upgrade.on_upgrade(config, move |socket| {
        // Held while the WebSocket is open: it counts for its address and its person.
        let held = (websocket, connection);
        tracing::Instrument::instrument(serve(socket, board, member, state, held), span)
    })
}

/// Runs one connection to `board` until either side closes it; `held` is dropped then.
///
/// The set-up runs here, before the returned future: what it consumes (the socket, 352 bytes)
/// is then not kept for the life of every connection, as an async fn keeps its arguments.
pub fn serve(
    socket: Socket,
    board: String,
    member: Member,
    app: AppState,
    held: impl Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    let (sink, stream) = socket.split();
    let (frames, outbound) = frame_queue(OUTBOX_FRAMES);
    let closer = Arc::new(Closer::within(&app.shutdown));
    let outbox = Outbox {
        frames,
        closer: closer.clone(),
        linger: Linger::default(),
    };
    let writer = tokio::spawn(write_loop(
        sink,
        outbound,
        closer.clone(),
        outbox.linger.clone(),
        app.clone(),
    ));
    run(stream, writer, closer, outbox, board, member, app, held)
}

/// The connection's reading half, after [`serve`]'s set-up.
///
/// An async fn's future is as large as its largest await point, for the whole life of the
/// task, and an idle connection waits at the smallest one (the next frame). So the larger,
/// passing steps (joining, handing a frame to the room, leaving, closing) are boxed here and in
/// [`write_loop`] (a send, a linger, the close): the reading task went from 1,200 to 784 bytes
/// and the writing task from 1,000 to 752, on every idle connection, for one allocation per
/// step taken.
#[allow(clippy::too_many_arguments)] // serve's parts, handed over once
async fn run(
    mut stream: SplitStream<Socket>,
    writer: tokio::task::JoinHandle<()>,
    closer: Arc<Closer>,
    outbox: Outbox,
    board: String,
    member: Member,
    app: AppState,
    _held: impl Send,
) {
    let _task = app.tracker.token();
    let conn = app.next_conn_id.fetch_add(1, Relaxed);
    app.metrics.connections_open.fetch_add(1, Relaxed);
    match Box::pin(join(&app, &board, conn, member, outbox)).await {
        Some(room) => {
            read_loop(&mut stream, &room, conn, &closer, &app).await;
            Box::pin(room.leave(conn)).await;
            closer.close(code::NORMAL, "");
        }
        None => closer.close(code::INTERNAL, "board unavailable; try again"),
    }
    // Read on until the client answers our close frame (or briefly gives up): closing a socket
    // with unread data in it makes the kernel reset it, and the client would never see why.
    let drain = async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, WsMessage::Close(_)) {
                break;
            }
        }
    };
    let _ = Box::pin(tokio::time::timeout(CLOSE_GRACE, drain)).await;
    let _ = writer.await;
    app.metrics.connections_open.fetch_sub(1, Relaxed);
}

async fn join(
    app: &AppState,
    board: &str,
    conn: u64,
    member: Member,
    outbox: Outbox,
) -> Option<RoomHandle> {
    app.rooms
        .ask(board, &app.room_context(), |room| {
            let (member, outbox) = (member.clone(), outbox.clone());
            async move { room.join(conn, member, outbox).await.then_some(room) }
        })
        .await
}

async fn read_loop(
    stream: &mut SplitStream<Socket>,
    room: &RoomHandle,
    conn: u64,
    closer: &Closer,
    app: &AppState,
) {
    let limit = app.config.max_frame_bytes;
    let limits = wire::Limits::from_clients();
    loop {
        // No timer per read: the writer checks on each ping that the client was heard from
        // (see `write_loop`); and the server's shutdown closes the closer too.
        let next = tokio::select! {
            _ = closer.closed() => return closer.closed_by_shutdown(),
            next = stream.next() => next,
        };
        let message = match next {
            None => return,
            // Past the transport's limit (twice ours): tungstenite stops reading the frame.
            Some(Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))) => {
                app.metrics.rejected_messages.fetch_add(1, Relaxed);
                return closer.close(code::TOO_BIG, &format!("frame larger than {limit} bytes"));
            }
            Some(Err(e)) => {
                tracing::debug!(conn, "read error: {e}");
                return;
            }
            Some(Ok(message)) => message,
        };
        closer.heard();
        let frame: Bytes = match message {
            WsMessage::Binary(frame) => frame,
            WsMessage::Text(_) => {
                app.metrics.rejected_messages.fetch_add(1, Relaxed);
                return closer.close(
                    code::UNSUPPORTED,
                    "text frames are not part of the protocol",
                );
            }
            WsMessage::Ping(_) | WsMessage::Pong(_) => continue,
            // Never read: tungstenite assembles frames into messages.
            WsMessage::Frame(_) => continue,
            WsMessage::Close(_) => return,
        };
        app.metrics
            .bytes_received
            .fetch_add(frame.len() as u64, Relaxed);
        if frame.len() > limit {
            app.metrics.rejected_messages.fetch_add(1, Relaxed);
            return closer.close(
                code::TOO_BIG,
                &format!(
                    "frame of {} bytes exceeds the limit of {limit}",
                    frame.len()
                ),
            );
        }
        let messages = match wire::decode_frame(&frame, &limits) {
            Ok(messages) => messages,
            Err(e) => {
                app.metrics.rejected_messages.fetch_add(1, Relaxed);
                tracing::warn!(conn, "closing connection: {e}");
                return closer.close(code::INVALID, &e.to_string());
            }
        };
        if Box::pin(room.frame(conn, messages, frame)).await.is_err() {
            return closer.close(code::GOING_AWAY, "board closed; reconnect");
        }
    }
}

async fn write_loop(
    mut sink: SplitSink<Socket, WsMessage>,
    mut outbound: Outbound,
    closer: Arc<Closer>,
    linger: Linger,
    app: AppState,
) {
    let mut ping = tokio::time::interval(app.config.ping_interval);
    ping.tick().await; // the first tick is immediate
    // Anything at all from the client (a pong included) within this deadline keeps it alive;
    // checked at each ping, so a silent client goes within one ping interval after it.
    let deadline = app.config.ping_interval * 2 + Duration::from_secs(5);
    let mut flushed = Instant::now();
    loop {
        let first = tokio::select! {
            biased;
            _ = closer.closed() => break,
            frame = outbound.recv() => match frame {
                Some(frame) => WsMessage::Binary(frame),
                None => break,
            },
            _ = ping.tick() => {
                if closer.silent_for() > deadline {
                    closer.close(code::POLICY, "no pong within the deadline");
                    break;
                }
                WsMessage::Ping(Bytes::new())
            }
        };
        // In a big room, a connection that wrote moments ago waits out its linger first, so
        // that the frames coming behind this one leave in the same write (see `Linger`).
        let hold = linger.get();
        if !hold.is_zero()
            && matches!(first, WsMessage::Binary(_))
            && flushed + hold > Instant::now()
        {
            let hold_until = flushed + hold;
            tokio::select! {
                biased;
                _ = closer.closed() => break,
                () = Box::pin(tokio::time::sleep_until(hold_until)) => {}
            }
        }
        // Write what is queued behind it too, then flush once. Taken from the queue one by
        // one as they are written, not gathered first: a vector of 64 messages kept per
        // connection was about 3.5 KiB of every idle connection.
        let send = async {
            let mut message = first;
            let mut written = 1;
            loop {
                match message {
                    WsMessage::Binary(frame) => {
                        // Counted per message, before fragmenting: bytes once, a fragmented
                        // message as one.
                        app.metrics
                            .bytes_sent
                            .fetch_add(frame.len() as u64, Relaxed);
                        app.metrics.frames_sent.fetch_add(1, Relaxed);
                        for fragment in fragments(frame) {
                            sink.feed(fragment).await?;
                        }
                    }
                    other => sink.feed(other).await?,
                }
                if written == MAX_FRAMES_PER_FLUSH {
                    break;
                }
                match outbound.try_recv() {
                    Some(frame) => message = WsMessage::Binary(frame),
                    None => break,
                }
                written += 1;
            }
            sink.flush().await
        };
        // A client that stops reading blocks the write; closing must still win.
        tokio::select! {
            biased;
            _ = closer.closed() => break,
            sent = Box::pin(send) => if sent.is_err() {
                return closer.close(code::NORMAL, "");
            },
        }
        flushed = Instant::now();
    }
    let (code, reason) = closer.reason();
    let close = WsMessage::Close(Some(CloseFrame {
        code: code.into(),
        reason: reason.into(),
    }));
    let _ = Box::pin(tokio::time::timeout(Duration::from_secs(1), async {
        if closer.drains() {
            while let Some(frame) = outbound.try_recv() {
                if sink.feed(WsMessage::Binary(frame)).await.is_err() {
                    break;
                }
            }
        }
        let _ = sink.send(close).await;
        let _ = sink.close().await;
    }))
    .await;
}

/// The WebSocket frames that carry the binary message `message`: one frame if it fits in
/// [`FRAGMENT_BYTES`], else a binary frame and continuation frames of at most that size, only
/// the last one final. The frames share `message`'s bytes (no copy). They must be written one
/// after the other; only control frames (tungstenite's automatic pong) may come between them.
fn fragments(message: Bytes) -> impl Iterator<Item = WsMessage> {
    let count = message.len().div_ceil(FRAGMENT_BYTES).max(1);
    (0..count).map(move |i| {
        let start = i * FRAGMENT_BYTES;
        let end = message.len().min(start + FRAGMENT_BYTES);
        let opcode = if i == 0 { Data::Binary } else { Data::Continue };
        let frame = Frame::message(
            message.slice(start..end),
            OpCode::Data(opcode),
            i + 1 == count,
        );
        WsMessage::Frame(frame)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (opcode, final, payload) of each frame `fragments` makes of `message`.
    fn frames_of(message: &Bytes) -> Vec<(OpCode, bool, Bytes)> {
        fragments(message.clone())
            .map(|m| match m {
                WsMessage::Frame(f) => (f.header().opcode, f.header().is_final, f.into_payload()),
                other => panic!("not a frame: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn small_messages_are_one_final_binary_frame() {
        for len in [0, 1, FRAGMENT_BYTES] {
            let message = Bytes::from(vec![7; len]);
            let frames = frames_of(&message);
            assert_eq!(frames, [(OpCode::Data(Data::Binary), true, message)]);
        }
    }

    #[test]
    fn large_messages_are_fragments_that_join_up() {
        for len in [
            FRAGMENT_BYTES + 1,
            3 * FRAGMENT_BYTES,
            3 * FRAGMENT_BYTES + 500,
        ] {
            let message: Bytes = (0..len).map(|i| i as u8).collect::<Vec<u8>>().into();
            let frames = frames_of(&message);
            assert_eq!(frames.len(), len.div_ceil(FRAGMENT_BYTES));
            for (i, (opcode, fin, payload)) in frames.iter().enumerate() {
                let first = i == 0;
                let last = i + 1 == frames.len();
                let expected = if first { Data::Binary } else { Data::Continue };
                assert_eq!(*opcode, OpCode::Data(expected), "frame {i} of {len}");
                assert_eq!(*fin, last, "frame {i} of {len}");
                assert!(!payload.is_empty() && payload.len() <= FRAGMENT_BYTES);
            }
            let joined: Vec<u8> = frames
                .iter()
                .flat_map(|(_, _, p)| p.iter().copied())
                .collect();
            assert_eq!(joined, message);
        }
    }
}
