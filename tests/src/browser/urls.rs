//! The URLs a page may load (loopback only, checked before every navigation) and how
//! `location.href` spells them.

use std::net::IpAddr;

use anyhow::bail;

/// `url` as `location.href` spells it once loaded: an origin without a path gets `/`, and a
/// share link (`/b/{id}?key=...`) is where the server redirects it, the plain board address.
pub(super) fn normalize(url: &str) -> String {
    let url = match url.split_once("?key=") {
        Some((page, _)) if page.contains("/b/") => page,
        _ => url,
    };
    match url.split_once("://") {
        Some((_, rest)) if !rest.contains('/') => format!("{url}/"),
        _ => url.to_owned(),
    }
}

/// Refuses anything but `about:blank` and http(s)/ws(s) URLs on a loopback host.
pub(super) fn check_loopback(url: &str) -> anyhow::Result<()> {
    if url == "about:blank" {
        return Ok(());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("not an absolute URL: {url}");
    };
    if !matches!(scheme, "http" | "https" | "ws" | "wss") {
        bail!("tests only load http(s) and ws(s) URLs, not {url}");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    let loopback = !authority.contains('@')
        && (host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()));
    if !loopback {
        bail!("tests only load loopback URLs, not {url}");
    }
    Ok(())
}
