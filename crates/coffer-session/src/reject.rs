//! Redeem rejections: one message outside, a typed reason inside.

use std::fmt;

use crate::key_id::SessionKeyId;

/// Why a redeem was refused, for the audit trail. Never show it to the
/// client: the [`Rejection`] Display is the same for every reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// The posted message is not the expected JSON.
    MalformedMessage,
    /// The key id is not 22 characters of base64url.
    MalformedKeyId,
    /// The key id names another instance (a load balancer misroute).
    WrongInstance,
    /// No such key: never issued here, or forgotten since.
    UnknownKey,
    /// The session was issued to another principal than the one redeeming
    /// ([`crate::Expected::issuer`]). The session is left untouched for its
    /// issuer.
    WrongIssuer,
    /// The key was already redeemed (a replay).
    AlreadyUsed,
    /// The key expired before this redeem (it is destroyed now).
    Expired,
    /// The redeem was for a different purpose than the key was issued for.
    WrongPurpose,
    /// The redeem was for a different binding (document) than the key's.
    WrongBinding,
    /// The ciphertext is not base64, or not the suite's shape.
    MalformedCiphertext,
    /// The ciphertext or the secret inside is longer than allowed.
    TooLong,
    /// The secret inside is empty.
    EmptySecret,
    /// Decryption failed: wrong key, label, binding or a modified ciphertext.
    DecryptFailed,
}

impl RejectReason {
    /// A stable lower-case identifier for audit records.
    pub const fn code(self) -> &'static str {
        match self {
            Self::MalformedMessage => "malformed_message",
            Self::MalformedKeyId => "malformed_key_id",
            Self::WrongInstance => "wrong_instance",
            Self::UnknownKey => "unknown_key",
            Self::WrongIssuer => "wrong_issuer",
            Self::AlreadyUsed => "already_used",
            Self::Expired => "expired",
            Self::WrongPurpose => "wrong_purpose",
            Self::WrongBinding => "wrong_binding",
            Self::MalformedCiphertext => "malformed_ciphertext",
            Self::TooLong => "too_long",
            Self::EmptySecret => "empty_secret",
            Self::DecryptFailed => "decrypt_failed",
        }
    }

    /// Whether the key named in the request was destroyed by this attempt
    /// (everything after the key was taken from the store is single use; a
    /// [`RejectReason::WrongIssuer`] refusal leaves it live).
    pub const fn consumed_key(self) -> bool {
        matches!(
            self,
            Self::Expired
                | Self::WrongPurpose
                | Self::WrongBinding
                | Self::MalformedCiphertext
                | Self::TooLong
                | Self::EmptySecret
                | Self::DecryptFailed
        )
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused redeem. Displays one uniform message whatever the reason, so
/// the caller can pass it to the client; [`Rejection::reason`] and
/// [`Rejection::key_id`] are for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the session could not be redeemed")]
pub struct Rejection {
    reason: RejectReason,
    key_id: Option<SessionKeyId>,
}

impl Rejection {
    pub(crate) const fn new(reason: RejectReason, key_id: Option<SessionKeyId>) -> Self {
        Self { reason, key_id }
    }

    /// The internal reason.
    pub const fn reason(&self) -> RejectReason {
        self.reason
    }

    /// The key id the request named, when it parsed.
    pub const fn key_id(&self) -> Option<SessionKeyId> {
        self.key_id
    }
}
