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
//! project is refused for any other. The front door issues and redeems
//! them ([`FrontDoor::issue_password_offer`], a session message given as a
//! [`PasswordCredential`]): a refused message is recorded there as a
//! failed authentication of the caller (`session.<code>`). Downloads use
//! the front door's download offers instead (bound to one document).
//!
//! [`FrontDoor::issue_password_offer`]: coffer_store::door::FrontDoor::issue_password_offer
//! [`PasswordCredential`]: coffer_store::door::PasswordCredential

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coffer_store::policy::{ProjectId, ProjectRef};
use coffer_store::session::{Offer, SessionKeyId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Body, Path};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

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
    state
        .blocking(move |inner| {
            let project = ProjectRef::new(caller.principal.tenant.clone(), request.project);
            Ok::<_, ApiError>(Json(
                inner.door.issue_password_offer(&caller.principal, &project)?,
            ))
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
    let key_id = SessionKeyId::parse(&key_id).map_err(|_| ApiError::bad_request("not an offer's key id"))?;
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
