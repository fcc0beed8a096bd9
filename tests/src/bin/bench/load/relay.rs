//! The null relay: the least work a y-websocket server can do, as the baseline for "latency
//! added by the server" (`--server relay`, e.g. `bench w1 --server huddle,relay`).
//!
//! It runs as this very binary (`bench relay`), started, pinned and measured like the real
//! servers, on the same tokio and tokio-tungstenite, with the same frame decoding as Huddle's
//! reader. What it leaves out is everything a server is for: no document (updates are never
//! integrated, only kept as bytes), no storage, no awareness bookkeeping. A frame holding an
//! update or awareness goes, as it came, to every other connection of its room; a sync step 1
//! is answered with the room's updates merged into one sync step 2 (on joins only, not on the
//! measured path). So the generator's and the network's part of a latency is what the relay
//! shows, and Huddle's figure minus the relay's is what Huddle adds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use huddle_shared::wire::{self, Message};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Bytes;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// The line the relay prints once it listens; [`start`](super::server) waits for it.
pub const LISTENING: &str = "relay listening on ws://";

/// Most frames written before one flush, as in Huddle's writer.
const MAX_FRAMES_PER_FLUSH: usize = 64;

#[derive(Default)]
struct Room {
    peers: HashMap<u64, mpsc::UnboundedSender<Bytes>>,
    /// Every update received, as sent (sync step 2 answers and updates).
    updates: Vec<Vec<u8>>,
}

type Rooms = Arc<Mutex<HashMap<String, Room>>>;

/// `bench relay`: serves on 127.0.0.1 (a free port) until killed.
pub fn main() -> anyhow::Result<()> {
    // Sized like Huddle's runtime: by the cores this process may use (taskset).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("{LISTENING}{}", listener.local_addr()?);
        let rooms = Rooms::default();
        let mut next_id = 0;
        loop {
            let (socket, _) = listener.accept().await?;
            socket.set_nodelay(true)?;
            next_id += 1;
            tokio::spawn(serve(socket, next_id, rooms.clone()));
        }
    })
}

async fn serve(socket: TcpStream, id: u64, rooms: Rooms) {
    let mut path = String::new();
    // The handshake callback's signature is tungstenite's (its error is a whole HTTP response).
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, res: Response| {
        path = req.uri().path().to_owned();
        Ok(res)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(socket, callback).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    rooms
        .lock()
        .expect("rooms")
        .entry(path.clone())
        .or_default()
        .peers
        .insert(id, tx.clone());
    let writer = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_FRAMES_PER_FLUSH {
                match rx.try_recv() {
                    Ok(frame) => batch.push(frame),
                    Err(_) => break,
                }
            }
            for frame in batch {
                if sink.feed(WsMessage::Binary(frame)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    let limits = wire::Limits::default();
    while let Some(Ok(message)) = stream.next().await {
        let WsMessage::Binary(frame) = message else {
            if matches!(message, WsMessage::Close(_)) {
                break;
            }
            continue;
        };
        let Ok(messages) = wire::decode_frame(&frame, &limits) else {
            break;
        };
        let single = messages.len() == 1;
        let mut rooms = rooms.lock().expect("rooms");
        let room = rooms.get_mut(&path).expect("joined");
        for message in messages {
            match message {
                Message::SyncStep1(_) => {
                    let merged = match room.updates.len() {
                        0 => vec![0, 0],
                        1 => room.updates[0].clone(),
                        _ => yrs::merge_updates_v1(&room.updates).unwrap_or_default(),
                    };
                    room.updates = vec![merged.clone()];
                    let _ = tx.send(Bytes::from(wire::encode_sync_step2(&merged)));
                }
                Message::Update(update) if update != [0, 0] => {
                    // A frame of one message is forwarded as it came, as Huddle does.
                    let out = if single {
                        frame.clone()
                    } else {
                        Bytes::from(wire::encode_update(&update))
                    };
                    room.updates.push(update);
                    broadcast(room, id, out);
                }
                Message::SyncStep2(update) if update != [0, 0] => {
                    broadcast(room, id, Bytes::from(wire::encode_update(&update)));
                    room.updates.push(update);
                }
                Message::Awareness(_) => broadcast(room, id, frame.clone()),
                _ => {}
            }
        }
    }
    if let Some(room) = rooms.lock().expect("rooms").get_mut(&path) {
        room.peers.remove(&id);
    }
    drop(tx);
    let _ = writer.await;
}

fn broadcast(room: &Room, from: u64, frame: Bytes) {
    for (peer, tx) in &room.peers {
        if *peer != from {
            let _ = tx.send(frame.clone());
        }
    }
}

/// Starts `bench relay` (this binary) under `taskset` if `pinning` pins; returns the child and
/// the address it printed.
pub fn start(
    pinning: &super::pin::Pinning,
) -> anyhow::Result<(std::process::Child, std::net::SocketAddr)> {
    let exe = std::env::current_exe().context("cannot find the bench binary")?;
    let mut command = huddle_tests::server::wrapped_command(&pinning.server_wrapper(), exe);
    command.arg("relay");
    huddle_tests::server::spawn_until_listening(
        command,
        "the null relay",
        std::time::Duration::from_secs(10),
        |line| line.strip_prefix(LISTENING)?.parse().ok(),
        |_| {},
    )
}
