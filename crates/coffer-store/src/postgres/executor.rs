//! The shared SQL on a PostgreSQL connection: statement failures noted for
//! the retry and commit decisions, envelope bytes in chunk rows.

use std::cell::Cell;
use std::error::Error;
use std::sync::{Mutex, PoisonError};

use bytes::BytesMut;
use coffer_door::audit::AuditChain;
use coffer_door::store::{EnvelopeId, StoreError};
use postgres::error::SqlState;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::GenericClient;

use super::envelopes;
use crate::sql::decode::int;
use crate::sql::transaction::{Side, SqlTransaction};
use crate::sql::{params, Executor, Param, Row, Value};

/// A client or transaction as an [`Executor`], noting what its statements
/// ran into in `flags`.
pub(crate) struct PgConn<'t, C> {
    pub(crate) client: &'t mut C,
    pub(crate) flags: &'t Flags,
}

/// What the statements of one transaction attempt ran into.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    /// A statement failed with a serialization failure or a deadlock: the
    /// whole transaction is worth running again.
    pub(crate) retry: Cell<bool>,
    /// A statement failed outside a savepoint that was rolled back: the
    /// transaction is aborted, and PostgreSQL would turn a `COMMIT` into a
    /// silent rollback, so it must not be reported as committed.
    pub(crate) aborted: Cell<bool>,
}

impl Flags {
    /// Notes a failed statement; returns it as a store error.
    pub(crate) fn fail(&self, error: postgres::Error) -> StoreError {
        if retryable(&error) {
            self.retry.set(true);
        }
        self.aborted.set(true);
        StoreError::backend(error)
    }
}

/// Whether PostgreSQL asks for the transaction to be run again.
fn retryable(error: &postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// A parameter as the type the statement gives it: an integer fits an
/// `INTEGER` column when it is in range; any other mismatch is refused by
/// the value's own conversion.
impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match *self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(n) if *ty == Type::INT4 => i32::try_from(n)?.to_sql_checked(ty, out),
            Param::Int(n) => n.to_sql_checked(ty, out),
            Param::Text(text) => text.to_sql_checked(ty, out),
            Param::Bytes(bytes) => bytes.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in `to_sql`.
        true
    }

    to_sql_checked!();
}

/// A column of a row, by the type PostgreSQL reports for it.
fn value(row: &postgres::Row, i: usize) -> Result<Value, postgres::Error> {
    let ty = row.columns()[i].type_();
    let value = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?.map(|n| Value::Int(n.into()))
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes)
    } else {
        // Text, or a type no statement selects, which this refuses.
        row.try_get::<_, Option<String>>(i)?.map(Value::Text)
    };
    Ok(value.unwrap_or(Value::Null))
}

fn refs<'p>(params: &'p [Param<'_>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl<C: GenericClient> Executor for PgConn<'_, C> {
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let result = self.client.execute(sql, &refs(params));
        result.map_err(|e| self.flags.fail(e))
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let read = |rows: Vec<postgres::Row>| {
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| value(row, i))
                        .collect::<Result<_, _>>()
                        .map(Row)
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let result = self.client.query(sql, &refs(params)).and_then(read);
        result.map_err(|e| self.flags.fail(e))
    }

    fn command(&mut self, sql: &str) -> Result<(), StoreError> {
        self.batch(sql)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let result = self.client.batch_execute(sql);
        result.map_err(|e| self.flags.fail(e))
    }

    fn aborted(&self) -> bool {
        self.flags.aborted.get()
    }

    fn rolled_back(&mut self, was: bool) {
        self.flags.aborted.set(was);
    }
}

/// What a PostgreSQL transaction works with besides the connection: the
/// store's chain, shared by its concurrent transactions; locked only while
/// sealing or verifying (the state row's lock is what orders appends, here
/// and across instances).
pub(crate) struct PgSide<'t> {
    pub(crate) chain: &'t Mutex<AuditChain>,
}

impl<'c, C: GenericClient> Side<PgConn<'c, C>> for PgSide<'_> {
    fn chain<T>(&mut self, work: impl FnOnce(&mut AuditChain) -> T) -> T {
        work(&mut self.chain.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn envelope_ready(
        &mut self,
        exec: &mut PgConn<'c, C>,
        id: &EnvelopeId,
        size: u64,
    ) -> Result<bool, StoreError> {
        let row = exec.query_opt(
            "SELECT 1 FROM envelopes e WHERE e.id = $1 AND e.size = $2
                 AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.envelope = e.id)",
            params![&id.to_string(), int(size)?],
        )?;
        Ok(row.is_some())
    }

    fn unlink_envelope(&mut self, exec: &mut PgConn<'c, C>, id: &EnvelopeId) -> Result<(), StoreError> {
        // Its chunks go with it, in this transaction.
        delete_envelope(exec, id).map(drop)
    }
}

/// Deletes an envelope (and its chunks); whether there was one.
fn delete_envelope(exec: &mut impl Executor, id: &EnvelopeId) -> Result<bool, StoreError> {
    Ok(exec.execute("DELETE FROM envelopes WHERE id = $1", params![&id.to_string()])? > 0)
}

/// A transaction of the store, its state row locked.
pub(crate) type PostgresTransaction<'t, 'c> =
    SqlTransaction<PgConn<'t, postgres::Transaction<'c>>, PgSide<'t>>;

impl PostgresTransaction<'_, '_> {
    /// Deletes an envelope (and its chunks); whether there was one.
    pub(crate) fn delete_envelope(&mut self, id: &EnvelopeId) -> Result<bool, StoreError> {
        delete_envelope(&mut self.exec, id)
    }

    /// [`envelopes::sweep`] in this transaction.
    pub(crate) fn sweep_envelopes(&mut self, grace: std::time::Duration) -> Result<u64, StoreError> {
        let result = envelopes::sweep(&mut *self.exec.client, grace);
        result.map_err(|e| self.exec.flags.fail(e))
    }
}
