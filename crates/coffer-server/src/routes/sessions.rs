//! Password offers: how a project password reaches the service. The page
//! asks for an offer, encrypts the password to it with Web Crypto and
//! sends the resulting session message with the call that needs the
//! password (create a project, upload, change the password, rotate the
//! key); the service redeems it once. The password never travels in
//! clear, and never in a URL, a header or a log line.
//!
//! An offer is bound to its caller and project: issued to the principal
//! (the session layer checks the issuer on redeem) with the binding
//! `tenant/project/principal`, so a message made for one principal or
//! project is refused for any other. Downloads use the front door's own
//! download offers instead (bound to one document).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coffer_store::keys::Password;
use coffer_store::policy::{Principal, ProjectId, ReasonCode};
use coffer_store::session::{ClientMessage, Expected, IssueRequest, KeyId, Offer};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Body, Path};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::{AppState, Inner};

/// The session purpose of password offers.
pub(crate) const PASSWORD_PURPOSE: &str = "project-password";

fn binding(caller: &Principal, project: &ProjectId) -> String {
    format!("{}/{}/{}", caller.tenant, project, caller.id)
}

/// `POST /api/v1/password-offers`: `{"project": "payroll"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferRequest {
    project: ProjectId,
}

/// Issues a password offer for the caller and a project (which need not
/// exist yet: creating one needs its password too).
pub(crate) async fn password_offer(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<OfferRequest>,
) -> Result<Json<Offer>, ApiError> {
    let suite = state.inner().limits.session_suite;
    state
        .blocking(move |inner| {
            let issue = IssueRequest::new(
                suite,
                PASSWORD_PURPOSE,
                binding(&caller.principal, &request.project),
                caller.principal.to_string(),
            )
            .tenant(caller.principal.tenant.as_str());
            inner.door.sessions().issue(&issue).map(Json)
        })
        .await
}

/// `DELETE /api/v1/offers/{key_id}`: cancels a live offer of the caller's
/// (a password offer or a download offer) that it will not use, freeing
/// its place under the cap. 404 when the caller has no live offer of that
/// id (someone else's is not touched and looks the same).
pub(crate) async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(key_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key_id = KeyId::parse(&key_id).map_err(|_| ApiError::bad_request("not an offer's key id"))?;
    let cancelled = state
        .blocking(move |inner| {
            let principal = &caller.principal;
            let issuer = principal.to_string();
            let tenant = Some(principal.tenant.as_str());
            Ok::<_, ApiError>(inner.door.sessions().cancel(&key_id, &issuer, tenant))
        })
        .await?;
    if !cancelled {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no live offer of yours has this key id",
        ));
    }
    Ok(Json(json!({ "cancelled": true })))
}

/// Redeems `message`, a password offer's session message for `caller` and
/// `project`, into the password. Every refusal is the uniform
/// `session_rejected` outward; its reason (`session.<code>`, for example
/// `session.already_used`) is logged and recorded in the audit chain as a
/// failed authentication of `caller`, as a refused API key is: a password
/// session is the credential of the call it carries, and the call itself
/// never reaches the front door to be recorded there.
pub(crate) fn redeem_password(
    inner: &Inner,
    caller: &Principal,
    project: &ProjectId,
    message: &ClientMessage,
) -> Result<Password, ApiError> {
    let binding = binding(caller, project);
    let issuer = caller.to_string();
    let expected = Expected::new(PASSWORD_PURPOSE, &binding)
        .issuer(&issuer)
        .tenant(caller.tenant.as_str());
    match inner.door.sessions().redeem(message, &expected) {
        Ok(redeemed) => Ok(Password::from(redeemed.into_secret())),
        Err(rejection) => {
            let code = rejection.reason().code();
            tracing::info!(reason = code, "password session refused");
            let reason = ReasonCode::sanitized(&format!("session.{code}"));
            if let Err(error) = inner.door.record_failed_authentication(caller, &reason) {
                // The refusal stands either way.
                tracing::error!(%error, "a refused password session could not be recorded");
            }
            Err(ApiError::session_rejected())
        }
    }
}
