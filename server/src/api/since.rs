//! `GET /api/boards/{id}/since` and `POST /api/boards/{id}/seen`: "since you last looked",
//! for anyone with a role on the board ([`huddle_shared::since`]).
//!
//! The report is read from the store, where the board's room journals every change it
//! applies and records a person's seen mark when their last connection leaves; rounds and
//! decisions come from their own log, by time. Nothing here needs the board loaded.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use huddle_shared::comments::Anchor;
use huddle_shared::rounds::Status;
use huddle_shared::since::{self, Change, ChangeKind, SeenMark, SinceReport};
use serde::Deserialize;

use super::role;
use crate::error::ApiError;
use crate::people::Person;
use crate::state::AppState;
use crate::store::{Store, StoreError, now_ms};

/// What changed on board `id` since the caller last had it open, by others.
pub(super) async fn show(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
) -> Result<Json<SinceReport>, ApiError> {
    role(&state, &id, &person, None)?;
    let store = state.store.clone();
    let report = tokio::task::spawn_blocking(move || report(&store, &id, &person.id)).await??;
    Ok(Json(report))
}

/// The body of `POST .../seen`; empty: everything so far.
#[derive(Deserialize, Default)]
struct Seen {
    /// The `upto` of the report the person saw: later changes stay new.
    #[serde(default)]
    upto: Option<u64>,
}

/// "Mark all seen": the caller has seen board `id` up to `upto` (or everything so far).
pub(super) async fn mark(
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    body: Bytes,
) -> Result<Json<SeenMark>, ApiError> {
    role(&state, &id, &person, None)?;
    let seen: Seen = if body.iter().all(u8::is_ascii_whitespace) {
        Seen::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("expected {{\"upto\": number}}: {e}")))?
    };
    let store = state.store.clone();
    let mark = tokio::task::spawn_blocking(move || {
        let tail = store.journal_tail(&id)?;
        let mark = SeenMark {
            seq: seen.upto.map_or(tail, |upto| upto.min(tail)),
            at: now_ms(),
        };
        store.mark_seen(&id, &person.id, mark)
    })
    .await??;
    state.store.request_flush();
    Ok(Json(mark))
}

/// The report for `person` on `board`. Blocking: O(journal since their mark + rounds).
pub fn report(store: &Store, board: &str, person: &str) -> Result<SinceReport, StoreError> {
    let upto = store.journal_tail(board)?;
    let Some(seen) = store.seen(board, person)? else {
        return Ok(SinceReport {
            first_visit: true,
            since: None,
            upto,
            truncated: false,
            changes: Vec::new(),
        });
    };
    let (entries, truncated) = store.journal_since(board, seen.seq)?;
    let items = since::summarize(&entries, person);
    let mut others = Vec::new();
    for stored in store.rounds(board)? {
        let round = &stored.round;
        let row = |kind, at| Change {
            kinds: vec![kind],
            item: round.targets.first().cloned(),
            by: vec![round.opened_by.clone()],
            people: Vec::new(),
            title: round.settings.kind.label().to_owned(),
            pos: None,
            at,
        };
        if round.opened_at > seen.at {
            others.push(row(ChangeKind::RoundOpened, round.opened_at));
        }
        if let (Status::Revealed, Some(closed)) = (round.status, round.closed_at)
            && closed > seen.at
        {
            others.push(row(ChangeKind::RoundRevealed, closed));
        }
    }
    for decision in store.decisions(board)? {
        if decision.at > seen.at {
            others.push(Change {
                kinds: vec![ChangeKind::Decision],
                item: None,
                by: vec![decision.by],
                people: Vec::new(),
                title: decision.text,
                pos: None,
                at: decision.at,
            });
        }
    }
    // Comments others wrote since (one's own are not news); the page centres an item's
    // thread on the item, a point's thread on the point.
    for thread in store.comment_threads(board)? {
        for comment in &thread.comments {
            if comment.created_at <= seen.at || comment.deleted || comment.author == person {
                continue;
            }
            let pos = match &thread.anchor {
                Anchor::Point { pos } => Some(*pos),
                Anchor::Item { .. } => None,
            };
            others.push(Change {
                kinds: vec![ChangeKind::Comment],
                item: thread.anchor.item().map(str::to_owned),
                by: vec![comment.name.clone()],
                people: vec![comment.author.clone()],
                title: comment_title(&comment.text),
                pos,
                at: comment.created_at,
            });
        }
    }
    Ok(SinceReport {
        first_visit: false,
        since: Some(seen.at),
        upto,
        truncated,
        changes: since::merge(items, others),
    })
}

/// A comment's first line, shortened, as the list shows it.
fn comment_title(text: &str) -> String {
    const MAX: usize = 80;
    let line = text.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}
