//! A board's webhooks (owners only, like everything else about sharing a board):
//!
//! - `GET /api/boards/{id}/webhooks`: the webhooks, the last 50 deliveries (newest first,
//!   with status, tries, HTTP status and error), and the events and kinds there are;
//! - `POST /api/boards/{id}/webhooks` with `{"kind": "slack", "url": "https://...",
//!   "events": ["decision.recorded", ...]}`: adds one (201, with its secret);
//! - `DELETE /api/boards/{id}/webhooks/{hook}`: removes it; its pending deliveries stop;
//! - `POST /api/boards/{id}/webhooks/{hook}/test`: sends it a `ping` now (202).
//!
//! The URL is checked when it is saved (scheme, internal addresses: see
//! [`crate::notify::target`]) and again before every try.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use huddle_shared::notify::{MAX_WEBHOOKS_PER_BOARD, Topic, WebhookKind};
use serde::{Deserialize, Serialize};

use super::owner;
use crate::error::ApiError;
use crate::notify::target;
use crate::people::Person;
use crate::random;
use crate::state::AppState;
use crate::store::notify::{Delivery, DeliveryStatus, Webhook};
use crate::store::now_ms;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/boards/{id}/webhooks", get(list).post(create))
        .route("/boards/{id}/webhooks/{hook}", delete(remove))
        .route("/boards/{id}/webhooks/{hook}/test", post(test))
}

#[derive(Deserialize)]
pub struct NewWebhook {
    kind: String,
    url: String,
    events: Vec<String>,
}

/// A delivery as the owner's log shows it (without the body).
#[derive(Serialize)]
struct DeliveryView {
    id: String,
    webhook: String,
    event: String,
    summary: String,
    at: u64,
    status: DeliveryStatus,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_try: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_try: Option<u64>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            webhook: d.webhook,
            event: d.event,
            summary: d.summary,
            at: d.at,
            status: d.status,
            attempts: d.attempts,
            http_status: d.http_status,
            error: d.error,
            last_try: d.last_try,
            next_try: d.next_try,
        }
    }
}

#[derive(Serialize)]
struct Choice {
    name: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
pub struct Webhooks {
    webhooks: Vec<Webhook>,
    deliveries: Vec<DeliveryView>,
    /// The events a webhook may choose.
    events: Vec<Choice>,
    kinds: Vec<&'static str>,
    /// Internal addresses are allowed (`--webhooks-allow-private`).
    allow_private: bool,
}

async fn list(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<Webhooks>, ApiError> {
    owner(&state, &id, &person)?;
    let trees = state.notifier.trees();
    Ok(Json(Webhooks {
        webhooks: trees.webhooks(&id)?,
        deliveries: trees.deliveries(&id)?.into_iter().map(Into::into).collect(),
        events: Topic::ALL
            .into_iter()
            .map(|t| Choice {
                name: t.name(),
                label: t.label(),
            })
            .collect(),
        kinds: WebhookKind::ALL
            .into_iter()
            .map(WebhookKind::name)
            .collect(),
        allow_private: state.notifier.allow_private(),
    }))
}

async fn create(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Result<Json<NewWebhook>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(new) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"kind\": \"slack|teams|mattermost|generic\", \"url\": \"https://...\", \
             \"events\": [\"decision.recorded\", \"round.revealed\", \"mention\", \"board.shared\"]}}: {}",
            e.body_text()
        ))
    })?;
    owner(&state, &id, &person)?;
    let kind = WebhookKind::parse(&new.kind).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{:?} is not a kind of webhook: use slack, teams, mattermost or generic",
            new.kind
        ))
    })?;
    let url = target::check(&new.url, kind, state.notifier.allow_private())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let mut events = Vec::new();
    for name in &new.events {
        let topic = Topic::parse(name).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{name:?} is not an event: use decision.recorded, round.revealed, mention or \
                 board.shared"
            ))
        })?;
        if !events.contains(&topic) {
            events.push(topic);
        }
    }
    if events.is_empty() {
        return Err(ApiError::BadRequest(
            "choose at least one event for the webhook".into(),
        ));
    }
    let trees = state.notifier.trees();
    if trees.webhooks(&id)?.len() >= MAX_WEBHOOKS_PER_BOARD {
        return Err(ApiError::Conflict(format!(
            "a board has at most {MAX_WEBHOOKS_PER_BOARD} webhooks: remove one first"
        )));
    }
    let random_err = |e: getrandom::Error| ApiError::Store(e.into());
    let hook = Webhook {
        id: random::key()
            .map_err(random_err)?
            .chars()
            .take(12)
            .collect(),
        kind,
        url: url.to_string(),
        events,
        secret: random::key().map_err(random_err)?,
        created_at: now_ms(),
        created_by: person.shown(&state.store)?.name,
    };
    trees.put_webhook(&state.store, &id, &hook)?;
    state.store.wait_durable(state.store.written()).await;
    Ok((StatusCode::CREATED, Json(hook)).into_response())
}

async fn remove(
    Path((id, hook)): Path<(String, String)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<StatusCode, ApiError> {
    owner(&state, &id, &person)?;
    if !state
        .notifier
        .trees()
        .delete_webhook(&state.store, &id, &hook)?
    {
        return Err(no_such_webhook(&hook));
    }
    state.store.wait_durable(state.store.written()).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn test(
    Path((id, hook)): Path<(String, String)>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Response, ApiError> {
    owner(&state, &id, &person)?;
    let found = state
        .notifier
        .trees()
        .webhook(&id, &hook)?
        .ok_or_else(|| no_such_webhook(&hook))?;
    let by = person.shown(&state.store)?.name;
    let delivery = state.notifier.test(&id, &found, &by)?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryView::from(delivery))).into_response())
}

fn no_such_webhook(hook: &str) -> ApiError {
    ApiError::NotFound(format!("no webhook {hook:?} on this board"))
}
