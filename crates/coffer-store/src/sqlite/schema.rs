//! SQLite's spelling of the schema ([`crate::sql::schema`]), and its
//! migrations run under the database's write lock.

use rusqlite::{Connection, TransactionBehavior};

use super::executor::SqliteConn;
use crate::error::OpenError;
use crate::sql::schema::{self, Dialect};

/// `STRICT` tables of SQLite's own types; envelope bytes are files in the
/// data directory's `envelopes/`, named by id, and a document names its
/// envelope by that id.
const DIALECT: Dialect = Dialect {
    int: "INTEGER",
    bytes: "BLOB",
    strict: " STRICT",
    envelopes: "ALTER TABLE documents ADD COLUMN envelope TEXT
        CHECK (envelope IS NULL OR length(envelope) = 32);
    CREATE UNIQUE INDEX documents_by_envelope ON documents (envelope) WHERE envelope IS NOT NULL;",
};

/// Brings the database to the code's schema version in one `BEGIN
/// IMMEDIATE` transaction (other processes wait), or refuses a newer one.
/// `err` names the database in an engine's error.
pub(crate) fn migrate(
    conn: &mut Connection,
    err: impl Fn(rusqlite::Error) -> OpenError,
) -> Result<(), OpenError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&err)?;
    let version = schema::migrate(&mut SqliteConn(&tx), &DIALECT)?;
    tx.commit().map_err(&err)?;
    schema::check(version)
}
