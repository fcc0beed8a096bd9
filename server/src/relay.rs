//! Cluster mode's relay: a WebSocket for a board whose room runs on another node is passed
//! to that node, byte for byte, so every client of a board talks to the one room that owns it
//! (DESIGN.md, "Many nodes"), whichever node it reached.
//!
//! The node that took the connection (the *entry*) asks Redis which node owns the board,
//! taking it itself if none does (a claim, which the room that loads the board then holds
//! on to). If another one does, it opens a TCP connection to that node's announced address and sends
//! the client's upgrade request on (same path, same headers, `Cookie` and `Origin` included,
//! so the owner decides who may enter exactly as if the client had come to it directly),
//! plus two headers of its own: `x-huddle-relay`, a token only the cluster's nodes know
//! (derived from the shared cookie secret), and `x-huddle-client-ip`, the client's address
//! as the entry saw it. Headers of those names from a client are dropped. When the owner
//! answers 101, the entry answers the client 101 and from then on copies bytes both ways
//! (`copy_bidirectional`): the WebSocket frames are the client's, masked as it masked them,
//! and the owner's, unchanged. Any other answer (404, 429...) goes back to the client as it
//! came. Direct between nodes, not through Redis: one copy per byte on the entry and no
//! Redis round trip per frame.
//!
//! When the owner dies the copied connection ends, the client reconnects, and the entry
//! finds the board's lease still held by the dead node until it runs out: it answers 503
//! (try again) for the few seconds until it may load the board itself.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::serve::ConnectionSlot;
use crate::state::AppState;
use crate::store::RedisStore;
use crate::upgrade::WebSocketUpgrade;

/// Marks a request as sent on by another node of the cluster (its value: [`Cluster`]'s token).
pub const RELAY_HEADER: HeaderName = HeaderName::from_static("x-huddle-relay");
/// The client's address as the entry node saw it (trusted only with [`RELAY_HEADER`]).
pub const CLIENT_IP_HEADER: HeaderName = HeaderName::from_static("x-huddle-client-ip");

/// How long the entry waits to connect to the owner and for its answer to the upgrade.
const OWNER_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest answer head (and body of a refusal) read from the owner.
const MAX_ANSWER_BYTES: usize = 64 << 10;

/// This node's part in a cluster.
pub struct Cluster {
    pub redis: RedisStore,
    pub token: RelayToken,
    /// Sends a board's API requests on to its owner (plain HTTP between nodes, no proxy).
    http: reqwest::Client,
}

impl Cluster {
    pub fn new(redis: RedisStore, cookie_secret: &[u8]) -> Cluster {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a plain HTTP client builds");
        Cluster {
            redis,
            token: RelayToken::new(cookie_secret),
            http,
        }
    }

    /// The cluster's lines of `/metrics`: owned boards, their log entries, takeovers, fenced
    /// writes and the Redis round trip (`huddle_redis_up` 0 and no latency when it fails).
    /// Blocking (Redis calls).
    pub fn render_metrics(&self) -> String {
        let redis = &self.redis;
        let owned = redis.owned_boards();
        let mut out = String::new();
        let mut line = |name: &str, kind: &str, help: &str, value: String| {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            ));
        };
        line(
            "huddle_cluster_boards_owned",
            "gauge",
            "Boards whose lease this node holds (their rooms run here).",
            owned.len().to_string(),
        );
        line(
            "huddle_cluster_takeovers_total",
            "counter",
            "Boards this node took from a node whose lease ran out.",
            redis.takeovers().to_string(),
        );
        line(
            "huddle_cluster_fenced_writes_total",
            "counter",
            "Writes Redis refused because another node had taken the board.",
            redis.fenced_writes().to_string(),
        );
        match redis.ping() {
            Ok(took) => {
                line(
                    "huddle_redis_up",
                    "gauge",
                    "Whether Redis answers.",
                    "1".into(),
                );
                line(
                    "huddle_redis_latency_seconds",
                    "gauge",
                    "Round trip of a PING to Redis, measured for this scrape.",
                    format!("{}", took.as_secs_f64()),
                );
                if let Ok(entries) = redis.log_entries(&owned) {
                    line(
                        "huddle_cluster_log_entries",
                        "gauge",
                        "Entries in the Redis streams (update logs) of the boards this node owns.",
                        entries.to_string(),
                    );
                }
            }
            Err(_) => line(
                "huddle_redis_up",
                "gauge",
                "Whether Redis answers.",
                "0".into(),
            ),
        }
        out
    }

    /// Whether the request was sent on by another node of this cluster.
    pub fn is_relayed_request(&self, headers: &HeaderMap) -> bool {
        self.token.is_relayed(headers)
    }
}

