//! The audit trail as a principal sees it: the records about a project or
//! the caller's tenant, and whether the whole chain verifies.

use axum::extract::State;
use axum::Json;
use coffer_store::audit::AuditRecord;
use coffer_store::door::FrontDoorError;
use coffer_store::policy::{ProjectId, Target};
use serde::Serialize;

use super::extract::Path;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET …/audit`: the records, oldest first, and whether the chain
/// verifies (`verified: false` when it does not; where it breaks is the
/// operator's to find).
#[derive(Debug, Serialize)]
pub(crate) struct Trail {
    records: Vec<AuditRecord>,
    verified: bool,
}

async fn trail(state: AppState, caller: Caller, target: Target) -> Result<Json<Trail>, ApiError> {
    state
        .blocking(move |inner| {
            let actor = &caller.principal;
            let records = inner.door.audit_trail(actor, &target)?;
            let verified = match inner.door.verify_audit(actor, &target) {
                Ok(_) => true,
                Err(FrontDoorError::TrailBroken) => false,
                Err(other) => return Err(other),
            };
            Ok(Json(Trail { records, verified }))
        })
        .await
}

/// A project's trail (Owners and Auditors).
pub(crate) async fn project(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
) -> Result<Json<Trail>, ApiError> {
    let target = Target::for_project(caller.principal.tenant.clone(), project);
    trail(state, caller, target).await
}

/// The caller's tenant's trail (tenant Owners and Auditors).
pub(crate) async fn tenant(State(state): State<AppState>, caller: Caller) -> Result<Json<Trail>, ApiError> {
    let target = Target::for_tenant(caller.principal.tenant.clone());
    trail(state, caller, target).await
}
