//! The store the service runs on, chosen at start-up: the embedded SQLite
//! data directory (the default) or a PostgreSQL database.

use std::io::Read;

use coffer_store::audit::ChainId;
use coffer_store::door::store::{EnvelopeId, StagedEnvelope};
use coffer_store::{PostgresStore, SqliteStore, Store, StoreError, Transaction};

/// One of the two durable stores, as one [`Store`] type, so the service's
/// handlers are written once.
#[allow(
    clippy::large_enum_variant,
    reason = "one value per process, behind an `Arc`: the size difference costs nothing, and boxing would add an indirection to every call"
)]
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

    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError> {
        match self {
            Backend::Sqlite(store) => store.stage_envelope(),
            Backend::Postgres(store) => store.stage_envelope(),
        }
    }

    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn Read + '_>, StoreError> {
        match self {
            Backend::Sqlite(store) => store.read_envelope(id),
            Backend::Postgres(store) => store.read_envelope(id),
        }
    }

    fn release_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        match self {
            Backend::Sqlite(store) => store.release_envelope(id),
            Backend::Postgres(store) => store.release_envelope(id),
        }
    }

    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        match self {
            Backend::Sqlite(store) => store.sweep_envelopes(),
            Backend::Postgres(store) => store.sweep_envelopes(),
        }
    }
}
