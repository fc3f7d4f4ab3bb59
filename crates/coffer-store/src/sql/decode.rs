//! Reading stored rows back into the state's types, and the checks a
//! change makes before it writes: the same for every SQL backend.

use std::collections::BTreeMap;

use coffer_door::audit::{AuditChain, AuditKey, ChainHead, ChainId, Checkpoint, Timestamp};
use coffer_door::envelope::Suite;
use coffer_door::policy::{
    DocumentId, Membership, MembershipError, Principal, PrincipalId, ProjectId, Role, TenantId,
};
use coffer_door::store::{DocumentRecord, EnvelopeId, Installer, PolicyVersion, ProjectRecord, StoreError};

use crate::error::OpenError;

/// An envelope id as stored (its text form).
pub(crate) fn envelope_id(text: &str) -> Result<EnvelopeId, StoreError> {
    text.parse().map_err(corrupt)
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// SQL integers are signed; every counter here fits.
pub(crate) fn int(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| corrupt(format!("counter {n} out of range")))
}

pub(crate) fn uint(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt(format!("negative counter {n}")))
}

pub(crate) fn bytes32(v: Vec<u8>, what: &str) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| corrupt(format!("{what} is not 32 bytes")))
}

/// The audit head from its stored columns (not yet checked:
/// [`AuditChain::follow`] does).
pub(crate) fn head(chain: Vec<u8>, count: i64, hash: Vec<u8>, mac: Vec<u8>) -> Result<ChainHead, StoreError> {
    Ok(ChainHead {
        chain: ChainId::from_bytes(bytes32(chain, "chain id")?),
        count: uint(count)?,
        hash: bytes32(hash, "head hash")?,
        mac: bytes32(mac, "head MAC")?,
    })
}

/// The audit checkpoint from its stored columns (not yet checked:
/// [`AuditChain::verify_from`] does): none when they are all empty.
pub(crate) fn checkpoint(
    chain: Vec<u8>,
    count: Option<i64>,
    hash: Option<Vec<u8>>,
    mac: Option<Vec<u8>>,
) -> Result<Option<Checkpoint>, StoreError> {
    match (count, hash, mac) {
        (None, None, None) => Ok(None),
        (Some(count), Some(hash), Some(mac)) => Ok(Some(Checkpoint::from_parts(
            ChainId::from_bytes(bytes32(chain, "chain id")?),
            uint(count)?,
            bytes32(hash, "checkpoint hash")?,
            bytes32(mac, "checkpoint MAC")?,
        ))),
        _ => Err(corrupt("the audit checkpoint is stored in part")),
    }
}

/// Where start-up verification starts reading records: at the record the
/// checkpoint names (it is checked too), or at the first.
pub(crate) fn tail_start(checkpoint: Option<&Checkpoint>) -> Result<i64, StoreError> {
    int(checkpoint.map_or(0, |c| c.count().saturating_sub(1)))
}

/// The chain of a store whose state row holds `head`: `key` must verify
/// it, else the database belongs to another audit key.
pub(crate) fn resume_chain(key: AuditKey, head: &ChainHead) -> Result<AuditChain, OpenError> {
    let mut chain = AuditChain::new(key, head.chain);
    chain.follow(head).map_err(|_| OpenError::ForeignAuditKey)?;
    Ok(chain)
}

/// A member of `tenant`'s project must be a principal of that tenant.
pub(crate) fn same_tenant(tenant: &TenantId, principal: &Principal) -> Result<(), StoreError> {
    if principal.tenant == *tenant {
        return Ok(());
    }
    Err(StoreError::Membership(MembershipError::CrossTenant {
        principal: principal.id.to_string(),
        principal_tenant: principal.tenant.to_string(),
        tenant: tenant.to_string(),
    }))
}

/// A stored project's generation, or [`StoreError::UnknownProject`].
pub(crate) fn require_project(
    tenant: &TenantId,
    project: &ProjectId,
    generation: Option<u64>,
) -> Result<u64, StoreError> {
    generation.ok_or_else(|| StoreError::UnknownProject {
        tenant: tenant.to_string(),
        project: project.to_string(),
    })
}

/// The stored generation `found` is the `expected` one, else
/// [`StoreError::Conflict`].
pub(crate) fn require_generation(
    tenant: &TenantId,
    project: &ProjectId,
    expected: u64,
    found: u64,
) -> Result<(), StoreError> {
    if found != expected {
        return Err(StoreError::Conflict {
            tenant: tenant.to_string(),
            project: project.to_string(),
            expected,
            found,
        });
    }
    Ok(())
}

pub(crate) fn tenant_id(text: &str) -> Result<TenantId, StoreError> {
    TenantId::new(text).map_err(corrupt)
}

pub(crate) fn project_id(text: &str) -> Result<ProjectId, StoreError> {
    ProjectId::new(text).map_err(corrupt)
}

pub(crate) fn principal_id(text: &str) -> Result<PrincipalId, StoreError> {
    PrincipalId::new(text).map_err(corrupt)
}

pub(crate) fn role_of(text: &str) -> Result<Role, StoreError> {
    Role::from_name(text).map_err(corrupt)
}