/// Proves a request came from another node: HMAC-SHA256 of a fixed label under the
/// cluster's cookie secret (which every node reads from Redis), hex.
pub struct RelayToken(String);

impl RelayToken {
    pub fn new(cookie_secret: &[u8]) -> RelayToken {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(cookie_secret).expect("HMAC takes a key of any length");
        mac.update(b"huddle node-to-node relay");
        let token = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        RelayToken(token)
    }

    /// Whether the request was sent on by another node (a valid [`RELAY_HEADER`]).
    pub fn is_relayed(&self, headers: &HeaderMap) -> bool {
        headers.get(RELAY_HEADER).is_some_and(|v| {
            let (a, b) = (v.as_bytes(), self.0.as_bytes());
            // Constant time: the token must not leak a byte at a time.
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
        })
    }

    /// The client's address of a relayed request, as its entry node saw it.
    pub fn relayed_client_ip(&self, headers: &HeaderMap) -> Option<IpAddr> {
        if !self.is_relayed(headers) {
            return None;
        }
        headers.get(CLIENT_IP_HEADER)?.to_str().ok()?.parse().ok()
    }
}

/// Where a connection to `board` must go.
pub enum Route {
    /// This node runs (or will load) the board.
    Here,
    /// Another node owns it, reachable at this address.
    Owner(String),
    /// Another node owns it but cannot be reached now (it died; its lease has not run out).
    Moving,
}

/// Asks Redis which node owns `board`. Blocking calls on a blocking thread.
pub async fn route(cluster: &Cluster, board: &str) -> Route {
    let (redis, board) = (cluster.redis.clone(), board.to_owned());
    let found = tokio::task::spawn_blocking(move || -> Result<Route, crate::store::StoreError> {
        // An id no board has is answered here (refused, or created by an admin, whose room
        // then takes the lease): no lease or fencing key is made for ids nobody stored.
        if !redis.board_exists(&board)? {
            return Ok(Route::Here);
        }
        // Claimed here if no node holds it: nodes taking connections for one board at once
        // agree on one owner before any of them loads it.
        let owner = match redis.claim(&board)? {
            crate::store::Lease::Held(_) => return Ok(Route::Here),
            crate::store::Lease::Elsewhere(owner) => owner,
        };
        Ok(match redis.node_address(&owner)? {
            Some(address) => Route::Owner(address),
            None => Route::Moving,
        })
    })
    .await;
    match found {
        Ok(Ok(route)) => route,
        Ok(Err(e)) => {
            tracing::warn!("cannot ask Redis who owns the board: {e}");
            Route::Moving
        }
        Err(e) => {
            tracing::error!("route task failed: {e}");
            Route::Moving
        }
    }
}

/// Middleware for every request: a connection that another node of the cluster relays (its
/// request carries the relay token) leaves the per-IP count ([`ConnectionSlot::release`]).
pub async fn uncap_relayed(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let (Some(cluster), Some(slot)) =
        (&state.cluster, request.extensions().get::<ConnectionSlot>())
        && cluster.is_relayed_request(request.headers())
    {
        slot.release();
    }
    next.run(request).await
}

/// Middleware for a board's API routes (`/api/boards/{id}/...`): in a cluster, a request
/// about a board whose room runs on another node is answered by that node (renaming, versions,
/// the view, roles: what the room must do or know), sent on over HTTP with the relay token.
pub async fn api_to_owner(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(cluster) = state.cluster.clone() else {
        return next.run(request).await;
    };
    if cluster.is_relayed_request(request.headers()) {
        return next.run(request).await;
    }
    let uri = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().clone(), |o| o.0.clone());
    let Some(board) = board_in_path(uri.path()) else {
        return next.run(request).await;
    };
    match route(&cluster, &board).await {
        Route::Here => next.run(request).await,
        Route::Moving => moving(),
        Route::Owner(address) => forward(&state, &cluster, &address, &uri, request).await,
    }
}

