//! The HTTP API under `/api`. Every call is made by a [`Person`] (attached by
//! [`crate::people::identify`]) and checked against their role on the board:
//!
//! - this file: boards: create (blank or from a template) and import (the caller owns the new
//!   board), list (only the caller's boards), show, export (any role), rename and delete
//!   (owners);
//! - [`access`]: the share links and who holds which role (owners);
//! - [`me`]: the caller's own name and colour; [`inbox`]: their inbox;
//! - `webhooks`: a board's webhooks and their delivery log (owners).
//! - `comments`: the board's comment threads (any role).
//! - `since`: what changed since the caller last looked, and "mark all seen".
//! - `versions`: version history: list, save a named version, open, restore (owners), copy
//!   into a new board; and the test server's clock.
//! - `raci`: one RACI matrix as CSV (`export?format=raci-csv`).
//! - `pictures`: SVG, PNG and PDF pictures and the minutes (`export?format=png` ...).
//! - `view`: the board's items as the page draws them, for a first frame before the
//!   document is synced (any role, as for the board's WebSocket).
//!
//! A board the caller has no role on answers 404, exactly like a board that does not exist.

use axum::extract::rejection::{JsonRejection, QueryRejection, StringRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router, middleware};
use huddle_shared::access::Role;
use huddle_shared::export::MAX_JSON_BYTES;
use huddle_shared::ids::{is_valid_board_id, new_board_id};
use huddle_shared::model::BoardSnapshot;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::people::Person;
use crate::sharing;
use crate::state::AppState;
use crate::store::{BoardMeta, now_ms};
use crate::transfer::{self, NewBoardError};

pub mod access;
mod comments;
pub mod inbox;
pub mod me;
mod pictures;
mod raci;
mod rounds;
mod since;
mod versions;
pub mod view;
mod webhooks;

/// Largest import request body: the larger of the two formats' own limits (a board's JSON;
/// a CSV backlog is refused above its smaller limit with a line and column). Bigger bodies
/// are cut off by axum before they are buffered, with 413.
pub const MAX_IMPORT_BODY_BYTES: usize = MAX_JSON_BYTES;

pub fn routes(state: &AppState) -> Router<AppState> {
    // Creating and importing boards is rate limited per client address.
    let creating = Router::new()
        .route("/boards", get(list).post(create))
        .route(
            "/boards/import",
            post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BODY_BYTES)),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::guard::limit_creates,
        ));
    // Cluster mode: a board's requests go to the node whose room runs it.
    let board = Router::new()
        .route("/boards/{id}", get(show).patch(rename).delete(delete))
        .route("/boards/{id}/export.json", get(export_json))
        .route("/boards/{id}/export", get(export))
        .route("/boards/{id}/view", get(view::show))
        .route("/boards/{id}/decisions", get(rounds::decisions))
        .route("/boards/{id}/rounds", get(rounds::open_rounds))
        .route("/boards/{id}/comments", get(comments::threads))
        .route("/boards/{id}/since", get(since::show))
        .route("/boards/{id}/seen", post(since::mark))
        .route("/boards/{id}/access", get(access::show))
        .route("/boards/{id}/links/{role}/rotate", post(access::rotate))
        .route(
            "/boards/{id}/people/{person}",
            put(access::set_role).delete(access::remove),
        )
        .merge(versions::routes(state))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::relay::api_to_owner,
        ));
    Router::new()
        .merge(creating)
        .merge(board)
        .route("/me", get(me::show).put(me::update))
        .merge(inbox::routes())
        .merge(webhooks::routes())
}

