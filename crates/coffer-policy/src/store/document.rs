//! What the store remembers about each document the front door sealed.

use coffer_session::keys::envelope::Suite;
use serde::{Deserialize, Serialize};

use crate::audit::Timestamp;
use crate::id::{DocumentId, Principal, ProjectId, TenantId};

/// A document's metadata, recorded when the front door seals it (never its
/// plaintext, never a key).
///
/// Serde: `{"tenant": "acme", "project": "payroll", "document": "memo",
/// "plaintext_size": 5, "envelope_size": 190, "suite":
/// "AES-256-GCM/HKDF-SHA256", "key_version": 1, "created_by": {"tenant":
/// "acme", "id": "ed"}, "created_at": "2026-…Z"}`, the suite by its
/// canonical name, unknown fields refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// The project.
    pub project: ProjectId,
    /// The document.
    pub document: DocumentId,
    /// Plaintext bytes sealed.
    pub plaintext_size: u64,
    /// Envelope bytes produced.
    pub envelope_size: u64,
    /// The suite the envelope was sealed with.
    #[serde(with = "crate::suite::envelope_suite_name")]
    pub suite: Suite,
    /// The project key version it was sealed under.
    pub key_version: u32,
    /// Who sealed it (a principal of the tenant).
    pub created_by: Principal,
    /// When.
    pub created_at: Timestamp,
}
