//! The API-key table, in the front door's own database: SQLite (a
//! connection of its own on the data directory's database file) or
//! PostgreSQL (a pool of its own on the same URL), with versioned
//! migrations recorded in `coffer_server_migrations`.
//!
//! The service's tables sit beside the store's, never in them: the store's
//! schema belongs to `coffer-store` and its migrations, and a key table
//! needs none of the store's transactions (a key is checked before a call,
//! never in one).

use std::fmt;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use coffer_store::policy::Principal;
use coffer_store::{PostgresConnect, PostgresTls};
use r2d2_postgres::r2d2::Pool;
use r2d2_postgres::PostgresConnectionManager;
use time::OffsetDateTime;

use super::{ApiKeyError, ApiKeyInfo};

/// The migrations, oldest first: version, SQLite text, PostgreSQL text.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "CREATE TABLE coffer_server_api_keys (
         key_id TEXT PRIMARY KEY, principal TEXT NOT NULL, verifier BLOB NOT NULL,
         label TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER)",
    "CREATE TABLE coffer_server_api_keys (
         key_id TEXT PRIMARY KEY, principal TEXT NOT NULL, verifier BYTEA NOT NULL,
         label TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT)",
)];

/// The queries, written once for both engines: SQLite numbers `$n`
/// parameters by first appearance, and each query names them in order.
const INSERT: &str = "INSERT INTO coffer_server_api_keys
    (key_id, principal, verifier, label, created_at, expires_at, revoked_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";
const SELECT: &str = "SELECT key_id, principal, verifier, label, created_at, expires_at, revoked_at
    FROM coffer_server_api_keys";
const REVOKE: &str =
    "UPDATE coffer_server_api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL";

/// One stored key.
#[derive(Debug, Clone)]
pub(super) struct KeyRow {
    pub(super) key_id: String,
    pub(super) principal: String,
    pub(super) verifier: Vec<u8>,
    pub(super) label: String,
    pub(super) created_at: i64,
    pub(super) expires_at: Option<i64>,
    pub(super) revoked_at: Option<i64>,
}

impl KeyRow {
    pub(super) fn info(&self) -> Result<ApiKeyInfo, ApiKeyError> {
        let corrupt = || ApiKeyError::Corrupt(self.key_id.clone());
        let time = |at: i64| OffsetDateTime::from_unix_timestamp(at).map_err(|_| corrupt());
        Ok(ApiKeyInfo {
            key_id: self.key_id.clone(),
            principal: self.principal.parse::<Principal>().map_err(|_| corrupt())?,
            label: self.label.clone(),
            created_at: time(self.created_at)?,
            expires_at: self.expires_at.map(time).transpose()?,
            revoked_at: self.revoked_at.map(time).transpose()?,
        })
    }
}

/// Where the keys are kept.
pub enum KeyTable {
    /// In the SQLite database file of a data directory.
    Sqlite(Mutex<rusqlite::Connection>),
    /// In a PostgreSQL database.
    Postgres(Pool<PostgresConnectionManager<PostgresTls>>),
}

impl fmt::Debug for KeyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyTable::Sqlite(_) => "KeyTable::Sqlite",
            KeyTable::Postgres(_) => "KeyTable::Postgres",
        })
    }
}

fn too_new(found: i64) -> Result<(), ApiKeyError> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if found > known {
        return Err(ApiKeyError::SchemaTooNew { found, known });
    }
    Ok(())
}

