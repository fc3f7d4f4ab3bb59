//! What the store remembers about each document the front door sealed.

use crate::envelope::Suite;
use serde::{Deserialize, Serialize};

use super::envelope::EnvelopeId;
use crate::audit::Timestamp;
use crate::policy::{DocumentId, Principal, ProjectId, TenantId};

/// A document's metadata, recorded when the front door seals it (never its
/// plaintext, never a key).
///
/// Serde: `{"tenant": "acme", "project": "payroll", "document": "memo",
/// "plaintext_size": 5, "envelope_size": 190, "suite":
/// "AES-256-GCM/HKDF-SHA256", "key_version": 1, "created_by": {"tenant":
/// "acme", "id": "ed"}, "created_at": "2026-…Z", "envelope":
/// "5f0c…"}`, the suite by its canonical name, `envelope` (32 hexadecimal
/// digits) only for a document whose envelope the store keeps, unknown
/// fields refused.
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
    #[serde(with = "crate::policy::envelope_suite_name")]
    pub suite: Suite,
    /// The project key version it was sealed under.
    pub key_version: u32,
    /// Who sealed it (a principal of the tenant).
    pub created_by: Principal,
    /// When.
    pub created_at: Timestamp,
    /// The stored envelope ([`FrontDoor::store_document`]); `None` for a
    /// document whose envelope the caller keeps
    /// ([`FrontDoor::encrypt`]).
    ///
    /// [`FrontDoor::store_document`]: crate::FrontDoor::store_document
    /// [`FrontDoor::encrypt`]: crate::FrontDoor::encrypt
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<EnvelopeId>,
}