/// The membership table from its rows: tenant roles `(tenant, principal,
/// role)`, projects `(tenant, project)`, members `(tenant, project,
/// principal, role)`.
pub(crate) fn membership(
    tenant_roles: Vec<(String, String, String)>,
    projects: Vec<(String, String)>,
    members: Vec<(String, String, String, String)>,
) -> Result<Membership, StoreError> {
    let mut membership = Membership::new();
    for (tenant, principal, role) in tenant_roles {
        let principal = Principal::new(tenant_id(&tenant)?, principal_id(&principal)?);
        membership.assign_tenant(&principal, role_of(&role)?);
    }
    for (tenant, project) in projects {
        membership
            .create_project(&tenant_id(&tenant)?, &project_id(&project)?)
            .map_err(corrupt)?;
    }
    for (tenant, project, principal, role) in members {
        let tenant = tenant_id(&tenant)?;
        let principal = Principal::new(tenant.clone(), principal_id(&principal)?);
        membership
            .assign(&tenant, &project_id(&project)?, &principal, role_of(&role)?)
            .map_err(corrupt)?;
    }
    Ok(membership)
}

/// Every project's record from its rows: projects `(tenant, project,
/// generation)` and keys `(tenant, project, version, sealed)` ordered by
/// tenant, project and version.
pub(crate) fn projects(
    projects: Vec<(String, String, i64)>,
    keys: Vec<(String, String, i64, Vec<u8>)>,
) -> Result<BTreeMap<(TenantId, ProjectId), ProjectRecord>, StoreError> {
    let mut records = BTreeMap::new();
    for (tenant, project, generation) in projects {
        let record = ProjectRecord {
            sealed: Vec::new(),
            generation: uint(generation)?,
        };
        records.insert((tenant_id(&tenant)?, project_id(&project)?), record);
    }
    for (tenant, project, version, sealed) in keys {
        let record = records
            .get_mut(&(tenant_id(&tenant)?, project_id(&project)?))
            .ok_or_else(|| corrupt(format!("key of unknown project `{project}`")))?;
        if uint(version)? != record.sealed.len() as u64 + 1 {
            return Err(corrupt(format!(
                "key versions of project `{project}` are not consecutive"
            )));
        }
        record.sealed.push(sealed);
    }
    Ok(records)
}

/// An installed policy from its stored columns.
pub(crate) fn policy(
    version: i64,
    document: String,
    digest: Vec<u8>,
    installed_by: &str,
    installed_at: i64,
) -> Result<PolicyVersion, StoreError> {
    Ok(PolicyVersion {
        version: uint(version)?,
        document,
        digest: bytes32(digest, "policy digest")?,
        installed_by: serde_json::from_str::<Installer>(installed_by).map_err(corrupt)?,
        installed_at: Timestamp::from_unix_millis(uint(installed_at)?),
    })
}

/// A document's metadata as its stored columns: ids as text, sizes, key
/// version and time (milliseconds) as SQL integers, the suite by its
/// canonical name, the creator by principal id (a principal of the
/// document's tenant).
#[derive(Debug)]
pub(crate) struct DocumentRow {
    pub(crate) tenant: String,
    pub(crate) project: String,
    pub(crate) document: String,
    pub(crate) plaintext_size: i64,
    pub(crate) envelope_size: i64,
    pub(crate) suite: String,
    pub(crate) key_version: i64,
    pub(crate) created_by: String,
    pub(crate) created_at: i64,
    /// The stored envelope's id (32 hexadecimal digits), if the store
    /// keeps the envelope.
    pub(crate) envelope: Option<String>,
}

impl DocumentRow {
    /// The columns of `record`, whose creator must be of its tenant.
    pub(crate) fn of(record: &DocumentRecord) -> Result<Self, StoreError> {
        same_tenant(&record.tenant, &record.created_by)?;
        Ok(DocumentRow {
            tenant: record.tenant.to_string(),
            project: record.project.to_string(),
            document: record.document.to_string(),
            plaintext_size: int(record.plaintext_size)?,
            envelope_size: int(record.envelope_size)?,
            suite: record.suite.name().to_owned(),
            key_version: i64::from(record.key_version),
            created_by: record.created_by.id.to_string(),
            created_at: int(record.created_at.unix_millis())?,
            envelope: record.envelope.map(|id| id.to_string()),
        })
    }

    /// The record these columns hold.
    pub(crate) fn into_record(self) -> Result<DocumentRecord, StoreError> {
        let tenant = tenant_id(&self.tenant)?;
        Ok(DocumentRecord {
            project: project_id(&self.project)?,
            document: DocumentId::new(&self.document).map_err(corrupt)?,
            plaintext_size: uint(self.plaintext_size)?,
            envelope_size: uint(self.envelope_size)?,
            suite: self.suite.parse::<Suite>().map_err(corrupt)?,
            key_version: u32::try_from(self.key_version)
                .map_err(|_| corrupt(format!("key version {} out of range", self.key_version)))?,
            created_by: Principal::new(tenant.clone(), principal_id(&self.created_by)?),
            created_at: Timestamp::from_unix_millis(uint(self.created_at)?),
            envelope: self.envelope.as_deref().map(envelope_id).transpose()?,
            tenant,
        })
    }
}
