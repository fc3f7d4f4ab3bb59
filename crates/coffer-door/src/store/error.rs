//! The store's error type.

use crate::audit::AuditError;
use crate::policy::MembershipError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A project's key versions changed since the change was prepared (a
    /// rotation or password change of another call or instance won): its
    /// generation is not the one expected. Nothing was applied.
    #[error("project `{project}` of tenant `{tenant}` changed meanwhile (generation {found}, expected {expected})")]
    Conflict {
        /// The tenant.
        tenant: String,
        /// The project.
        project: String,
        /// The generation the change was prepared on.
        expected: u64,
        /// The generation stored.
        found: u64,
    },
    /// The project to create exists already.
    #[error("project `{project}` already exists in tenant `{tenant}`")]
    ProjectExists {
        /// The tenant.
        tenant: String,
        /// The project.
        project: String,
    },
    /// The change names a project that does not exist.
    #[error("project `{project}` does not exist in tenant `{tenant}`")]
    UnknownProject {
        /// The tenant.
        tenant: String,
        /// The project.
        project: String,
    },
    /// A change would leave a project without a key version.
    #[error("project `{project}` of tenant `{tenant}` needs at least one sealed key version")]
    NoKeyVersions {
        /// The tenant.
        tenant: String,
        /// The project.
        project: String,
    },
    /// A document change links an envelope that is not there to link: not
    /// staged, not finished with the size the record says, or named by
    /// another document already.
    #[error("envelope `{envelope}` is not a finished, unlinked envelope of {size} bytes")]
    UnknownEnvelope {
        /// The envelope.
        envelope: String,
        /// The size the record says.
        size: u64,
    },
    /// A [`Change::ReplaceEnvelope`](super::Change::ReplaceEnvelope) found
    /// the document no longer naming the envelope it replaces (it was
    /// stored again, or rewrapped, meanwhile). Nothing was applied.
    #[error("document `{document}` of project `{project}` changed meanwhile")]
    DocumentChanged {
        /// The project.
        project: String,
        /// The document.
        document: String,
    },
    /// A grant names a principal that is not a member of its project, or
    /// that no longer has the key the grant is sealed to. Nothing was
    /// applied.
    #[error(
        "principal `{member}` is not a member of project `{project}` with the key the grant is sealed to"
    )]
    StaleGrant {
        /// The project.
        project: String,
        /// The member.
        member: String,
    },
    /// A membership change the table refuses (a principal of another
    /// tenant).
    #[error(transparent)]
    Membership(#[from] MembershipError),
    /// The audit chain: a stored head that is not authentic, a record that
    /// does not verify, a key that does not fit the stored chain.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// Stored data does not read back (an unknown role name, a malformed
    /// id or record).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The backend failed (i/o, the database engine, a lock that could not
    /// be taken in time).
    #[error("store failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Whether this is a change refused on the state, with nothing applied
    /// and the transaction still usable ([`StoreError::Conflict`],
    /// [`StoreError::ProjectExists`], [`StoreError::UnknownProject`],
    /// [`StoreError::NoKeyVersions`], [`StoreError::Membership`],
    /// [`StoreError::UnknownEnvelope`], [`StoreError::DocumentChanged`],
    /// [`StoreError::StaleGrant`]), as
    /// opposed to the store failing.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict { .. }
                | StoreError::ProjectExists { .. }
                | StoreError::UnknownProject { .. }
                | StoreError::NoKeyVersions { .. }
                | StoreError::Membership(_)
                | StoreError::UnknownEnvelope { .. }
                | StoreError::DocumentChanged { .. }
                | StoreError::StaleGrant { .. }
        )
    }

    /// A backend failure from any error.
    pub fn backend(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Backend(error.into())
    }
}
