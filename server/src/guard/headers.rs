//! Response headers that tell browsers how to treat what the server sends:
//!
//! - `Content-Security-Policy`: the page runs only the server's own scripts and wasm
//!   (`'wasm-unsafe-eval'` lets it compile WebAssembly, nothing else), talks only to its own
//!   origin (the API and the same-origin WebSocket), and, unless `--allow-embedding`, no
//!   other site may put it in a frame (`frame-ancestors 'none'`, and `X-Frame-Options: DENY`
//!   for browsers that predate it). Inline style attributes stay allowed: the page positions
//!   its text editor and colours its people's dots with them, and styles run no code.
//! - `X-Content-Type-Options: nosniff`: a download is never run as a script or a page.
//! - `Referrer-Policy: no-referrer`: share links carry keys in their address; no page the
//!   board links to learns them.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The policy for the app's pages, without `frame-ancestors`.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
                   style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; \
                   connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'";

/// The headers for every response (see the module docs).
pub fn security_headers(allow_embedding: bool) -> Vec<(HeaderName, HeaderValue)> {
    let csp = if allow_embedding {
        CSP.to_owned()
    } else {
        format!("{CSP}; frame-ancestors 'none'")
    };
    let mut headers = vec![
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.push((header::CONTENT_SECURITY_POLICY, csp));
    }
    if !allow_embedding {
        headers.push((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")));
    }
    headers
}

/// Middleware: adds the security headers to every response.
pub async fn add(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in state.guard.headers.iter() {
        headers.entry(name.clone()).or_insert_with(|| value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_is_forbidden_unless_allowed() {
        let find = |h: &[(HeaderName, HeaderValue)], name| {
            h.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_str().unwrap().to_owned())
        };
        let strict = security_headers(false);
        assert!(
            find(&strict, header::CONTENT_SECURITY_POLICY)
                .unwrap()
                .ends_with("frame-ancestors 'none'")
        );
        assert_eq!(
            find(&strict, header::X_FRAME_OPTIONS).as_deref(),
            Some("DENY")
        );
        let embeddable = security_headers(true);
        assert!(
            !find(&embeddable, header::CONTENT_SECURITY_POLICY)
                .unwrap()
                .contains("frame-ancestors")
        );
        assert_eq!(find(&embeddable, header::X_FRAME_OPTIONS), None);
        assert_eq!(
            find(&embeddable, header::X_CONTENT_TYPE_OPTIONS).as_deref(),
            Some("nosniff")
        );
    }
}
