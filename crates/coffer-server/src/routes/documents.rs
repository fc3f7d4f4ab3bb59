//! Documents: list a project's documents.

use axum::extract::State;
use axum::Json;
use coffer_store::policy::store::DocumentRecord;
use coffer_store::policy::{ProjectId, Target};

use super::extract::Path;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// A project's documents with their metadata (Owners, Editors, Viewers).
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
) -> Result<Json<Vec<DocumentRecord>>, ApiError> {
    state
        .blocking(move |inner| {
            let target = Target::for_project(caller.principal.tenant.clone(), project);
            inner.door.list_documents(&caller.principal, &target).map(Json)
        })
        .await
}
