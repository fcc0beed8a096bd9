//! `GET /api/boards/{id}/decisions` and `GET /api/boards/{id}/rounds`: the decision log and
//! the open rounds, for anyone with a role on the board. Read from the store, where the room
//! writes every round and decision before it acknowledges them; never a ballot.

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use huddle_shared::rounds::{Decision, Round, Status};
use serde::Serialize;

use super::role;
use crate::error::ApiError;
use crate::people::Person;
use crate::state::AppState;

/// The decision log, oldest first.
pub(super) async fn decisions(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Vec<Decision>>, ApiError> {
    role(&state, &id, &person, None)?;
    let store = state.store.clone();
    let mut log = tokio::task::spawn_blocking(move || store.decisions(&id)).await??;
    log.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Json(log))
}

/// An open round as the API shows it: the round and how many have voted.
#[derive(Serialize)]
pub(super) struct OpenRound {
    round: Round,
    voted: u32,
}

/// The open rounds, oldest first.
pub(super) async fn open_rounds(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Vec<OpenRound>>, ApiError> {
    role(&state, &id, &person, None)?;
    let store = state.store.clone();
    let open = tokio::task::spawn_blocking(move || {
        let mut open = Vec::new();
        for stored in store.rounds(&id)? {
            if stored.round.status == Status::Open {
                let voted = store.ballots(&id, &stored.round.id)?.len() as u32;
                open.push(OpenRound {
                    round: stored.round,
                    voted,
                });
            }
        }
        open.sort_by_key(|r| r.round.opened_at);
        Ok::<_, crate::store::StoreError>(open)
    })
    .await??;
    Ok(Json(open))
}
