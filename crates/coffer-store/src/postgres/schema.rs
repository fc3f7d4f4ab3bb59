//! PostgreSQL's spelling of the schema ([`crate::sql::schema`]), and its
//! migrations serialized across instances by an advisory lock.

use postgres::Client;

use super::executor::{Flags, PgConn};
use crate::error::OpenError;
use crate::sql::schema::{self, Dialect};

/// `BIGINT` counters and `BYTEA`; stored envelopes are chunk rows of at
/// most 64 KiB read back one at a time. `size` is set when the writer
/// finished; `touched_at` moves with every chunk, so a sweep can tell a
/// writer that is gone. A document names its envelope through a foreign
/// key, so no envelope a document names is ever deleted.
const DIALECT: Dialect = Dialect {
    int: "BIGINT",
    bytes: "BYTEA",
    strict: "",
    envelopes: "CREATE TABLE envelopes (
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
};

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

/// Brings the schema to the code's version, or refuses a newer one.
/// Instances starting together on an empty database are serialized by a
/// transaction-scoped advisory lock, so each migration runs once.
pub(crate) fn migrate(client: &mut Client) -> Result<(), OpenError> {
    let mut tx = client.transaction().map_err(OpenError::postgres)?;
    // Released at commit or rollback.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(OpenError::postgres)?;
    let flags = Flags::default();
    let version = schema::migrate(
        &mut PgConn {
            client: &mut tx,
            flags: &flags,
        },
        &DIALECT,
    )?;
    tx.commit().map_err(OpenError::postgres)?;
    schema::check(version)
}
