//! Authentication: `Authorization: Bearer <api key>` on every API call,
//! checked against the key table; every refusal recorded in the audit
//! trail; failures limited per key id and per source address.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use coffer_store::policy::{Principal, PrincipalId, ReasonCode, TenantId};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::api_keys::ApiKeys;
use crate::error::ApiError;
use crate::state::{AppState, Inner};

/// The tenant and principal a refusal is recorded under when the token
/// names no key (missing, malformed, unknown key id). `coffer-server` is
/// therefore not usable as a tenant id of one's own.
pub const ANONYMOUS: (&str, &str) = ("coffer-server", "anonymous");

/// The audit reason of a refusal because of the rate limit.
const RATE_LIMITED: &str = "api-key.rate-limited";

/// The authenticated caller of a request: the principal its API key maps
/// to, and the key's id.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// With which key.
    pub key_id: String,
}

fn anonymous() -> Principal {
    let (tenant, id) = ANONYMOUS;
    match (TenantId::new(tenant), PrincipalId::new(id)) {
        (Ok(tenant), Ok(id)) => Principal::new(tenant, id),
        // Both are constants of the id alphabet.
        _ => unreachable!("the anonymous principal's ids are valid"),
    }
}

/// The source address; a request without connection info (an in-process
/// call) counts as the unspecified address.
fn source(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip())
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a valid API key is required (`Authorization: Bearer coffer_…`)",
    )
}

fn limited() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many failed authentications; wait a minute",
    )
}

/// Records a refusal in the audit trail and the log; a record that cannot
/// be written is logged (the refusal stands either way).
fn record(inner: &Inner, claimed: Option<&Principal>, reason: &str, source: IpAddr) {
    let claimed = claimed.cloned().unwrap_or_else(anonymous);
    tracing::warn!(principal = %claimed, reason, %source, "authentication refused");
    let reason = ReasonCode::sanitized(reason);
    if let Err(error) = inner.door.record_failed_authentication(&claimed, &reason) {
        tracing::error!(%error, "a refused authentication could not be recorded");
    }
}

/// Checks the token on the blocking pool (the table read and the audit
/// record may wait on the database).
fn check(inner: &Inner, token: Option<&str>, source: IpAddr) -> Result<Caller, ApiError> {
    let now = Instant::now();
    let key_id = token.and_then(ApiKeys::key_id_of).map(str::to_owned);
    let over = inner.by_source.is_limited(&source, now)
        || key_id.as_ref().is_some_and(|id| inner.by_key.is_limited(id, now));
    if over {
        return Err(limited());
    }
    let outcome = inner
        .keys
        .authenticate(token, OffsetDateTime::now_utc())
        .map_err(|e| ApiError::internal(&e))?;
    match outcome {
        Ok(info) => Ok(Caller {
            principal: info.principal,
            key_id: info.key_id,
        }),
        Err(refused) => {
            record(inner, refused.claimed.as_ref(), refused.failure.code(), source);
            // Every refusal counts, a missing token too: each one writes an
            // audit record, and the limit is what bounds them.
            let mut used_up = inner.by_source.fail(&source, now);
            if let Some(id) = &key_id {
                used_up |= inner.by_key.fail(id, now);
            }
            // The window's first refusal by the limit is recorded; the rest
            // of the window is refused without a record each, so a flood
            // cannot grow the audit chain without bound.
            if used_up {
                record(inner, refused.claimed.as_ref(), RATE_LIMITED, source);
            }
            Err(unauthorized())
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = match parts.headers.get(header::AUTHORIZATION) {
            None => None,
            Some(value) => {
                // A header that is not text is a malformed token (recorded).
                let text = value.to_str().unwrap_or("");
                let token = text
                    .strip_prefix("Bearer ")
                    .or_else(|| text.strip_prefix("bearer "))
                    .unwrap_or("");
                Some(Zeroizing::new(token.trim().to_owned()))
            }
        };
        let source = source(parts);
        state
            .blocking(move |inner| check(inner, token.as_deref().map(String::as_str), source))
            .await
    }
}
