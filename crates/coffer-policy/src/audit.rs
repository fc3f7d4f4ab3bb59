//! The audit trail: events for every operation, chained and MACed under a
//! dedicated key, with sinks in memory and in an append-only file.
//!
//! See `docs/AUDIT.md` for the byte-level chain construction.

mod chain;
mod encode;
mod event;
mod file;
mod hex32;
mod key;
mod sink;

pub use chain::{verify, AuditChain, AuditRecord, ChainHead, ChainVerifier, VerifyError, VerifyFailure};
pub use event::{AuditEvent, DecisionRecord, KeyRef, Outcome, RuleRecord, Sizes, StatusCode, Timestamp};
pub use file::{FileSink, Recovery, TornTail, MAX_RECORD_BYTES};
pub use key::AuditKey;
pub use sink::{AuditSink, MemorySink};

/// A failure writing or reading the audit trail.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file could not be read, written or synced.
    #[error("audit i/o failed: {0}")]
    Io(#[from] std::io::Error),
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
