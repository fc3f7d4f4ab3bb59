//! One SQLite transaction as a front-door [`Transaction`].

use std::collections::BTreeMap;

use coffer_door::audit::{AuditChain, AuditEvent, AuditRecord, ChainHead, Checkpoint};
use coffer_door::policy::{DocumentId, Membership, Principal, ProjectId, Role, TenantId};
use coffer_door::store::{
    Change, DocumentRecord, EnvelopeId, PolicyVersion, ProjectRecord, Snapshot, StoreError, Transaction,
};
use rusqlite::types::FromSql;
use rusqlite::{params, Connection, OptionalExtension};

use crate::apply::{apply_checked, Rows};
use crate::decode::{self, bytes32, corrupt, envelope_id, int, uint, DocumentRow, DOCUMENT_COLUMNS};
use crate::envelope_files::EnvelopeFiles;
use crate::public_keys::{self, GRANT_COLUMNS, KEY_COLUMNS};

mod keys;

/// The connection is inside a transaction the store began (alone, or
/// shared by a group commit, under a savepoint of this caller's own).
pub(crate) struct SqliteTransaction<'t> {
    tx: &'t Connection,
    chain: &'t mut AuditChain,
    /// The highest state version this view reported, so a group whose
    /// shared commit fails can make sure no version read from its
    /// uncommitted state is ever reused (see `group.rs`).
    seen: &'t mut u64,
    /// The data directory's envelope files.
    files: &'t EnvelopeFiles,
    /// Envelopes unlinked by this transaction's changes: their files are
    /// removed once it committed.
    unlinked: &'t mut Vec<EnvelopeId>,
}

/// What a [`SqliteTransaction`] works with besides the connection.
pub(crate) struct View<'t> {
    pub(crate) chain: &'t mut AuditChain,
    pub(crate) seen: &'t mut u64,
    pub(crate) files: &'t EnvelopeFiles,
    pub(crate) unlinked: &'t mut Vec<EnvelopeId>,
}

/// The six columns of a key or grant row.
fn six<A: FromSql, B: FromSql, C: FromSql, D: FromSql, E: FromSql, F: FromSql>(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(A, B, C, D, E, F)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
}

/// The stored audit head (not yet checked: [`AuditChain::follow`] does).
pub(crate) fn read_head(tx: &Connection) -> Result<ChainHead, StoreError> {
    // Statements on every call's path are prepared once per connection.
    let (chain, count, hash, mac) = tx
        .prepare_cached("SELECT chain_id, head_count, head_hash, head_mac FROM state WHERE id = 1")
        .map_err(backend)?
        .query_row([], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, i64>(1)?,
                row.get(2)?,
                row.get(3)?,
            ))
        })
        .map_err(backend)?;
    Ok(ChainHead {
        chain: coffer_door::audit::ChainId::from_bytes(bytes32(chain, "chain id")?),
        count: uint(count)?,
        hash: bytes32(hash, "head hash")?,
        mac: bytes32(mac, "head MAC")?,
    })
}

impl<'t> SqliteTransaction<'t> {
    pub(crate) fn new(tx: &'t Connection, view: View<'t>) -> Self {
        let View {
            chain,
            seen,
            files,
            unlinked,
        } = view;
        SqliteTransaction {
            tx,
            chain,
            seen,
            files,
            unlinked,
        }
    }