/// The board id of `/api/boards/{id}[/...]`.
fn board_in_path(path: &str) -> Option<String> {
    let mut parts = path.split('/').skip_while(|p| *p != "boards").skip(1);
    let id = parts.next()?;
    huddle_shared::ids::is_valid_board_id(id).then(|| id.to_owned())
}

/// Sends the API request on to the owner and its answer back.
async fn forward(
    state: &AppState,
    cluster: &Cluster,
    address: &str,
    uri: &Uri,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, crate::api::MAX_IMPORT_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request too large\n").into_response(),
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers.clone();
    for name in [
        RELAY_HEADER,
        CLIENT_IP_HEADER,
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
    ] {
        headers.remove(name);
    }
    if let Ok(token) = HeaderValue::from_str(&cluster.token.0) {
        headers.insert(RELAY_HEADER, token);
    }
    let sent = cluster
        .http
        .request(parts.method, format!("http://{address}{path}"))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(e) => {
            tracing::warn!(
                address,
                "cannot send the request on to the board's owner: {e}"
            );
            return moving();
        }
    };
    state
        .metrics
        .relayed_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let status = answer.status();
    let mut answer_headers = answer.headers().clone();
    answer_headers.remove(header::CONNECTION);
    answer_headers.remove(header::TRANSFER_ENCODING);
    answer_headers.remove(header::CONTENT_LENGTH);
    match answer.bytes().await {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response.headers_mut().extend(answer_headers);
            response
        }
        Err(e) => {
            tracing::warn!(address, "the board's owner broke off its answer: {e}");
            moving()
        }
    }
}

/// The answer for a board whose owner cannot be reached now.
pub fn moving() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "1")],
        "the board is moving to another server; try again\n",
    )
        .into_response()
}

/// The client whose WebSocket is relayed, as the entry node knows it.
pub struct RelayedClient {
    /// Its address (`--real-ip-header`'s, else the peer's), sent on to the owner.
    pub ip: Option<IpAddr>,
    /// Its place under the entry's per-IP cap, held for as long as the connection is relayed.
    pub slot: Option<ConnectionSlot>,
}

/// Sends the upgrade request on to the owner at `address` and, once it accepts, copies the
/// connection's bytes both ways.
pub async fn relay(
    state: &AppState,
    cluster: &Cluster,
    address: &str,
    uri: &Uri,
    headers: &HeaderMap,
    client: RelayedClient,
    upgrade: WebSocketUpgrade,
) -> Response {
    let RelayedClient {
        ip: client_ip,
        slot: connection,
    } = client;
    match tokio::time::timeout(
        OWNER_TIMEOUT,
        ask_owner(cluster, address, uri, headers, client_ip),
    )
    .await
    {
        Ok(Ok((upstream, Answer::Accepted { early }))) => {
            state
                .metrics
                .relayed_connections
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            upgrade.splice(
                upstream,
                early,
                state.metrics.clone(),
                state.shutdown.clone(),
                connection,
            )
        }
        Ok(Ok((_, Answer::Refused(response)))) => response,
        Ok(Err(e)) => {
            tracing::debug!(address, "cannot relay to the board's owner: {e}");
            moving()
        }
        Err(_) => {
            tracing::warn!(
                address,
                "the board's owner did not answer in {OWNER_TIMEOUT:?}"
            );
            moving()
        }
    }
}

enum Answer {
    /// 101: bytes the owner sent after its answer's head (its first frames).
    Accepted { early: Vec<u8> },
    /// Anything else, as the client gets it.
    Refused(Response),
}

