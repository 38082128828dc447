//! `AppError`: what can go wrong in a handler, and how each case answers the client.
//!
//! 4xx answers carry a readable message. 5xx answers say only "Internal Server Error"; the
//! details go into a [`ServerError`] response extension that the telemetry middleware records on
//! the request span (status Error, an `exception` event) and logs, inside the request's span.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A handler failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client sent something we cannot accept.
    #[error("{0}")]
    BadRequest(String),
    /// The body exceeds the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// No such page.
    #[error("not found")]
    NotFound,
    /// A state-changing request a browser sent for another site (`guard.rs`); the reason.
    #[error("Cross-site request refused ({0})")]
    CrossSite(String),
    /// A `Host` this server does not answer to (`guard.rs`), as sent.
    #[error("Misdirected request: this server does not answer to the host {0:?} (see --allowed-host)")]
    MisdirectedRequest(String),
    /// A task id with digits only that does not fit SQLite's 64-bit INTEGER. The original Flask
    /// app answers this with a 500 (SQLite's OverflowError); the twin does the same on purpose, so
    /// the captures hold a real server error with its exception event.
    #[error("task id {0} does not fit in a 64-bit SQLite INTEGER")]
    IdOverflow(String),
    /// SQLite failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
}

/// Details of a 5xx, for the middleware; never sent to the client.
#[derive(Debug, Clone)]
pub struct ServerError {
    /// `exception.type`.
    pub kind: &'static str,
    /// `exception.message`.
    pub message: String,
}

/// Marks a response whose route did not really match (a non-numeric id on `/delete/{id}` is
/// "no such page", as with Flask's `<int:task_id>`), so the span carries no `http.route`.
#[derive(Debug, Clone, Copy)]
pub struct Unrouted;

impl From<FormRejection> for AppError {
    fn from(rejection: FormRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge("Request body too large".into())
        } else {
            AppError::BadRequest(format!("Invalid form: {}", rejection.body_text()))
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadRequest(format!("Invalid query string: {}", rejection.body_text()))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, kind) = match &self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, None),
            AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, None),
            AppError::NotFound => (StatusCode::NOT_FOUND, None),
            AppError::CrossSite(_) => (StatusCode::FORBIDDEN, None),
            AppError::MisdirectedRequest(_) => (StatusCode::MISDIRECTED_REQUEST, None),
            AppError::IdOverflow(_) => (StatusCode::INTERNAL_SERVER_ERROR, Some("IdOverflowError")),
            AppError::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, Some("DatabaseError")),
        };
        match kind {
            None => {
                let mut response = (status, self.to_string()).into_response();
                if matches!(self, AppError::NotFound) {
                    response.extensions_mut().insert(Unrouted);
                }
                response
            }
            Some(kind) => {
                let mut response = (status, "Internal Server Error").into_response();
                response.extensions_mut().insert(ServerError { kind, message: self.to_string() });
                response
            }
        }
    }
}
