//! The front door's error type.

use crate::session::keys;

use crate::audit::VerifyError;
use crate::policy::MembershipError;
use crate::policy::Operation;
use crate::policy::PolicyError;
#[cfg(doc)]
use crate::policy::{DocumentRef, ProjectRef, Target};
use crate::store::StoreError;

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
    /// The principal has no registered public key (register one with
    /// [`FrontDoor::register_public_key`](super::FrontDoor::register_public_key)).
    #[error("principal `{0}` has no registered public key")]
    NoPublicKey(String),
    /// No grant seals the project key version an envelope needs to the
    /// identity presented: the actor is not granted (yet: an Owner seals
    /// grants with [`FrontDoor::grant_member_key`](super::FrontDoor::grant_member_key)
    /// or a rotation), or the identity is not its registered key.
    #[error("no grant of project key version {version} for principal `{member}` and this identity")]
    NoGrant {
        /// The principal.
        member: String,
        /// The project key version needed.
        version: u32,
    },
    /// A grant's member left the project or changed its key while the
    /// grant was sealed; nothing was stored.
    #[error("principal `{0}` is no member with the key the grant was sealed to")]
    StaleGrant(String),
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
    SessionRejected(crate::session::Rejection),
    /// A redeemed session was not issued by this front door for downloads
    /// (it is of another session suite than the door issues); its secret
    /// was discarded.
    #[error("the session was not issued for downloads by this front door")]
    ForeignSession,
    /// The target is of the wrong kind for a call that takes a [`Target`]
    /// of more than one level (a document target for the audit trail, which
    /// is kept per tenant and project). Calls on one project or document
    /// take a [`ProjectRef`] or [`DocumentRef`] and cannot be given the
    /// wrong kind.
    #[error("operation `{operation}` needs a {needs} target")]
    WrongTarget {
        /// The operation asked for.
        operation: Operation,
        /// The kind of target it needs.
        needs: &'static str,
    },
    /// The session service could not issue an offer.
    #[error("cannot issue a session: {0}")]
    Issue(#[from] crate::session::IssueError),
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
    /// The project's key versions changed between reading them and
    /// storing the result (a rotation or password change, of this front
    /// door or another instance, won the race). Nothing was changed; the
    /// refusal is in the audit trail. Retry with the project's current
    /// password.
    #[error("project `{project}` changed meanwhile; nothing was changed, retry")]
    Conflict {
        /// The project.
        project: String,
    },
    /// The store failed: the call's state change and audit record were
    /// not committed, so neither happened (the front door fails closed: a
    /// result whose event was not recorded is not returned).
    #[error("state store unavailable: {0}")]
    Store(StoreError),
    /// The store's audit chain does not verify: the front door refuses to
    /// start on it (see `docs/STORE.md` for the repair, which keeps every
    /// record).
    #[error("the store's audit chain does not verify, refusing to start: {0}")]
    BrokenChain(VerifyError),
    /// The stored policy document does not load.
    #[error("stored policy does not load: {0}")]
    Policy(#[from] PolicyError),
    /// The plaintext reader of
    /// [`FrontDoor::encrypt_from`](crate::FrontDoor::encrypt_from) yielded
    /// another number of bytes than declared; the envelope written is
    /// unusable (its header commits to the declared size) and the failure
    /// is in the audit trail.
    #[error("the plaintext has {actual} bytes, {expected} were declared")]
    LengthMismatch {
        /// The length declared.
        expected: u64,
        /// What the reader yielded.
        actual: LengthSeen,
    },
    /// The document has no envelope in the store (it was never stored
    /// with [`FrontDoor::store_document`](crate::FrontDoor::store_document),
    /// or its envelope is kept by the caller).
    #[error("document `{0}` is not stored")]
    NotStored(String),
    /// The document was stored again, or rewrapped, between reading its
    /// envelope and recording the result; nothing was changed.
    #[error("document `{0}` changed meanwhile; nothing was changed")]
    DocumentChanged(String),
    /// Writing the plaintext or reading the envelope failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl FrontDoorError {
    /// A stable machine code naming the failure, for the audit trail's
    /// reason codes (`front-door.<code>`; the key layer's and the session
    /// layer's own failures carry their layers' codes instead). Stable
    /// across releases: matched on by audit readers.
    pub const fn code(&self) -> &'static str {
        match self {
            FrontDoorError::Denied { .. } => "Denied",
            FrontDoorError::NoPublicKey(_) => "NoPublicKey",
            FrontDoorError::NoGrant { .. } => "NoGrant",
            FrontDoorError::StaleGrant(_) => "StaleGrant",
            FrontDoorError::UnknownProject(_) => "UnknownProject",
            FrontDoorError::ProjectExists(_) => "ProjectExists",
            FrontDoorError::UnknownKeyVersion(_) => "UnknownKeyVersion",
            FrontDoorError::SessionRejected(_) => "SessionRejected",
            FrontDoorError::ForeignSession => "ForeignSession",
            FrontDoorError::WrongTarget { .. } => "WrongTarget",
            FrontDoorError::Issue(_) => "Issue",
            FrontDoorError::Keys(_) => "Keys",
            FrontDoorError::Membership(_) => "Membership",
            FrontDoorError::TrailBroken => "TrailBroken",
            FrontDoorError::Conflict { .. } => "Conflict",
            FrontDoorError::Store(_) => "Store",
            FrontDoorError::BrokenChain(_) => "BrokenChain",
            FrontDoorError::Policy(_) => "Policy",
            FrontDoorError::LengthMismatch { .. } => "LengthMismatch",
            FrontDoorError::NotStored(_) => "NotStored",
            FrontDoorError::DocumentChanged(_) => "DocumentChanged",
            FrontDoorError::Io(_) => "Io",
        }
    }
}

impl From<StoreError> for FrontDoorError {
    /// A change refused on the state keeps its own variant (a conflict, a
    /// project that exists or does not); anything else is the store
    /// failing.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { project, .. } => FrontDoorError::Conflict { project },
            StoreError::ProjectExists { project, .. } => FrontDoorError::ProjectExists(project),
            StoreError::UnknownProject { project, .. } => FrontDoorError::UnknownProject(project),
            StoreError::Membership(error) => FrontDoorError::Membership(error),
            StoreError::DocumentChanged { document, .. } => FrontDoorError::DocumentChanged(document),
            StoreError::StaleGrant { member, .. } => FrontDoorError::StaleGrant(member),
            other => FrontDoorError::Store(other),
        }
    }
}

/// How many bytes a plaintext reader yielded, as far as it was read: past
/// the declared length it is read one byte further only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthSeen {
    /// Exactly this many: the reader ended early.
    Exactly(u64),
    /// More than this many.
    MoreThan(u64),
}

impl std::fmt::Display for LengthSeen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LengthSeen::Exactly(n) => write!(f, "{n}"),
            LengthSeen::MoreThan(n) => write!(f, "more than {n}"),
        }
    }
}
