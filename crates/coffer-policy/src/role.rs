//! Roles, operations and the fixed table of which role may do what.

use crate::named_enum;

named_enum!(
    /// A principal's role in one project (or, for tenant-level operations, in
    /// a tenant).
    ///
    /// ```
    /// use coffer_policy::{Operation, Role};
    /// assert!(Role::Editor.permits(Operation::Encrypt));
    /// assert!(!Role::Viewer.permits(Operation::Encrypt));
    /// assert!(!Role::Auditor.permits(Operation::Decrypt));
    /// ```
    Role, "role" {
        /// Everything: data, members, policy, rotation, password.
        Owner = "owner",
        /// Encrypt, decrypt, download and list documents.
        Editor = "editor",
        /// Decrypt, download and list documents.
        Viewer = "viewer",
        /// Read and verify the audit trail, nothing else.
        Auditor = "auditor",
    }
);

named_enum!(
    /// Everything a principal can ask to do.
    Operation, "operation" {
        /// Create a project in a tenant (a tenant-level operation).
        CreateProject = "create_project",
        /// Seal a document.
        Encrypt = "encrypt",
        /// Open a document.
        Decrypt = "decrypt",
        /// List a project's documents with their metadata (never their
        /// contents).
        ListDocuments = "list_documents",
        /// Issue a session offer and redeem it to unlock a project key.
        Download = "download",
        /// Change the project password (a rewrap of the project key).
        ChangePassword = "change_password",
        /// Rotate the project key.
        RotateKey = "rotate_key",
        /// Add a member to a project.
        AddMember = "add_member",
        /// Remove a member from a project.
        RemoveMember = "remove_member",
        /// Change the policy that applies to a project or tenant.
        ManagePolicy = "manage_policy",
        /// Read the audit trail.
        ReadAudit = "read_audit",
        /// Verify the audit trail's chain.
        VerifyAudit = "verify_audit",
        /// Register or revoke one's own public key (every role may: it
        /// acts on the asking principal's key only, and opens nothing by
        /// itself).
        RegisterKey = "register_key",
        /// Seal a project's key versions to a member's registered public
        /// key (a grant).
        GrantKey = "grant_key",
        /// Present a credential to a service in front of the front door
        /// (recorded when it fails; no role grants it, it is never
        /// decided by membership).
        Authenticate = "authenticate",
    }
);

/// Number of [`Operation`] variants (size of per-operation tables).
pub(crate) const OPERATION_COUNT: usize = Operation::ALL.len();

/// What an operation acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetLevel {
    /// Only a tenant (e.g. creating a project).
    Tenant,
    /// Only a project.
    Project,
    /// Either a tenant as a whole or one project.
    Either,
}

impl Operation {
    /// Whether the operation targets a tenant, a project or either.
    pub const fn target_level(self) -> TargetLevel {
        match self {
            Operation::CreateProject | Operation::Authenticate => TargetLevel::Tenant,
            Operation::Encrypt
            | Operation::Decrypt
            | Operation::ListDocuments
            | Operation::Download
            | Operation::ChangePassword
            | Operation::RotateKey
            | Operation::GrantKey => TargetLevel::Project,
            Operation::AddMember
            | Operation::RemoveMember
            | Operation::ManagePolicy
            | Operation::ReadAudit
            | Operation::VerifyAudit
            | Operation::RegisterKey => TargetLevel::Either,
        }
    }
}

impl Role {
    /// Whether this role may perform `operation` (before algorithm rules).
    ///
    /// Anything not listed here is denied.
    pub const fn permits(self, operation: Operation) -> bool {
        use Operation as Op;
        match self {
            // Authentication is recorded, never granted.
            Role::Owner => !matches!(operation, Op::Authenticate),
            Role::Editor => matches!(
                operation,
                Op::Encrypt | Op::Decrypt | Op::ListDocuments | Op::Download | Op::RegisterKey
            ),
            Role::Viewer => matches!(
                operation,
                Op::Decrypt | Op::ListDocuments | Op::Download | Op::RegisterKey
            ),
            Role::Auditor => matches!(operation, Op::ReadAudit | Op::VerifyAudit | Op::RegisterKey),
        }
    }
}
