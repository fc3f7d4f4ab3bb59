//! Members' public keys and grants: the rows they are stored in, how those
//! read back, and how their changes apply.

use std::collections::BTreeMap;

use coffer_door::audit::Timestamp;
use coffer_door::policy::{Principal, PrincipalId, ProjectId, RecipientKem, TenantId};
use coffer_door::store::{GrantSlot, KeyGrant, RegisteredKey, StoreError, FINGERPRINT_BYTES};

use super::apply::Rows;
use super::decode::{corrupt, int, principal_id, project_id, tenant_id, uint};

/// The row reads and writes of keys and grants.
pub(crate) trait KeyRows {
    /// The fingerprint of a principal's registered key, if it has one.
    fn key_fingerprint(&mut self, principal: &Principal) -> Result<Option<Vec<u8>>, StoreError>;
    /// A principal's registered key, inserted or replaced.
    fn set_public_key(&mut self, row: &KeyRow) -> Result<(), StoreError>;
    /// A principal's registered key, removed if held.
    fn delete_public_key(&mut self, principal: &Principal) -> Result<(), StoreError>;
    /// A principal's grants, in one project or (`None`) everywhere.
    fn delete_grants(&mut self, principal: &Principal, project: Option<&ProjectId>)
        -> Result<(), StoreError>;
    /// Whether a principal holds a role in a project.
    fn is_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        principal: &Principal,
    ) -> Result<bool, StoreError>;
    /// A grant, inserted or replaced.
    fn put_grant(&mut self, row: &GrantRow) -> Result<(), StoreError>;
}

/// A `public_keys` row as stored.
pub(crate) struct KeyRow {
    pub(crate) tenant: String,
    pub(crate) principal: String,
    pub(crate) algorithm: String,
    pub(crate) fingerprint: Vec<u8>,
    pub(crate) key: Vec<u8>,
    pub(crate) registered_at: i64,
}

/// A `key_grants` row as stored.
pub(crate) struct GrantRow {
    pub(crate) tenant: String,
    pub(crate) project: String,
    pub(crate) principal: String,
    pub(crate) version: i64,
    pub(crate) fingerprint: Vec<u8>,
    pub(crate) sealed: Vec<u8>,
}

fn fingerprint(bytes: Vec<u8>) -> Result<[u8; FINGERPRINT_BYTES], StoreError> {
    bytes
        .try_into()
        .map_err(|_| corrupt(format!("a key fingerprint is not {FINGERPRINT_BYTES} bytes")))
}

/// A `public_keys` row as selected by [`PUBLIC_KEYS`](super::statements::PUBLIC_KEYS).
pub(crate) type KeyColumns = (String, String, String, Vec<u8>, Vec<u8>, i64);

/// A `key_grants` row as selected by [`GRANTS`](super::statements::GRANTS).
pub(crate) type GrantColumns = (String, String, String, i64, Vec<u8>, Vec<u8>);

impl From<KeyColumns> for KeyRow {
    fn from((tenant, principal, algorithm, fingerprint, key, registered_at): KeyColumns) -> Self {
        KeyRow {
            tenant,
            principal,
            algorithm,
            fingerprint,
            key,
            registered_at,
        }
    }
}

impl From<GrantColumns> for GrantRow {
    fn from((tenant, project, principal, version, fingerprint, sealed): GrantColumns) -> Self {
        GrantRow {
            tenant,
            project,
            principal,
            version,
            fingerprint,
            sealed,
        }
    }
}

/// Every registered key, read back.
pub(crate) fn public_keys(
    rows: Vec<KeyColumns>,
) -> Result<BTreeMap<(TenantId, PrincipalId), RegisteredKey>, StoreError> {
    rows.into_iter()
        .map(KeyRow::from)
        .map(|row| {
            let key = RegisteredKey {
                algorithm: row.algorithm.parse::<RecipientKem>().map_err(corrupt)?,
                fingerprint: fingerprint(row.fingerprint)?,
                key: row.key,
                registered_at: Timestamp::from_unix_millis(uint(row.registered_at)?),
            };
            Ok(((tenant_id(&row.tenant)?, principal_id(&row.principal)?), key))
        })
        .collect()
}

/// Every grant, read back.
pub(crate) fn grants(rows: Vec<GrantColumns>) -> Result<BTreeMap<GrantSlot, KeyGrant>, StoreError> {
    rows.into_iter()
        .map(GrantRow::from)
        .map(|row| {
            let member = principal_id(&row.principal)?;
            let version =
                u32::try_from(row.version).map_err(|_| corrupt("a grant's key version is out of range"))?;
            let slot = (
                tenant_id(&row.tenant)?,
                project_id(&row.project)?,
                member.clone(),
                version,
            );
            let grant = KeyGrant {
                member,
                version,
                fingerprint: fingerprint(row.fingerprint)?,
                sealed: row.sealed,
            };
            Ok((slot, grant))
        })
        .collect()
}

/// The row of a key to register.
pub(crate) fn key_row(principal: &Principal, key: &RegisteredKey) -> Result<KeyRow, StoreError> {
    Ok(KeyRow {
        tenant: principal.tenant.to_string(),
        principal: principal.id.to_string(),
        algorithm: key.algorithm.name().to_owned(),
        fingerprint: key.fingerprint.to_vec(),
        key: key.key.clone(),
        registered_at: int(key.registered_at.unix_millis())?,
    })
}

/// [`Change::RegisterPublicKey`](coffer_door::store::Change): the grants
/// of a replaced key go with it.
pub(crate) fn register(
    rows: &mut impl Rows,
    principal: &Principal,
    key: &RegisteredKey,
) -> Result<(), StoreError> {
    if rows.key_fingerprint(principal)?.as_deref() != Some(&key.fingerprint[..]) {
        rows.delete_grants(principal, None)?;
    }
    rows.set_public_key(&key_row(principal, key)?)
}

/// [`Change::RevokePublicKey`](coffer_door::store::Change).
pub(crate) fn revoke(rows: &mut impl Rows, principal: &Principal) -> Result<(), StoreError> {
    rows.delete_grants(principal, None)?;
    rows.delete_public_key(principal)
}

/// [`Change::PutGrants`](coffer_door::store::Change) after the project
/// and its generation were checked: every grant checked, then written.
pub(crate) fn put_grants(
    rows: &mut impl Rows,
    tenant: &TenantId,
    project: &ProjectId,
    grants: &[KeyGrant],
) -> Result<(), StoreError> {
    for grant in grants {
        let member = Principal::new(tenant.clone(), grant.member.clone());
        let keyed = rows.key_fingerprint(&member)?.as_deref() == Some(&grant.fingerprint[..]);
        if !(keyed && rows.is_member(tenant, project, &member)?) {
            return Err(StoreError::StaleGrant {
                project: project.to_string(),
                member: grant.member.to_string(),
            });
        }
    }
    for grant in grants {
        let row = GrantRow {
            tenant: tenant.to_string(),
            project: project.to_string(),
            principal: grant.member.to_string(),
            version: i64::from(grant.version),
            fingerprint: grant.fingerprint.to_vec(),
            sealed: grant.sealed.clone(),
        };
        rows.put_grant(&row)?;
    }
    Ok(())
}
