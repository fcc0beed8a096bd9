//! The HTTP API under `/api`: create, list, inspect, export and delete boards.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use huddle_shared::ids::{is_valid_board_id, new_board_id};
use huddle_shared::model::Board;
use serde::{Deserialize, Serialize};
use yrs::{ReadTxn, StateVector, Transact};

use crate::app::AppState;
use crate::error::ApiError;
use crate::store::{BoardMeta, now_ms};

/// Longest board title accepted, so lists stay readable.
const MAX_TITLE_CHARS: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/boards", get(list).post(create))
        .route("/boards/{id}", get(show).delete(delete))
        .route("/boards/{id}/export.json", get(export))
}

#[derive(Deserialize)]
struct NewBoard {
    title: String,
}

#[derive(Serialize)]
struct Created {
    id: String,
    url: String,
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
    let Json(NewBoard { title }) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"title\": \"...\"}}: {}",
            e.body_text()
        ))
    })?;
    let title = title.trim();
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::BadRequest(format!(
            "titles are at most {MAX_TITLE_CHARS} characters"
        )));
    }
    let id = new_board_id();
    let now = now_ms();
    let board = Board::new();
    board.init_meta(&mut board.transact_mut(), title, now as f64);
    let update = board
        .doc()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let meta = BoardMeta {
        title: title.to_owned(),
        created_at: now,
        updated_at: now,
    };
    state.store.create_board(&id, &meta, &update).await?;
    let url = format!("/b/{id}");
    Ok((StatusCode::CREATED, Json(Created { id, url })).into_response())
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

async fn export(
    Path(id): Path<String>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    if state.store.board_meta(&id)?.is_none() {
        return Err(ApiError::NoSuchBoard(id));
    }
    // A loaded board answers from memory (it may hold updates not yet compacted); otherwise
    // read it from disk without starting a room.
    let live = match state.rooms.get(&id) {
        Some(room) => room.export().await.ok(),
        None => None,
    };
    let snapshot = match live {
        Some(snapshot) => snapshot,
        None => {
            let store = state.store.clone();
            tokio::task::spawn_blocking(move || store.load_snapshot(&id)).await??
        }
    };
    Ok((
        [("content-type", "application/json")],
        snapshot.to_json_pretty(),
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