#[derive(Deserialize)]
struct NewBoard {
    title: String,
    /// A template name; absent is a blank board.
    #[serde(default)]
    template: Option<String>,
    /// The board's id, for the admin only (scripts, migrations); others get a random one.
    #[serde(default)]
    id: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct Created {
    id: String,
    url: String,
    title: String,
    role: Role,
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
    /// `format=raci-csv` only: which RACI matrix (an item id); see [`raci`].
    matrix: Option<String>,
}

#[derive(Deserialize)]
struct ImportQuery {
    format: Option<String>,
    title: Option<String>,
}

/// The `key` of a share link, on calls that accept one (`GET /api/boards/{id}?key=...`).
#[derive(Deserialize)]
pub struct KeyQuery {
    pub key: Option<String>,
}

#[derive(Deserialize)]
struct Rename {
    title: String,
}

impl From<NewBoardError> for ApiError {
    fn from(e: NewBoardError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

#[derive(Serialize)]
struct BoardInfo {
    id: String,
    title: String,
    created_at: u64,
    updated_at: u64,
    /// The caller's role on it.
    role: Role,
}

impl BoardInfo {
    fn new(id: String, meta: BoardMeta, role: Role) -> Self {
        BoardInfo {
            id,
            title: meta.title,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            role,
        }
    }
}

/// A query string axum could not read, as our JSON error.
fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::BadRequest(format!("bad query string: {}", e.body_text()))
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if is_valid_board_id(id) {
        Ok(())
    } else {
        Err(ApiError::BadBoardId)
    }
}

/// The caller's role on board `id` (presenting `key`, remembered if it gives more), or 404.
pub(crate) fn role(
    state: &AppState,
    id: &str,
    person: &Person,
    key: Option<&str>,
) -> Result<Role, ApiError> {
    check_id(id)?;
    sharing::role_on(&state.store, id, person, key, true)?
        .ok_or_else(|| ApiError::NoSuchBoard(id.to_owned()))
}

/// The caller's role on board `id` if it allows managing the board (owners), else 403 (or
/// 404 without any role).
pub(crate) fn owner(state: &AppState, id: &str, person: &Person) -> Result<Role, ApiError> {
    let role = role(state, id, person, None)?;
    if role.may_manage() {
        Ok(role)
    } else {
        Err(ApiError::Forbidden(format!(
            "only the board's owners may do this; you are {} here",
            role.name()
        )))
    }
}

async fn create(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Result<Json<NewBoard>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(NewBoard {
        title,
        template,
        id,
    }) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"title\": \"...\", \"template\": \"...\"}}: {}",
            e.body_text()
        ))
    })?;
    if id.is_some() && !person.admin {
        return Err(ApiError::Forbidden(
            "only the admin chooses board ids; leave \"id\" out for a new random one".into(),
        ));
    }
    if let Some(id) = &id {
        check_id(id)?;
        if state.store.board_meta(id)?.is_some() {
            return Err(ApiError::Conflict(format!("a board with id {id:?} exists")));
        }
    }
    let template = transfer::parse_template(template.as_deref())?;
    let new = transfer::from_template(&title, template, now_ms())?;
    let created = store_new(&state, &person, &new, id).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Stores a new board (under `id`, or a fresh random id) owned by `person`; on disk when
/// this returns.
pub(crate) async fn store_new(
    state: &AppState,
    person: &Person,
    new: &transfer::NewBoard,
    id: Option<String>,
) -> Result<Created, ApiError> {
    let id = id.unwrap_or_else(new_board_id);
    sharing::make_owner(&state.store, &id, &person.id)?;
    state
        .store
        .create_board(&id, &new.meta, &new.update)
        .await?;
    // Its first open gets its view without loading it (a cache: a failure only costs that).
    let (store, board, view) = (state.store.clone(), id.clone(), new.view.clone());
    match tokio::task::spawn_blocking(move || store.store_view(&board, &view)).await {
        Ok(Ok(())) => state.store.request_flush(),
        Ok(Err(e)) => tracing::warn!(board = %id, "cannot store the new board's view: {e}"),
        Err(e) => tracing::warn!(board = %id, "cannot store the new board's view: {e}"),
    }
    Ok(Created {
        url: format!("/b/{id}"),
        id,
        title: new.meta.title.clone(),
        role: Role::Owner,
    })
}

