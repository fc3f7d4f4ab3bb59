//! One SQL transaction as a front-door [`Transaction`], for either backend.

use coffer_door::audit::{AuditChain, AuditEvent, AuditRecord, ChainHead, Checkpoint};
use coffer_door::policy::{DocumentId, Principal, ProjectId, Role, TenantId};
use coffer_door::store::{
    Change, DocumentRecord, EnvelopeId, PolicyVersion, Snapshot, StoreError, Transaction,
};

use super::apply::{apply_checked, Rows};
use super::decode::{self, corrupt, envelope_id, int, uint, DocumentRow};
use super::public_keys;
use super::statements as sql;
use super::{params, Executor, FromValue, Row};

/// What a backend keeps beside its connection: the audit chain and where
/// envelope bytes live (files beside a SQLite database, rows in
/// PostgreSQL).
pub(crate) trait Side<E: Executor> {
    /// Runs `work` on the store's audit chain.
    fn chain<T>(&mut self, work: impl FnOnce(&mut AuditChain) -> T) -> T;
    /// This transaction read state version `version`.
    fn saw_version(&mut self, version: u64) {
        let _ = version;
    }
    /// Whether an envelope is staged, finished with `size` bytes, and named
    /// by no document: ready to be linked.
    fn envelope_ready(&mut self, exec: &mut E, id: &EnvelopeId, size: u64) -> Result<bool, StoreError>;
    /// An envelope no document names any more: removed with the
    /// transaction (rows) or once it committed (files).
    fn unlink_envelope(&mut self, exec: &mut E, id: &EnvelopeId) -> Result<(), StoreError>;
}

/// A transaction the backend began (and commits): its statements run on
/// `exec`, its backend's own parts are `side`.
pub(crate) struct SqlTransaction<E, S> {
    pub(crate) exec: E,
    pub(crate) side: S,
}

/// A row's first columns as a tuple.
fn three<A: FromValue, B: FromValue, C: FromValue>(mut r: Row) -> Result<(A, B, C), StoreError> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn four<A: FromValue, B: FromValue, C: FromValue, D: FromValue>(
    mut r: Row,
) -> Result<(A, B, C, D), StoreError> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

type Six<A, B, C, D, E, F> = (A, B, C, D, E, F);

fn six<A: FromValue, B: FromValue, C: FromValue, D: FromValue, E: FromValue, F: FromValue>(
    mut r: Row,
) -> Result<Six<A, B, C, D, E, F>, StoreError> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

/// The stored audit head, if the state row exists (not yet checked:
/// [`AuditChain::follow`] does).
pub(crate) fn stored_head(exec: &mut impl Executor) -> Result<Option<ChainHead>, StoreError> {
    let Some(row) = exec.query_opt(sql::HEAD, &[])? else {
        return Ok(None);
    };
    let (chain, count, hash, mac) = four(row)?;
    decode::head(chain, count, hash, mac).map(Some)
}

/// Whether a document names the envelope.
pub(crate) fn linked(exec: &mut impl Executor, id: &EnvelopeId) -> Result<bool, StoreError> {
    Ok(exec.query_opt(sql::LINKED, params![&id.to_string()])?.is_some())
}

fn read_head(exec: &mut impl Executor) -> Result<ChainHead, StoreError> {
    stored_head(exec)?.ok_or_else(|| corrupt("the state row is missing"))
}

