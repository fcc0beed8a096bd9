//! The WebSocket opening handshake (RFC 6455 section 4.2), done here rather than by axum's
//! `WebSocketUpgrade`, so that a connection is a tokio-tungstenite stream: axum's `WebSocket`
//! hides tungstenite's frames, and [`crate::ws`] needs them to send large messages in fragments.
//!
//! Same checks as axum's extractor for HTTP/1.1 (the server does not speak HTTP/2, axum's
//! `http2` feature is off): a GET with `Connection: upgrade`, `Upgrade: websocket`, a
//! `Sec-WebSocket-Key` and `Sec-WebSocket-Version: 13`, on a connection hyper can upgrade.

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::coalesce::Coalesce;

/// A connection after the handshake (its writes gathered by [`Coalesce`]).
pub type Socket = WebSocketStream<Coalesce<TokioIo<Upgraded>>>;

/// A request that asked, correctly, to become a WebSocket.
pub struct WebSocketUpgrade {
    /// `Sec-WebSocket-Accept` for the 101 response: proves to the client we read its key.
    accept: HeaderValue,
    /// Resolves to the raw connection once hyper has sent the 101 response.
    on_upgrade: OnUpgrade,
}

/// Why a request is not a WebSocket upgrade: a status and one line of text.
#[derive(Debug)]
pub struct NotAnUpgrade(StatusCode, &'static str);

impl NotAnUpgrade {
    fn bad_request(why: &'static str) -> NotAnUpgrade {
        NotAnUpgrade(StatusCode::BAD_REQUEST, why)
    }
}

impl IntoResponse for NotAnUpgrade {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl<State: Send + Sync> FromRequestParts<State> for WebSocketUpgrade {
    type Rejection = NotAnUpgrade;

    async fn from_request_parts(parts: &mut Parts, _: &State) -> Result<Self, NotAnUpgrade> {
        if parts.version > Version::HTTP_11 {
            return Err(NotAnUpgrade::bad_request("WebSocket needs HTTP/1.1\n"));
        }
        if parts.method != Method::GET {
            return Err(NotAnUpgrade(
                StatusCode::METHOD_NOT_ALLOWED,
                "WebSocket needs GET\n",
            ));
        }
        if !header_has_token(&parts.headers, header::CONNECTION, "upgrade") {
            return Err(NotAnUpgrade::bad_request("Connection: upgrade missing\n"));
        }
        if !header_is(&parts.headers, header::UPGRADE, "websocket") {
            return Err(NotAnUpgrade::bad_request("Upgrade: websocket missing\n"));
        }
        if !header_is(&parts.headers, header::SEC_WEBSOCKET_VERSION, "13") {
            return Err(NotAnUpgrade::bad_request(
                "Sec-WebSocket-Version: 13 missing\n",
            ));
        }
        let Some(key) = parts.headers.get(header::SEC_WEBSOCKET_KEY) else {
            return Err(NotAnUpgrade::bad_request("Sec-WebSocket-Key missing\n"));
        };
        let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .map_err(|_| NotAnUpgrade(StatusCode::INTERNAL_SERVER_ERROR, "bad accept key\n"))?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or(NotAnUpgrade(
            StatusCode::UPGRADE_REQUIRED,
            "connection cannot be upgraded\n",
        ))?;
        Ok(WebSocketUpgrade { accept, on_upgrade })
    }
}

impl WebSocketUpgrade {
    /// Answers 101 Switching Protocols; once hyper hands over the connection, runs `serve` on
    /// it as a WebSocket with `config`.
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, serve: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        // Two tasks, one after the other: this one waits for hyper to hand the connection
        // over and ends; the connection runs in its own task. Awaited here instead, it would
        // sit beside what this task keeps of `config` and `serve` (312 bytes) for the life of
        // every connection.
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let io = Coalesce::new(TokioIo::new(upgraded));
                    let socket =
                        WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                    tokio::spawn(serve(socket));
                }
                Err(e) => tracing::debug!("WebSocket upgrade failed: {e}"),
            }
        });
        switching(self.accept)
    }
}

impl WebSocketUpgrade {
    /// Answers 101 Switching Protocols and, once hyper hands over the connection, copies its
    /// bytes to `upstream` and back until either side closes ([`crate::relay`]): `early`
    /// (what upstream sent after its own 101) goes to the client first. Ends with `shutdown`.
    /// `held` (the client's place under the per-IP cap) is kept until the copying ends.
    pub fn splice(
        self,
        mut upstream: tokio::net::TcpStream,
        early: Vec<u8>,
        metrics: std::sync::Arc<crate::metrics::Metrics>,
        shutdown: tokio_util::sync::CancellationToken,
        held: impl Send + 'static,
    ) -> Response {
        use std::sync::atomic::Ordering::Relaxed;
        use tokio::io::AsyncWriteExt;
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            let mut client = match on_upgrade.await {
                Ok(upgraded) => TokioIo::new(upgraded),
                Err(e) => return tracing::debug!("relayed WebSocket upgrade failed: {e}"),
            };
            metrics.relayed_open.fetch_add(1, Relaxed);
            if client.write_all(&early).await.is_ok() {
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                    _ = shutdown.cancelled() => {}
                }
            }
            metrics.relayed_open.fetch_sub(1, Relaxed);
            drop(held);
        });
        switching(self.accept)
    }
}

/// The 101 answer.
fn switching(accept: HeaderValue) -> Response {
    (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::CONNECTION, HeaderValue::from_static("upgrade")),
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (header::SEC_WEBSOCKET_ACCEPT, accept),
        ],
    )
        .into_response()
}

/// Whether header `name` is `value`, ignoring ASCII case.
fn header_is(headers: &HeaderMap, name: HeaderName, value: &str) -> bool {
    headers
        .get(name)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(value.as_bytes()))
}

/// Whether the comma-separated header `name` lists `token`, ignoring ASCII case
/// (`Connection: keep-alive, Upgrade` from Firefox).
fn header_has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_tokens_are_matched_whole_and_case_blind() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(header_has_token(&headers, header::CONNECTION, "upgrade"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        assert!(!header_has_token(&headers, header::CONNECTION, "upgrade"));
    }
}
