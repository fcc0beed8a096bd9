//! Version history over HTTP:
//!
//! - `GET  /api/boards/{id}/versions`: the board's versions, newest first (any role);
//! - `POST /api/boards/{id}/versions` `{"name": "..."}`: saves a named version now (editors
//!   and owners);
//! - `GET  /api/boards/{id}/versions/{v}`: one version's head and board as JSON (any role);
//! - `GET  /api/boards/{id}/versions/{v}/head`: its head alone (time, kind, authors, summary);
//! - `GET  /api/boards/{id}/versions/{v}/state`: its whole state as a yrs update v1 (what the
//!   page opens read-only);
//! - `POST /api/boards/{id}/versions/{v}/restore`: makes the board what the version holds, as
//!   one change everybody gets (owners only); answers the "before restore" version that
//!   undoes it;
//! - `POST /api/boards/{id}/versions/{v}/copy` `{"title": "..."}`: a new board holding the
//!   version, owned by the caller (any role: they can read it);
//! - `POST /api/test/clock` `{"advance_ms": N}`: moves the version clock forward, only on a
//!   server started with the hidden `--test-clock` flag (404 otherwise).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router, middleware};
use huddle_shared::model::BoardSnapshot;
use huddle_shared::versions::{Author, VersionHead, VersionKind, check_name};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::people::Person;
use crate::room::versions::{Restored, VersionCommand};
use crate::state::AppState;
use crate::store::now_ms;
use crate::transfer;
use crate::versions::capture::snapshot_of;

use super::{owner, role, store_new};

pub fn routes(state: &AppState) -> Router<AppState> {
    // A copy is a new board: rate limited like creating one.
    let copying = Router::new()
        .route("/boards/{id}/versions/{version}/copy", post(copy))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::guard::limit_creates,
        ));
    Router::new()
        .route("/boards/{id}/versions", get(list).post(save))
        .route("/boards/{id}/versions/{version}", get(show))
        .route("/boards/{id}/versions/{version}/head", get(head))
        .route("/boards/{id}/versions/{version}/state", get(state_bytes))
        .route("/boards/{id}/versions/{version}/restore", post(restore))
        .route("/test/clock", post(advance_clock))
        .merge(copying)
}

#[derive(Deserialize)]
struct Save {
    name: String,
}

#[derive(Deserialize, Default)]
struct Copy {
    #[serde(default)]
    title: Option<String>,
}

#[derive(Serialize)]
struct Opened {
    head: VersionHead,
    board: BoardSnapshot,
}

#[derive(Deserialize)]
struct Advance {
    advance_ms: u64,
}

fn no_version(id: &str, version: u64) -> ApiError {
    ApiError::NotFound(format!("board {id:?} has no version {version}"))
}

/// The caller as a version's author.
fn author(state: &AppState, person: &Person) -> Result<Author, ApiError> {
    Ok(Author {
        id: person.id.to_string(),
        name: person.shown(&state.store)?.name,
    })
}

/// Sends a command to the board's room (starting it if needed); a room that is unloading
/// when asked refuses, and the next one takes it.
async fn ask_room<T>(
    state: &AppState,
    id: &str,
    command: impl Fn(oneshot::Sender<Result<T, String>>) -> VersionCommand,
) -> Result<T, ApiError> {
    if state.shutdown.is_cancelled() {
        return Err(ApiError::Unavailable);
    }
    let answer = state
        .rooms
        .ask(id, &state.room_context(), |room| {
            let (reply, rx) = oneshot::channel();
            let command = command(reply);
            async move {
                room.versions(command).await.ok()?;
                // `None` also when the room stopped before it answered.
                rx.await.ok()
            }
        })
        .await
        .ok_or(ApiError::Unavailable)?
        .map_err(ApiError::Internal)?;
    state.store.wait_durable(state.store.written()).await;
    Ok(answer)
}

