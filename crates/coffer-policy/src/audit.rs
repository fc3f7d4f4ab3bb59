//! The audit trail: events for every operation, chained and MACed under a
//! dedicated key, with sinks in memory and in an append-only file.
//!
//! See `docs/AUDIT.md` for the byte-level chain construction.

mod actor;
mod chain;
mod checkpoint;
mod encode;
mod event;
mod file;
mod hex32;
mod key;
mod sink;
mod verify;

pub use actor::Actor;
pub use chain::{AuditChain, AuditRecord, ChainHead, ChainId};
pub use checkpoint::Checkpoint;
pub use event::{
    AuditEvent, DecisionRecord, KeyRef, Outcome, RuleRecord, Sizes, StatusCode, Timestamp, TimestampError,
};
pub use file::{FileSink, Recovery, TornTail, MAX_RECORD_BYTES};
pub use key::AuditKey;
pub use sink::{AuditSink, MemorySink};
pub use verify::{verify, ChainVerifier, VerifyError, VerifyFailure};

use std::path::PathBuf;

/// A failure writing or reading the audit trail.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file could not be read, written or synced.
    #[error("audit i/o failed: {0}")]
    Io(#[from] std::io::Error),
    /// [`FileSink::create`] found a file at the path: it never starts a new
    /// chain over an existing one ([`FileSink::open`] continues it).
    #[error("audit file `{}` already exists", .path.display())]
    AlreadyExists {
        /// The path given.
        path: PathBuf,
    },
    /// [`FileSink::open`] found no file at the path: a log that should be
    /// there was deleted or moved (or a new one was meant, which is
    /// [`FileSink::create`]).
    #[error("audit file `{}` does not exist", .path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// Another sink, in this process or another, holds the file's lock:
    /// only one writer may continue a chain.
    #[error("audit file `{}` is locked by another writer", .path.display())]
    Locked {
        /// The path given.
        path: PathBuf,
    },
    /// The file's header does not verify under the key given: the file was
    /// written under another audit key, or its header was edited.
    #[error("audit file `{}` header does not verify under this audit key", .path.display())]
    ForeignHeader {
        /// The path given.
        path: PathBuf,
    },
    /// A complete line of the audit file is not a record.
    #[error("audit file line {line} is not a valid record: {reason}")]
    Corrupt {
        /// 1-based line number.
        line: u64,
        /// The parser's message.
        reason: String,
    },
    /// A line longer than [`MAX_RECORD_BYTES`].
    #[error("audit file line {line} is longer than {max} bytes")]
    LineTooLong {
        /// 1-based line number.
        line: u64,
        /// The maximum.
        max: usize,
    },
    /// The records on file do not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// An event does not serialize.
    #[error("audit event does not serialize: {0}")]
    Encode(String),
    /// An earlier write failed; the sink refuses further appends until it is
    /// reopened (which repairs or reports the file's tail).
    #[error("audit sink failed earlier and must be reopened")]
    Poisoned,
    /// Randomness for a new key was unavailable.
    #[error("no randomness for a new audit key")]
    Random,
}
