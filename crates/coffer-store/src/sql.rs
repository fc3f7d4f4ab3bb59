//! The SQL both backends share: the statements (written once, in `$n`
//! style), the transaction built on them, how a change applies, how rows
//! read back, and the schema with its migrations.
//!
//! A backend supplies an [`Executor`] (run a statement, read its rows) and
//! the few things that are its own ([`transaction::Side`]: the audit chain
//! it shares, where envelope bytes live). SQLite numbers `$n` parameters by
//! their first appearance, so every statement names its parameters in
//! order (a test checks it) and both engines bind them by position.
//!
//! Why not an SQL crate: sqlx is async and would fight the synchronous
//! store and its group commit; diesel would rewrite the store around a
//! large dependency; a query builder such as sea-query builds dialect text
//! but leaves rows decoded per driver. For some forty static statements a
//! small executor trait removes the duplication and adds nothing to learn.

pub(crate) mod apply;
pub(crate) mod decode;
mod keys;
pub(crate) mod public_keys;
pub(crate) mod schema;
pub(crate) mod statements;
pub(crate) mod transaction;

use coffer_door::store::StoreError;

use self::decode::corrupt;

/// A statement parameter, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Param<'a> {
    /// SQL `NULL` (of whatever type the statement gives the parameter).
    Null,
    /// An integer (PostgreSQL: `BIGINT`, or `INTEGER` when it fits).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes (SQLite `BLOB`, PostgreSQL `BYTEA`).
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(text: &'a str) -> Self {
        Param::Text(text)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(text: &'a String) -> Self {
        Param::Text(text)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Param::Bytes(bytes)
    }
}

impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Param::Bytes(bytes)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Param<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Param::Bytes(bytes)
    }
}

impl From<i64> for Param<'_> {
    fn from(n: i64) -> Self {
        Param::Int(n)
    }
}

impl<'a, T: Copy + Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Param::Null, Into::into)
    }
}

impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(value: &'a Option<String>) -> Self {
        value.as_deref().map_or(Param::Null, Param::Text)
    }
}

/// The parameters of a statement, each converted into a [`Param`].
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::sql::Param::from($value)),*]
    };
}
pub(crate) use params;

/// A column value read back, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// SQL `NULL`.
    Null,
    /// Any integer column.
    Int(i64),
    /// A text column.
    Text(String),
    /// A `BLOB`/`BYTEA` column.
    Bytes(Vec<u8>),
}

/// One row of a query's result.
#[derive(Debug)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    /// Column `index` as a `T`; a column of another type (or a missing one)
    /// is a corrupt store.
    pub(crate) fn get<T: FromValue>(&mut self, index: usize) -> Result<T, StoreError> {
        let value = self
            .0
            .get_mut(index)
            .map(|v| std::mem::replace(v, Value::Null))
            .ok_or_else(|| corrupt(format!("a row has no column {index}")))?;
        T::from_value(value)
    }
}

/// A Rust type a column reads back as.
pub(crate) trait FromValue: Sized {
    /// The value as this type, or [`StoreError::Corrupt`].
    fn from_value(value: Value) -> Result<Self, StoreError>;
}

fn mismatch(value: &Value, wanted: &str) -> StoreError {
    let found = match value {
        Value::Null => "NULL",
        Value::Int(_) => "an integer",
        Value::Text(_) => "text",
        Value::Bytes(_) => "bytes",
    };
    corrupt(format!("a column holds {found} where {wanted} belongs"))
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Int(n) => Ok(n),
            other => Err(mismatch(&other, "an integer")),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Text(text) => Ok(text),
            other => Err(mismatch(&other, "text")),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Bytes(bytes) => Ok(bytes),
            other => Err(mismatch(&other, "bytes")),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// Runs statements on one backend's connection or transaction.
pub(crate) trait Executor {
    /// Runs a statement that returns no rows; how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError>;
    /// Every row a statement returns.
    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError>;
    /// Runs one statement without parameters or rows on every change's
    /// path (a savepoint): SQLite prepares it once and caches it,
    /// PostgreSQL sends it as it is (one round trip).
    fn command(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Runs statements without parameters as they are (migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Whether a failed statement left the transaction unusable until a
    /// rollback (PostgreSQL aborts it; SQLite does not).
    fn aborted(&self) -> bool {
        false
    }
    /// Rolled back to a savepoint taken when [`Executor::aborted`] was
    /// `was`: the transaction is as usable as it was then.
    fn rolled_back(&mut self, was: bool) {
        let _ = was;
    }

    /// The first row a statement returns, if any.
    fn query_opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The one row a statement must return.
    fn query_one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| corrupt("a row the store keeps is missing"))
    }
}
