//! Authentication: `Authorization: Bearer <api key>` on every API call,
//! checked against the key table; every refusal recorded in the audit
//! trail; failures limited per (key id, source) and per source.
//!
//! A token that names a key id is limited by the failures of that key id
//! from that source only: guessing a key's secret from one place is
//! stopped, while the key's holder elsewhere, and every other key from
//! the same place (the users behind one proxy or NAT), still pass. A token
//! that names no key (missing, malformed) is limited by its source's
//! failures. A source over its limit is still answered, but its further
//! refusals are no longer recorded one by one: the audit chain grows by a
//! bounded number of records per source and window, whatever the flood.
//! Sources are counted by address, IPv6 by /64 ([`ClientSource`]).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use coffer_store::policy::{Principal, PrincipalId, ReasonCode, TenantId};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::api_keys::ApiKeys;
use crate::error::ApiError;
use crate::source::ClientSource;
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

/// The client address: the peer's, or the one a trusted proxy reports; a
/// request without connection info (an in-process call) counts as the
/// unspecified address.
fn client(parts: &Parts, state: &AppState) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip());
    state.limits().client_address.client(peer, &parts.headers)
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a valid API key is required (`Authorization: Bearer coffer_…`)",
    )
}

fn limited(wait: Duration) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many failed authentications from here; wait before trying again",
    )
    .retry_after(wait)
}

/// What a token is counted under: its key id and the source, or the
/// source alone.
fn limit_keys(token: Option<&str>, client: IpAddr) -> (ClientSource, Option<(String, ClientSource)>) {
    let source = ClientSource::of(client);
    let pair = token
        .and_then(ApiKeys::key_id_of)
        .map(|id| (id.to_owned(), source));
    (source, pair)
}

/// Refuses, before any work, a token whose counter is used up.
fn over_limit(inner: &Inner, token: Option<&str>, client: IpAddr) -> Result<(), ApiError> {
    let now = Instant::now();
    let wait = match limit_keys(token, client) {
        (_, Some(pair)) => inner.by_key.retry_after(&pair, now),
        (source, None) => inner.by_source.retry_after(&source, now),
    };
    wait.map_or(Ok(()), |wait| Err(limited(wait)))
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
fn check(inner: &Inner, token: Option<&str>, client: IpAddr) -> Result<Caller, ApiError> {
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
            let now = Instant::now();
            let (source, pair) = limit_keys(token, client);
            // A source over its limit is answered without a record each,
            // so a flood cannot grow the audit chain without bound.
            let quiet = inner.by_source.is_limited(&source, now);
            if !quiet {
                record(inner, refused.claimed.as_ref(), refused.failure.code(), client);
            }
            // Every refusal counts, a missing token too.
            let mut used_up = inner.by_source.fail(&source, now);
            if let Some(pair) = &pair {
                used_up |= inner.by_key.fail(pair, now);
            }
            // The moment a window fills is recorded once.
            if used_up && !quiet {
                record(inner, refused.claimed.as_ref(), RATE_LIMITED, client);
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
        let client = client(parts, state);
        over_limit(state.inner(), token.as_deref().map(String::as_str), client)?;
        state
            .blocking(move |inner| check(inner, token.as_deref().map(String::as_str), client))
            .await
    }
}
