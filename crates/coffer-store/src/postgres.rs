//! [`PostgresStore`]: the front door's state in a PostgreSQL database, for
//! instances on several machines.

mod envelopes;
pub(crate) mod executor;
mod schema;
mod session_lock;

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use coffer_door::audit::{AuditChain, AuditKey, ChainId};
use coffer_door::store::{EnvelopeId, StagedEnvelope, Store, StoreError, Transaction};
use postgres::{Client, IsolationLevel};
use r2d2_postgres::r2d2::{CustomizeConnection, Pool};
use r2d2_postgres::PostgresConnectionManager;

use crate::error::OpenError;
use crate::pg_connect::{PostgresConnect, PostgresTls};
use crate::sql;
use crate::sql::transaction::SqlTransaction;
use crate::ApiKeyTable;
use envelopes::{ChunkReader, ChunkWriter};
pub use envelopes::{ENVELOPE_CHUNK, STAGING_GRACE};
use executor::{Flags, PgConn, PgSide, PostgresTransaction};
pub use session_lock::PostgresSessionLock;

/// How many times a transaction runs at most when PostgreSQL reports a
/// serialization failure or a deadlock (SQLSTATE `40001`, `40P01`).
pub const MAX_ATTEMPTS: u32 = 5;

/// How long a transaction waits for the state row's lock (held by another
/// transaction of any instance) before failing; also the longest wait for
/// a connection from the pool.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// How many connections one store keeps open at most.
pub const POOL_SIZE: u32 = 8;

type Manager = PostgresConnectionManager<PostgresTls>;

/// The front door's state in a PostgreSQL database, shared by any number
/// of instances on any number of machines.
///
/// - Configured by a connection string, in either form the `postgres`
///   crate accepts: a URL (`postgresql://user@host/database`, a unix
///   socket directory as a percent-encoded host:
///   `postgresql://coffer@%2Frun%2Fpostgresql/coffer`) or key=value pairs
///   (`host=/run/postgresql user=coffer dbname=coffer`). TLS with the
///   server's certificate and host name verified by libpq's parameters
///   `sslmode=verify-full` and `sslrootcert=FILE` ([`PostgresConnect`]);
///   without them, no TLS (a unix socket, a private network or a tunnel).
/// - Connections come from an r2d2 pool ([`POOL_SIZE`]).
/// - Every transaction is `READ COMMITTED` and starts by locking the one
///   `state` row (`SELECT … FOR UPDATE`), which holds the state version and
///   the audit head: transactions of every instance are serialized on that
///   row, so the state a call re-checks is the state its change applies to,
///   and audit appends extend one linear chain. Waiting for the lock is
///   bounded by [`LOCK_TIMEOUT`]. Serialization failures and deadlocks are
///   retried ([`MAX_ATTEMPTS`]).
/// - Changes run under a savepoint, so a refused change leaves nothing.
/// - Only sealed envelopes are stored; the audit key is not.
///
/// See `docs/STORE.md` for the schema and the reasons behind these choices.
#[derive(Debug)]
pub struct PostgresStore {
    chain_id: ChainId,
    pool: Pool<Manager>,
    chain: Mutex<AuditChain>,
}

/// Sets every pooled connection up: the lock timeout and the schema.
#[derive(Debug)]
struct Setup {
    sql: String,
}

impl CustomizeConnection<Client, postgres::Error> for Setup {
    fn on_acquire(&self, conn: &mut Client) -> Result<(), postgres::Error> {
        conn.batch_execute(&self.sql)
    }
}

