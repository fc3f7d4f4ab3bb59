//! The front door's error type.

use coffer_session::keys;

use crate::audit::AuditError;
use crate::membership::MembershipError;
use crate::role::Operation;

/// Why a front-door call did not complete.
///
/// Denials carry the decision's explanation (policy is not secret from the
/// caller it applies to). Cryptographic failures stay opaque: a wrong
/// password, a tampered envelope and an envelope from another project all
/// surface as the key layer's single `Crypto` error; the precise reason is
/// written to the audit trail instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrontDoorError {
    /// The decision denied the operation; nothing was done. The event is in
    /// the audit trail.
    #[error("operation `{operation}` denied: {}", .explanation.join("; "))]
    Denied {
        /// The operation refused.
        operation: Operation,
        /// Every applicable check with its outcome, in words.
        explanation: Vec<String>,
    },
    /// The project is not registered with this front door.
    #[error("project `{0}` is not known")]
    UnknownProject(String),
    /// A project with this id already exists in the tenant.
    #[error("project `{0}` already exists")]
    ProjectExists(String),
    /// The project key version an envelope names is not held for the
    /// project (for example an envelope from another project).
    #[error("no project key version `{0}` for this project")]
    UnknownKeyVersion(String),
    /// The session was refused: unknown, used, expired, for another
    /// document, or undecryptable. One message for all; the reason is
    /// audited.
    #[error("{0}")]
    SessionRejected(coffer_session::Rejection),
    /// A redeemed session was not issued by this front door for downloads
    /// (it is of another session suite than the door issues); its secret
    /// was discarded.
    #[error("the session was not issued for downloads by this front door")]
    ForeignSession,
    /// The target is of the wrong kind for the operation (for example a
    /// project target where a document is needed).
    #[error("operation `{operation}` needs a {needs} target")]
    WrongTarget {
        /// The operation asked for.
        operation: Operation,
        /// The kind of target it needs.
        needs: &'static str,
    },
    /// The session service could not issue an offer.
    #[error("cannot issue a session: {0}")]
    Issue(#[from] coffer_session::IssueError),
    /// A key-layer failure: format, limits, expectations, or the opaque
    /// cryptographic failure.
    #[error(transparent)]
    Keys(#[from] keys::Error),
    /// Membership could not be changed.
    #[error(transparent)]
    Membership(#[from] MembershipError),
    /// The audit chain does not verify (a record was edited, removed,
    /// inserted or reordered, or the log was truncated or replaced). Where
    /// the break is stays with the operator
    /// ([`FrontDoor::verify_chain`](crate::FrontDoor::verify_chain)): its
    /// position would tell a principal how long the whole chain is.
    #[error("the audit trail does not verify")]
    TrailBroken,
    /// The audit trail could not be written or read. The front door fails
    /// closed: a result whose event was not recorded is not returned.
    #[error("audit trail unavailable: {0}")]
    Audit(#[from] AuditError),
    /// Writing the plaintext or reading the envelope failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}
