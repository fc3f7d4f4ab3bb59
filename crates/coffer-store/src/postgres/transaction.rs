//! One PostgreSQL transaction as a front-door [`Transaction`].

use std::cell::Cell;
use std::sync::{Mutex, MutexGuard, PoisonError};

use coffer_door::audit::{AuditChain, AuditEvent, AuditRecord, ChainHead, Checkpoint};
use coffer_door::policy::{DocumentId, Principal, ProjectId, Role, TenantId};
use coffer_door::store::{
    Change, DocumentRecord, EnvelopeId, PolicyVersion, Snapshot, StoreError, Transaction,
};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::Row;

use crate::apply::{apply_checked, Rows};
use crate::decode::{self, corrupt, envelope_id, int, uint, DocumentRow, DOCUMENT_COLUMNS};
use crate::public_keys::{self, GRANT_COLUMNS, KEY_COLUMNS};

mod keys;

use super::envelopes;

pub(crate) struct PostgresTransaction<'t, 'c> {
    tx: &'t mut postgres::Transaction<'c>,
    /// The store's chain, shared by its concurrent transactions; locked
    /// only while sealing or verifying (the state row's lock is what
    /// orders appends, here and across instances).
    chain: &'t Mutex<AuditChain>,
    flags: &'t Flags,
}

/// What the statements of one transaction attempt ran into.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    /// A statement failed with a serialization failure or a deadlock: the
    /// whole transaction is worth running again.
    pub(crate) retry: Cell<bool>,
    /// A statement failed outside a savepoint that was rolled back: the
    /// transaction is aborted, and PostgreSQL would turn a `COMMIT` into a
    /// silent rollback, so it must not be reported as committed.
    pub(crate) aborted: Cell<bool>,
}

impl Flags {
    /// Notes a failed statement; returns it as a store error.
    pub(crate) fn fail(&self, error: postgres::Error) -> StoreError {
        if retryable(&error) {
            self.retry.set(true);
        }
        self.aborted.set(true);
        StoreError::backend(error)
    }
}

/// Whether PostgreSQL asks for the transaction to be run again.
fn retryable(error: &postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
    )
}

impl<'t, 'c> PostgresTransaction<'t, 'c> {
    pub(crate) fn new(
        tx: &'t mut postgres::Transaction<'c>,
        chain: &'t Mutex<AuditChain>,
        flags: &'t Flags,
    ) -> Self {
        PostgresTransaction { tx, chain, flags }
    }

    /// A backend failure, noted in the flags.
    fn fail(&self, error: postgres::Error) -> StoreError {
        self.flags.fail(error)
    }

    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let result = self.tx.execute(sql, params);
        result.map_err(|e| self.fail(e))
    }

    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let result = self.tx.query(sql, params);
        result.map_err(|e| self.fail(e))
    }

    fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>, StoreError> {
        let result = self.tx.query_opt(sql, params);
        result.map_err(|e| self.fail(e))
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let result = self.tx.batch_execute(sql);
        result.map_err(|e| self.fail(e))
    }

    /// Every document row of `sql` (selecting [`DOCUMENT_COLUMNS`]).
    fn document_rows(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.query(sql, params)?
            .iter()
            .map(|row| {
                DocumentRow {
                    tenant: get(row, 0)?,
                    project: get(row, 1)?,
                    document: get(row, 2)?,
                    plaintext_size: get(row, 3)?,
                    envelope_size: get(row, 4)?,
                    suite: get(row, 5)?,
                    key_version: get(row, 6)?,
                    created_by: get(row, 7)?,
                    created_at: get(row, 8)?,
                    envelope: get(row, 9)?,
                }
                .into_record()
            })
            .collect()
    }

    /// Whether a document names the envelope.
    pub(crate) fn linked(&mut self, id: &EnvelopeId) -> Result<bool, StoreError> {
        let row = self.query_opt("SELECT 1 FROM documents WHERE envelope = $1", &[&id.to_string()])?;
        Ok(row.is_some())
    }

    /// Deletes an envelope (and its chunks); whether there was one.
    pub(crate) fn delete_envelope(&mut self, id: &EnvelopeId) -> Result<bool, StoreError> {
        Ok(self.execute("DELETE FROM envelopes WHERE id = $1", &[&id.to_string()])? > 0)
    }

    /// [`envelopes::sweep`] in this transaction.
    pub(crate) fn sweep_envelopes(&mut self, grace: std::time::Duration) -> Result<u64, StoreError> {
        let result = envelopes::sweep(self.tx, grace);
        result.map_err(|e| self.fail(e))
    }

    /// The store's chain moved to the stored head, after checking it.
    fn follow_head(&mut self) -> Result<MutexGuard<'t, AuditChain>, StoreError> {
        let head = self.audit_head()?;
        let mut chain = self.chain.lock().unwrap_or_else(PoisonError::into_inner);
        chain.follow(&head).map_err(|e| StoreError::Audit(e.into()))?;
        Ok(chain)
    }

    /// The stored audit records from seq `first` on, oldest first.
    fn records_from(&mut self, first: i64) -> Result<Vec<AuditRecord>, StoreError> {
        self.query(
            "SELECT record FROM audit_records WHERE seq >= $1 ORDER BY seq",
            &[&first],
        )?
        .iter()
        .map(|row| serde_json::from_str(&get::<String>(row, 0)?).map_err(corrupt))
        .collect()
    }

    fn policies(&mut self, latest_only: bool) -> Result<Vec<PolicyVersion>, StoreError> {
        let sql = if latest_only {
            "SELECT version, document, digest, installed_by, installed_at FROM policies ORDER BY version DESC LIMIT 1"
        } else {
            "SELECT version, document, digest, installed_by, installed_at FROM policies ORDER BY version"
        };
        self.query(sql, &[])?
            .iter()
            .map(|row| {
                let installed_by: String = get(row, 3)?;
                decode::policy(
                    get(row, 0)?,
                    get(row, 1)?,
                    get(row, 2)?,
                    &installed_by,
                    get(row, 4)?,
                )
            })
            .collect()
    }
}

