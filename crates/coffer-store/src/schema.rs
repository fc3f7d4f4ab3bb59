//! The database schema and its migrations, versioned in the code.
//!
//! `schema_version` holds one row per migration applied. Opening applies
//! every migration newer than the database's version in one transaction,
//! and refuses a database whose version is newer than the code's
//! ([`OpenError::SchemaTooNew`]): older code must not write tables it does
//! not know. A migration is never edited once released; a change is a new
//! migration appended to [`MIGRATIONS`].

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::OpenError;

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the front door's state and audit chain.
    "CREATE TABLE state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        chain_id BLOB NOT NULL CHECK (length(chain_id) = 32),
        head_count INTEGER NOT NULL,
        head_hash BLOB NOT NULL CHECK (length(head_hash) = 32),
        head_mac BLOB NOT NULL CHECK (length(head_mac) = 32)
    ) STRICT;
    CREATE TABLE tenant_roles (
        tenant TEXT NOT NULL,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (tenant, principal)
    ) STRICT;
    CREATE TABLE projects (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        generation INTEGER NOT NULL,
        PRIMARY KEY (tenant, project)
    ) STRICT;
    CREATE TABLE project_members (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (tenant, project, principal),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    ) STRICT;
    CREATE TABLE project_keys (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        sealed BLOB NOT NULL,
        PRIMARY KEY (tenant, project, version),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    ) STRICT;
    CREATE TABLE policies (
        version INTEGER PRIMARY KEY CHECK (version >= 1),
        document TEXT NOT NULL,
        digest BLOB NOT NULL CHECK (length(digest) = 32),
        installed_by TEXT NOT NULL,
        installed_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE audit_records (
        seq INTEGER PRIMARY KEY CHECK (seq >= 0),
        record TEXT NOT NULL
    ) STRICT;",
    // 2: document metadata (`Change::PutDocument`).
    "CREATE TABLE documents (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        document TEXT NOT NULL,
        plaintext_size INTEGER NOT NULL CHECK (plaintext_size >= 0),
        envelope_size INTEGER NOT NULL CHECK (envelope_size >= 0),
        suite TEXT NOT NULL,
        key_version INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, project, document),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    ) STRICT;",
    // 3: stored envelopes. The bytes are files in the data directory's
    // `envelopes/` (named by id); a document names its envelope here.
    "ALTER TABLE documents ADD COLUMN envelope TEXT
        CHECK (envelope IS NULL OR length(envelope) = 32);
    CREATE UNIQUE INDEX documents_by_envelope ON documents (envelope) WHERE envelope IS NOT NULL;",
    // 4: the audit checkpoint beside the head (all three columns set, or
    // none: no checkpoint yet).
    "ALTER TABLE state ADD COLUMN checkpoint_count INTEGER CHECK (checkpoint_count >= 0);
    ALTER TABLE state ADD COLUMN checkpoint_hash BLOB CHECK (length(checkpoint_hash) = 32);
    ALTER TABLE state ADD COLUMN checkpoint_mac BLOB CHECK (length(checkpoint_mac) = 32);",
    // 5: members' public keys, and project key versions sealed to them.
    "CREATE TABLE public_keys (
        tenant TEXT NOT NULL,
        principal TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        fingerprint BLOB NOT NULL CHECK (length(fingerprint) = 16),
        public_key BLOB NOT NULL,
        registered_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, principal)
    ) STRICT;
    CREATE TABLE key_grants (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        principal TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        fingerprint BLOB NOT NULL CHECK (length(fingerprint) = 16),
        sealed BLOB NOT NULL,
        PRIMARY KEY (tenant, project, principal, version),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    ) STRICT;",
];

/// The schema version this code writes: the number of migrations.
pub const SCHEMA_VERSION: u32 = 5;

const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

/// Brings the database to [`SCHEMA_VERSION`], or refuses a newer one.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, rusqlite::Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL
        ) STRICT;",
    )?;
    let current: u32 = tx
        .query_row("SELECT max(version) FROM schema_version", [], |row| {
            row.get::<_, Option<u32>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Ok(current);
    }
    for (version, migration) in (1..=SCHEMA_VERSION).zip(MIGRATIONS).skip(current as usize) {
        tx.execute_batch(migration)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, unixepoch())",
            [version],
        )?;
    }
    tx.commit()?;
    Ok(SCHEMA_VERSION)
}

/// [`migrate`], with a newer database as [`OpenError::SchemaTooNew`].
pub(crate) fn check(version: u32) -> Result<(), OpenError> {
    if version > SCHEMA_VERSION {
        return Err(OpenError::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}
