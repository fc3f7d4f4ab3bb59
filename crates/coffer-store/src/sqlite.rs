//! [`SqliteStore`]: one SQLite database file in a data directory.

mod envelope_files;
pub(crate) mod executor;
mod group;
mod schema;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use coffer_door::audit::{AuditChain, AuditKey, ChainId};
use coffer_door::store::{EnvelopeId, StagedEnvelope, Store, StoreError, Transaction};
use rusqlite::{Connection, TransactionBehavior};

use crate::error::OpenError;
use crate::sql;
use crate::ApiKeyTable;
use envelope_files::EnvelopeFiles;
pub use envelope_files::ENVELOPE_DIR;
use executor::{SqliteConn, SqliteTransaction};
use group::Group;

/// The database file's name in the data directory.
pub const DATABASE_FILE: &str = "coffer.db";

/// How long a transaction waits for another writer (another handle or
/// process on the same file) before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The front door's state in one SQLite database file, `coffer.db` in a
/// data directory.
///
/// - WAL journal: readers never block the writer and a commit is one
///   append to the log.
/// - `synchronous=FULL`: the log is fsynced at every commit, so a
///   committed transaction (a state change with its audit record)
///   survives a power cut, not only a process crash. WAL's default,
///   `NORMAL`, may lose the last commits on power loss, which would lose
///   audit records of calls already answered.
/// - Every transaction is `BEGIN IMMEDIATE`: it takes the write lock at
///   its start, so a decision re-checked inside it sees the latest state
///   and nobody commits between the check and the change. Waiting for the
///   lock is bounded by [`BUSY_TIMEOUT`].
/// - Only sealed envelopes are stored: a project key version is the
///   password-sealed envelope of the key. The audit key is not stored (see
///   the crate docs for how it reaches the process).
/// - Stored document envelopes are files in the data directory's
///   `envelopes/` ([`ENVELOPE_DIR`]), written and fsynced before the
///   transaction that links them commits, removed after the one that
///   unlinks them; leftovers of a crash are swept on open
///   ([`Store::sweep_envelopes`]).
///
/// - Group commit (on by default, [`SqliteOptions::group_commit`]):
///   callers of one handle queued at the same time share one transaction
///   and one fsync, each in a savepoint of its own, and each is answered
///   only after the shared commit (see `docs/STORE.md`).
///
/// Several handles, in one process or several, may open the same file:
/// each transaction reads the state version and the audit head from the
/// database, so they see each other's changes at once and extend one
/// chain.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    chain_id: ChainId,
    files: EnvelopeFiles,
    group: Group,
}

/// Prepared statements kept per connection: more than the store runs.
const STATEMENT_CACHE: usize = 64;

/// The most transactions one group commit shares by default.
pub const DEFAULT_MAX_GROUP: usize = 64;

/// How a [`SqliteStore`] commits.
///
/// ```
/// use coffer_store::SqliteOptions;
/// // One transaction and one fsync per call, for comparison.
/// let options = SqliteOptions::default().group_commit(false);
/// assert_eq!(options.max_group_size(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    max_group: usize,
}

impl Default for SqliteOptions {
    /// Group commit on, at most [`DEFAULT_MAX_GROUP`] transactions a group.
    fn default() -> Self {
        SqliteOptions {
            max_group: DEFAULT_MAX_GROUP,
        }
    }
}

impl SqliteOptions {
    /// Group commit on (the default, [`DEFAULT_MAX_GROUP`] transactions a
    /// group at most) or off (every transaction commits and fsyncs alone).
    pub fn group_commit(self, on: bool) -> Self {
        self.max_group(if on { DEFAULT_MAX_GROUP } else { 1 })
    }

    /// At most `members` transactions share one commit (at least 1; 1 turns
    /// group commit off). A bigger group saves more fsyncs and holds the
    /// database's write lock longer.
    pub fn max_group(mut self, members: usize) -> Self {
        self.max_group = members.max(1);
        self
    }

    /// The most transactions one commit shares (1: group commit off).
    pub fn max_group_size(&self) -> usize {
        self.max_group
    }
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> OpenError + '_ {
    move |source| OpenError::Sqlite {
        path: path.to_owned(),
        source,
    }
}

