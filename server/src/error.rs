//! The one error type of the HTTP API; it turns into a JSON response `{"error": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("board ids are 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'")]
    BadBoardId,
    #[error("{0}")]
    BadRequest(String),
    /// Also the answer for a board the caller has no role on: the two are indistinguishable.
    #[error("no board with id {0:?}")]
    NoSuchBoard(String),
    /// The caller has a role on the board, but not one that allows this.
    #[error("{0}")]
    Forbidden(String),
    #[error("no person with id {0:?} on this board")]
    NoSuchPerson(String),
    #[error("{0}")]
    Conflict(String),
    /// Something other than a board is not there (a webhook, a version, an API).
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("the server is shutting down")]
    Unavailable,
    /// The server failed at something it reports in words (a room's answer).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadBoardId | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NoSuchBoard(_) | ApiError::NoSuchPerson(_) | ApiError::NotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::Internal(e) => {
                tracing::error!("{e}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(StoreError::NoSuchBoard(_)) => StatusCode::NOT_FOUND,
            ApiError::Store(e) => {
                tracing::error!("{e}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (
            status,
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

impl From<crate::sharing::SharingError> for ApiError {
    fn from(e: crate::sharing::SharingError) -> Self {
        use crate::sharing::SharingError;
        match e {
            SharingError::LastOwner => ApiError::Conflict(e.to_string()),
            SharingError::NoOwnerLink => ApiError::BadRequest(e.to_string()),
            SharingError::Random(_) => ApiError::Unavailable,
            SharingError::Store(e) => ApiError::Store(e),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Store(StoreError::Join(e))
    }
}
