//! The database schema and its migrations, versioned in the code, written
//! once for both engines.
//!
//! `schema_version` holds one row per migration applied. Opening applies
//! every migration newer than the database's version in one transaction,
//! and refuses a database whose version is newer than the code's
//! ([`OpenError::SchemaTooNew`]): older code must not write tables it does
//! not know. A migration is never changed once released (its rendering in
//! each engine's types stays what it was); a change is a new migration
//! appended to [`MIGRATIONS`].
//!
//! Both engines have the same tables and columns, in their own types
//! ([`Dialect`]): SQLite `STRICT` tables of `INTEGER` and `BLOB`,
//! PostgreSQL `BIGINT` counters and `BYTEA`. Only stored envelopes differ
//! (migration 3): files beside a SQLite database, chunk rows in
//! PostgreSQL.

use std::time::{SystemTime, UNIX_EPOCH};

use coffer_door::audit::{AuditChain, AuditKey, ChainId};
use coffer_door::store::StoreError;
use ring::rand::SystemRandom;

use super::decode::{self, corrupt};
use super::transaction::stored_head;
use super::{params, statements, Executor};
use crate::error::OpenError;

/// One engine's spelling of the schema's types.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// A counter or time (`{int}`): 64 bits.
    pub(crate) int: &'static str,
    /// Bytes (`{bytes}`): ids, hashes, MACs, sealed envelopes.
    pub(crate) bytes: &'static str,
    /// What follows a table's columns (`{strict}`).
    pub(crate) strict: &'static str,
    /// Migration 3 (`{envelopes}`): where stored envelopes live.
    pub(crate) envelopes: &'static str,
}

impl Dialect {
    /// A template in this engine's types.
    fn render(&self, template: &str) -> String {
        template
            .replace("{envelopes}", self.envelopes)
            .replace("{int}", self.int)
            .replace("{bytes}", self.bytes)
            .replace("{strict}", self.strict)
    }
}