/// `GET /api/boards/{id}/versions`: newest first.
async fn list(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Vec<VersionHead>>, ApiError> {
    role(&state, &id, &person, None)?;
    let store = state.store.clone();
    let mut heads = tokio::task::spawn_blocking(move || store.list_versions(&id)).await??;
    heads.reverse();
    Ok(Json(heads))
}

/// `POST /api/boards/{id}/versions` `{"name": "..."}`.
async fn save(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Result<Json<Save>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(Save { name }) = body.map_err(|e| {
        ApiError::BadRequest(format!("expected {{\"name\": \"...\"}}: {}", e.body_text()))
    })?;
    let role = role(&state, &id, &person, None)?;
    if !role.may_edit() {
        return Err(ApiError::Forbidden(format!(
            "only editors and owners save versions; you are {} here",
            role.name()
        )));
    }
    let name = check_name(&name)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?
        .to_owned();
    let by = author(&state, &person)?;
    let head = ask_room(&state, &id, |reply| VersionCommand::Save {
        kind: VersionKind::Named,
        name: Some(name.clone()),
        by: Some(by.clone()),
        reply,
    })
    .await?;
    Ok((StatusCode::CREATED, Json(head)).into_response())
}

/// A version's head and state, or 404. Blocking work on a blocking thread.
async fn read_version(
    state: &AppState,
    id: &str,
    version: u64,
) -> Result<(VersionHead, Vec<u8>), ApiError> {
    let store = state.store.clone();
    let board = id.to_owned();
    let found = tokio::task::spawn_blocking(move || {
        let head = store.version_head(&board, version)?;
        let bytes = store.version_state(&board, version)?;
        Ok::<_, crate::store::StoreError>(head.zip(bytes))
    })
    .await??;
    found.ok_or_else(|| no_version(id, version))
}

/// `GET /api/boards/{id}/versions/{v}`: the head and the board as plain values.
async fn show(
    Path((id, version)): Path<(String, u64)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Opened>, ApiError> {
    role(&state, &id, &person, None)?;
    let (head, bytes) = read_version(&state, &id, version).await?;
    let board_id = id.clone();
    let board = tokio::task::spawn_blocking(move || snapshot_of(&board_id, &bytes)).await??;
    Ok(Json(Opened { head, board }))
}

/// `GET /api/boards/{id}/versions/{v}/head`.
async fn head(
    Path((id, version)): Path<(String, u64)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<VersionHead>, ApiError> {
    role(&state, &id, &person, None)?;
    let store = state.store.clone();
    let board = id.clone();
    tokio::task::spawn_blocking(move || store.version_head(&board, version))
        .await??
        .map(Json)
        .ok_or_else(|| no_version(&id, version))
}

/// `GET /api/boards/{id}/versions/{v}/state`: an update v1 holding the whole version.
async fn state_bytes(
    Path((id, version)): Path<(String, u64)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Response, ApiError> {
    role(&state, &id, &person, None)?;
    let (_, bytes) = read_version(&state, &id, version).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            // A version never changes.
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
        ],
        bytes,
    )
        .into_response())
}

/// `POST /api/boards/{id}/versions/{v}/restore` (owners).
async fn restore(
    Path((id, version)): Path<(String, u64)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Restored>, ApiError> {
    owner(&state, &id, &person)?;
    let (_, bytes) = read_version(&state, &id, version).await?;
    let board_id = id.clone();
    let board = tokio::task::spawn_blocking(move || snapshot_of(&board_id, &bytes)).await??;
    let by = author(&state, &person)?;
    let board = Box::new(board);
    let restored = ask_room(&state, &id, |reply| VersionCommand::Restore {
        version,
        board: board.clone(),
        by: by.clone(),
        reply,
    })
    .await?;
    Ok(Json(restored))
}

/// `POST /api/boards/{id}/versions/{v}/copy` `{"title": "..."}` (optional body).
async fn copy(
    Path((id, version)): Path<(String, u64)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    role(&state, &id, &person, None)?;
    // The body is optional: none (or an empty one) takes the default title.
    let Copy { title } = if body.iter().all(u8::is_ascii_whitespace) {
        Copy::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("expected {{\"title\": \"...\"}}: {e}")))?
    };
    let (head, bytes) = read_version(&state, &id, version).await?;
    let board_id = id.clone();
    let new = tokio::task::spawn_blocking(move || {
        let snapshot = snapshot_of(&board_id, &bytes)?;
        let title = title
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| copy_title(&snapshot.meta.title, &head));
        Ok::<_, ApiError>(transfer::from_snapshot(&snapshot, &title, now_ms())?)
    })
    .await??;
    let created = store_new(&state, &person, &new, None).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// "Plan (copy of the version named Before the workshop)", cut to the longest title.
fn copy_title(title: &str, head: &VersionHead) -> String {
    let of = match &head.name {
        Some(name) => format!("{title} (copy of version {name:?})"),
        None => format!("{title} (copy of a version)"),
    };
    of.chars().take(transfer::MAX_TITLE_CHARS).collect()
}

/// `POST /api/test/clock` `{"advance_ms": N}`: only with `--test-clock`.
async fn advance_clock(
    State(state): State<AppState>,
    body: Result<Json<Advance>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let clock = &state.room_config.versions.clock;
    if !clock.is_settable() {
        return Err(ApiError::NotFound("no such API".into()));
    }
    let Json(Advance { advance_ms }) = body.map_err(|e| {
        ApiError::BadRequest(format!("expected {{\"advance_ms\": N}}: {}", e.body_text()))
    })?;
    clock.advance(advance_ms);
    Ok(Json(serde_json::json!({ "now_ms": clock.now_ms() })))
}
