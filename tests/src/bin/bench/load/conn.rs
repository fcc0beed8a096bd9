//! A lean y-websocket connection for load generation: one TCP socket and one tungstenite
//! stream, driven by the participant's own task (no extra tasks or channels per connection),
//! with small buffers so that thousands fit in one process.

use std::net::SocketAddr;

use futures_util::StreamExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub type Ws = WebSocketStream<TcpStream>;

/// Tungstenite allocates its read buffer eagerly (128 KiB by default): 8 KiB holds many
/// frames of a busy room and keeps 5,000 connections at 40 MB.
const READ_BUFFER: usize = 8 * 1024;
/// A slow reader's kernel receive buffer and read buffer: small, so that the server, not the
/// kernel, holds the backlog a slow reader leaves (Linux doubles the value it is given).
const SLOW_BUFFER: usize = 4 * 1024;

/// How a connection ended, as the participant saw it.
#[derive(Debug, Clone)]
pub struct Close {
    /// The close frame's code; 1005 if it had none, 1006 if the socket ended without one.
    pub code: u16,
    pub reason: String,
}

/// What reading the socket gave.
pub enum Incoming {
    Frame(tokio_tungstenite::tungstenite::Bytes),
    Closed(Close),
    /// Pings, pongs (answered by tungstenite) and text frames (not part of the protocol).
    Other,
}

/// Opens `ws://ADDR PATH` (the server's room path, see [`Server::ws_path`]); a `slow`
/// connection gets the small buffers of a slow reader.
///
/// [`Server::ws_path`]: super::server::Server::ws_path
pub async fn connect(addr: SocketAddr, path: &str, slow: bool) -> anyhow::Result<Ws> {
    if !addr.ip().is_loopback() {
        anyhow::bail!("the load generator only talks to loopback addresses");
    }
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if slow {
        socket.set_recv_buffer_size(SLOW_BUFFER as u32)?;
    }
    let stream = socket.connect(addr).await?;
    // Frames are small and latency is what is measured: no Nagle delay on our side.
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(if slow { SLOW_BUFFER } else { READ_BUFFER })
        .write_buffer_size(0);
    let url = format!("ws://{addr}{path}");
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
    Ok(ws)
}

/// Reads the next message and classifies it.
pub async fn next(ws: &mut Ws) -> Incoming {
    classify(ws.next().await)
}

fn classify(msg: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>) -> Incoming {
    match msg {
        Some(Ok(WsMessage::Binary(frame))) => Incoming::Frame(frame),
        Some(Ok(WsMessage::Close(frame))) => Incoming::Closed(match frame {
            Some(f) => Close {
                code: u16::from(f.code),
                reason: f.reason.to_string(),
            },
            None => Close {
                code: 1005,
                reason: String::new(),
            },
        }),
        Some(Ok(_)) => Incoming::Other,
        Some(Err(e)) => Incoming::Closed(Close {
            code: 1006,
            reason: e.to_string(),
        }),
        None => Incoming::Closed(Close {
            code: 1006,
            reason: "socket ended without a close frame".into(),
        }),
    }
}
