//! The caller's inbox: mentions, replies to their threads, rounds that need their ballot
//! before a deadline, and decisions on boards they have a role on.
//!
//! - `GET /api/me/inbox`: `{"unread": N, "entries": [...]}`, newest first; entries of boards
//!   the caller no longer has a role on (removed, deleted) are left out;
//! - `POST /api/me/inbox/read` with `{"ids": ["12", ...]}` or `{"all": true}`: marks them
//!   read; answers the new unread count.

use std::collections::HashMap;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::people::Person;
use crate::sharing;
use crate::state::AppState;
use crate::store::notify::InboxEntry;

/// Most ids one "mark read" names.
const MAX_IDS: usize = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/inbox", get(show))
        .route("/me/inbox/read", post(mark_read))
}

#[derive(Serialize)]
pub struct Inbox {
    unread: usize,
    entries: Vec<InboxEntry>,
}

#[derive(Deserialize)]
pub struct MarkRead {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    all: bool,
}

#[derive(Serialize)]
pub struct Unread {
    unread: usize,
}

/// The caller's entries on boards they still hold a role on. Blocking (sled).
fn visible(state: &AppState, person: &Person) -> Result<Vec<InboxEntry>, ApiError> {
    if person.new {
        return Ok(Vec::new());
    }
    let entries = state.notifier.trees().inbox(&person.id)?;
    let mut allowed: HashMap<String, bool> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let ok = match allowed.get(&entry.board) {
            Some(ok) => *ok,
            None => {
                let ok =
                    sharing::role_on(&state.store, &entry.board, person, None, false)?.is_some();
                allowed.insert(entry.board.clone(), ok);
                ok
            }
        };
        if ok {
            out.push(entry);
        }
    }
    Ok(out)
}

pub async fn show(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Inbox>, ApiError> {
    let entries = tokio::task::spawn_blocking(move || visible(&state, &person)).await??;
    Ok(Json(Inbox {
        unread: entries.iter().filter(|e| !e.read).count(),
        entries,
    }))
}

pub async fn mark_read(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Result<Json<MarkRead>, JsonRejection>,
) -> Result<Json<Unread>, ApiError> {
    let Json(MarkRead { ids, all }) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"ids\": [\"...\"]}} or {{\"all\": true}}: {}",
            e.body_text()
        ))
    })?;
    if ids.len() > MAX_IDS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_IDS} ids at once; use {{\"all\": true}}"
        )));
    }
    if !all && ids.is_empty() {
        return Err(ApiError::BadRequest(
            "name the entries to mark read (\"ids\") or say \"all\": true".into(),
        ));
    }
    let st = state.clone();
    let unread = tokio::task::spawn_blocking(move || -> Result<usize, ApiError> {
        if !person.new {
            let ids = (!all).then_some(ids);
            st.notifier
                .trees()
                .mark_read(&st.store, &person.id, ids.as_deref())?;
        }
        Ok(visible(&st, &person)?.iter().filter(|e| !e.read).count())
    })
    .await??;
    state.store.wait_durable(state.store.written()).await;
    Ok(Json(Unread { unread }))
}