/// A column of a row, of the type the schema gives it.
impl PostgresTransaction<'_, '_> {
    /// Every row of `sql` (no parameters), read by `read`.
    fn rows<T>(
        &mut self,
        sql: &str,
        read: impl Fn(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.query(sql, &[])?.iter().map(read).collect()
    }
}

/// The six columns of a key or grant row.
fn six<A, B, C, D, E, F>(r: &Row) -> Result<(A, B, C, D, E, F), StoreError>
where
    for<'r> A: postgres::types::FromSql<'r>,
    for<'r> B: postgres::types::FromSql<'r>,
    for<'r> C: postgres::types::FromSql<'r>,
    for<'r> D: postgres::types::FromSql<'r>,
    for<'r> E: postgres::types::FromSql<'r>,
    for<'r> F: postgres::types::FromSql<'r>,
{
    Ok((
        get(r, 0)?,
        get(r, 1)?,
        get(r, 2)?,
        get(r, 3)?,
        get(r, 4)?,
        get(r, 5)?,
    ))
}

fn get<'r, T: postgres::types::FromSql<'r>>(row: &'r Row, column: usize) -> Result<T, StoreError> {
    row.try_get(column).map_err(StoreError::backend)
}

impl Rows for PostgresTransaction<'_, '_> {
    fn generation(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<Option<u64>, StoreError> {
        let row = self.query_opt(
            "SELECT generation FROM projects WHERE tenant = $1 AND project = $2",
            &[&tenant.as_str(), &project.as_str()],
        )?;
        row.map(|row| uint(get(&row, 0)?)).transpose()
    }

    fn insert_project(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO projects (tenant, project, generation) VALUES ($1, $2, 0)",
            &[&tenant.as_str(), &project.as_str()],
        )?;
        Ok(())
    }

    fn insert_key(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        version: i64,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO project_keys (tenant, project, version, sealed) VALUES ($1, $2, $3, $4)",
            &[&tenant.as_str(), &project.as_str(), &version, &sealed],
        )?;
        Ok(())
    }

