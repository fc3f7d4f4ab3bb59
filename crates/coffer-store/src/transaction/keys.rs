//! Keys and grants in SQLite rows.

use coffer_door::policy::{Principal, ProjectId, TenantId};
use coffer_door::store::StoreError;
use rusqlite::{params, OptionalExtension};

use super::{backend, SqliteTransaction};
use crate::public_keys::{GrantRow, KeyRow, KeyRows};

impl KeyRows for SqliteTransaction<'_> {
    fn key_fingerprint(&mut self, principal: &Principal) -> Result<Option<Vec<u8>>, StoreError> {
        self.tx
            .prepare_cached("SELECT fingerprint FROM public_keys WHERE tenant = ?1 AND principal = ?2")
            .map_err(backend)?
            .query_row((principal.tenant.as_str(), principal.id.as_str()), |row| {
                row.get(0)
            })
            .optional()
            .map_err(backend)
    }

    fn set_public_key(&mut self, row: &KeyRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT OR REPLACE INTO public_keys
             (tenant, principal, algorithm, fingerprint, public_key, registered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.tenant,
                row.principal,
                row.algorithm,
                row.fingerprint,
                row.key,
                row.registered_at
            ],
        )
    }

    fn delete_public_key(&mut self, principal: &Principal) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM public_keys WHERE tenant = ?1 AND principal = ?2",
            (principal.tenant.as_str(), principal.id.as_str()),
        )
    }

    fn delete_grants(
        &mut self,
        principal: &Principal,
        project: Option<&ProjectId>,
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM key_grants WHERE tenant = ?1 AND principal = ?2 AND (?3 IS NULL OR project = ?3)",
            (
                principal.tenant.as_str(),
                principal.id.as_str(),
                project.map(ProjectId::as_str),
            ),
        )
    }

    fn is_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        principal: &Principal,
    ) -> Result<bool, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT 1 FROM project_members WHERE tenant = ?1 AND project = ?2 AND principal = ?3",
            )
            .map_err(backend)?
            .exists((tenant.as_str(), project.as_str(), principal.id.as_str()))
            .map_err(backend)
    }

    fn put_grant(&mut self, row: &GrantRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT OR REPLACE INTO key_grants (tenant, project, principal, version, fingerprint, sealed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.tenant,
                row.project,
                row.principal,
                row.version,
                row.fingerprint,
                row.sealed
            ],
        )
    }
}
