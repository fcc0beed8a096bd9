//! `GET /api/boards/{id}/export?format=svg|png|pdf|minutes|minutes-pdf[&scale=2]
//! [&frame=ID][&items=a,b][&since=MS]`: pictures of the board (see [`crate::pictures`]) for
//! anyone with a role on it, and a session's minutes for its facilitator or an owner.
//!
//! The board is read as the other exports read it (from its room if loaded, else from disk);
//! drawing happens on a blocking thread, at most [`MAX_RENDERS`] at once, so a large export
//! never holds up a room or the async workers.

use axum::Json;
use axum::extract::Query;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::{bad_query, role, snapshot};
use crate::error::ApiError;
use crate::people::Person;
use crate::pictures::{Format, MAX_RENDERS, PictureArgs, PictureError, Request, render};
use crate::state::AppState;
use crate::store::now_ms;

/// Pictures being drawn now; a request waits for a permit.
static RENDERS: Semaphore = Semaphore::const_new(MAX_RENDERS);

pub async fn export(
    state: &AppState,
    id: &str,
    person: &Person,
    format: Format,
    uri: &Uri,
) -> Result<Response, ApiError> {
    let Query(args) = Query::<PictureArgs>::try_from_uri(uri).map_err(bad_query)?;
    let request = Request::with(format, &args).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let board = snapshot(state, id, person).await?;
    if format.is_minutes() {
        let role = role(state, id, person, None)?;
        let facilitator = board
            .facilitation
            .facilitator
            .as_ref()
            .is_some_and(|f| *f.id == *person.id);
        if !(role.may_manage() || facilitator) {
            return Err(ApiError::Forbidden(format!(
                "only the facilitator or an owner may export the minutes; you are {} here",
                role.name()
            )));
        }
    }
    let _permit = RENDERS.acquire().await.map_err(|_| ApiError::Unavailable)?;
    let out = tokio::task::spawn_blocking(move || render(&board, &request, now_ms())).await?;
    let out = match out {
        Ok(out) => out,
        Err(PictureError::Render(e)) => {
            tracing::error!(board = id, "picture: {e}");
            let body =
                serde_json::json!({ "error": format!("the picture could not be drawn: {e}") });
            return Ok((StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response());
        }
        Err(e) => return Err(ApiError::BadRequest(e.to_string())),
    };
    Ok((
        [
            (header::CONTENT_TYPE, out.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", out.filename),
            ),
        ],
        out.body,
    )
        .into_response())
}
