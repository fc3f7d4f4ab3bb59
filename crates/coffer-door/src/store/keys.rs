//! Members' registered public keys and the grants that seal project keys
//! to them.

use crate::audit::Timestamp;
use crate::policy::RecipientKem;
use crate::policy::{PrincipalId, ProjectId, TenantId};

/// Bytes of a public-key fingerprint (the kid of records wrapped for it).
pub const FINGERPRINT_BYTES: usize = 16;

/// A principal's registered public key (the key, never an identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredKey {
    /// Its algorithm.
    pub algorithm: RecipientKem,
    /// Its fingerprint, which the grants sealed to it name.
    pub fingerprint: [u8; FINGERPRINT_BYTES],
    /// The encoded public key.
    pub key: Vec<u8>,
    /// When it was registered.
    pub registered_at: Timestamp,
}

impl RegisteredKey {
    /// The key id the audit trail names it by: `x25519:<fingerprint hex>`
    /// or `xwing:<fingerprint hex>`.
    pub fn key_id(&self) -> String {
        format!("{}:{}", self.algorithm, hex::encode(self.fingerprint))
    }
}

/// Where a grant belongs: a project key version of one project, sealed to
/// one member.
pub type GrantSlot = (TenantId, ProjectId, PrincipalId, u32);

/// One project key version sealed to a member's registered key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    /// The member.
    pub member: PrincipalId,
    /// The project key version it seals.
    pub version: u32,
    /// The fingerprint of the member key it is sealed to.
    pub fingerprint: [u8; FINGERPRINT_BYTES],
    /// The sealed project key (an envelope, never key bytes).
    pub sealed: Vec<u8>,
}