    fn append_key(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO project_keys (tenant, project, version, sealed)
             SELECT $1, $2, count(*) + 1, $3 FROM project_keys WHERE tenant = $1 AND project = $2",
            &[&tenant.as_str(), &project.as_str(), &sealed],
        )?;
        Ok(())
    }

    fn delete_keys(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM project_keys WHERE tenant = $1 AND project = $2",
            &[&tenant.as_str(), &project.as_str()],
        )?;
        Ok(())
    }

    fn bump_generation(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.execute(
            "UPDATE projects SET generation = generation + 1 WHERE tenant = $1 AND project = $2",
            &[&tenant.as_str(), &project.as_str()],
        )?;
        Ok(())
    }

    fn set_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        member: &Principal,
        role: Role,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO project_members (tenant, project, principal, role) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant, project, principal) DO UPDATE SET role = excluded.role",
            &[
                &tenant.as_str(),
                &project.as_str(),
                &member.id.as_str(),
                &role.name(),
            ],
        )?;
        Ok(())
    }

    fn delete_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        member: &Principal,
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM project_members WHERE tenant = $1 AND project = $2 AND principal = $3",
            &[&tenant.as_str(), &project.as_str(), &member.id.as_str()],
        )?;
        Ok(())
    }

    fn set_tenant_role(&mut self, principal: &Principal, role: Role) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO tenant_roles (tenant, principal, role) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, principal) DO UPDATE SET role = excluded.role",
            &[&principal.tenant.as_str(), &principal.id.as_str(), &role.name()],
        )?;
        Ok(())
    }

    fn delete_tenant_role(&mut self, principal: &Principal) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM tenant_roles WHERE tenant = $1 AND principal = $2",
            &[&principal.tenant.as_str(), &principal.id.as_str()],
        )?;
        Ok(())
    }

    fn put_document(&mut self, row: &DocumentRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO documents (tenant, project, document, plaintext_size, envelope_size,
                 suite, key_version, created_by, created_at, envelope)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (tenant, project, document) DO UPDATE SET
                 plaintext_size = excluded.plaintext_size, envelope_size = excluded.envelope_size,
                 suite = excluded.suite, key_version = excluded.key_version,
                 created_by = excluded.created_by, created_at = excluded.created_at,
                 envelope = excluded.envelope",
            &[
                &row.tenant,
                &row.project,
                &row.document,
                &row.plaintext_size,
                &row.envelope_size,
                &row.suite,
                &row.key_version,
                &row.created_by,
                &row.created_at,
                &row.envelope,
            ],
        )?;
        Ok(())
    }

    fn document_envelope(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<Option<EnvelopeId>>, StoreError> {
        let row = self.query_opt(
            "SELECT envelope FROM documents WHERE tenant = $1 AND project = $2 AND document = $3",
            &[&tenant.as_str(), &project.as_str(), &document.as_str()],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let envelope: Option<String> = get(&row, 0)?;
        Ok(Some(envelope.as_deref().map(envelope_id).transpose()?))
    }

    fn envelope_ready(&mut self, id: &EnvelopeId, size: u64) -> Result<bool, StoreError> {
        let size = int(size)?;
        let row = self.query_opt(
            "SELECT 1 FROM envelopes e WHERE e.id = $1 AND e.size = $2
                 AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.envelope = e.id)",
            &[&id.to_string(), &size],
        )?;
        Ok(row.is_some())
    }

    fn unlink_envelope(&mut self, id: &EnvelopeId) -> Result<(), StoreError> {
        // Its chunks go with it, in this transaction.
        self.execute("DELETE FROM envelopes WHERE id = $1", &[&id.to_string()])?;
        Ok(())
    }

    fn insert_policy(
        &mut self,
        document: &str,
        digest: &[u8],
        installed_by: &str,
        installed_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO policies (version, document, digest, installed_by, installed_at)
             VALUES ((SELECT coalesce(max(version), 0) + 1 FROM policies), $1, $2, $3, $4)",
            &[&document, &digest, &installed_by, &installed_at],
        )?;
        Ok(())
    }

    fn bump_version(&mut self) -> Result<(), StoreError> {
        self.execute("UPDATE state SET version = version + 1 WHERE id = 1", &[])?;
        Ok(())
    }
}

impl Transaction for PostgresTransaction<'_, '_> {
    fn version(&mut self) -> Result<u64, StoreError> {
        let row = self.query("SELECT version FROM state WHERE id = 1", &[])?;
        let row = row.first().ok_or_else(|| corrupt("the state row is missing"))?;
        uint(get(row, 0)?)
    }

