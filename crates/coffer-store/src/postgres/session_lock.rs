//! [`PostgresSessionLock`]: a claim one process at a time may hold on a
//! store in a PostgreSQL database.

use postgres::Client;

use crate::error::OpenError;
use crate::pg_connect::PostgresConnect;

/// A session-level advisory lock on a connection of its own, keyed by the
/// schema a connection to the database works in and a name: held until
/// dropped, and released by the database server when the connection ends,
/// however the process ends (no lease to expire, nothing in the schema).
/// A connection lost meanwhile gives the lock up silently, so it is a
/// check at start-up (a service's instance tag), not a fence.
pub struct PostgresSessionLock {
    _session: Box<Client>,
}

impl std::fmt::Debug for PostgresSessionLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresSessionLock")
    }
}

impl PostgresSessionLock {
    /// Takes the lock `name` in the schema a connection to `url` works in,
    /// or `None` when another session holds it. Blocks (the client drives a
    /// runtime of its own: call it outside an async runtime).
    ///
    /// # Errors
    ///
    /// As [`PostgresConnect::parse`] and [`PostgresConnect::connect`].
    pub fn try_lock(url: &str, name: &str) -> Result<Option<Self>, OpenError> {
        let mut client = PostgresConnect::parse(url)?.connect()?;
        let locked: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':' || $1, 0))",
                &[&name],
            )
            .and_then(|row| row.try_get(0))
            .map_err(OpenError::postgres)?;
        Ok(locked.then(|| PostgresSessionLock {
            _session: Box::new(client),
        }))
    }
}
