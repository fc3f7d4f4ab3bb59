//! Errors opening a store and loading its audit key.

use std::path::PathBuf;

use coffer_door::store::StoreError;

/// Why a [`SqliteStore`](crate::SqliteStore) or a
/// [`PostgresStore`](crate::PostgresStore) could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The data directory or database file could not be created or read.
    #[error("cannot open data directory `{}`: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database engine refused (not a database, locked past the busy
    /// timeout, …).
    #[error("database `{}`: {source}", .path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The PostgreSQL connection string does not parse.
    #[error("postgresql connection string: {source}")]
    Url {
        /// The cause.
        source: postgres::Error,
    },
    /// PostgreSQL refused or failed (cannot connect, permission denied, …).
    #[error("postgresql: {source}")]
    Postgres {
        /// The cause.
        source: postgres::Error,
    },
    /// The connection string asks for an `sslmode` that is not offered:
    /// `require` and `verify-ca` would not check that the server is the
    /// host named (use `verify-full`).
    #[error("postgresql `sslmode={0}` is not offered: use `verify-full` with `sslrootcert`, or `disable`")]
    SslMode(String),
    /// `sslmode=verify-full` without `sslrootcert`: no CA to verify the
    /// server against.
    #[error(
        "postgresql `sslmode=verify-full` needs `sslrootcert`, the file of the CA certificates to trust"
    )]
    RootCertMissing,
    /// The `sslrootcert` file could not be read.
    #[error("cannot read postgresql `sslrootcert` `{}`: {source}", .path.display())]
    RootCert {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The `sslrootcert` file holds no certificate, a malformed one, or
    /// is larger than 1 MiB.
    #[error("postgresql `sslrootcert` `{}` holds no usable pem certificate", .path.display())]
    RootCertEmpty {
        /// The file.
        path: PathBuf,
    },
    /// The TLS client could not be set up.
    #[error("postgresql tls: {0}")]
    TlsSetup(rustls::Error),
    /// The PostgreSQL server's certificate was refused: not issued by a
    /// CA of `sslrootcert`, not for the host connected to, expired, …
    #[error("the postgresql server's certificate is refused: {reason}")]
    ServerCertificate {
        /// Why.
        reason: rustls::CertificateError,
    },
    /// The connection pool could not make a connection in time.
    #[error("postgresql connection pool: {0}")]
    Pool(String),
    /// A PostgreSQL schema name that is not lower-case ASCII letters,
    /// digits and `_` (not starting with a digit, at most 63 bytes).
    #[error("schema name `{0}` is not lower-case letters, digits and `_`")]
    SchemaName(String),
    /// The database cannot use the WAL journal (for example on a file
    /// system without shared memory), which the store needs so readers
    /// never block the writer.
    #[error("database `{}` cannot use the WAL journal (journal mode is `{mode}`)", .path.display())]
    NoWal {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The database was written by newer code (a higher schema version):
    /// this code does not know its tables and refuses to touch them.
    #[error("database schema version {found} is newer than the {supported} this code supports")]
    SchemaTooNew {
        /// The database's schema version.
        found: u32,
        /// The newest this code knows.
        supported: u32,
    },
    /// The stored audit head does not verify under the key given: the
    /// database belongs to another audit key (or its head was edited).
    #[error("the database's audit head does not verify under this audit key")]
    ForeignAuditKey,
    /// Reading the stored state failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpenError {
    pub(crate) fn postgres(source: postgres::Error) -> Self {
        OpenError::Postgres { source }
    }

    /// A failed connection: [`OpenError::ServerCertificate`] when the
    /// server's certificate was refused, [`OpenError::Postgres`] otherwise.
    pub(crate) fn postgres_connect(source: postgres::Error) -> Self {
        match crate::pg_connect::certificate_error(&source) {
            Some(reason) => OpenError::ServerCertificate { reason },
            None => OpenError::Postgres { source },
        }
    }
}

/// Why a key (the audit key, or another secret in a key file) could not
/// be loaded or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("key file `{}`: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file can be read or written by others than its owner.
    #[error("key file `{}` has mode {mode:o}; it must be 600 (owner only)", .path.display())]
    Permissions {
        /// The path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key is not what it should be (64 hex digits for the audit key).
    #[error("key from `{source_name}` is not {expected}")]
    Malformed {
        /// Where it came from (a path or a variable name).
        source_name: String,
        /// What it should be.
        expected: &'static str,
    },
    /// The environment variable is not set (or not unicode).
    #[error("environment variable `{0}` is not set")]
    NotSet(String),
    /// The system's randomness failed while making a new key.
    #[error("no randomness for a new key")]
    Random,
}