const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY,
        applied_at {int} NOT NULL
    ){strict};";

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`.
const MIGRATIONS: &[&str] = &[
    // 1: the front door's state and audit chain.
    "CREATE TABLE state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version {int} NOT NULL,
        chain_id {bytes} NOT NULL CHECK (length(chain_id) = 32),
        head_count {int} NOT NULL,
        head_hash {bytes} NOT NULL CHECK (length(head_hash) = 32),
        head_mac {bytes} NOT NULL CHECK (length(head_mac) = 32)
    ){strict};
    CREATE TABLE tenant_roles (
        tenant TEXT NOT NULL,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (tenant, principal)
    ){strict};
    CREATE TABLE projects (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        generation {int} NOT NULL,
        PRIMARY KEY (tenant, project)
    ){strict};
    CREATE TABLE project_members (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (tenant, project, principal),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    ){strict};
    CREATE TABLE project_keys (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        version {int} NOT NULL CHECK (version >= 1),
        sealed {bytes} NOT NULL,
        PRIMARY KEY (tenant, project, version),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    ){strict};
    CREATE TABLE policies (
        version {int} PRIMARY KEY CHECK (version >= 1),
        document TEXT NOT NULL,
        digest {bytes} NOT NULL CHECK (length(digest) = 32),
        installed_by TEXT NOT NULL,
        installed_at {int} NOT NULL
    ){strict};
    CREATE TABLE audit_records (
        seq {int} PRIMARY KEY CHECK (seq >= 0),
        record TEXT NOT NULL
    ){strict};",
    // 2: document metadata (`Change::PutDocument`).
    "CREATE TABLE documents (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        document TEXT NOT NULL,
        plaintext_size {int} NOT NULL CHECK (plaintext_size >= 0),
        envelope_size {int} NOT NULL CHECK (envelope_size >= 0),
        suite TEXT NOT NULL,
        key_version {int} NOT NULL,
        created_by TEXT NOT NULL,
        created_at {int} NOT NULL,
        PRIMARY KEY (tenant, project, document),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    ){strict};",
    // 3: stored envelopes, and `documents.envelope` naming a document's.
    "{envelopes}",
    // 4: the audit checkpoint beside the head (all three columns set, or
    // none: no checkpoint yet).
    "ALTER TABLE state ADD COLUMN checkpoint_count {int} CHECK (checkpoint_count >= 0);
    ALTER TABLE state ADD COLUMN checkpoint_hash {bytes} CHECK (length(checkpoint_hash) = 32);
    ALTER TABLE state ADD COLUMN checkpoint_mac {bytes} CHECK (length(checkpoint_mac) = 32);",
    // 5: members' public keys, and project key versions sealed to them.
    "CREATE TABLE public_keys (
        tenant TEXT NOT NULL,
        principal TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        fingerprint {bytes} NOT NULL CHECK (length(fingerprint) = 16),
        public_key {bytes} NOT NULL,
        registered_at {int} NOT NULL,
        PRIMARY KEY (tenant, principal)
    ){strict};
    CREATE TABLE key_grants (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        principal TEXT NOT NULL,
        version {int} NOT NULL CHECK (version >= 1),
        fingerprint {bytes} NOT NULL CHECK (length(fingerprint) = 16),
        sealed {bytes} NOT NULL,
        PRIMARY KEY (tenant, project, principal, version),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    ){strict};",
    // 6: a service's API keys (`crate::ApiKeyTable`). The service made this
    // table itself before the store owned it, with its own migrations
    // table: a database of that time keeps its table (and keys), the same
    // columns (and, on SQLite, the same loose typing), and loses only the
    // migrations table, which nothing reads any more.
    "CREATE TABLE IF NOT EXISTS coffer_server_api_keys (
        key_id TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        verifier {bytes} NOT NULL,
        label TEXT NOT NULL,
        created_at {int} NOT NULL,
        expires_at {int},
        revoked_at {int}
    );
    DROP TABLE IF EXISTS coffer_server_migrations;",
];

/// The schema version this code writes: the number of migrations.
pub const SCHEMA_VERSION: u32 = 6;

const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

/// Brings the database to [`SCHEMA_VERSION`], or returns the newer version
/// found. Runs in a transaction the caller began with the lock that keeps
/// other processes out meanwhile, and commits.
pub(crate) fn migrate(exec: &mut impl Executor, dialect: &Dialect) -> Result<u32, StoreError> {
    exec.batch(&dialect.render(VERSION_TABLE))?;
    let current: Option<i64> = exec
        .query_one("SELECT max(version) FROM schema_version", &[])?
        .get(0)?;
    let current = u32::try_from(current.unwrap_or(0))
        .map_err(|_| corrupt(format!("schema version {current:?} out of range")))?;
    if current > SCHEMA_VERSION {
        return Ok(current);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
    for (version, migration) in (1..=SCHEMA_VERSION).zip(MIGRATIONS).skip(current as usize) {
        exec.batch(&dialect.render(migration))?;
        exec.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
            params![i64::from(version), now],
        )?;
    }
    Ok(SCHEMA_VERSION)
}

/// [`migrate`]'s version, with a newer one as [`OpenError::SchemaTooNew`].
pub(crate) fn check(version: u32) -> Result<(), OpenError> {
    if version > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// The store's chain: the stored one (its head must verify under `key`),
/// or a new one written with the state row on first use. Runs in a
/// transaction the caller began with a lock that keeps other instances
/// from starting a chain meanwhile, and commits.
pub(crate) fn start_chain(exec: &mut impl Executor, key: AuditKey) -> Result<AuditChain, OpenError> {
    if let Some(head) = stored_head(exec)? {
        return decode::resume_chain(key, &head);
    }
    let id = ChainId::generate(&SystemRandom::new()).map_err(StoreError::Audit)?;
    let chain = AuditChain::new(key, id);
    let head = chain.head();
    exec.execute(
        statements::INSERT_STATE,
        params![id.as_bytes(), &head.hash, &head.mac],
    )?;
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of a template is one a dialect fills in.
    #[test]
    fn migrations_render_every_token() {
        let dialect = Dialect {
            int: "I",
            bytes: "B",
            strict: "",
            envelopes: "E",
        };
        for template in MIGRATIONS.iter().chain([&VERSION_TABLE]) {
            let rendered = dialect.render(template);
            assert!(!rendered.contains('{') && !rendered.contains('}'), "{rendered}");
        }
    }
}
