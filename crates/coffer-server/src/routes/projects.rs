//! Projects: create one, change its password, rotate its key.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use coffer_store::policy::{ProjectId, ProjectRef};
use coffer_store::session::ClientMessage;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Body, Path};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /api/v1/projects`: the project id and a password offer's session
/// message carrying its password.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Create {
    project: ProjectId,
    password: ClientMessage,
}

/// Creates a project in the caller's tenant (tenant Owners); the caller
/// becomes its Owner.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<Create>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    state
        .blocking(move |inner| {
            let actor = &caller.principal;
            inner
                .door
                .create_project(actor, &request.project, &request.password)?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "created": true }))))
}

/// `POST /api/v1/projects/{project}/password`: session messages of two
/// password offers, the current password and the new one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangePassword {
    old: ClientMessage,
    new: ClientMessage,
}

/// Changes a project's password (Owners); no document is re-encrypted.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
    Body(request): Body<ChangePassword>,
) -> Result<Json<Value>, ApiError> {
    state
        .blocking(move |inner| {
            let actor = &caller.principal;
            let target = ProjectRef::new(actor.tenant.clone(), project);
            inner
                .door
                .change_password(actor, &target, &request.old, &request.new)?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(Json(json!({ "changed": true })))
}

/// `POST /api/v1/projects/{project}/rotation`: a password offer's session
/// message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rotate {
    password: ClientMessage,
}

/// Rotates a project's key (Owners), then moves every stored document of
/// the project to the new version (the body bytes are not re-encrypted:
/// only each envelope's key section and header tag). Answers with the new
/// version and what was moved; a document that could not be moved is
/// listed with its reason, and rotating again moves the rest.
pub(crate) async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
    Body(request): Body<Rotate>,
) -> Result<Json<Value>, ApiError> {
    state
        .blocking(move |inner| {
            let actor = &caller.principal;
            let target = ProjectRef::new(actor.tenant.clone(), project);
            // One message for both calls: redeemed once, by the door.
            let password = inner.door.redeem_password(actor, &target, &request.password)?;
            let version = inner.door.rotate_key(actor, &target, &password)?;
            let summary = inner.door.rewrap_project(actor, &target, &password, &mut |p| {
                tracing::debug!(done = p.documents_done, total = p.documents_total, "rewrapping");
            })?;
            let failed: Vec<Value> = summary
                .failed
                .iter()
                .map(|f| json!({ "document": f.document, "reason": f.reason, "message": f.message }))
                .collect();
            Ok::<_, ApiError>(Json(json!({
                "key_version": version,
                "rewrapped": summary.rewrapped,
                "already_current": summary.already_current,
                "failed": failed,
            })))
        })
        .await
}
