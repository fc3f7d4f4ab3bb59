//! Security headers on every response, and the request span logged for
//! every request.

use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Span;

/// The headers every response carries, whatever produced it (a handler,
/// an extractor's rejection, the router's 404): a content security
/// policy that allows only the service's own scripts, styles and
/// connections (so the page works with no inline script or style), no
/// framing, no MIME sniffing, and a referrer policy that never sends a
/// path to another origin. HSTS is added by the connection, over TLS
/// only ([`crate::listen::HSTS`]).
pub(crate) const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, "default-src 'self'"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
];

/// `router` with [`SECURITY_HEADERS`] set on every response (replacing any
/// a handler set) and responses kept out of shared caches.
pub(crate) fn secure<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let mut router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}

/// The span of one request: its method and path only. Headers (the API
/// key), query strings and bodies (session messages, documents) are never
/// logged.
pub(crate) fn request_span<B>(request: &Request<B>) -> Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
    )
}
