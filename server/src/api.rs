//! The HTTP API under `/api`: create (blank or from a template), list, inspect, export,
//! import and delete boards.

use axum::extract::rejection::{QueryRejection, StringRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use huddle_shared::export::MAX_JSON_BYTES;
use huddle_shared::ids::{is_valid_board_id, new_board_id};
use huddle_shared::model::BoardSnapshot;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::error::ApiError;
use crate::store::{BoardMeta, now_ms};
use crate::transfer::{self, NewBoardError};

/// Largest import request body: the larger of the two formats' own limits (a board's JSON;
/// a CSV backlog is refused above its smaller limit with a line and column). Bigger bodies
/// are cut off by axum before they are buffered, with 413.
pub const MAX_IMPORT_BODY_BYTES: usize = MAX_JSON_BYTES;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/boards", get(list).post(create))
        .route(
            "/boards/import",
            post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BODY_BYTES)),
        )
        .route("/boards/{id}", get(show).delete(delete))
        .route("/boards/{id}/export.json", get(export_json))
        .route("/boards/{id}/export", get(export))
}

#[derive(Deserialize)]
struct NewBoard {
    title: String,
    /// A template name; absent is a blank board.
    #[serde(default)]
    template: Option<String>,
}

#[derive(Serialize)]
struct Created {
    id: String,
    url: String,
}

#[derive(Serialize)]
struct Imported {
    id: String,
    url: String,
    title: String,
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

#[derive(Deserialize)]
struct ImportQuery {
    format: Option<String>,
    title: Option<String>,
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
}

impl BoardInfo {
    fn new(id: String, meta: BoardMeta) -> Self {
        BoardInfo {
            id,
            title: meta.title,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
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

async fn create(
    State(state): State<AppState>,
    body: Result<Json<NewBoard>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(NewBoard { title, template }) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"title\": \"...\", \"template\": \"...\"}}: {}",
            e.body_text()
        ))
    })?;
    let template = transfer::parse_template(template.as_deref())?;
    let new = transfer::from_template(&title, template, now_ms())?;
    let (id, url) = store_new(&state, &new).await?;
    Ok((StatusCode::CREATED, Json(Created { id, url })).into_response())
}

/// Stores a new board under a fresh id (on disk when this returns); its id and page path.
async fn store_new(
    state: &AppState,
    new: &transfer::NewBoard,
) -> Result<(String, String), ApiError> {
    let id = new_board_id();
    state
        .store
        .create_board(&id, &new.meta, &new.update)
        .await?;
    let url = format!("/b/{id}");
    Ok((id, url))
}

/// `POST /api/boards/import?format=csv|json&title=...`: the file is the raw body. The whole
/// file is checked before the board is created, so a bad file creates nothing.
async fn import(
    State(state): State<AppState>,
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
    let (id, url) = store_new(&state, &new).await?;
    let title = new.meta.title;
    Ok((StatusCode::CREATED, Json(Imported { id, url, title })).into_response())
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<BoardInfo>>, ApiError> {
    let store = state.store.clone();
    let mut boards = tokio::task::spawn_blocking(move || store.list_boards()).await??;
    boards.sort_by(|a, b| {
        b.1.updated_at
            .cmp(&a.1.updated_at)
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(Json(
        boards
            .into_iter()
            .map(|(id, meta)| BoardInfo::new(id, meta))
            .collect(),
    ))
}

async fn show(
    Path(id): Path<String>,
    State(state): State<AppState>,
) -> Result<Json<BoardInfo>, ApiError> {
    check_id(&id)?;
    match state.store.board_meta(&id)? {
        Some(meta) => Ok(Json(BoardInfo::new(id, meta))),
        None => Err(ApiError::NoSuchBoard(id)),
    }
}

/// The board as plain values: from its room if it is loaded (it may hold updates not yet
/// compacted), otherwise from disk without starting a room.
async fn snapshot(state: &AppState, id: &str) -> Result<BoardSnapshot, ApiError> {
    check_id(id)?;
    if state.store.board_meta(id)?.is_none() {
        return Err(ApiError::NoSuchBoard(id.to_owned()));
    }
    let live = match state.rooms.get(id) {
        Some(room) => room.export().await.ok(),
        None => None,
    };
    match live {
        Some(snapshot) => Ok(snapshot),
        None => {
            let store = state.store.clone();
            let id = id.to_owned();
            Ok(tokio::task::spawn_blocking(move || store.load_snapshot(&id)).await??)
        }
    }
}

async fn export_json(
    Path(id): Path<String>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let snapshot = snapshot(&state, &id).await?;
    Ok((
        [("content-type", "application/json")],
        snapshot.to_json_pretty(),
    )
        .into_response())
}

/// `GET /api/boards/{id}/export?format=markdown|csv|json`, as a download.
async fn export(
    Path(id): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let format = query.format.ok_or_else(|| {
        ApiError::BadRequest("format=markdown, format=csv or format=json is required".into())
    })?;
    let format = transfer::parse_format(&format)?;
    let snapshot = snapshot(&state, &id).await?;
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
) -> Result<StatusCode, ApiError> {
    check_id(&id)?;
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
