//! Keys and grants in rows, for either backend.

use coffer_door::policy::{Principal, ProjectId, TenantId};
use coffer_door::store::StoreError;

use super::public_keys::{GrantRow, KeyRow, KeyRows};
use super::statements as sql;
use super::transaction::{Side, SqlTransaction};
use super::{params, Executor};

impl<E: Executor, S: Side<E>> KeyRows for SqlTransaction<E, S> {
    fn key_fingerprint(&mut self, principal: &Principal) -> Result<Option<Vec<u8>>, StoreError> {
        let params = params![principal.tenant.as_str(), principal.id.as_str()];
        let row = self.exec.query_opt(sql::KEY_FINGERPRINT, params)?;
        row.map(|mut row| row.get(0)).transpose()
    }

    fn set_public_key(&mut self, row: &KeyRow) -> Result<(), StoreError> {
        let params = params![
            &row.tenant,
            &row.principal,
            &row.algorithm,
            &row.fingerprint,
            &row.key,
            row.registered_at,
        ];
        self.run(sql::SET_PUBLIC_KEY, params)
    }

    fn delete_public_key(&mut self, principal: &Principal) -> Result<(), StoreError> {
        let params = params![principal.tenant.as_str(), principal.id.as_str()];
        self.run(sql::DELETE_PUBLIC_KEY, params)
    }

    fn delete_grants(
        &mut self,
        principal: &Principal,
        project: Option<&ProjectId>,
    ) -> Result<(), StoreError> {
        let project = project.map(ProjectId::as_str);
        let params = params![principal.tenant.as_str(), principal.id.as_str(), project];
        self.run(sql::DELETE_GRANTS, params)
    }

    fn is_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        principal: &Principal,
    ) -> Result<bool, StoreError> {
        let params = params![tenant.as_str(), project.as_str(), principal.id.as_str()];
        Ok(self.exec.query_opt(sql::IS_MEMBER, params)?.is_some())
    }

    fn put_grant(&mut self, row: &GrantRow) -> Result<(), StoreError> {
        let params = params![
            &row.tenant,
            &row.project,
            &row.principal,
            row.version,
            &row.fingerprint,
            &row.sealed,
        ];
        self.run(sql::PUT_GRANT, params)
    }
}
