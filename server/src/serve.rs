//! The accept loop: HTTP/1.1 over each accepted TCP connection, with the limits `axum::serve`
//! has no knob for.
//!
//! - A client must send a request's headers within `--header-read-timeout-secs` (hyper's
//!   header read timeout, which needs a timer: `axum::serve` sets none, so a client that sent
//!   half a request and stalled kept its socket for as long as it liked).
//! - At most `--max-connections-per-ip` open connections per peer address: more are answered
//!   429 and closed. A connection that becomes a WebSocket keeps its slot (the WebSocket task
//!   holds it, through the request's [`ConnectionSlot`]). A connection from another node of
//!   a cluster, relaying its clients, gives its slot back at its first request.
//! - Each request carries the peer address (`ConnectInfo<SocketAddr>`).
//! - `TCP_NODELAY` on every socket: small frames (a note move, a cursor) go out at once (on
//!   the W1 benchmark this took p99 from 21.7 ms to 6.7 ms).
//! - On shutdown: no new connections; open ones finish their request and close.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::guard::Guard;
use crate::guard::limits::Slot;

/// A connection's place under the per-IP cap, held until the connection (or the WebSocket
/// it became) ends, or until it turns out to be another node's ([`ConnectionSlot::release`]).
#[derive(Clone)]
pub struct ConnectionSlot(Arc<Mutex<Option<Slot<IpAddr>>>>);

impl ConnectionSlot {
    /// Takes the connection out of the per-IP count for good. For connections a cluster's
    /// entry node relays (its clients' WebSockets and API requests, all from its address):
    /// the entry counted each against its client's address already, and counted here under
    /// the entry's one address they would make a busy entry hit the cap for all its clients.
    pub fn release(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// How long shutdown waits for open requests (not WebSockets: the rooms close those).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long an over-the-cap client gets to take its 429 before the socket is closed.
const REFUSAL_WRITE: Duration = Duration::from_secs(2);

/// What a client over the per-IP cap reads.
const OVER_CAP: &str =
    "{\"error\": \"too many connections from your address; close some and try again\"}";

/// Serves `router` on `listener` until `shutdown`; then waits for open requests to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    guard: Arc<Guard>,
    metrics: Arc<crate::metrics::Metrics>,
    shutdown: CancellationToken,
) {
    let connections = TaskTracker::new();
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, mostly: wait a moment rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let Some(slot) = guard.connections.acquire(&peer.ip()) else {
            metrics
                .refused_connections
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            connections.spawn(refuse(tcp));
            continue;
        };
        let slot = ConnectionSlot(Arc::new(Mutex::new(Some(slot))));
        let service = router
            .clone()
            .map_request(move |request: axum::http::Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(slot.clone());
                request
            });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(guard.header_read_timeout);
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let connection = builder
                .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service))
                .with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, "connection ended: {e}");
                    }
                }
                _ = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    connections.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("some requests did not finish in time");
    }
}

/// Answers a client over the per-IP cap with 429, then closes.
async fn refuse(mut tcp: TcpStream) {
    let response = format!(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{OVER_CAP}",
        OVER_CAP.len()
    );
    let _ = tokio::time::timeout(REFUSAL_WRITE, async {
        let _ = tcp.write_all(response.as_bytes()).await;
        let _ = tcp.shutdown().await;
    })
    .await;
}