impl SqliteStore {
    /// Opens the store in `data_dir` (created if missing), creating the
    /// database and a new audit chain on first use and migrating an older
    /// schema. The audit key must be the one the chain was started with.
    ///
    /// Opening does not verify the audit chain; a front door opened on the
    /// store does (`FrontDoor::open`).
    ///
    /// # Errors
    ///
    /// [`OpenError::Io`], [`OpenError::Sqlite`],
    /// [`OpenError::SchemaTooNew`] for a database of newer code,
    /// [`OpenError::ForeignAuditKey`] when the stored head does not verify
    /// under `key`.
    pub fn open(data_dir: impl AsRef<Path>, key: AuditKey) -> Result<Self, OpenError> {
        Self::open_with(data_dir, key, SqliteOptions::default())
    }

    /// [`SqliteStore::open`] with `options` (group commit on or off).
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`].
    pub fn open_with(
        data_dir: impl AsRef<Path>,
        key: AuditKey,
        options: SqliteOptions,
    ) -> Result<Self, OpenError> {
        let dir = data_dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(DATABASE_FILE);
        let err = sqlite(&path);
        let mut conn = Connection::open(&path).map_err(&err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(&err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(&err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OpenError::NoWal {
                path: path.clone(),
                mode,
            });
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(&err)?;
        // Every statement a transaction runs is prepared once and cached
        // (rusqlite's default keeps 16, fewer than the store's statements).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        schema::migrate(&mut conn, &err)?;
        let chain = start_chain(&mut conn, key, &err)?;
        drop(err);
        let files = EnvelopeFiles::open(dir).map_err(|source| OpenError::Io {
            path: dir.join(ENVELOPE_DIR),
            source,
        })?;
        let store = SqliteStore {
            path,
            chain_id: chain.chain_id(),
            files: files.clone(),
            group: Group::new(conn, chain, files, options.max_group),
        };
        // Leftovers of a crash (staged and never linked, or unlinked and
        // not yet removed) go before anything else runs.
        store.sweep_envelopes()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The API-key table in this store's database, on a connection of its
    /// own: key checks read beside the store's transactions (WAL readers
    /// never wait for the writer), and a key written waits for the write
    /// lock within [`BUSY_TIMEOUT`].
    ///
    /// # Errors
    ///
    /// [`OpenError::Sqlite`].
    pub fn api_key_table(&self) -> Result<ApiKeyTable, OpenError> {
        let err = sqlite(&self.path);
        let conn = Connection::open(&self.path).map_err(&err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(&err)?;
        Ok(ApiKeyTable::sqlite(conn))
    }
}

/// The store's chain, stored or new (see [`sql::schema::start_chain`]),
/// under the database's write lock.
fn start_chain(
    conn: &mut Connection,
    key: AuditKey,
    err: impl Fn(rusqlite::Error) -> OpenError,
) -> Result<AuditChain, OpenError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&err)?;
    let chain = sql::schema::start_chain(&mut SqliteConn(&tx), key)?;
    tx.commit().map_err(&err)?;
    Ok(chain)
}

impl Store for SqliteStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        self.group.run(&mut |tx: &mut SqliteTransaction<'_>| work(tx))
    }

    fn chain_id(&self) -> ChainId {
        self.chain_id
    }

    /// A new file in `envelopes/`, locked by the writer while it lives.
    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError> {
        Ok(Box::new(self.files.stage()?))
    }

    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn Read + '_>, StoreError> {
        Ok(Box::new(self.files.read(id)?))
    }

    fn release_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        // Under the write lock: no link of it can commit meanwhile.
        self.group.run(&mut |tx: &mut SqliteTransaction<'_>| {
            if tx.in_use(id)? {
                return Ok(false);
            }
            tx.files().remove(id)
        })
    }

    /// Removes every file in `envelopes/` that no document names and whose
    /// writer (in any process) is gone; runs on every open too.
    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        self.group.run(&mut |tx: &mut SqliteTransaction<'_>| {
            let files = tx.files();
            files.sweep(&mut |id| tx.in_use(id))
        })
    }
}