    fn snapshot(&mut self) -> Result<Snapshot, StoreError> {
        let version = self.version()?;
        let tenant_roles = self
            .query("SELECT tenant, principal, role FROM tenant_roles", &[])?
            .iter()
            .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?)))
            .collect::<Result<_, StoreError>>()?;
        let projects = self.query("SELECT tenant, project, generation FROM projects", &[])?;
        let names = projects
            .iter()
            .map(|r| Ok((get(r, 0)?, get(r, 1)?)))
            .collect::<Result<_, StoreError>>()?;
        let generations = projects
            .iter()
            .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?)))
            .collect::<Result<_, StoreError>>()?;
        let members = self
            .query(
                "SELECT tenant, project, principal, role FROM project_members",
                &[],
            )?
            .iter()
            .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?, get(r, 3)?)))
            .collect::<Result<_, StoreError>>()?;
        let keys = self
            .query(
                "SELECT tenant, project, version, sealed FROM project_keys ORDER BY tenant, project, version",
                &[],
            )?
            .iter()
            .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?, get(r, 3)?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Snapshot {
            version,
            membership: decode::membership(tenant_roles, names, members)?,
            policy: self.policies(true)?.pop(),
            projects: decode::projects(generations, keys)?,
            public_keys: public_keys::public_keys(self.rows(KEY_COLUMNS, six)?)?,
            grants: public_keys::grants(self.rows(GRANT_COLUMNS, six)?)?,
        })
    }

    fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        // A savepoint makes the change all-or-nothing inside the
        // transaction, and keeps the transaction usable after a failed
        // statement (PostgreSQL refuses every statement after one until a
        // rollback).
        self.batch("SAVEPOINT apply")?;
        let aborted = self.flags.aborted.get();
        match apply_checked(self, change) {
            Ok(()) => {
                self.batch("RELEASE SAVEPOINT apply")?;
                Ok(())
            }
            Err(error) => {
                self.batch("ROLLBACK TO SAVEPOINT apply; RELEASE SAVEPOINT apply")?;
                // Rolled back to the savepoint: usable again.
                self.flags.aborted.set(aborted);
                Err(error)
            }
        }
    }

    fn documents(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        // Ordered bytewise whatever the database's collation, as the other
        // backends order them.
        self.document_rows(
            &format!("{DOCUMENT_COLUMNS} WHERE tenant = $1 AND project = $2 ORDER BY document COLLATE \"C\""),
            &[&tenant.as_str(), &project.as_str()],
        )
    }

    fn document(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        Ok(self
            .document_rows(
                &format!("{DOCUMENT_COLUMNS} WHERE tenant = $1 AND project = $2 AND document = $3"),
                &[&tenant.as_str(), &project.as_str(), &document.as_str()],
            )?
            .pop())
    }

    fn policy_history(&mut self) -> Result<Vec<PolicyVersion>, StoreError> {
        self.policies(false)
    }

    fn append(&mut self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        // The state row, which holds the head, is locked by this
        // transaction since its start: no other instance appends between
        // this read and the write below.
        let (record, head) = {
            let mut chain = self.follow_head()?;
            let record = chain.seal(event);
            chain.commit(&record);
            (record, chain.head())
        };
        let text = serde_json::to_string(&record).map_err(corrupt)?;
        self.execute(
            "INSERT INTO audit_records (seq, record) VALUES ($1, $2)",
            &[&int(record.seq)?, &text],
        )?;
        self.execute(
            "UPDATE state SET head_count = $1, head_hash = $2, head_mac = $3 WHERE id = 1",
            &[&int(head.count)?, &head.hash.as_slice(), &head.mac.as_slice()],
        )?;
        Ok(record)
    }

    fn audit_head(&mut self) -> Result<ChainHead, StoreError> {
        let rows = self.query(
            "SELECT chain_id, head_count, head_hash, head_mac FROM state WHERE id = 1",
            &[],
        )?;
        let row = rows.first().ok_or_else(|| corrupt("the state row is missing"))?;
        decode::head(get(row, 0)?, get(row, 1)?, get(row, 2)?, get(row, 3)?)
    }

    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StoreError> {
        self.records_from(0)
    }

    fn verify_audit(&mut self, checkpoint: Option<ChainHead>) -> Result<ChainHead, StoreError> {
        let records = self.audit_records()?;
        let chain = self.follow_head()?;
        Ok(chain.verify_log(&records, checkpoint)?)
    }

    fn audit_checkpoint(&mut self) -> Result<Option<Checkpoint>, StoreError> {
        let rows = self.query(
            "SELECT chain_id, checkpoint_count, checkpoint_hash, checkpoint_mac FROM state WHERE id = 1",
            &[],
        )?;
        let row = rows.first().ok_or_else(|| corrupt("the state row is missing"))?;
        decode::checkpoint(get(row, 0)?, get(row, 1)?, get(row, 2)?, get(row, 3)?)
    }

    fn verify_audit_tail(&mut self) -> Result<ChainHead, StoreError> {
        let checkpoint = self.audit_checkpoint()?;
        let records = self.records_from(decode::tail_start(checkpoint.as_ref())?)?;
        let (head, moved) = {
            let chain = self.follow_head()?;
            (
                chain.verify_from(checkpoint.as_ref(), &records)?,
                chain.checkpoint(),
            )
        };
        self.execute(
            "UPDATE state SET checkpoint_count = $1, checkpoint_hash = $2, checkpoint_mac = $3 WHERE id = 1",
            &[
                &int(moved.count())?,
                &moved.hash().as_slice(),
                &moved.mac().as_slice(),
            ],
        )?;
        Ok(head)
    }
}
