//! coffer layer 7: durable state for the front door, behind `coffer-door`'s
//! [`Store`] trait: [`SqliteStore`], the embedded default (one file, instances on one
//! machine), and [`PostgresStore`] (one database, instances on several
//! machines), or either as [`AnyStore`]. The crate owns the database and
//! the secret files beside it: a service's API keys live in the store's
//! database ([`ApiKeyTable`]), and its secrets in key files
//! ([`load_or_create_secret_file`]) kept like the audit key's.
//!
//! ```no_run
//! use coffer_store::{load_or_create_key_file, SqliteStore};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = load_or_create_key_file("/etc/coffer/audit.key")?;
//! let store = SqliteStore::open("/var/lib/coffer", key)?;
//! # Ok(()) }
//! ```
//!
//! ```no_run
//! use coffer_store::{load_key_env, PostgresStore};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = load_key_env("COFFER_AUDIT_KEY")?;
//! let store = PostgresStore::open("postgresql://coffer@%2Frun%2Fpostgresql/coffer", key)?;
//! # Ok(()) }
//! ```
//!
//! # How the audit key reaches the process
//!
//! The audit key MACs the audit chain; whoever holds it and the database
//! can rewrite history undetectably, so it is never stored in the
//! database. Three ways in, from simplest:
//!
//! - a key file of 64 hex digits with mode `0600`, owned by the service's
//!   user, outside the data directory: [`load_key_file`] refuses a file
//!   that anyone else may read or write; [`create_key_file`] makes one
//!   (never over an existing file) and [`load_or_create_key_file`] does
//!   either on first start;
//! - an environment variable set by a secret manager: [`load_key_env`];
//! - a KMS: keep the key file sealed by a `KeyWrapper` (an external
//!   wrapped key, see `coffer-keys`) and unwrap it at start-up, then pass
//!   the bytes to `AuditKey::from_bytes`.
//!
//! Recovery keys for projects follow the same rule: only their sealed
//! envelopes are in the database.
//!
//! See `docs/STORE.md` for the schema, migrations, start-up verification
//! and repair.
#![forbid(unsafe_code)]

mod any;
mod api_keys;
mod error;
mod key;
mod pg_connect;
mod postgres;
mod sql;
mod sqlite;

pub use self::postgres::{
    PostgresSessionLock, PostgresStore, ENVELOPE_CHUNK, LOCK_TIMEOUT, MAX_ATTEMPTS, POOL_SIZE, STAGING_GRACE,
};
pub use any::AnyStore;
pub use api_keys::{ApiKeyRow, ApiKeyTable};
#[doc(inline)]
pub use coffer_door as door;
pub use coffer_door::store::{MemoryStore, Store, StoreError, Transaction};
#[doc(inline)]
pub use coffer_door::{audit, envelope, keys, policy, session};
pub use error::{KeyError, OpenError};
pub use key::{
    create_key_file, load_key_env, load_key_file, load_or_create_key_file, load_or_create_secret_file,
    load_secret_file, random_secret,
};
pub use pg_connect::{PostgresConnect, PostgresTls};
pub use sql::schema::SCHEMA_VERSION;
pub use sqlite::{SqliteOptions, SqliteStore, BUSY_TIMEOUT, DATABASE_FILE, DEFAULT_MAX_GROUP, ENVELOPE_DIR};
