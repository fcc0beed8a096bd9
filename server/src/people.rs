//! Who each request comes from: a [`Person`], attached to every request by [`identify`].
//!
//! Nobody signs up. A browser's first request is issued a person: a random id in a signed
//! cookie (`HttpOnly; SameSite=Lax`, `Secure` behind https), which it sends from then on. A
//! client that keeps no cookies (curl, a Node.js Yjs client) is someone new on each request;
//! a share-link key still gives its connection a role. With `--trusted-user-header NAME` the
//! person comes from that header, set by a signing-in reverse proxy, instead (a request
//! without it is refused); the id is derived from the user name, so it is the same on every
//! device. The admin is whoever opened the admin link (their profile says so) or presents
//! the admin key (`Authorization: Bearer KEY`, or `?key=KEY` where a share key would go).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use huddle_shared::access::{
    PERSON_COOKIE, cookie, keys_equal, person_id_for_user, sign_person, verify_person,
};
use huddle_shared::people::{check_name, default_color, default_name};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Profile, Store, StoreError};

/// How long a browser keeps its person cookie: a year from the last page load (each renews it).
const COOKIE_MAX_AGE_SECS: u64 = 365 * 24 * 3600;

/// The person behind a request.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: Arc<str>,
    /// Issued with this response: the request showed no person. Nothing is stored for a new
    /// person until it does something that needs storing.
    pub new: bool,
    /// Sees and manages every board.
    pub admin: bool,
    /// The user name the trusted proxy gave, if people come from its header.
    pub proxy_user: Option<Arc<str>>,
}

/// How the server tells people apart: its cookie secret, its admin key, and the trusted
/// header if one is configured.
pub struct People {
    cookie_secret: Vec<u8>,
    admin_key: String,
    trusted_header: Option<HeaderName>,
}

/// What others see of a person: their chosen name and colour, or the defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Shown {
    pub name: String,
    pub color: String,
}

impl People {
    pub fn new(
        cookie_secret: Vec<u8>,
        admin_key: String,
        trusted_header: Option<HeaderName>,
    ) -> Self {
        People {
            cookie_secret,
            admin_key,
            trusted_header,
        }
    }

    /// Whether `key` is the admin key.
    pub fn is_admin_key(&self, key: &str) -> bool {
        keys_equal(key, &self.admin_key)
    }

    /// The person a request's headers (and its `key` parameter) show, and the cookie to set
    /// if it is new (or, with `renew`, to renew it: the year counts from the last page load).
    /// `Err` if people come from a trusted header that is missing.
    fn person_of(
        &self,
        store: &Store,
        headers: &HeaderMap,
        key: Option<&str>,
        renew: bool,
    ) -> Result<(Person, Option<String>), Refusal> {
        let presents_admin_key = bearer(headers)
            .into_iter()
            .chain(key)
            .any(|k| self.is_admin_key(k));
        let (id, new, proxy_user) = match &self.trusted_header {
            Some(name) => {
                let user = headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .ok_or(Refusal::NoProxyUser(name.clone()))?;
                let id = person_id_for_user(&self.cookie_secret, user);
                (id, false, Some(Arc::from(user)))
            }
            None => {
                let signed = headers
                    .get_all(header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find_map(|h| cookie(h, PERSON_COOKIE))
                    .and_then(|v| verify_person(&self.cookie_secret, v));
                match signed {
                    Some(id) => (id.to_owned(), false, None),
                    None => (
                        crate::random::person_id().map_err(Refusal::Random)?,
                        true,
                        None,
                    ),
                }
            }
        };
        let admin = presents_admin_key
            || (!new
                && store
                    .profile(&id)
                    .map_err(Refusal::Store)?
                    .is_some_and(|p| p.admin));
        let cookies = self.trusted_header.is_none();
        let set_cookie =
            (new || (renew && cookies)).then(|| self.cookie_for(&id, is_https(headers)));
        Ok((
            Person {
                id: Arc::from(id),
                new,
                admin,
                proxy_user,
            },
            set_cookie,
        ))
    }

    fn cookie_for(&self, person: &str, https: bool) -> String {
        let secure = if https { "; Secure" } else { "" };
        format!(
            "{PERSON_COOKIE}={}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}",
            sign_person(&self.cookie_secret, person)
        )
    }
}

impl Person {
    /// The name and colour others see: the profile's, else the proxy's user name, else the
    /// defaults derived from the id.
    pub fn shown(&self, store: &Store) -> Result<Shown, StoreError> {
        let profile = if self.new {
            None
        } else {
            store.profile(&self.id)?
        };
        Ok(shown(
            &self.id,
            profile.as_ref(),
            self.proxy_user.as_deref(),
        ))
    }
}

/// What others see of person `id` with `profile` (and the proxy's name for them, if known).
pub fn shown(id: &str, profile: Option<&Profile>, proxy_user: Option<&str>) -> Shown {
    let chosen = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Shown {
        name: profile
            .and_then(|p| chosen(&p.name))
            .or_else(|| proxy_user.and_then(check_name).map(str::to_owned))
            .unwrap_or_else(|| default_name(id)),
        color: profile
            .and_then(|p| chosen(&p.color))
            .unwrap_or_else(|| default_color(id).to_owned()),
    }
}

/// Why a request has no person.
#[derive(Debug)]
enum Refusal {
    NoProxyUser(HeaderName),
    Random(getrandom::Error),
    Store(StoreError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NoProxyUser(name) => (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({
                    "error": format!("sign in first: this server takes people from the {name} header of its proxy, and the request has none")
                })),
            )
                .into_response(),
            Refusal::Random(e) => {
                tracing::error!("no random numbers: {e}");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
            Refusal::Store(e) => ApiError::Store(e).into_response(),
        }
    }
}