/// `POST /api/boards/import?format=csv|json&title=...`: the file is the raw body. The whole
/// file is checked before the board is created, so a bad file creates nothing.
async fn import(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    query: Result<Query<ImportQuery>, QueryRejection>,
    body: Result<String, StringRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let text = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(format!(
            "an imported file is at most {MAX_IMPORT_BODY_BYTES} bytes"
        )),
        _ => ApiError::BadRequest(format!("the file must be UTF-8 text: {}", e.body_text())),
    })?;
    let format = query
        .format
        .ok_or_else(|| ApiError::BadRequest("format=csv or format=json is required".into()))?;
    let title = query.title.filter(|t| !t.trim().is_empty());
    // Parsing and building a large board is CPU work: keep it off the async workers.
    let new = tokio::task::spawn_blocking(move || {
        transfer::from_import(&format, &text, title.as_deref(), now_ms())
    })
    .await??;
    let created = store_new(&state, &person, &new, None).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /api/boards`: the boards the caller has a role on (every board, for the admin), most
/// recently changed first.
async fn list(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Vec<BoardInfo>>, ApiError> {
    let store = state.store.clone();
    let mut boards = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        if person.admin {
            return Ok(store
                .list_boards()?
                .into_iter()
                .map(|(id, meta)| BoardInfo::new(id, meta, Role::Owner))
                .collect::<Vec<_>>());
        }
        if person.new {
            return Ok(Vec::new());
        }
        let mut boards = Vec::new();
        for (id, grant) in store.grants_of_person(&person.id)? {
            if let (Some(role), Some(meta)) = (grant.role, store.board_meta(&id)?) {
                boards.push(BoardInfo::new(id, meta, role));
            }
        }
        Ok(boards)
    })
    .await??;
    boards.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(Json(boards))
}

/// `GET /api/boards/{id}[?key=...]`: the board and the caller's role on it. A share link's key
/// gives its role (remembered), so the page opened from a link learns what it may do.
async fn show(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    query: Result<Query<KeyQuery>, QueryRejection>,
) -> Result<Json<BoardInfo>, ApiError> {
    let Query(KeyQuery { key }) = query.map_err(bad_query)?;
    let role = role(&state, &id, &person, key.as_deref())?;
    match state.store.board_meta(&id)? {
        Some(meta) => Ok(Json(BoardInfo::new(id, meta, role))),
        None => Err(ApiError::NoSuchBoard(id)),
    }
}

/// `PATCH /api/boards/{id}` with `{"title": "..."}`: owners rename a board. The title changes
/// in the board's document, so every open page shows it at once.
async fn rename(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Result<Json<Rename>, JsonRejection>,
) -> Result<Json<BoardInfo>, ApiError> {
    let Json(Rename { title }) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"title\": \"...\"}}: {}",
            e.body_text()
        ))
    })?;
    let role = owner(&state, &id, &person)?;
    let title = transfer::check_title(&title)?.to_owned();
    if state.shutdown.is_cancelled() {
        return Err(ApiError::Unavailable);
    }
    state
        .rooms
        .ask(&id, &state.room_context(), |room| {
            let title = title.clone();
            async move { room.rename(title).await.ok() }
        })
        .await
        .ok_or(ApiError::Unavailable)?;
    state.store.wait_durable(state.store.written()).await;
    let meta = state
        .store
        .board_meta(&id)?
        .ok_or_else(|| ApiError::NoSuchBoard(id.clone()))?;
    Ok(Json(BoardInfo::new(id, meta, role)))
}

/// The board as plain values, for anyone with a role on it: from its room if it is loaded (it
/// may hold updates not yet compacted), otherwise from disk without starting a room.
async fn snapshot(state: &AppState, id: &str, person: &Person) -> Result<BoardSnapshot, ApiError> {
    role(state, id, person, None)?;
    let live = match state.rooms.get(id) {
        Some(room) => room.export().await.ok(),
        None => None,
    };
    let store = state.store.clone();
    let id = id.to_owned();
    // Comment threads are the store's, not the document's: filled in for every export.
    Ok(tokio::task::spawn_blocking(move || {
        let mut snapshot = match live {
            Some(snapshot) => snapshot,
            None => store.load_snapshot(&id)?,
        };
        snapshot.comments = store.comment_threads(&id)?;
        Ok::<_, crate::store::StoreError>(snapshot)
    })
    .await??)
}

async fn export_json(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Response, ApiError> {
    let snapshot = snapshot(&state, &id, &person).await?;
    Ok((
        [("content-type", "application/json")],
        snapshot.to_json_pretty(),
    )
        .into_response())
}

/// `GET /api/boards/{id}/export?format=markdown|csv|json`, as a download (and
/// `format=raci-csv`, one RACI matrix: see [`raci`]).
async fn export(
    Path(id): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let format = query.format.ok_or_else(|| {
        ApiError::BadRequest("format=markdown, format=csv or format=json is required".into())
    })?;
    if let Some(picture) = crate::pictures::Format::parse(&format) {
        return pictures::export(&state, &id, &person, picture, &uri).await;
    }
    if format == raci::FORMAT {
        let snapshot = snapshot(&state, &id, &person).await?;
        return raci::csv(&snapshot, query.matrix.as_deref());
    }
    let format = transfer::parse_format(&format)?;
    let snapshot = snapshot(&state, &id, &person).await?;
    let download = transfer::download(&snapshot, format);
    Ok((
        [
            (header::CONTENT_TYPE, download.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", download.filename),
            ),
        ],
        download.body,
    )
        .into_response())
}

async fn delete(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<StatusCode, ApiError> {
    owner(&state, &id, &person)?;
    if let Some(room) = state.rooms.get(&id) {
        room.delete().await;
    }
    let store = state.store.clone();
    let board = id.clone();
    if tokio::task::spawn_blocking(move || store.delete_board(&board)).await?? {
        // Answer only once the deletion is on disk, as creation does.
        state.store.wait_durable(state.store.written()).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NoSuchBoard(id))
    }
}
