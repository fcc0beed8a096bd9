//! Sharing a board (owners only): its share links, and who holds which role.
//!
//! - `GET /api/boards/{id}/access`: the links (one per role a link grants) and the people
//!   with a role, or removed;
//! - `POST /api/boards/{id}/links/{role}/rotate`: a new key for that link; the old link stops
//!   working, people who joined through it keep their role;
//! - `PUT /api/boards/{id}/people/{person}` with `{"role": "editor"}` and
//!   `DELETE /api/boards/{id}/people/{person}`: change or remove someone's role. Their open
//!   connections are closed with code 4001 and reconnect with the new role (or are refused).
//!
//! Every answer is the board's access as `GET .../access` shows it.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use huddle_shared::access::{Role, is_valid_person_id};
use serde::{Deserialize, Serialize};

use super::owner;
use crate::error::ApiError;
use crate::people::{self, Person};
use crate::sharing;
use crate::state::AppState;
use crate::store::Links;

/// What the share dialog shows.
#[derive(Serialize)]
pub struct Access {
    /// Paths of the share links (`/b/{id}?key=...`), by role.
    links: LinkPaths,
    /// Everyone with a standing on the board, owners first, then by name.
    people: Vec<Member>,
}

#[derive(Serialize)]
struct LinkPaths {
    editor: String,
    commenter: String,
    viewer: String,
}

#[derive(Serialize)]
struct Member {
    id: String,
    name: String,
    color: String,
    /// `null` for someone an owner removed (a link no longer lets them in).
    role: Option<Role>,
    /// This is the caller.
    you: bool,
}

#[derive(Deserialize)]
pub struct SetRole {
    role: String,
}

fn access(state: &AppState, id: &str, caller: &Person, links: Links) -> Result<Access, ApiError> {
    let path = |key: &str| format!("/b/{id}?key={key}");
    let mut members = Vec::new();
    for (person, grant) in state.store.grants_of_board(id)? {
        let profile = state.store.profile(&person)?;
        let shown = people::shown(&person, profile.as_ref(), None);
        members.push(Member {
            you: person == *caller.id,
            id: person,
            name: shown.name,
            color: shown.color,
            role: grant.role,
        });
    }
    members.sort_by(|a, b| {
        b.role
            .cmp(&a.role)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(Access {
        links: LinkPaths {
            editor: path(&links.editor),
            commenter: path(&links.commenter),
            viewer: path(&links.viewer),
        },
        people: members,
    })
}

pub async fn show(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Access>, ApiError> {
    owner(&state, &id, &person)?;
    let links = sharing::links(&state.store, &id)?;
    state.store.wait_durable(state.store.written()).await;
    Ok(Json(access(&state, &id, &person, links)?))
}

pub async fn rotate(
    Path((id, role)): Path<(String, String)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Access>, ApiError> {
    owner(&state, &id, &person)?;
    let role = Role::parse(&role)
        .filter(|r| Role::LINKS.contains(r))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{role:?} is not a link: use editor, commenter or viewer"
            ))
        })?;
    let links = sharing::rotate_link(&state.store, &id, role)?;
    // The old key must not work after a crash either: on disk before we say it is done.
    state.store.wait_durable(state.store.written()).await;
    Ok(Json(access(&state, &id, &person, links)?))
}

pub async fn set_role(
    Path((id, target)): Path<(String, String)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Result<Json<SetRole>, JsonRejection>,
) -> Result<Json<Access>, ApiError> {
    let Json(SetRole { role }) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"role\": \"editor\"}}: {}",
            e.body_text()
        ))
    })?;
    let role = Role::parse(&role).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{role:?} is not a role: use owner, editor, commenter or viewer"
        ))
    })?;
    change(state, id, target, person, Some(role)).await
}

pub async fn remove(
    Path((id, target)): Path<(String, String)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Access>, ApiError> {
    change(state, id, target, person, None).await
}

async fn change(
    state: AppState,
    id: String,
    target: String,
    person: Person,
    role: Option<Role>,
) -> Result<Json<Access>, ApiError> {
    owner(&state, &id, &person)?;
    if !is_valid_person_id(&target) {
        return Err(ApiError::NoSuchPerson(target));
    }
    // Changing the role of someone who never came to the board is allowed only by giving
    // one (an owner can add a person whose id they know); removing needs a standing.
    if role.is_none() && state.store.grant(&id, &target)?.is_none() {
        return Err(ApiError::NoSuchPerson(target));
    }
    sharing::set_role(&state.store, &id, &person, &target, role)?;
    state.store.wait_durable(state.store.written()).await;
    state.rooms.access_changed(&id, target.into()).await;
    let links = sharing::links(&state.store, &id)?;
    Ok(Json(access(&state, &id, &person, links)?))
}