impl<E: Executor, S: Side<E>> SqlTransaction<E, S> {
    /// Runs a statement that returns no rows.
    pub(crate) fn run(&mut self, sql: &str, params: &[super::Param<'_>]) -> Result<(), StoreError> {
        self.exec.execute(sql, params).map(drop)
    }

    /// Every row of `sql` (no parameters), read by `read`.
    fn rows<T>(&mut self, sql: &str, read: fn(Row) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
        self.exec.query(sql, &[])?.into_iter().map(read).collect()
    }

    /// The documents a statement selects (by [`sql::DOCUMENTS`]' columns).
    fn document_rows(
        &mut self,
        sql: &str,
        params: &[super::Param<'_>],
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let read = |mut row: Row| {
            DocumentRow {
                tenant: row.get(0)?,
                project: row.get(1)?,
                document: row.get(2)?,
                plaintext_size: row.get(3)?,
                envelope_size: row.get(4)?,
                suite: row.get(5)?,
                key_version: row.get(6)?,
                created_by: row.get(7)?,
                created_at: row.get(8)?,
                envelope: row.get(9)?,
            }
            .into_record()
        };
        self.exec.query(sql, params)?.into_iter().map(read).collect()
    }

    /// Runs `work` on the audit chain moved to the stored head (checked).
    fn on_chain<T>(
        &mut self,
        work: impl FnOnce(&mut AuditChain) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let head = read_head(&mut self.exec)?;
        self.side.chain(|chain| {
            chain.follow(&head).map_err(|e| StoreError::Audit(e.into()))?;
            work(chain)
        })
    }

    /// The stored audit records from seq `first` on, oldest first.
    fn records_from(&mut self, first: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = self.exec.query(sql::RECORDS_FROM, params![first])?;
        rows.into_iter()
            .map(|mut row| serde_json::from_str(&row.get::<String>(0)?).map_err(corrupt))
            .collect()
    }

    fn policies(&mut self, latest_only: bool) -> Result<Vec<PolicyVersion>, StoreError> {
        let sql = if latest_only {
            sql::LATEST_POLICY
        } else {
            sql::POLICIES
        };
        let read = |mut row: Row| {
            let installed_by: String = row.get(3)?;
            decode::policy(row.get(0)?, row.get(1)?, row.get(2)?, &installed_by, row.get(4)?)
        };
        self.rows(sql, read)
    }
}

impl<E: Executor, S: Side<E>> Rows for SqlTransaction<E, S> {
    fn generation(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<Option<u64>, StoreError> {
        let row = self
            .exec
            .query_opt(sql::GENERATION, params![tenant.as_str(), project.as_str()])?;
        row.map(|mut row| uint(row.get(0)?)).transpose()
    }

    fn insert_project(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.run(sql::INSERT_PROJECT, params![tenant.as_str(), project.as_str()])
    }

    fn insert_key(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        version: i64,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        let params = params![tenant.as_str(), project.as_str(), version, sealed];
        self.run(sql::INSERT_KEY, params)
    }

    fn append_key(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        self.run(
            sql::APPEND_KEY,
            params![tenant.as_str(), project.as_str(), sealed],
        )
    }

    fn delete_keys(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.run(sql::DELETE_KEYS, params![tenant.as_str(), project.as_str()])
    }

    fn bump_generation(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.run(sql::BUMP_GENERATION, params![tenant.as_str(), project.as_str()])
    }

    fn set_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        member: &Principal,
        role: Role,
    ) -> Result<(), StoreError> {
        let params = params![tenant.as_str(), project.as_str(), member.id.as_str(), role.name()];
        self.run(sql::SET_MEMBER, params)
    }

    fn delete_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        member: &Principal,
    ) -> Result<(), StoreError> {
        let params = params![tenant.as_str(), project.as_str(), member.id.as_str()];
        self.run(sql::DELETE_MEMBER, params)
    }

    fn set_tenant_role(&mut self, principal: &Principal, role: Role) -> Result<(), StoreError> {
        let params = params![principal.tenant.as_str(), principal.id.as_str(), role.name()];
        self.run(sql::SET_TENANT_ROLE, params)
    }

    fn delete_tenant_role(&mut self, principal: &Principal) -> Result<(), StoreError> {
        let params = params![principal.tenant.as_str(), principal.id.as_str()];
        self.run(sql::DELETE_TENANT_ROLE, params)
    }

    fn put_document(&mut self, row: &DocumentRow) -> Result<(), StoreError> {
        let params = params![
            &row.tenant,
            &row.project,
            &row.document,
            row.plaintext_size,
            row.envelope_size,
            &row.suite,
            row.key_version,
            &row.created_by,
            row.created_at,
            &row.envelope,
        ];
        self.run(sql::PUT_DOCUMENT, params)
    }

    fn document_envelope(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<Option<EnvelopeId>>, StoreError> {
        let params = params![tenant.as_str(), project.as_str(), document.as_str()];
        let Some(mut row) = self.exec.query_opt(sql::DOCUMENT_ENVELOPE, params)? else {
            return Ok(None);
        };
        let envelope: Option<String> = row.get(0)?;
        Ok(Some(envelope.as_deref().map(envelope_id).transpose()?))
    }

    fn envelope_ready(&mut self, id: &EnvelopeId, size: u64) -> Result<bool, StoreError> {
        self.side.envelope_ready(&mut self.exec, id, size)
    }

    fn unlink_envelope(&mut self, id: &EnvelopeId) -> Result<(), StoreError> {
        self.side.unlink_envelope(&mut self.exec, id)
    }

    fn insert_policy(
        &mut self,
        document: &str,
        digest: &[u8],
        installed_by: &str,
        installed_at: i64,
    ) -> Result<(), StoreError> {
        let params = params![document, digest, installed_by, installed_at];
        self.run(sql::INSERT_POLICY, params)
    }

    fn bump_version(&mut self) -> Result<(), StoreError> {
        self.run(sql::BUMP_VERSION, &[])
    }
}

impl<E: Executor, S: Side<E>> Transaction for SqlTransaction<E, S> {
    fn version(&mut self) -> Result<u64, StoreError> {
        let version = uint(self.exec.query_one(sql::VERSION, &[])?.get(0)?)?;
        self.side.saw_version(version);
        Ok(version)
    }

    fn snapshot(&mut self) -> Result<Snapshot, StoreError> {
        let version = self.version()?;
        let tenant_roles = self.rows(sql::TENANT_ROLES, three)?;
        let projects: Vec<(String, String, i64)> = self.rows(sql::PROJECTS, three)?;
        let names = projects.iter().map(|(t, p, _)| (t.clone(), p.clone())).collect();
        let members = self.rows(sql::MEMBERS, four)?;
        let keys = self.rows(sql::PROJECT_KEYS, four)?;
        Ok(Snapshot {
            version,
            membership: decode::membership(tenant_roles, names, members)?,
            policy: self.policies(true)?.pop(),
            projects: decode::projects(projects, keys)?,
            public_keys: public_keys::public_keys(self.rows(sql::PUBLIC_KEYS, six)?)?,
            grants: public_keys::grants(self.rows(sql::GRANTS, six)?)?,
        })
    }

    fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        // A savepoint makes the change all-or-nothing inside the
        // transaction, whatever fails half-way, and keeps the transaction
        // usable after a failed statement (PostgreSQL refuses every
        // statement after one until a rollback).
        self.exec.command("SAVEPOINT apply")?;
        let aborted = self.exec.aborted();
        match apply_checked(self, change) {
            Ok(()) => {
                self.exec.command("RELEASE SAVEPOINT apply")?;
                Ok(())
            }
            Err(error) => {
                self.exec.command("ROLLBACK TO SAVEPOINT apply")?;
                self.exec.command("RELEASE SAVEPOINT apply")?;
                self.exec.rolled_back(aborted);
                Err(error)
            }
        }
    }

    fn documents(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let mut documents = self.document_rows(sql::DOCUMENTS, params![tenant.as_str(), project.as_str()])?;
        // Bytewise, as every backend orders them, whatever the database's
        // collation.
        documents.sort_unstable_by(|a, b| a.document.as_str().cmp(b.document.as_str()));
        Ok(documents)
    }

    fn document(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        let params = params![tenant.as_str(), project.as_str(), document.as_str()];
        Ok(self.document_rows(sql::DOCUMENT, params)?.pop())
    }

    fn policy_history(&mut self) -> Result<Vec<PolicyVersion>, StoreError> {
        self.policies(false)
    }

    fn append(&mut self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        // The transaction holds the database's write lock (SQLite) or the
        // state row's (PostgreSQL) since it began: nobody appends between
        // this read of the head and the write below.
        let (record, head) = self.on_chain(|chain| {
            let record = chain.seal(event);
            chain.commit(&record);
            Ok((record, chain.head()))
        })?;
        let text = serde_json::to_string(&record).map_err(corrupt)?;
        self.exec
            .execute(sql::APPEND_RECORD, params![int(record.seq)?, text.as_str()])?;
        let params = params![int(head.count)?, &head.hash, &head.mac];
        self.exec.execute(sql::SET_HEAD, params)?;
        Ok(record)
    }

    fn audit_head(&mut self) -> Result<ChainHead, StoreError> {
        read_head(&mut self.exec)
    }

    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StoreError> {
        self.records_from(0)
    }

    fn verify_audit(&mut self, checkpoint: Option<ChainHead>) -> Result<ChainHead, StoreError> {
        let records = self.audit_records()?;
        self.on_chain(|chain| Ok(chain.verify_log(&records, checkpoint)?))
    }

    fn audit_checkpoint(&mut self) -> Result<Option<Checkpoint>, StoreError> {
        let (chain, count, hash, mac) = four(self.exec.query_one(sql::CHECKPOINT, &[])?)?;
        decode::checkpoint(chain, count, hash, mac)
    }

    fn verify_audit_tail(&mut self) -> Result<ChainHead, StoreError> {
        let checkpoint = self.audit_checkpoint()?;
        let records = self.records_from(decode::tail_start(checkpoint.as_ref())?)?;
        let (head, moved) = self.on_chain(|chain| {
            let head = chain.verify_from(checkpoint.as_ref(), &records)?;
            Ok((head, chain.checkpoint()))
        })?;
        let params = params![int(moved.count())?, moved.hash(), moved.mac()];
        self.exec.execute(sql::SET_CHECKPOINT, params)?;
        Ok(head)
    }
}
