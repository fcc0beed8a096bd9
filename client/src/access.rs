//! Who this browser is to the server, and what it may do on a board: the person
//! (`GET /api/me`, a name and colour kept by the server) and the role on a board
//! (`GET /api/boards/{id}`). The server decides and enforces both; the page asks so that it
//! offers only what the role allows.
//!
//! Both are kept in `localStorage` too (`huddle.me`, `huddle.roles`), so a board opened
//! offline shows the last known name and allows no more than the last known role.

use std::collections::BTreeMap;

use huddle_shared::access::Role;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::dom;
use crate::http;

/// `localStorage` key of the last known person.
const ME_KEY: &str = "huddle.me";
/// `localStorage` key of the last known role on each board opened here.
const ROLES_KEY: &str = "huddle.roles";

/// The person, as `GET /api/me` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub color: String,
    /// The person chose their name (else it is "Guest NNNN").
    pub named: bool,
    pub admin: bool,
}

/// What the page may do on a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardAccess {
    /// The server said so (or, offline, the last role it said).
    Role(Role),
    /// The board does not exist, or this person has no role on it (the server does not say
    /// which).
    NoAccess,
}

/// What an API call came back with: a status and body, or no answer at all.
enum Answer {
    Status(u16, String),
    Unreachable,
}

async fn call(url: &str, init: &RequestInit) -> Result<Answer, JsValue> {
    let promise = dom::window()?.fetch_with_str_and_init(url, init);
    let response: Response = match JsFuture::from(promise).await {
        Ok(response) => response.dyn_into()?,
        Err(_) => return Ok(Answer::Unreachable),
    };
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    Ok(Answer::Status(response.status(), text))
}

/// The person this browser is: from the server, else the last known (offline); `None` if
/// neither is known.
pub async fn me() -> Option<Me> {
    match call("/api/me", &RequestInit::new()).await {
        Ok(Answer::Status(200, body)) => match huddle_shared::json::from_str::<Me>(&body) {
            Ok(me) => {
                store(ME_KEY, &me);
                Some(me)
            }
            Err(_) => cached_me(),
        },
        _ => cached_me(),
    }
}

/// The last person the server said this browser is.
pub fn cached_me() -> Option<Me> {
    load(ME_KEY)
}

/// Sets the person's name (and colour, if given) on the server; the person as it now is.
pub async fn rename(name: &str, color: Option<&str>) -> Result<Me, JsValue> {
    let mut body = serde_json::json!({ "name": name });
    if let Some(color) = color {
        body["color"] = color.into();
    }
    let init = http::request("PUT", "application/json", &body.to_string())?;
    let me: Me = http::fetch_json("/api/me", &init).await?;
    store(ME_KEY, &me);
    Ok(me)
}

/// This person's role on `board`: from the server (and remembered), or offline the last
/// role the server gave (a board never opened here: viewer, until the server says more).
pub async fn board(board: &str) -> BoardAccess {
    let url = format!("/api/boards/{board}");
    match call(&url, &RequestInit::new()).await {
        Ok(Answer::Status(200, body)) => {
            #[derive(Deserialize)]
            struct Info {
                role: Role,
            }
            match huddle_shared::json::from_str::<Info>(&body) {
                Ok(info) => {
                    remember_role(board, Some(info.role));
                    BoardAccess::Role(info.role)
                }
                Err(_) => offline_role(board),
            }
        }
        Ok(Answer::Status(404, _)) => {
            remember_role(board, None);
            BoardAccess::NoAccess
        }
        _ => offline_role(board),
    }
}

fn offline_role(board: &str) -> BoardAccess {
    let roles: BTreeMap<String, Role> = load(ROLES_KEY).unwrap_or_default();
    BoardAccess::Role(roles.get(board).copied().unwrap_or(Role::Viewer))
}

fn remember_role(board: &str, role: Option<Role>) {
    let mut roles: BTreeMap<String, Role> = load(ROLES_KEY).unwrap_or_default();
    match role {
        Some(role) => roles.insert(board.to_owned(), role),
        None => roles.remove(board),
    };
    store(ROLES_KEY, &roles);
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn load<T: for<'a> Deserialize<'a>>(key: &str) -> Option<T> {
    let json = storage()?.get_item(key).ok().flatten()?;
    huddle_shared::json::from_str(&json).ok()
}

/// Stores `value`; private browsing may refuse, then it lasts for this page only.
fn store<T: Serialize>(key: &str, value: &T) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(value)) {
        let _ = storage.set_item(key, &json);
    }
}

/// How a role is shown in the page: what it allows, in a word or two.
pub fn badge(role: Role) -> Option<&'static str> {
    match role {
        Role::Viewer => Some("view only"),
        Role::Commenter => Some("view only · comments coming"),
        Role::Editor | Role::Owner => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_read_only_roles_get_a_badge() {
        assert_eq!(badge(Role::Viewer), Some("view only"));
        assert!(badge(Role::Commenter).is_some_and(|b| b.starts_with("view only")));
        assert_eq!(badge(Role::Editor), None);
        assert_eq!(badge(Role::Owner), None);
    }

    #[test]
    fn me_reads_the_servers_answer() {
        let me: Me = huddle_shared::json::from_str(
            r##"{"id":"abc","name":"Ana","color":"#e03131","named":true,"admin":false}"##,
        )
        .unwrap();
        assert_eq!(me.name, "Ana");
        assert!(me.named && !me.admin);
    }
}
