//! coffer layer 5: a tamper-evident record of who did what.
//!
//! Its central type is the [`AuditChain`]: it seals each [`AuditEvent`]
//! into an [`AuditRecord`] that hashes the one before it, under a MAC key
//! ([`AuditKey`]) kept apart from the records, so that a record edited,
//! removed, reordered or forged breaks [`verify`]. Sinks keep records in
//! memory ([`MemorySink`]) or in an append-only JSON-lines file
//! ([`FileSink`]), a standalone audit log for applications without the
//! front door; `coffer-door` keeps them in its store, in the transaction of
//! the call they record.
//!
//! ```
//! use coffer_audit::policy::{Operation, OperatorId, TenantId, Timestamp};
//! use coffer_audit::{verify, AuditChain, AuditEvent, AuditKey, ChainId};
//!
//! let key = AuditKey::from_bytes([7; 32]);
//! let mut chain = AuditChain::new(AuditKey::from_bytes([7; 32]), ChainId::from_bytes([1; 32]));
//! let tenant = TenantId::new("acme")?;
//! let event = AuditEvent::for_operator(
//!     Timestamp::from_unix_millis(0),
//!     &OperatorId::new("ops")?,
//!     Operation::ReadAudit,
//!     Some(&tenant),
//!     [0; 32],
//! );
//! let record = chain.seal(event);
//! chain.commit(&record);
//! assert_eq!(verify(&key, [&record], None)?, chain.head());
//!
//! let mut forged = record.clone();
//! forged.seq += 1;
//! assert!(verify(&key, [&forged], None).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `docs/AUDIT.md` for the byte-level chain construction.
#![forbid(unsafe_code)]

#[doc(inline)]
pub use coffer_policy as policy;
#[doc(inline)]
pub use coffer_policy::{envelope, keys, session};

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
pub use event::{AuditEvent, DecisionRecord, KeyRef, Outcome, RuleRecord, Sizes, StatusCode};
pub use file::{FileSink, Recovery, TornTail, MAX_RECORD_BYTES};
pub use key::AuditKey;
pub use sink::{AuditSink, MemorySink};
pub use verify::{verify, ChainVerifier, VerifyError, VerifyFailure};
// The clock of the records, from the vocabulary below, where users of
// earlier versions found it.
pub use coffer_policy::{Timestamp, TimestampError};

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