/// `Authorization: Bearer TOKEN`'s token.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Served over https by a proxy in front (which says so): the cookie is then `Secure`.
fn is_https(headers: &HeaderMap) -> bool {
    let says = |name: &str, value: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains(value))
    };
    says("x-forwarded-proto", "https") || says("forwarded", "proto=https")
}

/// The value of query parameter `key`, if the request has one (keys are base64url: they
/// need no decoding).
pub fn key_param(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))
        .filter(|k| !k.is_empty())
}

/// Middleware: attaches the request's [`Person`] and sets the cookie of a new one.
pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let key = key_param(req.uri().query()).map(str::to_owned);
    // Loading a page renews the cookie, so a person who keeps coming back is never forgotten.
    let path = req.uri().path();
    let page = req.method() == axum::http::Method::GET && (path == "/" || path.starts_with("/b/"));
    let (person, set_cookie) =
        match state
            .people
            .person_of(&state.store, req.headers(), key.as_deref(), page)
        {
            Ok(found) => found,
            Err(refusal) => return refusal.into_response(),
        };
    req.extensions_mut().insert(person);
    let mut response = next.run(req).await;
    if let Some(value) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(trusted: Option<&str>) -> People {
        People::new(
            vec![7; 32],
            "k".repeat(43),
            trusted.map(|t| HeaderName::from_bytes(t.as_bytes()).unwrap()),
        )
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        (dir, store)
    }

    #[test]
    fn a_new_person_gets_a_cookie_that_names_them_next_time() {
        let (_dir, store) = store();
        let people = people(None);
        let (first, cookie) = people
            .person_of(&store, &HeaderMap::new(), None, false)
            .unwrap();
        assert!(first.new && !first.admin);
        let cookie = cookie.expect("a cookie for a new person");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        assert!(!cookie.contains("Secure"));
        let value = cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        let (again, none) = people.person_of(&store, &headers, None, false).unwrap();
        assert_eq!(
            (again.id.clone(), again.new, none),
            (first.id.clone(), false, None)
        );
        // A page load renews the same cookie.
        let (_, renewed) = people.person_of(&store, &headers, None, true).unwrap();
        assert_eq!(
            renewed.as_deref().and_then(|c| c.split(';').next()),
            Some(value)
        );

        // Another server's (or a forged) cookie is someone new.
        let other = People::new(vec![8; 32], "k".repeat(43), None);
        let (stranger, _) = other.person_of(&store, &headers, None, false).unwrap();
        assert!(stranger.new && stranger.id != first.id);
    }

    #[test]
    fn https_proxies_get_secure_cookies() {
        let (_dir, store) = store();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let (_, cookie) = people(None)
            .person_of(&store, &headers, None, false)
            .unwrap();
        assert!(cookie.unwrap().ends_with("; Secure"));
    }

    #[test]
    fn the_admin_key_makes_an_admin() {
        let (_dir, store) = store();
        let people = people(None);
        let key = "k".repeat(43);
        assert!(
            people
                .person_of(&store, &HeaderMap::new(), Some(&key), false)
                .unwrap()
                .0
                .admin
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {key}")).unwrap(),
        );
        assert!(
            people
                .person_of(&store, &headers, None, false)
                .unwrap()
                .0
                .admin
        );
        let wrong = "j".repeat(43);
        assert!(
            !people
                .person_of(&store, &HeaderMap::new(), Some(&wrong), false)
                .unwrap()
                .0
                .admin
        );
    }

    #[test]
    fn a_trusted_header_names_the_person_and_is_required() {
        let (_dir, store) = store();
        let people = people(Some("x-forwarded-user"));
        assert!(matches!(
            people.person_of(&store, &HeaderMap::new(), None, false),
            Err(Refusal::NoProxyUser(_))
        ));
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-user",
            HeaderValue::from_static("ana@example.com"),
        );
        let (ana, cookie) = people.person_of(&store, &headers, None, false).unwrap();
        assert!(!ana.new && cookie.is_none());
        let (again, _) = people.person_of(&store, &headers, None, false).unwrap();
        assert_eq!(again.id, ana.id);
        assert_eq!(ana.shown(&store).unwrap().name, "ana@example.com");
    }

    #[test]
    fn key_params_are_found() {
        assert_eq!(key_param(Some("a=1&key=abc")), Some("abc"));
        assert_eq!(key_param(Some("key=")), None);
        assert_eq!(key_param(None), None);
        assert_eq!(key_param(Some("monkey=x")), None);
    }
}
