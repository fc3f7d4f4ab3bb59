//! [`AnyStore`]: a store chosen at start-up, the embedded SQLite data
//! directory or a PostgreSQL database.

use std::io::Read;

use coffer_door::audit::ChainId;
use coffer_door::store::{EnvelopeId, StagedEnvelope, Store, StoreError, Transaction};

use crate::{ApiKeyTable, OpenError, PostgresStore, SqliteStore};

/// One of the two durable stores as one [`Store`] type, so code above it
/// (a service's handlers) is written once for both.
///
/// ```no_run
/// use coffer_store::{load_or_create_key_file, AnyStore, SqliteStore};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = load_or_create_key_file("/etc/coffer/audit.key")?;
/// let store = AnyStore::Sqlite(SqliteStore::open("/var/lib/coffer", key)?);
/// let keys = store.api_key_table()?;
/// # Ok(()) }
/// ```
#[allow(
    clippy::large_enum_variant,
    reason = "one value per process, behind an `Arc`: the size difference costs nothing, and boxing would add an indirection to every call"
)]
#[derive(Debug)]
pub enum AnyStore {
    /// The embedded default: one SQLite database in a data directory.
    Sqlite(SqliteStore),
    /// Several instances on one PostgreSQL database.
    Postgres(PostgresStore),
}

impl AnyStore {
    /// The API-key table in the store's database.
    ///
    /// # Errors
    ///
    /// [`OpenError::Sqlite`] (a SQLite store opens a connection for it).
    pub fn api_key_table(&self) -> Result<ApiKeyTable, OpenError> {
        match self {
            AnyStore::Sqlite(store) => store.api_key_table(),
            AnyStore::Postgres(store) => Ok(store.api_key_table()),
        }
    }
}

impl Store for AnyStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            AnyStore::Sqlite(store) => store.transaction(work),
            AnyStore::Postgres(store) => store.transaction(work),
        }
    }

    fn chain_id(&self) -> ChainId {
        match self {
            AnyStore::Sqlite(store) => store.chain_id(),
            AnyStore::Postgres(store) => store.chain_id(),
        }
    }

    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError> {
        match self {
            AnyStore::Sqlite(store) => store.stage_envelope(),
            AnyStore::Postgres(store) => store.stage_envelope(),
        }
    }

    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn Read + '_>, StoreError> {
        match self {
            AnyStore::Sqlite(store) => store.read_envelope(id),
            AnyStore::Postgres(store) => store.read_envelope(id),
        }
    }

    fn release_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        match self {
            AnyStore::Sqlite(store) => store.release_envelope(id),
            AnyStore::Postgres(store) => store.release_envelope(id),
        }
    }

    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        match self {
            AnyStore::Sqlite(store) => store.sweep_envelopes(),
            AnyStore::Postgres(store) => store.sweep_envelopes(),
        }
    }
}