async fn ask_owner(
    cluster: &Cluster,
    address: &str,
    uri: &Uri,
    headers: &HeaderMap,
    client_ip: Option<IpAddr>,
) -> std::io::Result<(TcpStream, Answer)> {
    let address: SocketAddr = address
        .parse()
        .map_err(|_| std::io::Error::other(format!("bad node address {address:?}")))?;
    let mut upstream = TcpStream::connect(address).await?;
    upstream.set_nodelay(true)?;
    upstream
        .write_all(&request_head(cluster, uri, headers, client_ip))
        .await?;
    let (head, rest) = read_head(&mut upstream).await?;
    let (status, answer_headers) = parse_head(&head)?;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return Ok((upstream, Answer::Accepted { early: rest }));
    }
    // A refusal: its body (JSON or a line of text) is short; read what its length says.
    let length = answer_headers
        .iter()
        .find(|(n, _)| n == header::CONTENT_LENGTH)
        .and_then(|(_, v)| v.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_ANSWER_BYTES);
    let mut body = rest;
    while body.len() < length {
        let mut chunk = vec![0; length - body.len()];
        let n = upstream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let mut response = (status, body).into_response();
    for (name, value) in answer_headers {
        if [
            header::CONTENT_TYPE,
            header::RETRY_AFTER,
            header::SET_COOKIE,
        ]
        .contains(&name)
        {
            response.headers_mut().append(name, value);
        }
    }
    Ok((upstream, Answer::Refused(response)))
}

/// The client's request as the owner gets it: its path and headers, without hop-by-hop
/// lengths and without relay headers it may have forged, plus this node's.
fn request_head(
    cluster: &Cluster,
    uri: &Uri,
    headers: &HeaderMap,
    client_ip: Option<IpAddr>,
) -> Vec<u8> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut head = format!("GET {path} HTTP/1.1\r\n").into_bytes();
    for (name, value) in headers {
        if name == RELAY_HEADER
            || name == CLIENT_IP_HEADER
            || name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING
        {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(format!("{RELAY_HEADER}: {}\r\n", cluster.token.0).as_bytes());
    if let Some(ip) = client_ip {
        head.extend_from_slice(format!("{CLIENT_IP_HEADER}: {ip}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// Reads up to the end of the answer's head; returns the head and the bytes after it.
async fn read_head(upstream: &mut TcpStream) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = upstream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("the owner closed the connection"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_ANSWER_BYTES {
            return Err(std::io::Error::other("the owner's answer head is too long"));
        }
    }
}

fn parse_head(head: &[u8]) -> std::io::Result<(StatusCode, Vec<(HeaderName, HeaderValue)>)> {
    let bad = || std::io::Error::other("unreadable answer from the owner");
    let text = std::str::from_utf8(head).map_err(|_| bad())?;
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(bad)?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .filter_map(|(n, v)| {
            Some((
                HeaderName::from_bytes(n.trim().as_bytes()).ok()?,
                HeaderValue::from_str(v.trim()).ok()?,
            ))
        })
        .collect();
    Ok((status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_clusters_token_marks_a_relayed_request() {
        let cluster_token = RelayToken::new(b"secret");
        let mut headers = HeaderMap::new();
        headers.insert(CLIENT_IP_HEADER, HeaderValue::from_static("10.0.0.7"));
        assert!(!cluster_token.is_relayed(&headers));
        assert_eq!(cluster_token.relayed_client_ip(&headers), None, "forged");
        headers.insert(RELAY_HEADER, HeaderValue::from_static("0123"));
        assert!(!cluster_token.is_relayed(&headers));
        let token = HeaderValue::from_str(&cluster_token.0).unwrap();
        headers.insert(RELAY_HEADER, token);
        assert!(cluster_token.is_relayed(&headers));
        assert_eq!(
            cluster_token.relayed_client_ip(&headers),
            Some("10.0.0.7".parse().unwrap())
        );
        let other = RelayToken::new(b"another cluster");
        assert!(!other.is_relayed(&headers));
    }

    #[test]
    fn the_board_of_an_api_path() {
        assert_eq!(
            board_in_path("/api/boards/a1B2c3D4e5F6/versions").as_deref(),
            Some("a1B2c3D4e5F6")
        );
        assert_eq!(
            board_in_path("/api/boards/a1B2c3D4e5F6").as_deref(),
            Some("a1B2c3D4e5F6")
        );
        assert_eq!(board_in_path("/api/boards"), None);
        assert_eq!(board_in_path("/api/me"), None);
    }

    #[test]
    fn the_answer_head_is_read() {
        let (status, headers) = parse_head(
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\ncontent-type: text/plain\r\n\r\n",
        )
        .unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers.len(), 2);
        assert!(parse_head(b"garbage").is_err());
    }
}
