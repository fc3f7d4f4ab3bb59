//! The PostgreSQL schema and its migrations, versioned in the code as
//! SQLite's are (`crate::schema`): the same tables and columns in
//! PostgreSQL's types, the same numbering, so both backends are at
//! [`SCHEMA_VERSION`](crate::SCHEMA_VERSION) together.

use postgres::Client;

use crate::schema::SCHEMA_VERSION;

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`.
/// Never edited once released; a change is a new migration.
const MIGRATIONS: &[&str] = &[
    // 1: the front door's state and audit chain.
    "CREATE TABLE state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version BIGINT NOT NULL,
        chain_id BYTEA NOT NULL CHECK (length(chain_id) = 32),
        head_count BIGINT NOT NULL,
        head_hash BYTEA NOT NULL CHECK (length(head_hash) = 32),
        head_mac BYTEA NOT NULL CHECK (length(head_mac) = 32)
    );
    CREATE TABLE tenant_roles (
        tenant TEXT NOT NULL,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (tenant, principal)
    );
    CREATE TABLE projects (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        generation BIGINT NOT NULL,
        PRIMARY KEY (tenant, project)
    );
    CREATE TABLE project_members (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (tenant, project, principal),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    );
    CREATE TABLE project_keys (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        version BIGINT NOT NULL CHECK (version >= 1),
        sealed BYTEA NOT NULL,
        PRIMARY KEY (tenant, project, version),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    );
    CREATE TABLE policies (
        version BIGINT PRIMARY KEY CHECK (version >= 1),
        document TEXT NOT NULL,
        digest BYTEA NOT NULL CHECK (length(digest) = 32),
        installed_by TEXT NOT NULL,
        installed_at BIGINT NOT NULL
    );
    CREATE TABLE audit_records (
        seq BIGINT PRIMARY KEY CHECK (seq >= 0),
        record TEXT NOT NULL
    );",
    // 2: document metadata (`Change::PutDocument`).
    "CREATE TABLE documents (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        document TEXT NOT NULL,
        plaintext_size BIGINT NOT NULL CHECK (plaintext_size >= 0),
        envelope_size BIGINT NOT NULL CHECK (envelope_size >= 0),
        suite TEXT NOT NULL,
        key_version BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, project, document),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    );",
    // 3: stored envelopes, in chunks of at most 64 KiB read back one at a
    // time. `size` is set when the writer finished; `touched_at` moves
    // with every chunk, so a sweep can tell a writer that is gone. A
    // document names its envelope through a foreign key, so no envelope a
    // document names is ever deleted.
    "CREATE TABLE envelopes (
        id TEXT PRIMARY KEY CHECK (length(id) = 32),
        size BIGINT CHECK (size >= 0),
        touched_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE TABLE envelope_chunks (
        envelope TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL CHECK (seq >= 0),
        data BYTEA NOT NULL,
        PRIMARY KEY (envelope, seq)
    );
    ALTER TABLE documents ADD COLUMN envelope TEXT REFERENCES envelopes (id);
    CREATE UNIQUE INDEX documents_by_envelope ON documents (envelope) WHERE envelope IS NOT NULL;",
    // 4: the audit checkpoint beside the head (all three columns set, or
    // none: no checkpoint yet).
    "ALTER TABLE state
        ADD COLUMN checkpoint_count BIGINT CHECK (checkpoint_count >= 0),
        ADD COLUMN checkpoint_hash BYTEA CHECK (length(checkpoint_hash) = 32),
        ADD COLUMN checkpoint_mac BYTEA CHECK (length(checkpoint_mac) = 32);",
    // 5: members' public keys, and project key versions sealed to them.
    "CREATE TABLE public_keys (
        tenant TEXT NOT NULL,
        principal TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        fingerprint BYTEA NOT NULL CHECK (length(fingerprint) = 16),
        public_key BYTEA NOT NULL,
        registered_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, principal)
    );
    CREATE TABLE key_grants (
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        principal TEXT NOT NULL,
        version BIGINT NOT NULL CHECK (version >= 1),
        fingerprint BYTEA NOT NULL CHECK (length(fingerprint) = 16),
        sealed BYTEA NOT NULL,
        PRIMARY KEY (tenant, project, principal, version),
        FOREIGN KEY (tenant, project) REFERENCES projects (tenant, project)
    );",
];

const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

/// The advisory lock key that serializes schema creation and migrations
/// (the ASCII of `cofrmigr`), per database.
pub(crate) const MIGRATION_LOCK: i64 = 7_165_058_173_817_677_682;

/// Creates `schema` if missing; instances starting together wait for each
/// other (a bare `CREATE SCHEMA IF NOT EXISTS` may fail when another
/// session creates the same schema at the same moment). `schema` must be a
/// plain identifier: it is not quoted.
pub(crate) fn create_schema(client: &mut Client, schema: &str) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
    tx.commit()
}

/// Brings the schema to [`SCHEMA_VERSION`], or returns the newer version
/// found. Instances starting together on an empty database are serialized
/// by a transaction-scoped advisory lock, so each migration runs once.
pub(crate) fn migrate(client: &mut Client) -> Result<u32, postgres::Error> {
    let mut tx = client.transaction()?;
    // Released at commit or rollback.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            applied_at BIGINT NOT NULL
         );",
    )?;
    let current: Option<i32> = tx
        .query_one("SELECT max(version) FROM schema_version", &[])?
        .try_get(0)?;
    let current = u32::try_from(current.unwrap_or(0)).unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Ok(current);
    }
    for (version, migration) in (1..=SCHEMA_VERSION).zip(MIGRATIONS).skip(current as usize) {
        tx.batch_execute(migration)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at)
             VALUES ($1, extract(epoch FROM now())::bigint)",
            &[&i32::try_from(version).unwrap_or(i32::MAX)],
        )?;
    }
    tx.commit()?;
    Ok(SCHEMA_VERSION)
}
