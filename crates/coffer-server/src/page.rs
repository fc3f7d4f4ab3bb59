//! The browser page: static HTML, ES modules and a stylesheet compiled
//! into the binary (no build step, nothing fetched from elsewhere, no
//! inline script or style, so `Content-Security-Policy: default-src
//! 'self'` holds), the page's configuration with the pinned offer key,
//! and the key at a well-known path.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

/// The session protocol's browser module, one file shared with the
/// session layer's Web Crypto tests.
const SESSION_MODULE: &str = include_str!("../../coffer-session/js/coffer-session.mjs");

/// The page's files: path, content type, contents.
const FILES: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../static/index.html"),
    ),
    (
        "/static/app.mjs",
        "text/javascript; charset=utf-8",
        include_str!("../static/app.mjs"),
    ),
    (
        "/static/api.mjs",
        "text/javascript; charset=utf-8",
        include_str!("../static/api.mjs"),
    ),
    (
        "/static/style.css",
        "text/css; charset=utf-8",
        include_str!("../static/style.css"),
    ),
    (
        "/static/coffer-session.mjs",
        "text/javascript; charset=utf-8",
        SESSION_MODULE,
    ),
];

/// The well-known path of the offer signing key.
pub const OFFER_KEY_PATH: &str = "/.well-known/coffer-offer-key";

/// The page's routes.
pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/config.json", get(config))
        .route(OFFER_KEY_PATH, get(config));
    for &(path, content_type, body) in FILES {
        router = router.route(
            path,
            get(move || async move { ([(header::CONTENT_TYPE, content_type)], body).into_response() }),
        );
    }
    router.fallback(not_found)
}

/// The offer signing key (base64url, as the page's verifier takes it).
fn offer_key(state: &AppState) -> Option<String> {
    state
        .door()
        .sessions()
        .signer_public_key()
        .map(|key| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key))
}

/// The page's configuration: the key offers are signed with, which the
/// page pins (see `static/app.mjs`).
async fn config(State(state): State<AppState>) -> Response {
    Json(json!({ "offer_key": offer_key(&state), "algorithm": "Ed25519" })).into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page")
}
