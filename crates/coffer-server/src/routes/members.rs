//! Project members: add (or change the role of) one, remove one.

use axum::extract::State;
use axum::Json;
use coffer_store::policy::{Principal, PrincipalId, ProjectId, ProjectRef, Role};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Body, Path};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// `PUT /api/v1/projects/{project}/members/{principal}`: `{"role": "viewer"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddMember {
    role: Role,
}

/// The project and member of a path; members are of the caller's tenant.
fn target_and_member(caller: &Caller, project: ProjectId, member: PrincipalId) -> (ProjectRef, Principal) {
    let tenant = caller.principal.tenant.clone();
    (
        ProjectRef::new(tenant.clone(), project),
        Principal::new(tenant, member),
    )
}

/// Gives a principal of the caller's tenant a role in a project (Owners).
pub(crate) async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, member)): Path<(ProjectId, PrincipalId)>,
    Body(request): Body<AddMember>,
) -> Result<Json<Value>, ApiError> {
    state
        .blocking(move |inner| {
            let (target, member) = target_and_member(&caller, project, member);
            inner
                .door
                .add_member(&caller.principal, &target, &member, request.role)
        })
        .await?;
    Ok(Json(json!({ "member": true })))
}

/// Removes a principal from a project (Owners).
pub(crate) async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, member)): Path<(ProjectId, PrincipalId)>,
) -> Result<Json<Value>, ApiError> {
    state
        .blocking(move |inner| {
            let (target, member) = target_and_member(&caller, project, member);
            inner.door.remove_member(&caller.principal, &target, &member)
        })
        .await?;
    Ok(Json(json!({ "member": false })))
}
