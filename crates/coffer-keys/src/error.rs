//! The errors of the key layer.

use std::fmt;

use crate::keyring::KeyState;

/// What went wrong while sealing, opening, rewrapping or managing keys.
///
/// Format, limit, missing-key and expectation errors are specific so callers
/// can react to them; every cryptographic failure is the one opaque
/// [`Error::Crypto`], so an attacker who sees the error learns nothing about
/// which check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The envelope bytes are malformed or exceed a reader limit (including
    /// a suite outside the caller's allow-list), as reported by the format
    /// layer.
    #[error(transparent)]
    Format(coffer_envelope::Error),
    /// A cryptographic check failed: wrong key or password, tampered header,
    /// commitment, key section or body. Deliberately says nothing more.
    #[error("cryptographic failure")]
    Crypto(CryptoFailure),
    /// No wrapped key in the message names a key the caller supplied (no
    /// matching keyring kid, password or external wrapper).
    #[error("no wrapped key in the message matches an available key")]
    NoMatchingKey,
    /// The keyring holds no key with this name or version.
    #[error("key `{0}` is not in the keyring")]
    UnknownKey(String),
    /// The key exists but its state forbids the operation (for example
    /// decrypting with a suspended key, or encrypting with a decrypt-only one).
    #[error("key `{id}` is {state} and cannot be used to {operation}")]
    KeyNotUsable {
        /// The key, as `name:version`.
        id: String,
        /// Its current state.
        state: KeyState,
        /// `encrypt` or `decrypt`.
        operation: &'static str,
    },
    /// The key's version is below its name's minimum decryption version.
    #[error("key `{id}` is below the minimum decryption version {minimum}")]
    BelowMinimumVersion {
        /// The key, as `name:version`.
        id: String,
        /// The minimum version the keyring still decrypts with.
        minimum: u32,
    },
    /// A keyring change would break its rules (a second Active key, a
    /// duplicate version, leaving a name without an Active key, reviving a
    /// destroyed key).
    #[error("keyring change refused: {0}")]
    KeyringRule(String),
    /// A key name, version or kid does not follow the rules in
    /// [`KeyId`](crate::KeyId).
    #[error("invalid key id `{0}`")]
    InvalidKeyId(String),
    /// A context key starting with `coffer.` was passed as a user entry.
    #[error("context key `{0}` is reserved for coffer")]
    ReservedContextKey(String),
    /// A context entry the caller requires is absent from the message.
    #[error("required context entry `{0}` is missing")]
    MissingContext(String),
    /// A context entry the caller requires has another value.
    #[error("context entry `{0}` does not have the expected value")]
    ContextMismatch(String),
    /// The message was sealed with external AAD and none was supplied.
    #[error("message requires external aad")]
    ExternalAadRequired,
    /// External AAD was supplied for a message sealed without it.
    #[error("message was sealed without external aad")]
    ExternalAadUnexpected,
    /// A PBKDF2 iteration count is outside the allowed range (below the
    /// 600 000 floor, or above the reader's cap).
    #[error("pbkdf2 iteration count `{iterations}` is outside {min}..={max}")]
    Iterations {
        /// The count found or requested.
        iterations: u32,
        /// The smallest count accepted.
        min: u32,
        /// The largest count accepted.
        max: u32,
    },
    /// Sealing to an empty password was refused.
    #[error("password is empty")]
    EmptyPassword,
    /// A seal or rewrap would leave the message without recipients, or with
    /// more than the format allows.
    #[error("recipient count `{0}` is not allowed")]
    RecipientCount(usize),
    /// A recipient to remove or replace is not in the message.
    #[error("recipient `{0}` is not in the message")]
    RecipientNotFound(String),
    /// An external key wrapper (a KMS) could not be reached or failed for a
    /// reason other than a cryptographic rejection.
    #[error("key wrapper `{kid}` failed: {reason}")]
    KeyWrapper {
        /// The wrapper's kid, lossily decoded.
        kid: String,
        /// The wrapper's own description of the failure.
        reason: String,
    },
    /// The requested plaintext byte range lies outside the message.
    #[error("range `{start}..{end}` is outside the plaintext of `{len}` bytes")]
    Range {
        /// First byte requested.
        start: u64,
        /// One past the last byte requested.
        end: u64,
        /// Plaintext length of the message.
        len: u64,
    },
    /// The sealed bytes are not a project key.
    #[error("sealed bytes are not a project key")]
    NotAProjectKey,
    /// The system random generator failed (or a scripted test source ran
    /// out).
    #[error("random generator failed")]
    Random,
    /// Reading or writing a stream failed.
    #[error("i/o error")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn crypto(reason: CryptoReason) -> Self {
        Self::Crypto(CryptoFailure { reason })
    }
}

impl From<coffer_envelope::Error> for Error {
    fn from(err: coffer_envelope::Error) -> Self {
        match err {
            coffer_envelope::Error::Crypto => Self::crypto(CryptoReason::Body),
            coffer_envelope::Error::Io(io) => Self::Io(io),
            other => Self::Format(other),
        }
    }
}

/// The detail behind an opaque [`Error::Crypto`].
///
/// Its `Display` says only "cryptographic failure"; [`CryptoFailure::reason`]
/// is for the audit trail and must not be shown to whoever supplied the
/// message.
#[derive(Debug)]
pub struct CryptoFailure {
    reason: CryptoReason,
}

impl CryptoFailure {
    /// Which check failed, for the audit trail only.
    pub fn reason(&self) -> CryptoReason {
        self.reason
    }
}

impl fmt::Display for CryptoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cryptographic failure")
    }
}

/// Which cryptographic check failed (audit detail of [`CryptoFailure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoReason {
    /// Key derivation failed.
    Derivation,
    /// No candidate wrapped key passed its wrap commitment (wrong key or
    /// password, or a wrapped key moved from another message).
    WrapCommitment,
    /// A wrapped key passed its wrap commitment but did not decrypt.
    WrappedKey,
    /// An external key wrapper rejected the wrapped key.
    ExternalRejected,
    /// The unwrapped DEK does not match the message's key commitment.
    Commitment,
    /// The header tag does not verify.
    HeaderTag,
    /// A body chunk failed authentication, or the body is truncated or
    /// extended.
    Body,
}
