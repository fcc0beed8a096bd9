//! `GET /api/boards/{id}/view[?key=...][&format=binary]`: the board's items as the page draws
//! them (see [`huddle_shared::model::BoardView`]), so the page can draw a big board before its
//! document has come over the WebSocket and been integrated. JSON by default; the web app asks
//! for the binary form ([`BoardView::to_binary`]), a third of the bytes and read without a
//! parser.
//!
//! Who may have it is decided exactly as for opening the board's WebSocket: any role on the
//! board, from the person's grant or a share link's key; no role answers 404, as for a board
//! that does not exist. It holds nothing but the document's items, which that person's sync
//! would send them anyway (private notes and ballots are the room's, outside the document).
//!
//! The view is the one stored when the board's room last stopped (or when the board was
//! created or imported: `transfer::NewBoard`), if the board has not changed since
//! ([`crate::store::views`]): one read. Else it is read from the board's room
//! (started if the board is not loaded: the page's WebSocket follows at once and finds it
//! loaded). Either way it is sent gzip'd. A stored view is binary: JSON is made from it.
//! Opening the board page itself starts the room ([`prepare`]), so the board loads while the
//! app downloads and starts.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use huddle_shared::model::BoardView;
use serde::Deserialize;

use super::{bad_query, role};
use crate::error::ApiError;
use crate::people::Person;
use crate::room::{CachedView, gzip};
use crate::sharing;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ViewQuery {
    key: Option<String>,
    #[serde(default)]
    format: Format,
}

/// The form a view is sent in.
#[derive(Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Binary,
}

pub async fn show(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    query: Result<Query<ViewQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(ViewQuery { key, format }) = query.map_err(bad_query)?;
    role(&state, &id, &person, key.as_deref())?;
    let asked = std::time::Instant::now();
    let gzipped = match state.store.stored_view(&id)? {
        // The board as its room left it, and has not changed since: one read.
        Some(stored) => {
            tracing::debug!(board = %id, bytes = stored.len(), read = ?asked.elapsed(), "stored view");
            match format {
                Format::Binary => stored,
                Format::Json => {
                    tokio::task::spawn_blocking(move || json_of_stored(&stored)).await??
                }
            }
        }
        None => {
            let view = from_room(&state, &id).await?;
            let read = asked.elapsed();
            let items = view.len();
            let gzipped = tokio::task::spawn_blocking(move || match format {
                Format::Binary => view.gzipped_binary(),
                Format::Json => view.gzipped_json(),
            })
            .await?;
            tracing::debug!(board = %id, items, bytes = gzipped.len(), ?read, encoded = ?asked.elapsed(), "view");
            gzipped
        }
    };
    let mut response = if accepts_gzip(&headers) {
        let mut response = gzipped.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        tokio::task::spawn_blocking(move || gunzip(&gzipped))
            .await??
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(match format {
            Format::Json => "application/json",
            Format::Binary => "application/octet-stream",
        }),
    );
    // The board as it is now, for this person only: no cache may keep it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
}

/// The board page is being opened: its view and WebSocket follow as soon as the app has
/// started. For a person who may read the board, the room is loaded and (unless a stored view
/// will do) the view read and encoded meanwhile, in the background. Nobody else makes the
/// server load a board.
pub fn prepare(state: &AppState, board: &str, person: &Person) {
    if state.shutdown.is_cancelled() {
        return;
    }
    // A few sled lookups in memory, as the WebSocket's own check does inline.
    if !matches!(
        sharing::role_on(&state.store, board, person, None, false),
        Ok(Some(_))
    ) {
        return;
    }
    // With a stored view, only the room is needed (for the WebSocket).
    if matches!(state.store.has_stored_view(board), Ok(true)) {
        state.rooms.get_or_start(board, &state.room_context());
        return;
    }
    let (state, board) = (state.clone(), board.to_owned());
    tokio::spawn(async move {
        if let Ok(view) = from_room(&state, &board).await {
            let _ = tokio::task::spawn_blocking(move || view.gzipped_binary()).await;
        }
    });
}

/// The view from the board's room, starting it if needed.
async fn from_room(state: &AppState, id: &str) -> Result<CachedView, ApiError> {
    if state.shutdown.is_cancelled() {
        return Err(ApiError::Unavailable);
    }
    state
        .rooms
        .ask(id, &state.room_context(), |room| async move {
            room.view().await.ok()
        })
        .await
        .ok_or(ApiError::Unavailable)
}

/// Whether the request's `Accept-Encoding` lists gzip (every browser's does) with a weight
/// above zero: `gzip;q=0` refuses it.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let named = parts
                .next()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip"));
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            named && !refused
        })
}

/// A stored (binary) view as gzip'd JSON, for a script that asked for JSON.
fn json_of_stored(gzipped: &[u8]) -> Result<Bytes, ApiError> {
    let view = BoardView::from_binary(&gunzip(gzipped)?)
        .map_err(|e| ApiError::Internal(format!("the board's stored view did not read: {e}")))?;
    Ok(gzip(&serde_json::to_vec(&view).unwrap_or_default()))
}

/// The view itself, for a client that takes no gzip (a script without `--compressed`).
fn gunzip(gzipped: &[u8]) -> Result<Vec<u8>, ApiError> {
    use std::io::Read;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(gzipped)
        .read_to_end(&mut json)
        .map_err(|e| ApiError::Internal(format!("the board's view did not decode: {e}")))?;
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_accepted_only_when_listed() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            accepts_gzip(&headers)
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(!with("identity"));
        assert!(!with("x-gzip-not"));
        assert!(with("GZIP"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br, gzip; q=0.0"));
        assert!(with("gzip;q=0.001"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