/// Whether `name` may be a schema name as it is, unquoted: lower-case
/// ASCII letters, digits and `_`, not starting with a digit, at most 63
/// bytes (PostgreSQL's limit).
fn plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl PostgresStore {
    /// Opens the store in the database `url` names (its default schema,
    /// usually `public`), creating the tables and a new audit chain on
    /// first use and migrating an older schema. The audit key must be the
    /// one the chain was started with.
    ///
    /// Opening does not verify the audit chain; a front door opened on the
    /// store does (`FrontDoor::open`).
    ///
    /// # Errors
    ///
    /// [`OpenError::Url`], the TLS settings refused ([`PostgresConnect::parse`]),
    /// [`OpenError::ServerCertificate`], [`OpenError::Postgres`],
    /// [`OpenError::SchemaTooNew`] for a database of newer code,
    /// [`OpenError::ForeignAuditKey`] when the stored head does not verify
    /// under `key`.
    pub fn open(url: &str, key: AuditKey) -> Result<Self, OpenError> {
        Self::connect(url, None, key)
    }

    /// As [`PostgresStore::open`], in the schema `schema` of the database
    /// (created if missing), so several stores can share one database.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::open`], and [`OpenError::SchemaName`] for a name
    /// that is not lower-case letters, digits and `_`.
    pub fn open_in_schema(url: &str, schema: &str, key: AuditKey) -> Result<Self, OpenError> {
        Self::create_schema(url, schema)?;
        Self::connect(url, Some(schema), key)
    }

    /// Creates the schema `schema` in the database `url` names, if
    /// missing (instances doing so together wait for each other), so a
    /// store can be opened in it by a connection string that puts it first
    /// on the search path.
    ///
    /// # Errors
    ///
    /// [`OpenError::SchemaName`] for a name that is not lower-case letters,
    /// digits and `_`, [`OpenError::Url`], the TLS settings refused
    /// ([`PostgresConnect::parse`]), [`OpenError::ServerCertificate`],
    /// [`OpenError::Postgres`].
    pub fn create_schema(url: &str, schema: &str) -> Result<(), OpenError> {
        if !plain_identifier(schema) {
            return Err(OpenError::SchemaName(schema.to_owned()));
        }
        let mut client = PostgresConnect::parse(url)?.connect()?;
        schema::create_schema(&mut client, schema).map_err(OpenError::postgres)
    }

    fn connect(url: &str, namespace: Option<&str>, key: AuditKey) -> Result<Self, OpenError> {
        let connect = PostgresConnect::parse(url)?;
        // One connection before the pool's: a refusal (the server's
        // certificate, say) is reported as itself, at once, not as a pool
        // timing out.
        drop(connect.connect()?);
        let mut sql = format!("SET lock_timeout = {};", LOCK_TIMEOUT.as_millis());
        if let Some(schema) = namespace {
            // Created, and checked by `plain_identifier`: nothing to quote.
            sql.push_str(&format!("SET search_path TO {schema};"));
        }
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(LOCK_TIMEOUT)
            .connection_customizer(Box::new(Setup { sql }))
            .build(PostgresConnectionManager::new(connect.config, connect.tls))
            .map_err(|e| OpenError::Pool(e.to_string()))?;
        let mut client = pool.get().map_err(|e| OpenError::Pool(e.to_string()))?;
        schema::migrate(&mut client)?;
        let chain = start_chain(&mut client, key)?;
        drop(client);
        let store = PostgresStore {
            chain_id: chain.chain_id(),
            pool,
            chain: Mutex::new(chain),
        };
        // Leftovers of crashed writers go at every start.
        store.sweep_envelopes()?;
        Ok(store)
    }

    /// The API-key table in this store's database, on the store's
    /// connection pool.
    pub fn api_key_table(&self) -> ApiKeyTable {
        ApiKeyTable::postgres(self.pool.clone())
    }

    /// One attempt at a transaction: `Err(error)` when PostgreSQL asked
    /// for it to be run again, `Ok(result)` otherwise.
    fn attempt<T, E: From<StoreError>>(&self, work: &mut Work<'_, T, E>) -> Result<Result<T, E>, E> {
        let flags = Flags::default();
        let outcome = (|| {
            let mut client = self.pool.get().map_err(StoreError::backend)?;
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::ReadCommitted)
                .start()
                .map_err(|e| flags.fail(e))?;
            // The lock that serializes every transaction of every instance.
            tx.query_one("SELECT version FROM state WHERE id = 1 FOR UPDATE", &[])
                .map_err(|e| flags.fail(e))?;
            let mut view: PostgresTransaction<'_, '_> = SqlTransaction {
                exec: PgConn {
                    client: &mut tx,
                    flags: &flags,
                },
                side: PgSide { chain: &self.chain },
            };
            // Dropping `tx` without committing rolls it back.
            let value = match work(&mut view) {
                Ok(value) => value,
                Err(error) => return Ok(Err(error)),
            };
            if flags.aborted.get() {
                // `work` went on after a failed statement: nothing of it
                // can commit.
                return Err(StoreError::backend(
                    "a statement failed and the transaction was rolled back",
                ));
            }
            tx.commit().map_err(|e| flags.fail(e))?;
            Ok::<_, StoreError>(Ok(value))
        })();
        match outcome {
            Ok(Err(error)) if flags.retry.get() => Err(error),
            Ok(result) => Ok(result),
            Err(error) if flags.retry.get() => Err(error.into()),
            Err(error) => Ok(Err(error.into())),
        }
    }
}

