//! The store the service runs on, chosen at start-up: the embedded SQLite
//! data directory (the default) or a PostgreSQL database.

use coffer_store::policy::audit::ChainId;
use coffer_store::{PostgresStore, SqliteStore, Store, StoreError, Transaction};

/// One of the two durable stores, as one [`Store`] type, so the service's
/// handlers are written once.
#[derive(Debug)]
pub enum Backend {
    /// The embedded default: one SQLite database in a data directory.
    Sqlite(SqliteStore),
    /// Several instances on one PostgreSQL database.
    Postgres(PostgresStore),
}

impl Store for Backend {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            Backend::Sqlite(store) => store.transaction(work),
            Backend::Postgres(store) => store.transaction(work),
        }
    }

    fn chain_id(&self) -> ChainId {
        match self {
            Backend::Sqlite(store) => store.chain_id(),
            Backend::Postgres(store) => store.chain_id(),
        }
    }
}
