//! `GET /api/boards/{id}/comments`: the board's comment threads, for scripts and exports, to
//! anyone with a role on the board (viewers read comments). Read from the store, where the
//! room writes every change before it acknowledges or sends it. `?open=true` lists only the
//! threads not resolved.

use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use huddle_shared::comments::Thread;
use serde::Deserialize;

use super::role;
use crate::error::ApiError;
use crate::people::Person;
use crate::state::AppState;

#[derive(Deserialize)]
pub(super) struct ThreadsQuery {
    /// Only open threads.
    #[serde(default)]
    open: bool,
}

/// Every thread, oldest first, each with its comments oldest first.
pub(super) async fn threads(
    Path(id): Path<String>,
    query: Result<Query<ThreadsQuery>, QueryRejection>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Vec<Thread>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    role(&state, &id, &person, None)?;
    let store = state.store.clone();
    let mut threads = tokio::task::spawn_blocking(move || store.comment_threads(&id)).await??;
    if query.open {
        threads.retain(Thread::is_open);
    }
    Ok(Json(threads))
}
