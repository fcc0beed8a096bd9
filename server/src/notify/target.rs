//! Which URLs a webhook may have, checked when it is saved and again before every try, and
//! the resolver that refuses host names resolving to internal addresses (the rules are
//! [`huddle_shared::notify::target`]'s). Checking the resolved addresses at delivery, in the
//! resolver the connection uses, also catches a name that resolves outward when the webhook
//! is saved and inward later (DNS rebinding).

use std::net::{IpAddr, SocketAddr};

use huddle_shared::notify::target::{is_internal, is_internal_name};
use huddle_shared::notify::{MAX_URL_CHARS, WebhookKind};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a webhook's URL was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    #[error("the URL is longer than {MAX_URL_CHARS} characters")]
    TooLong,
    #[error("{0:?} is not a URL: {1}")]
    NotAUrl(String, String),
    #[error("a webhook URL starts with https:// (or http:// for a receiver of your own)")]
    Scheme,
    #[error("{0} webhooks take https:// URLs only")]
    NeedsHttps(&'static str),
    #[error("the URL has no host")]
    NoHost,
    #[error(
        "{0} is an internal address (loopback, private or link-local): this server does not \
         send webhooks there unless its admin starts it with --webhooks-allow-private"
    )]
    Internal(String),
}

/// Checks `url` for a webhook of `kind`; the parsed URL.
pub fn check(url: &str, kind: WebhookKind, allow_private: bool) -> Result<Url, TargetError> {
    let url = url.trim();
    if url.chars().count() > MAX_URL_CHARS {
        return Err(TargetError::TooLong);
    }
    let parsed =
        Url::parse(url).map_err(|e| TargetError::NotAUrl(url.to_owned(), e.to_string()))?;
    match parsed.scheme() {
        "https" => {}
        "http" if kind.needs_https() => {
            return Err(TargetError::NeedsHttps(match kind {
                WebhookKind::Slack => "Slack",
                _ => "Microsoft Teams",
            }));
        }
        "http" => {}
        _ => return Err(TargetError::Scheme),
    }
    let host = parsed.host_str().ok_or(TargetError::NoHost)?;
    if !allow_private {
        // An IPv6 address is written in brackets; the URL parser normalised any IPv4 form
        // (`0x7f.1`, `2130706433`) to dotted decimal.
        let internal = match host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            Ok(ip) => is_internal(ip),
            Err(_) => is_internal_name(host),
        };
        if internal {
            return Err(TargetError::Internal(host.to_owned()));
        }
    }
    Ok(parsed)
}

/// Resolves host names for deliveries, leaving out internal addresses unless allowed; a
/// name with only internal addresses fails to resolve, with the reason.
pub struct Resolver {
    pub allow_private: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            if !allow_private && is_internal_name(&host) {
                return Err(TargetError::Internal(host).into());
            }
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || !is_internal(a.ip()))
                .collect();
            if allowed.is_empty() && !found.is_empty() {
                let first = found[0].ip().to_string();
                return Err(TargetError::Internal(format!("{host} ({first})")).into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_for_scheme_and_internal_hosts() {
        let g = WebhookKind::Generic;
        assert!(
            check(
                "https://hooks.slack.com/services/T/B/X",
                WebhookKind::Slack,
                false
            )
            .is_ok()
        );
        assert_eq!(
            check("http://hooks.slack.com/x", WebhookKind::Slack, false),
            Err(TargetError::NeedsHttps("Slack"))
        );
        assert!(check("http://receiver.example.com/hook", g, false).is_ok());
        assert_eq!(
            check("ftp://x.example.com/", g, false),
            Err(TargetError::Scheme)
        );
        assert!(matches!(
            check("not a url", g, false),
            Err(TargetError::NotAUrl(..))
        ));
        for internal in [
            "http://127.0.0.1:9000/",
            "http://localhost/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5/",
            "http://[::ffff:7f00:1]/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            assert!(
                matches!(check(internal, g, false), Err(TargetError::Internal(_))),
                "{internal}"
            );
            assert!(check(internal, g, true).is_ok(), "{internal} when allowed");
        }
        let long = format!("https://x.example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(check(&long, g, false), Err(TargetError::TooLong));
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_internal_addresses() {
        let strict = Resolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(strict.resolve(name).await.is_err());
        let lenient = Resolver {
            allow_private: true,
        };
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = lenient.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
