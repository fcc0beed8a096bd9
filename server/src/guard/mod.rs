//! The server's guards for running on a team's network, where any web page a team member
//! visits, and anything on the network, can reach it.
//!
//! # Layout
//!
//! - [`args`]: the flags.
//! - [`origin`]: other sites' pages may not open WebSockets or write (403).
//! - [`limits`]: rate limits (token buckets) and caps on what is open at once.
//! - [`headers`]: security headers on every response (CSP, framing, nosniff, referrer).
//!
//! The accept loop (`crate::serve`) drops clients that stall in their request headers and
//! caps connections per IP address; here are the per-request checks: creating and importing
//! boards and joining rooms are rate limited per client IP (429 with `Retry-After`), and
//! WebSockets are capped per person. Defaults are far above what a team of 200 behind one
//! office address does (they never see a 429), and far below what it takes to exhaust the
//! server.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub mod args;
pub mod headers;
pub mod limits;
pub mod origin;

pub use args::GuardArgs;
use limits::{OpenLimit, RateLimit, RetryAfter, Slot};
use origin::AllowedOrigins;

use crate::metrics::Metrics;
use crate::state::AppState;

/// The guards' state, shared by every request.
pub struct Guard {
    pub origins: AllowedOrigins,
    /// The security headers every response gets.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    creates: Option<RateLimit<IpAddr>>,
    joins: Option<RateLimit<IpAddr>>,
    /// Open TCP connections per peer address (the accept loop holds a slot per connection).
    pub connections: OpenLimit<IpAddr>,
    websockets: OpenLimit<Arc<str>>,
    real_ip_header: Option<HeaderName>,
    pub header_read_timeout: Duration,
}

/// A rate limit's name, for its error message.
#[derive(Debug, Clone, Copy)]
pub enum Rate {
    Create,
    Join,
}

impl Guard {
    pub fn new(args: &GuardArgs) -> Result<Guard, String> {
        let real_ip_header = args
            .real_ip_header
            .as_deref()
            .map(|h| {
                HeaderName::from_bytes(h.trim().as_bytes())
                    .map_err(|_| format!("--real-ip-header {h:?} is not a header name"))
            })
            .transpose()?;
        Ok(Guard {
            origins: AllowedOrigins::parse(&args.allowed_origins)?,
            headers: headers::security_headers(args.allow_embedding),
            creates: RateLimit::new(args.create_per_minute, args.create_burst),
            joins: RateLimit::new(args.joins_per_minute, args.join_burst),
            connections: OpenLimit::new(args.max_connections_per_ip),
            websockets: OpenLimit::new(args.max_websockets_per_person),
            real_ip_header,
            header_read_timeout: args.header_read_timeout(),
        })
    }

    /// The client's IP address: from `--real-ip-header` when set (and readable), else the
    /// connection's peer address.
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        let from_header = self.real_ip_header.as_ref().and_then(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            // X-Forwarded-For lists every hop: the last is the one the proxy saw.
            value.rsplit(',').next()?.trim().parse().ok()
        });
        from_header.or_else(|| peer.map(|p| p.ip()))
    }

    /// Takes a token of `rate` for the client (its headers and peer address), or answers 429.
    pub fn take(
        &self,
        rate: Rate,
        headers: &HeaderMap,
        peer: Option<SocketAddr>,
        metrics: &Metrics,
    ) -> Result<(), TooMany> {
        let limit = match rate {
            Rate::Create => &self.creates,
            Rate::Join => &self.joins,
        };
        let (Some(limit), Some(ip)) = (limit, self.client_ip(headers, peer)) else {
            return Ok(());
        };
        limit.take(&ip, Instant::now()).map_err(|retry| {
            metrics.rate_limited.fetch_add(1, Relaxed);
            let what = match rate {
                Rate::Create => "boards created or imported",
                Rate::Join => "board connections opened",
            };
            TooMany {
                error: format!("too many {what} from your address; try again"),
                retry: Some(retry),
            }
        })
    }

    /// A WebSocket slot for `person`, or 429 if they hold the most allowed.
    pub fn websocket(
        &self,
        person: &Arc<str>,
        metrics: &Metrics,
    ) -> Result<Slot<Arc<str>>, TooMany> {
        self.websockets.acquire(person).ok_or_else(|| {
            metrics.rate_limited.fetch_add(1, Relaxed);
            TooMany {
                error: "you have too many boards open at once; close some tabs and try again"
                    .to_owned(),
                retry: Some(RetryAfter(Duration::from_secs(5))),
            }
        })
    }
}

/// Middleware on the routes that create boards: a POST takes a token of [`Rate::Create`]
/// (not the admin's: scripts that set a server up run as the admin).
pub async fn limit_creates(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let admin = req
        .extensions()
        .get::<crate::people::Person>()
        .is_some_and(|p| p.admin);
    if req.method() == Method::POST && !admin {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(p)| *p);
        if let Err(refused) = state
            .guard
            .take(Rate::Create, req.headers(), peer, &state.metrics)
        {
            return refused.into_response();
        }
    }
    next.run(req).await
}

/// A request over a limit: 429 with a JSON error and, when known, `Retry-After` in whole
/// seconds.
#[derive(Debug)]
pub struct TooMany {
    pub error: String,
    pub retry: Option<RetryAfter>,
}

impl IntoResponse for TooMany {
    fn into_response(self) -> Response {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(serde_json::json!({ "error": self.error })),
        )
            .into_response();
        if let Some(retry) = self.retry
            && let Ok(value) = HeaderValue::from_str(&retry.secs().to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
