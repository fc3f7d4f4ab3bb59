//! The reference HTTP service for coffer: the front door behind an axum
//! router, with API-key authentication, streamed uploads and downloads
//! through browser sessions, the audit trail, and a static page that
//! plays the whole story in a browser.
//!
//! [`app`] builds the router from an [`AppState`]; the binary
//! (`coffer-server serve`) binds it to a port, and tests drive it
//! in-process. Every front-door call blocks (PBKDF2, RSA, fsync), so
//! handlers run it on tokio's blocking pool (`spawn_blocking`) and
//! bridge request and response bodies through bounded channels
//! ([`streaming`]): the async executor never waits on a lock, a disk or a
//! key derivation, and a body of any size passes in constant memory.
//!
//! See `docs/SERVER.md` for the HTTP API, the upload framing, how a client
//! learns of a failure found mid-download, and the configuration.
#![forbid(unsafe_code)]

pub mod api_keys;
mod auth;
pub mod config;
mod error;
mod headers;
pub mod instance;
mod limiter;
pub mod listen;
mod page;
mod routes;
pub mod source;
mod state;
pub mod streaming;
pub mod tls;
mod transfers;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tower::util::MapRequestLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use api_keys::{ApiKeyError, ApiKeyInfo, ApiKeySecret, ApiKeys};
pub use auth::{Caller, ANONYMOUS};
pub use config::{Cli, Command, KeysCommand, ServeArgs, Service, StoreArgs};
pub use error::ApiError;
pub use limiter::{FailureLimiter, LimiterConfig};
pub use page::OFFER_KEY_PATH;
pub use source::{Cidr, ClientAddress, ClientSource, ForwardedHeader};
pub use state::{AppState, Limits};
pub use transfers::TransferLimits;

/// Largest JSON request body accepted (a session message is at most 16 KiB;
/// every other body is smaller).
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// The service's router: the API under `/api/v1`, the page at `/`, the
/// pinned offer key at `/.well-known/coffer-offer-key`, with the security
/// headers on every response, request-size limits, the idle timeout on
/// every request body and a tracing span per request (method, path and
/// status; never a header or a body).
pub fn app(state: AppState) -> Router {
    let idle = state.limits().body_idle;
    let router = Router::new()
        .merge(routes::api())
        .merge(page::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(MapRequestLayer::new(move |request| {
            streaming::idle_bodies(request, idle)
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(headers::request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    headers::secure(router).with_state(state)
}

/// 405 as every other error: JSON (axum adds the `Allow` header).
async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take this method",
    )
}
