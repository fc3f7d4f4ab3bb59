//! Applying a [`Change`]: the checks and row writes every SQL backend
//! makes, in one order, over the row reads and writes of [`Rows`].
//!
//! Every check comes before the first write, so a refused change writes
//! nothing; the transaction also wraps the whole of it in a savepoint, so
//! a write that fails half-way leaves nothing either.

use coffer_door::policy::{DocumentId, Principal, ProjectId, Role, TenantId};
use coffer_door::store::{Change, DocumentRecord, EnvelopeId, StoreError};

use super::decode::{self, corrupt, int, same_tenant, DocumentRow};
use super::public_keys::{self, KeyRows};

/// The row reads and writes a change is made of.
pub(crate) trait Rows: KeyRows {
    /// A project's generation, or `None` when it does not exist.
    fn generation(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<Option<u64>, StoreError>;
    /// A new project at generation 0, with no keys or members.
    fn insert_project(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError>;
    /// Key version `version` of a project.
    fn insert_key(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        version: i64,
        sealed: &[u8],
    ) -> Result<(), StoreError>;
    /// The next key version of a project (one more than it has).
    fn append_key(&mut self, tenant: &TenantId, project: &ProjectId, sealed: &[u8])
        -> Result<(), StoreError>;
    /// Every key version of a project.
    fn delete_keys(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError>;
    /// One more generation for a project.
    fn bump_generation(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError>;
    /// A member's role in a project, inserted or replaced.
    fn set_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        member: &Principal,
        role: Role,
    ) -> Result<(), StoreError>;
    /// A member's role in a project, removed if held.
    fn delete_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        member: &Principal,
    ) -> Result<(), StoreError>;
    /// A tenant-level role, inserted or replaced.
    fn set_tenant_role(&mut self, principal: &Principal, role: Role) -> Result<(), StoreError>;
    /// A tenant-level role, removed if held.
    fn delete_tenant_role(&mut self, principal: &Principal) -> Result<(), StoreError>;
    /// A document's metadata, inserted or replaced.
    fn put_document(&mut self, row: &DocumentRow) -> Result<(), StoreError>;
    /// The envelope a document's record names: `None` when there is no
    /// record, `Some(None)` when the caller keeps the envelope.
    fn document_envelope(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<Option<EnvelopeId>>, StoreError>;
    /// Whether an envelope is staged, finished with `size` bytes, and named
    /// by no document: ready to be linked.
    fn envelope_ready(&mut self, id: &EnvelopeId, size: u64) -> Result<bool, StoreError>;
    /// An envelope no document names any more: removed with the
    /// transaction (rows) or once it committed (files).
    fn unlink_envelope(&mut self, id: &EnvelopeId) -> Result<(), StoreError>;
    /// The next policy version.
    fn insert_policy(
        &mut self,
        document: &str,
        digest: &[u8],
        installed_by: &str,
        installed_at: i64,
    ) -> Result<(), StoreError>;
    /// One more state version.
    fn bump_version(&mut self) -> Result<(), StoreError>;
}

/// The project exists; its generation.
fn require_project(rows: &mut impl Rows, tenant: &TenantId, project: &ProjectId) -> Result<u64, StoreError> {
    let generation = rows.generation(tenant, project)?;
    decode::require_project(tenant, project, generation)
}

/// The project exists at generation `expected`.
fn require_generation(
    rows: &mut impl Rows,
    tenant: &TenantId,
    project: &ProjectId,
    expected: u64,
) -> Result<(), StoreError> {
    let found = require_project(rows, tenant, project)?;
    decode::require_generation(tenant, project, expected, found)
}

/// Applies `change` through `rows` and bumps the state version (document
/// metadata, which is not part of the snapshot, leaves it).
pub(crate) fn apply_checked(rows: &mut impl Rows, change: &Change) -> Result<(), StoreError> {
    match change {
        Change::CreateProject {
            tenant,
            project,
            owner,
            sealed,
        } => {
            if rows.generation(tenant, project)?.is_some() {
                return Err(StoreError::ProjectExists {
                    tenant: tenant.to_string(),
                    project: project.to_string(),
                });
            }
            same_tenant(tenant, owner)?;
            rows.insert_project(tenant, project)?;
            rows.insert_key(tenant, project, 1, sealed)?;
            rows.set_member(tenant, project, owner, Role::Owner)?;
        }
        Change::ReplaceVersions {
            tenant,
            project,
            expected_generation,
            sealed,
        } => {
            if sealed.is_empty() {
                return Err(StoreError::NoKeyVersions {
                    tenant: tenant.to_string(),
                    project: project.to_string(),
                });
            }
            require_generation(rows, tenant, project, *expected_generation)?;
            rows.delete_keys(tenant, project)?;
            for (version, key) in (1..).zip(sealed) {
                rows.insert_key(tenant, project, version, key)?;
            }
            rows.bump_generation(tenant, project)?;
        }
        Change::AddVersion {
            tenant,
            project,
            expected_generation,
            sealed,
        } => {
            require_generation(rows, tenant, project, *expected_generation)?;
            rows.append_key(tenant, project, sealed)?;
            rows.bump_generation(tenant, project)?;
        }
        Change::SetMember {
            tenant,
            project,
            member,
            role,
        } => {
            same_tenant(tenant, member)?;
            require_project(rows, tenant, project)?;
            rows.set_member(tenant, project, member, *role)?;
        }
        Change::RemoveMember {
            tenant,
            project,
            member,
        } => {
            // As `Membership::revoke`: a principal of another tenant holds
            // nothing here, which is not an error.
            if member.tenant == *tenant {
                require_project(rows, tenant, project)?;
                rows.delete_member(tenant, project, member)?;
                rows.delete_grants(member, Some(project))?;
            }
        }
        Change::RegisterPublicKey { principal, key } => public_keys::register(rows, principal, key)?,
        Change::RevokePublicKey { principal } => public_keys::revoke(rows, principal)?,
        Change::PutGrants {
            tenant,
            project,
            expected_generation,
            grants,
        } => {
            require_generation(rows, tenant, project, *expected_generation)?;
            public_keys::put_grants(rows, tenant, project, grants)?;
        }
        Change::SetTenantRole { principal, role } => rows.set_tenant_role(principal, *role)?,
        Change::RemoveTenantRole { principal } => rows.delete_tenant_role(principal)?,
        Change::PutDocument(record) | Change::ReplaceEnvelope { record, .. } => {
            // Document metadata is not part of the snapshot: the state
            // version does not move.
            return put_document(rows, change, record);
        }
        Change::InstallPolicy(new) => {
            let installed_by = serde_json::to_string(&new.installed_by).map_err(corrupt)?;
            let at = int(new.installed_at.unix_millis())?;
            rows.insert_policy(&new.document, &new.digest, &installed_by, at)?;
        }
        _ => return Err(corrupt("a change this store does not know")),
    }
    rows.bump_version()
}

/// Records a document, linking the envelope its record names and
/// unlinking the one the replaced record named; a replacement applies only
/// to the envelope it expects.
fn put_document(rows: &mut impl Rows, change: &Change, record: &DocumentRecord) -> Result<(), StoreError> {
    require_project(rows, &record.tenant, &record.project)?;
    let row = DocumentRow::of(record)?;
    let current = rows
        .document_envelope(&record.tenant, &record.project, &record.document)?
        .flatten();
    if let Change::ReplaceEnvelope { replaces, .. } = change {
        if current != Some(*replaces) {
            return Err(StoreError::DocumentChanged {
                project: record.project.to_string(),
                document: record.document.to_string(),
            });
        }
    }
    if let Some(id) = record.envelope.filter(|id| current != Some(*id)) {
        if !rows.envelope_ready(&id, record.envelope_size)? {
            return Err(StoreError::UnknownEnvelope {
                envelope: id.to_string(),
                size: record.envelope_size,
            });
        }
    }
    rows.put_document(&row)?;
    match current {
        Some(old) if record.envelope != Some(old) => rows.unlink_envelope(&old),
        _ => Ok(()),
    }
}
