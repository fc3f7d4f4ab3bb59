//! The errors of the key layer.

use std::fmt;

use coffer_envelope::{Field, Suite};

use crate::keyring::KeyState;

/// What went wrong while sealing, opening, rewrapping or managing keys.
///
/// Format, limit, missing-key and expectation errors are specific so callers
/// can react to them; every cryptographic failure is the one opaque
/// [`Error::Crypto`], so an attacker who sees the error learns nothing about
/// which check failed: its `Display` ("cryptographic failure") and `Debug`
/// (`Crypto(CryptoFailure)`) are the same whatever the reason, which only
/// [`CryptoFailure::reason`] tells, for the audit trail.
///
/// [`Error::code`] gives a stable machine-readable code for each error.
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
    /// The key's version is below its name's minimum decryption version:
    /// it may not decrypt, and a keyring refuses to make it (or rotate into
    /// it as) the Active version, which would seal messages it cannot open.
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
    /// Bytes given as a public key are not a valid key of this algorithm
    /// (wrong length, or an X-Wing key whose ML-KEM part fails the FIPS 203
    /// modulus check).
    #[error("public key is not a valid `{0}` key")]
    InvalidPublicKey(crate::KemAlgorithm),
    /// Bytes given as an identity secret were refused by the KEM.
    #[error("identity secret is not a valid `{0}` key")]
    InvalidIdentity(crate::KemAlgorithm),
    /// The sealed bytes are not a project key.
    #[error("sealed bytes are not a project key")]
    NotAProjectKey,
    /// The system random generator failed (or a scripted test source ran
    /// out).
    #[error("random generator failed")]
    Random,
    /// Sealing would write a message that the reader it is meant for
    /// refuses: a field above that reader's limit (see
    /// [`SealOptions::reader_limits`](crate::SealOptions::reader_limits),
    /// by default [`ReaderLimits::default`](coffer_envelope::ReaderLimits)).
    #[error("{field} would be `{value}`, above the reader limit of {limit}")]
    ExceedsReaderLimit {
        /// The header field over the limit (`ChunkLog2`, `ContextLen`,
        /// `KeysLen` or `KeyCount`).
        field: Field,
        /// The value the message would have.
        value: u64,
        /// The reader's limit.
        limit: u64,
    },
    /// Sealing with a suite that the reader the message is meant for does
    /// not allow (see
    /// [`SealOptions::reader_limits`](crate::SealOptions::reader_limits)).
    #[error("suite `{0}` is not allowed by the reader limits")]
    SuiteNotReadable(Suite),
    /// Reading or writing a stream failed. The `std::io::Error` is kept:
    /// it is this error's [`source`](std::error::Error::source) and its
    /// message follows `i/o error: ` in this error's text (as in
    /// [`coffer_envelope::Error::Io`]). The code stays `io` whatever the
    /// cause.
    #[error("i/o error: {0}")]
    Io(#[source] std::io::Error),
}

impl Error {
    pub(crate) fn crypto(reason: CryptoReason) -> Self {
        Self::Crypto(CryptoFailure { reason })
    }

    /// A stable, machine-readable code for this error: lower-case words
    /// joined by `-`, with `.` between levels. Codes are part of the API:
    /// they never change meaning and are not reused, so audit trails and
    /// callers may store and match them (unlike `Debug` or `Display` text).
    ///
    /// - a format error ([`Error::Format`]) has the format layer's code,
    ///   `format.…` ([`coffer_envelope::Error::code`]);
    /// - a cryptographic failure ([`Error::Crypto`]) is `crypto`, whatever
    ///   the reason (the reason's own code, [`CryptoReason::code`], is for
    ///   the audit trail only);
    /// - a seal over the intended reader's limits
    ///   ([`Error::ExceedsReaderLimit`], [`Error::SuiteNotReadable`]) is
    ///   `exceeds-reader-limit.<field>` (`chunk-log2`, `context-len`,
    ///   `keys-len`, `key-count`, `suite`);
    /// - every other variant is its name in kebab case, such as
    ///   `no-matching-key` or `below-minimum-version`.
    ///
    /// ```
    /// use coffer_keys::{open, Error, OpenOptions};
    /// let err = open(b"not an envelope", &OpenOptions::new()).unwrap_err();
    /// assert_eq!(err.code(), "format.bad-magic");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Self::Format(err) => err.code(),
            Self::Crypto(_) => "crypto",
            Self::NoMatchingKey => "no-matching-key",
            Self::UnknownKey(_) => "unknown-key",
            Self::KeyNotUsable { .. } => "key-not-usable",
            Self::BelowMinimumVersion { .. } => "below-minimum-version",
            Self::KeyringRule(_) => "keyring-rule",
            Self::InvalidKeyId(_) => "invalid-key-id",
            Self::ReservedContextKey(_) => "reserved-context-key",
            Self::MissingContext(_) => "missing-context",
            Self::ContextMismatch(_) => "context-mismatch",
            Self::ExternalAadRequired => "external-aad-required",
            Self::ExternalAadUnexpected => "external-aad-unexpected",
            Self::Iterations { .. } => "iterations",
            Self::EmptyPassword => "empty-password",
            Self::RecipientCount(_) => "recipient-count",
            Self::RecipientNotFound(_) => "recipient-not-found",
            Self::KeyWrapper { .. } => "key-wrapper",
            Self::Range { .. } => "range",
            Self::InvalidPublicKey(_) => "invalid-public-key",
            Self::InvalidIdentity(_) => "invalid-identity",
            Self::NotAProjectKey => "not-a-project-key",
            Self::Random => "random",
            Self::ExceedsReaderLimit { field, .. } => match field {
                Field::ChunkLog2 => "exceeds-reader-limit.chunk-log2",
                Field::ContextLen => "exceeds-reader-limit.context-len",
                Field::KeysLen => "exceeds-reader-limit.keys-len",
                Field::KeyCount => "exceeds-reader-limit.key-count",
                _ => "exceeds-reader-limit",
            },
            Self::SuiteNotReadable(_) => "exceeds-reader-limit.suite",
            Self::Io(_) => "io",
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
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
/// Its `Display` says only "cryptographic failure" and its `Debug` only
/// `CryptoFailure`, whatever the reason, so logging an error never tells
/// which check failed; [`CryptoFailure::reason`] is the explicit way to get
/// it, for the audit trail, and must not be shown to whoever supplied the
/// message.
pub struct CryptoFailure {
    reason: CryptoReason,
}

impl CryptoFailure {
    /// Which check failed, for the audit trail only.
    pub fn reason(&self) -> CryptoReason {
        self.reason
    }
}

impl fmt::Debug for CryptoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CryptoFailure")
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
    /// password, or a wrapped key moved from another message), or no HPKE
    /// wrapped key opened under the identity its kid names.
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

impl CryptoReason {
    /// A stable, machine-readable code for the reason (see
    /// [`Error::code`]): `derivation`, `wrap-commitment`, `wrapped-key`,
    /// `external-rejected`, `commitment`, `header-tag` or `body`. For the
    /// audit trail only.
    pub fn code(self) -> &'static str {
        match self {
            Self::Derivation => "derivation",
            Self::WrapCommitment => "wrap-commitment",
            Self::WrappedKey => "wrapped-key",
            Self::ExternalRejected => "external-rejected",
            Self::Commitment => "commitment",
            Self::HeaderTag => "header-tag",
            Self::Body => "body",
        }
    }
}
