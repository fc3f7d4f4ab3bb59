//! The table of a service's API keys, in the store's own database (the
//! SQLite file or the PostgreSQL database), created by the store's
//! migrations (schema version 6).
//!
//! The keys sit beside the front door's state, never in its transactions:
//! a key is checked before a call, not in one. The table is named
//! `coffer_server_api_keys` because the service created it under that name
//! before the store owned it; databases of that time keep their keys.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use coffer_door::store::StoreError;
use r2d2_postgres::r2d2::Pool;
use r2d2_postgres::PostgresConnectionManager;

use crate::pg_connect::PostgresTls;
use crate::postgres::executor::{Flags, PgConn};
use crate::sql::{params, Executor, Row};
use crate::sqlite::executor::SqliteConn;

const INSERT: &str = "INSERT INTO coffer_server_api_keys
    (key_id, principal, verifier, label, created_at, expires_at, revoked_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";
const GET: &str = "SELECT key_id, principal, verifier, label, created_at, expires_at, revoked_at
    FROM coffer_server_api_keys WHERE key_id = $1";
const LIST: &str = "SELECT key_id, principal, verifier, label, created_at, expires_at, revoked_at
    FROM coffer_server_api_keys ORDER BY created_at, key_id";
const REVOKE: &str =
    "UPDATE coffer_server_api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL";

/// One stored API key: its id, the principal it authenticates as (as
/// text), the verifier of its secret, a label, and times in Unix seconds.
/// What these mean is the service's; the store only keeps them.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// The key id, unique.
    pub key_id: String,
    /// The principal, as text.
    pub principal: String,
    /// What a presented secret is checked against (never the secret).
    pub verifier: Vec<u8>,
    /// What the operator called the key.
    pub label: String,
    /// When it was made.
    pub created_at: i64,
    /// When it stops working, if ever.
    pub expires_at: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

impl fmt::Debug for ApiKeyRow {
    /// Everything but the verifier.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyRow")
            .field("key_id", &self.key_id)
            .field("principal", &self.principal)
            .field("label", &self.label)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

impl ApiKeyRow {
    fn read(mut row: Row) -> Result<Self, StoreError> {
        Ok(ApiKeyRow {
            key_id: row.get(0)?,
            principal: row.get(1)?,
            verifier: row.get(2)?,
            label: row.get(3)?,
            created_at: row.get(4)?,
            expires_at: row.get(5)?,
            revoked_at: row.get(6)?,
        })
    }
}

/// The API-key table of a store, on a connection of its own (SQLite) or
/// on the store's connection pool (PostgreSQL). Made by
/// [`SqliteStore::api_key_table`](crate::SqliteStore::api_key_table),
/// [`PostgresStore::api_key_table`](crate::PostgresStore::api_key_table)
/// or [`AnyStore::api_key_table`](crate::AnyStore::api_key_table).
pub struct ApiKeyTable(Engine);

enum Engine {
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(Pool<PostgresConnectionManager<PostgresTls>>),
}

impl fmt::Debug for ApiKeyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Engine::Sqlite(_) => "ApiKeyTable(SQLite)",
            Engine::Postgres(_) => "ApiKeyTable(PostgreSQL)",
        })
    }
}

impl ApiKeyTable {
    pub(crate) fn sqlite(connection: rusqlite::Connection) -> Self {
        ApiKeyTable(Engine::Sqlite(Mutex::new(connection)))
    }

    pub(crate) fn postgres(pool: Pool<PostgresConnectionManager<PostgresTls>>) -> Self {
        ApiKeyTable(Engine::Postgres(pool))
    }

    /// Runs `work` on a connection of the table's database.
    fn with<T>(
        &self,
        work: impl FnOnce(&mut dyn Executor) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.0 {
            Engine::Sqlite(connection) => {
                let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
                work(&mut SqliteConn(&connection))
            }
            Engine::Postgres(pool) => {
                let mut client = pool.get().map_err(StoreError::backend)?;
                let flags = Flags::default();
                work(&mut PgConn {
                    client: &mut *client,
                    flags: &flags,
                })
            }
        }
    }

    /// Stores a new key.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`], also when the key id is taken.
    pub fn insert(&self, row: &ApiKeyRow) -> Result<(), StoreError> {
        let params = params![
            &row.key_id,
            &row.principal,
            &row.verifier,
            &row.label,
            row.created_at,
            row.expires_at,
            row.revoked_at,
        ];
        self.with(|exec| exec.execute(INSERT, params).map(drop))
    }

    /// The key `key_id`, if there is one.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`], or [`StoreError::Corrupt`] for a row of
    /// other types.
    pub fn get(&self, key_id: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let row = self.with(|exec| exec.query_opt(GET, params![key_id]))?;
        row.map(ApiKeyRow::read).transpose()
    }

    /// Every key, oldest first.
    ///
    /// # Errors
    ///
    /// As [`ApiKeyTable::get`].
    pub fn list(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let rows = self.with(|exec| exec.query(LIST, &[]))?;
        rows.into_iter().map(ApiKeyRow::read).collect()
    }

    /// Marks the key `key_id` revoked at `now` (Unix seconds); whether a
    /// key not yet revoked was.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`].
    pub fn revoke(&self, key_id: &str, now: i64) -> Result<bool, StoreError> {
        Ok(self.with(|exec| exec.execute(REVOKE, params![now, key_id]))? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_name_their_parameters_in_order() {
        for sql in [INSERT, GET, REVOKE] {
            crate::sql::statements::assert_in_order(sql);
        }
    }
}
