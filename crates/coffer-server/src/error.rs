//! Errors as the API returns them: a status code and a JSON body
//! `{"error": code, "message": text}`.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coffer_store::door::FrontDoorError;
use coffer_store::keys;
use coffer_store::session::{IssueError, SessionStoreError};

/// An API error: an HTTP status, a stable machine code the page matches
/// on, and a message for people.
///
/// Cryptographic failures stay one opaque error (`unlock_failed`: a wrong
/// password and a damaged document look the same), and every refused
/// session is one `session_rejected`, whatever the reason inside (unknown,
/// used, expired, for another document): the reasons are in the audit
/// trail and the log, never in the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The machine code (`unauthorized`, `denied`, `not_found`, …).
    pub code: &'static str,
    /// What happened, in words.
    pub message: String,
    /// Seconds to wait before trying again (`Retry-After`), for refusals
    /// by a limit.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// This error with a `Retry-After` of `wait`, rounded up to whole
    /// seconds (at least 1).
    #[must_use]
    pub fn retry_after(mut self, wait: Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 500: something failed on the server's side; the cause is logged.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the cause is in the service's log",
        )
    }

    /// The uniform refusal of a session message.
    pub fn session_rejected() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "session_rejected",
            "the session was refused (expired, already used, or not issued for this request); fetch a new offer",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "message": self.message });
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<FrontDoorError> for ApiError {
    fn from(error: FrontDoorError) -> Self {
        use FrontDoorError as E;
        let message = error.to_string();
        match error {
            E::Denied { .. } => Self::new(StatusCode::FORBIDDEN, "denied", message),
            E::UnknownProject(_) | E::NotStored(_) => Self::new(StatusCode::NOT_FOUND, "not_found", message),
            E::ProjectExists(_) | E::Conflict { .. } | E::DocumentChanged(_) => {
                Self::new(StatusCode::CONFLICT, "conflict", message)
            }
            E::Membership(_) => Self::new(StatusCode::CONFLICT, "membership", message),
            E::SessionRejected(rejection) => {
                tracing::info!(reason = rejection.reason().code(), "session refused");
                Self::session_rejected()
            }
            E::ForeignSession => Self::session_rejected(),
            E::WrongTarget { .. } => Self::bad_request(message),
            E::LengthMismatch { .. } => Self::new(StatusCode::BAD_REQUEST, "length_mismatch", message),
            E::Keys(keys::Error::Crypto(_)) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unlock_failed",
                "the password is wrong, or the document is damaged",
            ),
            E::Keys(_) | E::UnknownKeyVersion(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unreadable", message)
            }
            E::TrailBroken => Self::new(StatusCode::CONFLICT, "trail_broken", message),
            E::Issue(error) => error.into(),
            E::Store(_) => {
                tracing::error!(cause = %message, "front door unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            other => Self::internal(&other),
        }
    }
}

/// How long a caller over its offer cap is told to wait: one of its
/// offers may be used or cancelled at any moment, so a short wait, not the
/// offers' lifetime.
const OFFER_RETRY: Duration = Duration::from_secs(10);

impl From<IssueError> for ApiError {
    /// An offer that could not be issued: over the caller's (or its
    /// tenant's) cap of live offers is the caller's to resolve (429
    /// `too_many_offers`); a full session store or an empty key pool is the
    /// service's (503 `busy`); anything else is internal.
    fn from(error: IssueError) -> Self {
        match error {
            IssueError::Store(SessionStoreError::QuotaExceeded { quota, .. }) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_offers",
                format!(
                    "at most {quota} offers may be live per principal; use or cancel one (DELETE /api/v1/offers/{{key_id}}), or wait for one to expire"
                ),
            )
            .retry_after(OFFER_RETRY),
            IssueError::Store(SessionStoreError::TenantFull { .. }) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_offers",
                "the tenant has as many live offers as it may; use or cancel some, or wait for them to expire",
            )
            .retry_after(OFFER_RETRY),
            IssueError::Store(SessionStoreError::Full { .. }) | IssueError::Pool(_) => {
                tracing::warn!(%error, "no offer could be issued");
                crate::state::busy()
            }
            other => Self::internal(&other),
        }
    }
}
