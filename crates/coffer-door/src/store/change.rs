//! The closed set of state changes a front door makes.

use serde::{Deserialize, Serialize};

use super::document::DocumentRecord;
use super::envelope::EnvelopeId;
use super::keys::{KeyGrant, RegisteredKey};
use crate::audit::Timestamp;
use crate::policy::Role;
use crate::policy::{Principal, ProjectId, TenantId};

/// Who installed a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Installer {
    /// An operator of the service, by name (operators are not principals:
    /// a policy spans tenants).
    Operator(String),
    /// A principal.
    Principal(Principal),
}

impl std::fmt::Display for Installer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Installer::Operator(name) => write!(f, "operator `{name}`"),
            Installer::Principal(p) => write!(f, "principal `{}/{}`", p.tenant, p.id),
        }
    }
}

/// A policy document to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPolicy {
    /// The document's JSON text (see [`crate::policy::Policy::to_json`]).
    pub document: String,
    /// The policy's digest ([`crate::policy::Policy::digest`]).
    pub digest: [u8; 32],
    /// Who installs it.
    pub installed_by: Installer,
    /// When.
    pub installed_at: Timestamp,
}

/// One state change. Each applied change bumps the state version, except
/// [`Change::PutDocument`] and [`Change::ReplaceEnvelope`]: document metadata is not part of the
/// [`Snapshot`](super::Snapshot) front doors cache and decide on, so
/// recording a document does not make every front door reload it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Creates a project with its first sealed key version (generation 0)
    /// and makes `owner` its Owner.
    CreateProject {
        /// The tenant.
        tenant: TenantId,
        /// The new project.
        project: ProjectId,
        /// Its first Owner.
        owner: Principal,
        /// The sealed project key, version 1.
        sealed: Vec<u8>,
    },
    /// Replaces every sealed key version of a project (a password change
    /// rewraps them all), if its generation is still `expected_generation`;
    /// the generation then moves on by one.
    ReplaceVersions {
        /// The tenant.
        tenant: TenantId,
        /// The project.
        project: ProjectId,
        /// The generation the versions were read at.
        expected_generation: u64,
        /// The new sealed versions, oldest first.
        sealed: Vec<Vec<u8>>,
    },
    /// Adds a key version (a rotation), if the project's generation is
    /// still `expected_generation`; the generation then moves on by one.
    AddVersion {
        /// The tenant.
        tenant: TenantId,
        /// The project.
        project: ProjectId,
        /// The generation the current version was read at.
        expected_generation: u64,
        /// The sealed new version.
        sealed: Vec<u8>,
    },
    /// Gives a principal of the tenant a role in a project.
    SetMember {
        /// The tenant.
        tenant: TenantId,
        /// The project.
        project: ProjectId,
        /// The member.
        member: Principal,
        /// The role.
        role: Role,
    },
    /// Removes a principal from a project (nothing to remove is not an
    /// error), with every grant sealed to it in that project.
    RemoveMember {
        /// The tenant.
        tenant: TenantId,
        /// The project.
        project: ProjectId,
        /// The member.
        member: Principal,
    },
    /// Registers a principal's public key, replacing the one it had; the
    /// grants sealed to a replaced key are deleted with it.
    RegisterPublicKey {
        /// The principal.
        principal: Principal,
        /// The key.
        key: RegisteredKey,
    },
    /// Removes a principal's public key and every grant sealed to it
    /// (nothing to remove is not an error).
    RevokePublicKey {
        /// The principal.
        principal: Principal,
    },
    /// Stores grants of a project (replacing those of the same member and
    /// version). Refused with
    /// [`StoreError::StaleGrant`](super::StoreError::StaleGrant) when a
    /// grant's member is not a member of the project or no longer has the
    /// key it was sealed to, and with
    /// [`StoreError::UnknownProject`](super::StoreError::UnknownProject)
    /// or [`StoreError::Conflict`](super::StoreError::Conflict) when the
    /// project does not exist or its generation is not
    /// `expected_generation` (its key versions changed since the grants
    /// were sealed).
    PutGrants {
        /// The tenant.
        tenant: TenantId,
        /// The project.
        project: ProjectId,
        /// The generation the project key versions were read at.
        expected_generation: u64,
        /// The grants.
        grants: Vec<KeyGrant>,
    },
    /// Gives a principal a role over its own tenant as a whole.
    SetTenantRole {
        /// The principal.
        principal: Principal,
        /// The role.
        role: Role,
    },
    /// Removes a principal's tenant-level role.
    RemoveTenantRole {
        /// The principal.
        principal: Principal,
    },
    /// Installs a policy document as the next policy version.
    InstallPolicy(NewPolicy),
    /// Records a sealed document's metadata, replacing what was recorded
    /// for the same document id (sealing a document again under the same
    /// id supersedes it). Refused with
    /// [`StoreError::UnknownProject`](super::StoreError::UnknownProject)
    /// when the project does not exist. Does not bump the state version.
    ///
    /// A record naming an envelope ([`DocumentRecord::envelope`]) links it:
    /// refused with
    /// [`StoreError::UnknownEnvelope`](super::StoreError::UnknownEnvelope)
    /// unless the envelope is staged, finished with
    /// [`DocumentRecord::envelope_size`] bytes, and named by no document.
    /// An envelope the replaced record named is unlinked and removed once
    /// the transaction committed.
    PutDocument(DocumentRecord),
    /// Replaces a stored document's record and envelope (a rewrap), if the
    /// document still names envelope `replaces`: refused with
    /// [`StoreError::DocumentChanged`](super::StoreError::DocumentChanged)
    /// otherwise (it was stored again or rewrapped meanwhile). Links and
    /// unlinks as [`Change::PutDocument`]; does not bump the state version.
    ReplaceEnvelope {
        /// The envelope the document must still name.
        replaces: EnvelopeId,
        /// The new record, naming the new envelope.
        record: DocumentRecord,
    },
}