    /// The data directory's envelope files.
    pub(crate) fn files(&self) -> &'t EnvelopeFiles {
        self.files
    }

    /// Whether a document names the envelope.
    pub(crate) fn linked(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        self.tx
            .prepare_cached("SELECT 1 FROM documents WHERE envelope = ?1")
            .map_err(backend)?
            .exists([id.to_string()])
            .map_err(backend)
    }

    /// Whether the envelope's file must stay: a document names it, or an
    /// uncommitted change of this transaction (or of an earlier member of
    /// its group) unlinked it, which the commit may still not make true.
    pub(crate) fn in_use(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        Ok(self.unlinked.contains(id) || self.linked(id)?)
    }

    /// The row of every document of `sql` (its `?` parameters `params`).
    fn document_rows(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        let mut statement = self.tx.prepare_cached(sql).map_err(backend)?;
        let rows = statement
            .query_map(params, |row| {
                Ok(DocumentRow {
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
                })
            })
            .map_err(backend)?;
        rows.map(|row| row.map_err(backend)?.into_record()).collect()
    }

    /// The stored head, and the chain moved to it.
    fn follow_head(&mut self) -> Result<ChainHead, StoreError> {
        let head = read_head(self.tx)?;
        self.chain
            .follow(&head)
            .map_err(|e| StoreError::Audit(e.into()))?;
        Ok(head)
    }

    /// Runs one statement that returns no rows. Prepared once per
    /// connection and cached: parsing and planning a statement costs more
    /// than running these, and it would be paid under the connection's
    /// lock, by every member of a group commit in turn.
    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params))
            .map_err(backend)?;
        Ok(())
    }

    /// The stored audit records from seq `first` on, oldest first.
    fn records_from(&self, first: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached("SELECT record FROM audit_records WHERE seq >= ?1 ORDER BY seq")
            .map_err(backend)?;
        let rows = statement
            .query_map([first], |row| row.get::<_, String>(0))
            .map_err(backend)?;
        rows.map(|text| {
            let text = text.map_err(backend)?;
            serde_json::from_str(&text).map_err(corrupt)
        })
        .collect()
    }

    fn membership(&self) -> Result<Membership, StoreError> {
        let tenant_roles = self.rows("SELECT tenant, principal, role FROM tenant_roles", |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        let projects = self.rows("SELECT tenant, project FROM projects", |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
        let members = self.rows(
            "SELECT tenant, project, principal, role FROM project_members",
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        decode::membership(tenant_roles, projects, members)
    }

    /// Every row of `sql` (no parameters), read by `read`.
    fn rows<T>(
        &self,
        sql: &str,
        read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut statement = self.tx.prepare_cached(sql).map_err(backend)?;
        let rows = statement.query_map([], read).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn projects(&self) -> Result<BTreeMap<(TenantId, ProjectId), ProjectRecord>, StoreError> {
        let projects = self.rows("SELECT tenant, project, generation FROM projects", |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        let keys = self.rows(
            "SELECT tenant, project, version, sealed FROM project_keys ORDER BY tenant, project, version",
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        decode::projects(projects, keys)
    }

    fn policies(&self, latest_only: bool) -> Result<Vec<PolicyVersion>, StoreError> {
        let sql = if latest_only {
            "SELECT version, document, digest, installed_by, installed_at FROM policies ORDER BY version DESC LIMIT 1"
        } else {
            "SELECT version, document, digest, installed_by, installed_at FROM policies ORDER BY version"
        };
        let mut statement = self.tx.prepare_cached(sql).map_err(backend)?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })
            .map_err(backend)?;
        let mut policies = Vec::new();
        for row in rows {
            let (version, document, digest, installed_by, at) = row.map_err(backend)?;
            policies.push(decode::policy(version, document, digest, &installed_by, at)?);
        }
        Ok(policies)
    }
}

impl Rows for SqliteTransaction<'_> {
    fn generation(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<Option<u64>, StoreError> {
        self.tx
            .prepare_cached("SELECT generation FROM projects WHERE tenant = ?1 AND project = ?2")
            .and_then(|mut statement| {
                statement
                    .query_row((tenant.as_str(), project.as_str()), |row| row.get::<_, i64>(0))
                    .optional()
            })
            .map_err(backend)?
            .map(uint)
            .transpose()
    }

    fn insert_project(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO projects (tenant, project, generation) VALUES (?1, ?2, 0)",
            (tenant.as_str(), project.as_str()),
        )
    }

    fn insert_key(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        version: i64,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO project_keys (tenant, project, version, sealed) VALUES (?1, ?2, ?3, ?4)",
            params![tenant.as_str(), project.as_str(), version, sealed],
        )
    }

    fn append_key(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO project_keys (tenant, project, version, sealed)
             SELECT ?1, ?2, count(*) + 1, ?3 FROM project_keys WHERE tenant = ?1 AND project = ?2",
            params![tenant.as_str(), project.as_str(), sealed],
        )
    }

    fn delete_keys(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM project_keys WHERE tenant = ?1 AND project = ?2",
            (tenant.as_str(), project.as_str()),
        )
    }

    fn bump_generation(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        self.execute(
            "UPDATE projects SET generation = generation + 1 WHERE tenant = ?1 AND project = ?2",
            (tenant.as_str(), project.as_str()),
        )
    }

    fn set_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        member: &Principal,
        role: Role,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO project_members (tenant, project, principal, role) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tenant, project, principal) DO UPDATE SET role = excluded.role",
            (tenant.as_str(), project.as_str(), member.id.as_str(), role.name()),
        )
    }

    fn delete_member(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        member: &Principal,
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM project_members WHERE tenant = ?1 AND project = ?2 AND principal = ?3",
            (tenant.as_str(), project.as_str(), member.id.as_str()),
        )
    }

    fn set_tenant_role(&mut self, principal: &Principal, role: Role) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO tenant_roles (tenant, principal, role) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant, principal) DO UPDATE SET role = excluded.role",
            (principal.tenant.as_str(), principal.id.as_str(), role.name()),
        )
    }

    fn delete_tenant_role(&mut self, principal: &Principal) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM tenant_roles WHERE tenant = ?1 AND principal = ?2",
            (principal.tenant.as_str(), principal.id.as_str()),
        )
    }

    fn put_document(&mut self, row: &DocumentRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO documents (tenant, project, document, plaintext_size, envelope_size,
                     suite, key_version, created_by, created_at, envelope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (tenant, project, document) DO UPDATE SET
                     plaintext_size = excluded.plaintext_size, envelope_size = excluded.envelope_size,
                     suite = excluded.suite, key_version = excluded.key_version,
                     created_by = excluded.created_by, created_at = excluded.created_at,
                     envelope = excluded.envelope",
            )
            .map_err(backend)?
            .execute(params![
                row.tenant,
                row.project,
                row.document,
                row.plaintext_size,
                row.envelope_size,
                row.suite,
                row.key_version,
                row.created_by,
                row.created_at,
                row.envelope
            ])
            .map_err(backend)?;
        Ok(())
    }

    fn document_envelope(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<Option<EnvelopeId>>, StoreError> {
        let stored: Option<Option<String>> = self
            .tx
            .prepare_cached(
                "SELECT envelope FROM documents WHERE tenant = ?1 AND project = ?2 AND document = ?3",
            )
            .map_err(backend)?
            .query_row((tenant.as_str(), project.as_str(), document.as_str()), |row| {
                row.get(0)
            })
            .optional()
            .map_err(backend)?;
        stored
            .map(|envelope| envelope.as_deref().map(envelope_id).transpose())
            .transpose()
    }

    fn envelope_ready(&mut self, id: &EnvelopeId, size: u64) -> Result<bool, StoreError> {
        // The writer fsynced the file before asking to link it; its size
        // is the last check that the bytes are all there.
        Ok(self.files.size(id)? == Some(size) && !self.linked(id)?)
    }

    fn unlink_envelope(&mut self, id: &EnvelopeId) -> Result<(), StoreError> {
        self.unlinked.push(*id);
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
             VALUES ((SELECT coalesce(max(version), 0) + 1 FROM policies), ?1, ?2, ?3, ?4)",
            params![document, digest, installed_by, installed_at],
        )
    }

    fn bump_version(&mut self) -> Result<(), StoreError> {
        self.execute("UPDATE state SET version = version + 1 WHERE id = 1", [])
    }
}

