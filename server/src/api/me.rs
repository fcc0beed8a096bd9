//! `GET /api/me` and `PUT /api/me`: the caller's person: their id, the name and colour others
//! see (chosen, or "Guest NNNN" and a colour from their id), and whether they are the admin.
//! The page's name field writes here; awareness repeats the name for drawing cursors, but
//! this is the truth the server checks presence against.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::{Extension, Json};
use huddle_shared::people::{MAX_NAME_CHARS, check_color, check_name};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::people::Person;
use crate::state::AppState;

#[derive(Serialize)]
pub struct Me {
    id: String,
    name: String,
    color: String,
    /// The person chose their name (else it is a default the page asks them to replace).
    named: bool,
    admin: bool,
}

#[derive(Deserialize)]
pub struct Change {
    name: Option<String>,
    color: Option<String>,
}

fn me(state: &AppState, person: &Person) -> Result<Me, ApiError> {
    let shown = person.shown(&state.store)?;
    let profile = if person.new {
        None
    } else {
        state.store.profile(&person.id)?
    };
    Ok(Me {
        id: person.id.to_string(),
        name: shown.name,
        color: shown.color,
        named: profile.is_some_and(|p| !p.name.is_empty()) || person.proxy_user.is_some(),
        admin: person.admin,
    })
}

pub async fn show(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Me>, ApiError> {
    Ok(Json(me(&state, &person)?))
}

pub async fn update(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Result<Json<Change>, JsonRejection>,
) -> Result<Json<Me>, ApiError> {
    let Json(change) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"name\": \"...\", \"color\": \"#rrggbb\"}}: {}",
            e.body_text()
        ))
    })?;
    let mut profile = if person.new {
        Default::default()
    } else {
        state.store.profile(&person.id)?.unwrap_or_default()
    };
    if let Some(name) = change.name {
        profile.name = check_name(&name)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "a name is 1 to {MAX_NAME_CHARS} characters, without control characters"
                ))
            })?
            .to_owned();
    }
    if let Some(color) = change.color {
        profile.color = check_color(&color)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "{color:?} is not one of the colours: {}",
                    huddle_shared::people::COLORS.join(", ")
                ))
            })?
            .to_owned();
    }
    state.store.put_profile(&person.id, &profile)?;
    state.store.wait_durable(state.store.written()).await;
    let stored = Person {
        new: false,
        ..person
    };
    Ok(Json(me(&state, &stored)?))
}