impl KeyTable {
    /// The table in the SQLite database at `database` (the store's file),
    /// migrated to the latest version.
    ///
    /// # Errors
    ///
    /// The database failing, or [`ApiKeyError::SchemaTooNew`].
    pub fn open_sqlite(database: &Path) -> Result<Self, ApiKeyError> {
        let mut connection = rusqlite::Connection::open(database)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "CREATE TABLE IF NOT EXISTS coffer_server_migrations (version INTEGER PRIMARY KEY)",
            [],
        )?;
        let found: i64 = tx.query_row(
            "SELECT coalesce(max(version), 0) FROM coffer_server_migrations",
            [],
            |row| row.get(0),
        )?;
        too_new(found)?;
        for (version, sql, _) in MIGRATIONS.iter().filter(|m| m.0 > found) {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO coffer_server_migrations (version) VALUES ($1)",
                [version],
            )?;
        }
        tx.commit()?;
        Ok(KeyTable::Sqlite(Mutex::new(connection)))
    }

    /// The table in the PostgreSQL database at `url`, migrated to the
    /// latest version (migrations of several instances starting at once
    /// are serialized by an advisory lock).
    ///
    /// # Errors
    ///
    /// The database failing, or [`ApiKeyError::SchemaTooNew`].
    pub fn open_postgres(url: &str) -> Result<Self, ApiKeyError> {
        let connect = PostgresConnect::parse(url)?;
        // One connection first: a refused certificate is reported as
        // itself, not as the pool timing out.
        drop(connect.connect()?);
        let pool = Pool::builder()
            .max_size(4)
            .build(PostgresConnectionManager::new(connect.config, connect.tls))?;
        let mut client = pool.get()?;
        let mut tx = client.transaction()?;
        // The key is arbitrary and constant: "coffer-server migrations".
        tx.execute("SELECT pg_advisory_xact_lock(7302170312665402)", &[])?;
        tx.execute(
            "CREATE TABLE IF NOT EXISTS coffer_server_migrations (version BIGINT PRIMARY KEY)",
            &[],
        )?;
        let found: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM coffer_server_migrations",
                &[],
            )?
            .get(0);
        too_new(found)?;
        for (version, _, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO coffer_server_migrations (version) VALUES ($1)",
                &[version],
            )?;
        }
        tx.commit()?;
        drop(client);
        Ok(KeyTable::Postgres(pool))
    }

    fn sqlite<T>(
        connection: &Mutex<rusqlite::Connection>,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ApiKeyError> {
        Ok(work(&connection.lock().unwrap_or_else(PoisonError::into_inner))?)
    }

    pub(super) fn insert(&self, row: &KeyRow) -> Result<(), ApiKeyError> {
        match self {
            KeyTable::Sqlite(connection) => Self::sqlite(connection, |c| {
                c.execute(
                    INSERT,
                    rusqlite::params![
                        row.key_id,
                        row.principal,
                        row.verifier,
                        row.label,
                        row.created_at,
                        row.expires_at,
                        row.revoked_at
                    ],
                )
                .map(drop)
            }),
            KeyTable::Postgres(pool) => {
                pool.get()?.execute(
                    INSERT,
                    &[
                        &row.key_id,
                        &row.principal,
                        &row.verifier,
                        &row.label,
                        &row.created_at,
                        &row.expires_at,
                        &row.revoked_at,
                    ],
                )?;
                Ok(())
            }
        }
    }

    pub(super) fn get(&self, key_id: &str) -> Result<Option<KeyRow>, ApiKeyError> {
        let query = format!("{SELECT} WHERE key_id = $1");
        Ok(self.select(&query, key_id)?.pop())
    }

    pub(super) fn list(&self) -> Result<Vec<KeyRow>, ApiKeyError> {
        // Every key id matches the pattern; one query shape for both uses.
        let query = format!("{SELECT} WHERE key_id LIKE $1 ORDER BY created_at, key_id");
        self.select(&query, "%")
    }

    fn select(&self, query: &str, parameter: &str) -> Result<Vec<KeyRow>, ApiKeyError> {
        match self {
            KeyTable::Sqlite(connection) => Self::sqlite(connection, |c| {
                let mut statement = c.prepare(query)?;
                let rows = statement.query_map([parameter], |r| {
                    Ok(KeyRow {
                        key_id: r.get(0)?,
                        principal: r.get(1)?,
                        verifier: r.get(2)?,
                        label: r.get(3)?,
                        created_at: r.get(4)?,
                        expires_at: r.get(5)?,
                        revoked_at: r.get(6)?,
                    })
                })?;
                rows.collect()
            }),
            KeyTable::Postgres(pool) => Ok(pool
                .get()?
                .query(query, &[&parameter])?
                .iter()
                .map(|r| KeyRow {
                    key_id: r.get(0),
                    principal: r.get(1),
                    verifier: r.get(2),
                    label: r.get(3),
                    created_at: r.get(4),
                    expires_at: r.get(5),
                    revoked_at: r.get(6),
                })
                .collect()),
        }
    }

    pub(super) fn revoke(&self, key_id: &str, now: i64) -> Result<bool, ApiKeyError> {
        let changed = match self {
            KeyTable::Sqlite(connection) => {
                Self::sqlite(connection, |c| c.execute(REVOKE, rusqlite::params![now, key_id]))?
            }
            KeyTable::Postgres(pool) => {
                usize::try_from(pool.get()?.execute(REVOKE, &[&now, &key_id])?).unwrap_or(usize::MAX)
            }
        };
        Ok(changed > 0)
    }
}