/// The store's chain: the stored one (its head must verify under `key`),
/// or a new one written with the state row on first use.
fn start_chain(client: &mut Client, key: AuditKey) -> Result<AuditChain, OpenError> {
    let mut tx = client.transaction().map_err(OpenError::postgres)?;
    // Instances starting together on an empty schema: one inserts the row.
    tx.batch_execute("LOCK TABLE state IN SHARE ROW EXCLUSIVE MODE")
        .map_err(OpenError::postgres)?;
    let flags = Flags::default();
    let chain = sql::schema::start_chain(
        &mut PgConn {
            client: &mut tx,
            flags: &flags,
        },
        key,
    )?;
    tx.commit().map_err(OpenError::postgres)?;
    Ok(chain)
}

/// A transaction's work, on the PostgreSQL view of it (the store's own
/// calls use more of it than [`Transaction`]).
type Work<'w, T, E> = dyn FnMut(&mut PostgresTransaction<'_, '_>) -> Result<T, E> + 'w;

impl PostgresStore {
    /// Deletes every envelope no document names that was untouched for
    /// `grace` (a crashed or stalled writer's); how many.
    /// [`Store::sweep_envelopes`] (and every open) uses [`STAGING_GRACE`].
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`].
    pub fn sweep_envelopes_older_than(&self, grace: Duration) -> Result<u64, StoreError> {
        self.run(&mut |tx: &mut PostgresTransaction<'_, '_>| tx.sweep_envelopes(grace))
    }

    /// Runs `work` in a transaction, again when PostgreSQL asks for it.
    fn run<T, E: From<StoreError>>(&self, work: &mut Work<'_, T, E>) -> Result<T, E> {
        let mut attempt = 1;
        loop {
            match self.attempt(work) {
                Ok(result) => return result,
                Err(error) if attempt >= MAX_ATTEMPTS => return Err(error),
                Err(_) => {
                    // A short, growing pause lets the other transaction finish.
                    std::thread::sleep(Duration::from_millis(10_u64 << attempt));
                    attempt += 1;
                }
            }
        }
    }
}

impl Store for PostgresStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        self.run(&mut |tx: &mut PostgresTransaction<'_, '_>| work(tx))
    }

    fn chain_id(&self) -> ChainId {
        self.chain_id
    }

    /// A new `envelopes` row; chunks are committed as they fill.
    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError> {
        Ok(Box::new(ChunkWriter::stage(&self.pool)?))
    }

    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn Read + '_>, StoreError> {
        Ok(Box::new(ChunkReader::open(&self.pool, id)?))
    }

    fn release_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        // In the locked transaction: no link of it can commit meanwhile.
        self.run(&mut |tx: &mut PostgresTransaction<'_, '_>| {
            if sql::transaction::linked(&mut tx.exec, id)? {
                return Ok(false);
            }
            tx.delete_envelope(id)
        })
    }

    /// Deletes envelopes no document names, untouched for
    /// [`STAGING_GRACE`]: a writer alive refreshes its envelope with every
    /// chunk (see [`PostgresStore::sweep_envelopes_older_than`]).
    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        self.sweep_envelopes_older_than(STAGING_GRACE)
    }
}