impl Transaction for SqliteTransaction<'_> {
    fn version(&mut self) -> Result<u64, StoreError> {
        let version: i64 = self
            .tx
            .prepare_cached("SELECT version FROM state WHERE id = 1")
            .map_err(backend)?
            .query_row([], |row| row.get(0))
            .map_err(backend)?;
        let version = uint(version)?;
        *self.seen = (*self.seen).max(version);
        Ok(version)
    }

    fn snapshot(&mut self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            version: self.version()?,
            membership: self.membership()?,
            policy: self.policies(true)?.pop(),
            projects: self.projects()?,
            public_keys: public_keys::public_keys(self.rows(KEY_COLUMNS, six)?)?,
            grants: public_keys::grants(self.rows(GRANT_COLUMNS, six)?)?,
        })
    }

    fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        // A savepoint makes the change all-or-nothing inside the
        // transaction, whatever fails half-way.
        self.execute("SAVEPOINT apply", [])?;
        match apply_checked(self, change) {
            Ok(()) => {
                self.execute("RELEASE apply", [])?;
                Ok(())
            }
            Err(error) => {
                self.tx
                    .execute_batch("ROLLBACK TO apply; RELEASE apply")
                    .map_err(backend)?;
                Err(error)
            }
        }
    }

    fn documents(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        self.document_rows(
            &format!("{DOCUMENT_COLUMNS} WHERE tenant = ?1 AND project = ?2 ORDER BY document"),
            (tenant.as_str(), project.as_str()),
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
                &format!("{DOCUMENT_COLUMNS} WHERE tenant = ?1 AND project = ?2 AND document = ?3"),
                (tenant.as_str(), project.as_str(), document.as_str()),
            )?
            .pop())
    }

    fn policy_history(&mut self) -> Result<Vec<PolicyVersion>, StoreError> {
        self.policies(false)
    }

    fn append(&mut self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        self.follow_head()?;
        let record = self.chain.seal(event);
        let text = serde_json::to_string(&record).map_err(corrupt)?;
        self.tx
            .prepare_cached("INSERT INTO audit_records (seq, record) VALUES (?1, ?2)")
            .map_err(backend)?
            .execute(params![int(record.seq)?, text])
            .map_err(backend)?;
        self.chain.commit(&record);
        let head = self.chain.head();
        self.tx
            .prepare_cached("UPDATE state SET head_count = ?1, head_hash = ?2, head_mac = ?3 WHERE id = 1")
            .map_err(backend)?
            .execute(params![int(head.count)?, head.hash, head.mac])
            .map_err(backend)?;
        Ok(record)
    }

    fn audit_head(&mut self) -> Result<ChainHead, StoreError> {
        read_head(self.tx)
    }

    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StoreError> {
        self.records_from(0)
    }

    fn verify_audit(&mut self, checkpoint: Option<ChainHead>) -> Result<ChainHead, StoreError> {
        self.follow_head()?;
        let records = self.audit_records()?;
        Ok(self.chain.verify_log(&records, checkpoint)?)
    }

    fn audit_checkpoint(&mut self) -> Result<Option<Checkpoint>, StoreError> {
        let (chain, count, hash, mac) = self
            .tx
            .query_row(
                "SELECT chain_id, checkpoint_count, checkpoint_hash, checkpoint_mac FROM state WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .map_err(backend)?;
        decode::checkpoint(chain, count, hash, mac)
    }

    fn verify_audit_tail(&mut self) -> Result<ChainHead, StoreError> {
        self.follow_head()?;
        let checkpoint = self.audit_checkpoint()?;
        let records = self.records_from(decode::tail_start(checkpoint.as_ref())?)?;
        let head = self.chain.verify_from(checkpoint.as_ref(), &records)?;
        let moved = self.chain.checkpoint();
        self.execute(
            "UPDATE state SET checkpoint_count = ?1, checkpoint_hash = ?2, checkpoint_mac = ?3 WHERE id = 1",
            params![int(moved.count())?, moved.hash(), moved.mac()],
        )?;
        Ok(head)
    }
}
