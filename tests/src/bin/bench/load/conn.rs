//! A lean y-websocket connection for load generation: one TCP socket and one tungstenite
//! stream, driven by the participant's own task (no extra tasks or channels per connection),
//! with small buffers so that thousands fit in one process.
//!
//! Hocuspocus frames the same y-protocols messages differently ([`Framing::Hocuspocus`]):
//! every message starts with its document's name, and the server's own sync step 1 comes as
//! a "sync reply". The connection adds and strips that, so the rest of the generator speaks
//! y-websocket's protocol to every server.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use huddle_shared::wire::lib0::{Reader, write_var_buf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message as WsMessage};

/// How a server frames y-protocols messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// One message per WebSocket message, as y-websocket (Huddle, y-sweet, the relay).
    YWebsocket,
    /// Hocuspocus: each message is preceded by its document's name (a lib0 string).
    Hocuspocus { document: String },
}

/// Hocuspocus's message types beyond y-websocket's sync (0), awareness (1) and awareness
/// query (3): a sync message that must not be answered with another step 1 (4), and
/// authentication, stateless, close and sync-status messages the generator does not use.
const HOCUSPOCUS_SYNC_REPLY: u8 = 4;

/// A connection to the server under test.
pub struct Ws {
    stream: WebSocketStream<TcpStream>,
    framing: Framing,
}

impl Ws {
    /// Sends one y-websocket message (framed as the server wants it).
    pub async fn send(
        &mut self,
        message: Vec<u8>,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        let frame = frame(&self.framing, message);
        self.stream.send(WsMessage::Binary(frame.into())).await
    }

    /// Closes politely.
    pub async fn close(&mut self) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        self.stream.close(None).await
    }
}

/// A y-websocket message framed for the server.
fn frame(framing: &Framing, message: Vec<u8>) -> Vec<u8> {
    match framing {
        Framing::YWebsocket => message,
        Framing::Hocuspocus { document } => {
            let mut framed = Vec::with_capacity(document.len() + 2 + message.len());
            write_var_buf(&mut framed, document.as_bytes());
            framed.extend_from_slice(&message);
            framed
        }
    }
}

/// The y-websocket message in a frame from the server; `None` for messages of Hocuspocus's
/// own kinds (and frames that do not parse as Hocuspocus's).
fn unframe(framing: &Framing, frame: Bytes) -> Option<Bytes> {
    let Framing::Hocuspocus { .. } = framing else {
        return Some(frame);
    };
    let mut r = Reader::new(&frame);
    r.read_var_buf().ok()?; // the document's name: one per connection here
    let start = r.pos();
    match *frame.get(start)? {
        0 | 1 | 3 => Some(frame.slice(start..)),
        HOCUSPOCUS_SYNC_REPLY => {
            let mut message = frame[start..].to_vec();
            message[0] = 0;
            Some(message.into())
        }
        _ => None,
    }
}

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
pub async fn connect(
    addr: SocketAddr,
    path: &str,
    framing: &Framing,
    slow: bool,
) -> anyhow::Result<Ws> {
    connect_as(addr, path, framing, slow, &[]).await
}

/// [`connect`] with extra request headers: a person's `Cookie` (the voters of the `vote`
/// scenario are each their own person, as each browser is).
pub async fn connect_as(
    addr: SocketAddr,
    path: &str,
    framing: &Framing,
    slow: bool,
    headers: &[(&str, &str)],
) -> anyhow::Result<Ws> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
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
    let mut request = format!("ws://{addr}{path}").into_client_request()?;
    for (name, value) in headers {
        request.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(value)?,
        );
    }
    let (stream, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    Ok(Ws {
        stream,
        framing: framing.clone(),
    })
}

/// Reads the next message and classifies it.
pub async fn next(ws: &mut Ws) -> Incoming {
    match classify(ws.stream.next().await) {
        Incoming::Frame(frame) => {
            unframe(&ws.framing, frame).map_or(Incoming::Other, Incoming::Frame)
        }
        other => other,
    }
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

#[cfg(test)]
mod tests {
    use huddle_shared::wire;
    use yrs::StateVector;

    use super::*;

    #[test]
    fn hocuspocus_framing_names_the_document_and_reads_a_sync_reply_as_sync() {
        let hocuspocus = Framing::Hocuspocus {
            document: "load-0".into(),
        };
        let step1 = wire::encode_sync_step1(&StateVector::default());
        let framed = frame(&hocuspocus, step1.clone());
        assert_eq!(&framed[..7], b"\x06load-0");
        assert_eq!(&framed[7..], &step1[..]);
        // What the server sends back comes out as y-websocket's message.
        assert_eq!(
            unframe(&hocuspocus, framed.into()).as_deref(),
            Some(&step1[..])
        );
        // Its own step 1 comes as a "sync reply" (type 4): read as sync (type 0).
        let mut reply = frame(&hocuspocus, step1.clone());
        reply[7] = HOCUSPOCUS_SYNC_REPLY;
        assert_eq!(
            unframe(&hocuspocus, reply.into()).as_deref(),
            Some(&step1[..])
        );
        // Its sync-status acknowledgements (type 8) are not for the generator.
        let status = frame(&hocuspocus, vec![8, 1]);
        assert_eq!(unframe(&hocuspocus, status.into()), None);
        // y-websocket framing leaves messages as they are.
        assert_eq!(frame(&Framing::YWebsocket, step1.clone()), step1);
    }
}
