//! Which web pages may talk to the server: browsers send `Origin` with every WebSocket
//! upgrade and every cross-site write, and a page on another site must not be able to open
//! a board in the name of a person who happens to have it open (their cookie would go
//! along). So WebSocket upgrades and every state-changing request (POST, PUT, PATCH, DELETE)
//! that carry an `Origin` must come from the server's own origin (the one in the request's
//! `Host`) or one of `--allowed-origin`. Requests without `Origin` are not from a browser
//! page (curl, scripts, Node.js Yjs clients) and pass: a page cannot leave it out.

use std::sync::atomic::Ordering::Relaxed;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Origins allowed besides the server's own, normalized (see [`normalize`]).
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// From `--allowed-origin` values; an unreadable one is an error naming it.
    pub fn parse(origins: &[String]) -> Result<AllowedOrigins, String> {
        origins
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| {
                normalize(o).ok_or_else(|| {
                    format!("--allowed-origin {o:?} is not an origin like https://wiki.example.com")
                })
            })
            .collect::<Result<_, _>>()
            .map(AllowedOrigins)
    }

    /// Whether a request with these headers may go on (see the module docs).
    pub fn allows(&self, headers: &HeaderMap) -> Result<(), String> {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or("(not text)");
        let Some(normalized) = normalize(origin) else {
            return Err(origin.to_owned());
        };
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| h.trim().to_ascii_lowercase());
        let same_site =
            host.is_some_and(|host| authority(&normalized) == strip_default_port(&host));
        if same_site || self.0.contains(&normalized) {
            Ok(())
        } else {
            Err(origin.to_owned())
        }
    }
}

/// `scheme://host[:port]`, lowercase, without a default port (`:80` for http, `:443` for
/// https); `None` for anything else (`null`, a path, another scheme).
pub fn normalize(origin: &str) -> Option<String> {
    let origin = origin.trim().to_ascii_lowercase();
    let (scheme, rest) = origin.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let default = if scheme == "http" { ":80" } else { ":443" };
    let rest = rest.strip_suffix(default).unwrap_or(rest);
    Some(format!("{scheme}://{rest}"))
}

/// The `host[:port]` of a normalized origin.
fn authority(origin: &str) -> &str {
    origin.split_once("://").map_or(origin, |(_, a)| a)
}

/// A `Host` header without `:80` or `:443` (a browser's `Origin` leaves default ports out).
fn strip_default_port(host: &str) -> &str {
    host.strip_suffix(":80")
        .or_else(|| host.strip_suffix(":443"))
        .unwrap_or(host)
}

/// Middleware: refuses WebSocket upgrades and writes from other sites' pages with 403.
pub async fn check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let websocket = req.uri().path().starts_with("/ws/");
    if (writes || websocket)
        && let Err(origin) = state.guard.origins.allows(req.headers())
    {
        {
            state.metrics.refused_origins.fetch_add(1, Relaxed);
            tracing::info!("refused a request from the page at {origin:?}");
            let error = format!(
                "pages at {origin} may not use this server; its admin can allow them with \
                 --allowed-origin {origin}"
            );
            return (
                StatusCode::FORBIDDEN,
                axum::Json(serde_json::json!({ "error": error })),
            )
                .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn origins_normalize() {
        assert_eq!(
            normalize("HTTPS://Wiki.Example.com:443/").as_deref(),
            Some("https://wiki.example.com")
        );
        assert_eq!(
            normalize("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(normalize("http://h:80").as_deref(), Some("http://h"));
        assert_eq!(normalize("null"), None);
        assert_eq!(normalize("ftp://h"), None);
        assert_eq!(normalize("https://h/path"), None);
        assert_eq!(normalize("https://"), None);
    }

    #[test]
    fn only_the_own_and_allowed_origins_pass() {
        let none = AllowedOrigins::default();
        let host = "127.0.0.1:8080";
        assert!(
            none.allows(&headers(None, host)).is_ok(),
            "no Origin: not a page"
        );
        assert!(
            none.allows(&headers(Some("http://127.0.0.1:8080"), host))
                .is_ok()
        );
        assert!(
            none.allows(&headers(
                Some("https://huddle.example.com"),
                "huddle.example.com"
            ))
            .is_ok()
        );
        assert!(none.allows(&headers(Some("http://h"), "h:80")).is_ok());
        assert!(
            none.allows(&headers(Some("http://evil.example"), host))
                .is_err()
        );
        assert!(
            none.allows(&headers(Some("http://127.0.0.1:9999"), host))
                .is_err()
        );
        assert!(none.allows(&headers(Some("null"), host)).is_err());
        let wiki = AllowedOrigins::parse(&["https://Wiki.example.com/".into()]).unwrap();
        assert!(
            wiki.allows(&headers(Some("https://wiki.example.com"), host))
                .is_ok()
        );
        assert!(
            wiki.allows(&headers(Some("http://wiki.example.com"), host))
                .is_err()
        );
        assert!(AllowedOrigins::parse(&["wiki.example.com".into()]).is_err());
    }
}
