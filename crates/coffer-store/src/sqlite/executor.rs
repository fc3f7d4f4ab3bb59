//! The shared SQL on a SQLite connection: statements prepared once per
//! connection and cached, envelope bytes in files beside the database.

use coffer_door::audit::AuditChain;
use coffer_door::store::{EnvelopeId, StoreError};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params_from_iter, Connection, ToSql};

use super::envelope_files::EnvelopeFiles;
use crate::sql::decode::corrupt;
use crate::sql::transaction::{linked, Side, SqlTransaction};
use crate::sql::{Executor, Param, Row, Value};

/// A connection (inside a transaction or not) as an [`Executor`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SqliteConn<'c>(pub(crate) &'c Connection);

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
}

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Param::Null => ValueRef::Null,
            Param::Int(n) => ValueRef::Integer(n),
            Param::Text(text) => ValueRef::Text(text.as_bytes()),
            Param::Bytes(bytes) => ValueRef::Blob(bytes),
        }))
    }
}

fn value(column: ValueRef<'_>) -> Result<Value, StoreError> {
    Ok(match column {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Text(text) => Value::Text(std::str::from_utf8(text).map_err(corrupt)?.to_owned()),
        ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
        ValueRef::Real(_) => return Err(corrupt("a column holds a real number")),
    })
}

/// Every statement is prepared once per connection and cached: parsing and
/// planning one costs more than running these, and it would be paid under
/// the connection's lock, by every member of a group commit in turn.
impl Executor for SqliteConn<'_> {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let changed = self
            .0
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params_from_iter(params)))
            .map_err(backend)?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let mut statement = self.0.prepare_cached(sql).map_err(backend)?;
        let columns = statement.column_count();
        let mut rows = statement.query(params_from_iter(params)).map_err(backend)?;
        let mut read = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            let values = (0..columns)
                .map(|i| value(row.get_ref(i).map_err(backend)?))
                .collect::<Result<_, _>>()?;
            read.push(Row(values));
        }
        Ok(read)
    }

    fn command(&mut self, sql: &str) -> Result<(), StoreError> {
        self.execute(sql, &[]).map(drop)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.0.execute_batch(sql).map_err(backend)
    }
}

/// What a SQLite transaction works with besides the connection.
pub(crate) struct SqliteSide<'t> {
    pub(crate) chain: &'t mut AuditChain,
    /// The highest state version this view reported, so a group whose
    /// shared commit fails can make sure no version read from its
    /// uncommitted state is ever reused (see `group.rs`).
    pub(crate) seen: &'t mut u64,
    /// The data directory's envelope files.
    pub(crate) files: &'t EnvelopeFiles,
    /// Envelopes unlinked by this transaction's changes: their files are
    /// removed once it committed.
    pub(crate) unlinked: &'t mut Vec<EnvelopeId>,
}

impl<'c> Side<SqliteConn<'c>> for SqliteSide<'_> {
    fn chain<T>(&mut self, work: impl FnOnce(&mut AuditChain) -> T) -> T {
        work(self.chain)
    }

    fn saw_version(&mut self, version: u64) {
        *self.seen = (*self.seen).max(version);
    }

    fn envelope_ready(
        &mut self,
        exec: &mut SqliteConn<'c>,
        id: &EnvelopeId,
        size: u64,
    ) -> Result<bool, StoreError> {
        // The writer fsynced the file before asking to link it; its size
        // is the last check that the bytes are all there.
        Ok(self.files.size(id)? == Some(size) && !linked(exec, id)?)
    }

    fn unlink_envelope(&mut self, _: &mut SqliteConn<'c>, id: &EnvelopeId) -> Result<(), StoreError> {
        self.unlinked.push(*id);
        Ok(())
    }
}

/// The connection is inside a transaction the store began (alone, or
/// shared by a group commit, under a savepoint of this caller's own).
pub(crate) type SqliteTransaction<'t> = SqlTransaction<SqliteConn<'t>, SqliteSide<'t>>;

impl<'t> SqliteTransaction<'t> {
    /// The data directory's envelope files.
    pub(crate) fn files(&self) -> &'t EnvelopeFiles {
        self.side.files
    }

    /// Whether the envelope's file must stay: a document names it, or an
    /// uncommitted change of this transaction (or of an earlier member of
    /// its group) unlinked it, which the commit may still not make true.
    pub(crate) fn in_use(&mut self, id: &EnvelopeId) -> Result<bool, StoreError> {
        Ok(self.side.unlinked.contains(id) || linked(&mut self.exec, id)?)
    }
}
