//! Keys and grants in PostgreSQL rows.

use coffer_door::policy::{Principal, ProjectId, TenantId};
use coffer_door::store::StoreError;

use super::{get, PostgresTransaction};
use crate::public_keys::{GrantRow, KeyRow, KeyRows};

impl KeyRows for PostgresTransaction<'_, '_> {
    fn key_fingerprint(&mut self, principal: &Principal) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.query_opt(
            "SELECT fingerprint FROM public_keys WHERE tenant = $1 AND principal = $2",
            &[&principal.tenant.as_str(), &principal.id.as_str()],
        )?;
        row.map(|r| get(&r, 0)).transpose()
    }

    fn set_public_key(&mut self, row: &KeyRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO public_keys (tenant, principal, algorithm, fingerprint, public_key, registered_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant, principal) DO UPDATE SET algorithm = excluded.algorithm,
             fingerprint = excluded.fingerprint, public_key = excluded.public_key,
             registered_at = excluded.registered_at",
            &[
                &row.tenant,
                &row.principal,
                &row.algorithm,
                &row.fingerprint,
                &row.key,
                &row.registered_at,
            ],
        )?;
        Ok(())
    }

    fn delete_public_key(&mut self, principal: &Principal) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM public_keys WHERE tenant = $1 AND principal = $2",
            &[&principal.tenant.as_str(), &principal.id.as_str()],
        )?;
        Ok(())
    }

    fn delete_grants(
        &mut self,
        principal: &Principal,
        project: Option<&ProjectId>,
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM key_grants WHERE tenant = $1 AND principal = $2 AND ($3::TEXT IS NULL OR project = $3)",
            &[&principal.tenant.as_str(), &principal.id.as_str(), &project.map(ProjectId::as_str)],
        )?;
        Ok(())
    }

    fn is_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        principal: &Principal,
    ) -> Result<bool, StoreError> {
        let row = self.query_opt(
            "SELECT 1 FROM project_members WHERE tenant = $1 AND project = $2 AND principal = $3",
            &[&tenant.as_str(), &project.as_str(), &principal.id.as_str()],
        )?;
        Ok(row.is_some())
    }

    fn put_grant(&mut self, row: &GrantRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO key_grants (tenant, project, principal, version, fingerprint, sealed)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant, project, principal, version) DO UPDATE SET
             fingerprint = excluded.fingerprint, sealed = excluded.sealed",
            &[
                &row.tenant,
                &row.project,
                &row.principal,
                &row.version,
                &row.fingerprint,
                &row.sealed,
            ],
        )?;
        Ok(())
    }
}
