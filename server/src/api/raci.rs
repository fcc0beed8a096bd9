//! `GET /api/boards/{id}/export?format=raci-csv[&matrix={item id}]`: one RACI matrix as CSV
//! (`Item`, then one column per person or role), for a spreadsheet.
//!
//! A CSV file holds one table, so the route answers one matrix: the one named by `matrix`, or
//! the board's only one. A board with several answers 400 with their ids and titles, so a
//! caller can pick; the Markdown export has them all.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use huddle_shared::export::{raci_csv, raci_matrices, slug};
use huddle_shared::model::BoardSnapshot;

use crate::error::ApiError;

/// The `format=` name of this export.
pub const FORMAT: &str = "raci-csv";

/// The CSV of matrix `matrix` (or of the board's only matrix) as a download.
pub fn csv(board: &BoardSnapshot, matrix: Option<&str>) -> Result<Response, ApiError> {
    let all = raci_matrices(board);
    let (id, title) = match matrix {
        Some(id) => all
            .iter()
            .find(|(m, _)| m == id)
            .ok_or_else(|| ApiError::BadRequest(format!("no RACI matrix {id:?} on this board")))?,
        None => match all.as_slice() {
            [] => return Err(ApiError::BadRequest("this board has no RACI matrix".into())),
            [one] => one,
            several => {
                let listed: Vec<String> = several
                    .iter()
                    .map(|(id, title)| format!("{id} ({title})"))
                    .collect();
                return Err(ApiError::BadRequest(format!(
                    "this board has {} RACI matrices; name one with matrix=: {}",
                    several.len(),
                    listed.join(", ")
                )));
            }
        },
    };
    // The matrix was just found in this snapshot.
    let body = raci_csv(board, id).unwrap_or_default();
    let filename = format!("{}-{}.csv", slug(&board.meta.title), slug(title));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}
