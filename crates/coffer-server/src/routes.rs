//! The API under `/api/v1`, one module per resource; every handler reads
//! as: authenticate ([`Caller`](crate::Caller)), parse, run the front
//! door's call on the blocking pool, answer.

mod audit;
mod documents;
mod extract;
mod members;
mod projects;
mod sessions;

use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde_json::json;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// The API routes.
pub(crate) fn api() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/password-offers", post(sessions::password_offer))
        .route("/api/v1/offers/{key_id}", delete(sessions::cancel))
        .route("/api/v1/projects", post(projects::create))
        .route(
            "/api/v1/projects/{project}/password",
            post(projects::change_password),
        )
        .route("/api/v1/projects/{project}/rotation", post(projects::rotate))
        .route(
            "/api/v1/projects/{project}/members/{principal}",
            put(members::add).delete(members::remove),
        )
        .route("/api/v1/projects/{project}/documents", get(documents::list))
        .route(
            "/api/v1/projects/{project}/documents/{document}",
            put(documents::upload),
        )
        .route(
            "/api/v1/projects/{project}/documents/{document}/offer",
            post(documents::offer),
        )
        .route(
            "/api/v1/projects/{project}/documents/{document}/download",
            post(documents::download),
        )
        .route("/api/v1/projects/{project}/audit", get(audit::project))
        .route("/api/v1/audit", get(audit::tenant))
        .route(
            "/api/v1/{*rest}",
            get(not_found).post(not_found).put(not_found).delete(not_found),
        )
}

/// Who the key authenticates as.
async fn me(caller: Caller) -> Json<serde_json::Value> {
    Json(json!({ "principal": caller.principal, "key_id": caller.key_id }))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}
