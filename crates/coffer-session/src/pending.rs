//! An issued, not yet redeemed session: its private key and what it is for.

use std::fmt;
use std::time::SystemTime;

use ring::agreement::EphemeralPrivateKey;
use rsa::PrivateKey;

use crate::key_id::SessionKeyId;
use crate::suite::Suite;

/// Everything known about a session except its private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionMeta {
    /// The key id.
    pub key_id: SessionKeyId,
    /// The suite.
    pub suite: Suite,
    /// The purpose the session was issued for.
    pub purpose: String,
    /// The binding (for example a document id).
    pub binding: String,
    /// Who asked for the session (the unit of the per-issuer quota, and the
    /// only principal that may redeem it when [`crate::Expected::issuer`]
    /// is given).
    pub issuer: String,
    /// The issuer's tenant, when the request named one (the unit of the
    /// per-tenant capacity).
    pub tenant: Option<String>,
    /// When it was issued.
    pub issued_at: SystemTime,
    /// When it stops being redeemable.
    pub expires_at: SystemTime,
    /// The OAEP label or HKDF info; `None` for unlabeled RSA compatibility.
    pub label: Option<String>,
    /// The longest secret accepted.
    pub max_secret_len: usize,
}

/// The private half of a session key. Both variants are destroyed when
/// dropped (`rsa::PrivateKey` zeroizes itself; ring's ephemeral key can only
/// be used once, by value).
pub(crate) enum EphemeralKey {
    Rsa(Box<PrivateKey>),
    Ecdh(EphemeralPrivateKey),
}

/// A session waiting to be redeemed: the private key and its [`SessionMeta`].
///
/// Only this crate can make or open one; a [`crate::SessionStore`] holds
/// them and hands them back.
pub struct PendingSession {
    key: EphemeralKey,
    meta: SessionMeta,
}

impl PendingSession {
    pub(crate) fn new(key: EphemeralKey, meta: SessionMeta) -> Self {
        Self { key, meta }
    }

    /// What the session is for.
    pub fn meta(&self) -> &SessionMeta {
        &self.meta
    }

    pub(crate) fn into_parts(self) -> (EphemeralKey, SessionMeta) {
        (self.key, self.meta)
    }
}

impl fmt::Debug for PendingSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSession")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}
