//! The envelope layer's error type.

use core::fmt;

use crate::suite::Suite;

/// A header field, named in format and limit errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// Bytes 0..4, the magic number.
    Magic,
    /// Byte 4, the format version.
    Version,
    /// Byte 5, the flags.
    Flags,
    /// Bytes 6..8, the suite id.
    Suite,
    /// Byte 8, the chunk size exponent.
    ChunkLog2,
    /// Byte 9, reserved.
    Reserved,
    /// Bytes 10..12, the context length.
    ContextLen,
    /// Bytes 12..44, the message id.
    MessageId,
    /// The context entries.
    Context,
    /// The key commitment.
    Commitment,
    /// The key section length.
    KeysLen,
    /// The key section (wrapped-key count and records).
    KeySection,
    /// The wrapped-key count.
    KeyCount,
    /// A wrapped-key record.
    WrappedKey,
    /// The header tag.
    HeaderTag,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Magic => "magic",
            Field::Version => "version",
            Field::Flags => "flags",
            Field::Suite => "suite",
            Field::ChunkLog2 => "chunk_log2",
            Field::Reserved => "reserved",
            Field::ContextLen => "context_len",
            Field::MessageId => "message_id",
            Field::Context => "context",
            Field::Commitment => "commitment",
            Field::KeysLen => "keys_len",
            Field::KeySection => "key section",
            Field::KeyCount => "key_count",
            Field::WrappedKey => "wrapped key",
            Field::HeaderTag => "header tag",
        })
    }
}

impl Field {
    /// A stable, machine-readable name for the field: its name in the
    /// specification, lower case, with `-` between words (`chunk-log2`,
    /// `context-len`, `keys-len`, `key-count`, `wrapped-key`, …).
    pub fn code(self) -> &'static str {
        match self {
            Field::Magic => "magic",
            Field::Version => "version",
            Field::Flags => "flags",
            Field::Suite => "suite",
            Field::ChunkLog2 => "chunk-log2",
            Field::Reserved => "reserved",
            Field::ContextLen => "context-len",
            Field::MessageId => "message-id",
            Field::Context => "context",
            Field::Commitment => "commitment",
            Field::KeysLen => "keys-len",
            Field::KeySection => "key-section",
            Field::KeyCount => "key-count",
            Field::WrappedKey => "wrapped-key",
            Field::HeaderTag => "header-tag",
        }
    }
}

/// Everything that can go wrong reading or writing an envelope.
///
/// Format and limit errors are specific and name the field, because they are
/// found before any key is touched and reveal nothing secret. Every
/// authentication failure of the body is the single opaque [`Error::Crypto`]:
/// a truncated, extended, reordered or modified body cannot be told apart, so
/// a caller cannot be used as an oracle.
///
/// [`Error::code`] gives a stable machine-readable code for each error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not start with the coffer magic `89 43 46 52`.
    #[error("not a coffer envelope: bad magic")]
    BadMagic,
    /// The version byte names a format this library does not read.
    #[error("unsupported envelope version `{0}`")]
    UnsupportedVersion(u8),
    /// Flag bits other than EXTERNAL_AAD are set.
    #[error("unknown flag bits `{0:#04x}`")]
    UnknownFlags(u8),
    /// The suite id is not one the format defines.
    #[error("unknown suite `{0:#06x}`")]
    UnknownSuite(u16),
    /// The suite is defined but the reader's allow-list excludes it.
    #[error("suite `{0}` is not allowed by the reader")]
    SuiteNotAllowed(Suite),
    /// The chunk size exponent is outside the format's 10..=24.
    #[error("chunk_log2 `{0}` is outside 10..=24")]
    ChunkLog2OutOfRange(u8),
    /// The reserved byte is not zero.
    #[error("reserved byte is `{0:#04x}`, expected 0")]
    ReservedNotZero(u8),
    /// The input ends inside the named field.
    #[error("{field} is truncated")]
    Truncated {
        /// The field the input ends in.
        field: Field,
    },
    /// A length, count or size is within the format but above the reader's
    /// limit (see [`ReaderLimits`](crate::ReaderLimits)).
    #[error("{field} is `{value}`, above the reader limit of {limit}")]
    LimitExceeded {
        /// The field over its limit.
        field: Field,
        /// The value found.
        value: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A length field and the bytes it delimits disagree: an entry runs past
    /// the end of its section, or bytes are left over.
    #[error("{field} does not exactly fill its length field")]
    LengthMismatch {
        /// The delimited field.
        field: Field,
    },
    /// A context key is empty or longer than 64 bytes.
    #[error("context key length `{0}` is outside 1..=64")]
    ContextKeyLength(usize),
    /// A context key is not UTF-8.
    #[error("context key is not UTF-8")]
    ContextKeyNotUtf8,
    /// A context value is longer than 4096 bytes.
    #[error("context value for `{key}` is `{len}` bytes, more than 4096")]
    ContextValueLength {
        /// The entry's key.
        key: String,
        /// The value's length.
        len: usize,
    },
    /// Context keys are not strictly ascending bytewise (unsorted or
    /// duplicate), so the encoding would not be canonical.
    #[error("context key `{0}` is not strictly after the previous key")]
    ContextOrder(String),
    /// The encoded context would not fit its 16-bit length field.
    #[error("context is `{0}` bytes, more than 65535")]
    ContextTooLarge(usize),
    /// The key section holds no wrapped key.
    #[error("envelope has no wrapped keys")]
    NoWrappedKeys,
    /// More wrapped keys than a single count byte or the key section length
    /// can describe.
    #[error("`{0}` wrapped keys do not fit the key section")]
    TooManyWrappedKeys(usize),
    /// A wrapped-key id is longer than 64 bytes.
    #[error("wrapped key id is `{0}` bytes, more than 64")]
    KidLength(usize),
    /// A wrapped key of a fixed-size type (local, password, HPKE) has the
    /// wrong body length, or an external one is empty or longer than 4096
    /// bytes.
    #[error("wrapped key of type `{key_type}` has a `{len}`-byte body, expected {expected}")]
    WrappedKeyBodyLength {
        /// The wrapped key's type byte.
        key_type: u8,
        /// The body length found.
        len: usize,
        /// What the format requires.
        expected: &'static str,
    },
    /// Bytes follow a complete header where none were expected.
    #[error("`{0}` trailing bytes after the header")]
    TrailingBytes(usize),
    /// The plaintext needs more than 2^32 chunks at this chunk size.
    #[error("message too long: more than 2^32 chunks")]
    MessageTooLong,
    /// A chunk index at or past the message's chunk count was asked for.
    #[error("chunk `{index}` is past the last chunk ({count} chunks)")]
    ChunkIndex {
        /// The index asked for.
        index: u64,
        /// The message's chunk count.
        count: u64,
    },
    /// A [`BodySealer`](crate::BodySealer) was used after one of its writes
    /// failed: the inner writer may hold part of a chunk, so the body cannot
    /// be continued. Start a new message.
    #[error("an earlier write failed: the body is incomplete")]
    SealerBroken,
    /// Authentication failed. This is the only cryptographic error: it covers
    /// a wrong key, any modified byte, truncation, extension, reordering and
    /// a missing or repeated final chunk.
    #[error("cryptographic failure")]
    Crypto,
    /// The underlying reader or writer failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A stable, machine-readable code for this error: lower-case words
    /// joined by `-`, with `.` between levels. Codes are part of the API:
    /// they never change meaning and are not reused, so callers and audit
    /// trails may store and match them (unlike `Debug` or `Display` text).
    ///
    /// Errors in the bytes of a header are `format.<name>` (for example
    /// `format.bad-magic`, `format.context-order`); a field above the
    /// reader's limit is `format.limit.<field>` (`format.limit.chunk-log2`,
    /// `format.limit.context-len`, `format.limit.keys-len`,
    /// `format.limit.key-count`), and a suite outside the reader's
    /// allow-list `format.limit.suite`. Errors of writers and of random
    /// access are `format.<name>` too (`format.context-too-large`,
    /// `format.too-many-wrapped-keys`, `format.message-too-long`,
    /// `format.chunk-index`, `format.sealer-broken`). The two others are
    /// `crypto` and `io`.
    ///
    /// ```
    /// use coffer_envelope::{HeaderView, ReaderLimits};
    /// let err = HeaderView::parse(b"\x89CFR\x02", &ReaderLimits::default()).unwrap_err();
    /// assert_eq!(err.code(), "format.unsupported-version");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadMagic => "format.bad-magic",
            Error::UnsupportedVersion(_) => "format.unsupported-version",
            Error::UnknownFlags(_) => "format.unknown-flags",
            Error::UnknownSuite(_) => "format.unknown-suite",
            Error::SuiteNotAllowed(_) => "format.limit.suite",
            Error::ChunkLog2OutOfRange(_) => "format.chunk-log2-out-of-range",
            Error::ReservedNotZero(_) => "format.reserved-not-zero",
            Error::Truncated { .. } => "format.truncated",
            Error::LimitExceeded { field, .. } => match field {
                Field::ChunkLog2 => "format.limit.chunk-log2",
                Field::ContextLen => "format.limit.context-len",
                Field::KeysLen => "format.limit.keys-len",
                Field::KeyCount => "format.limit.key-count",
                _ => "format.limit",
            },
            Error::LengthMismatch { .. } => "format.length-mismatch",
            Error::ContextKeyLength(_) => "format.context-key-length",
            Error::ContextKeyNotUtf8 => "format.context-key-not-utf8",
            Error::ContextValueLength { .. } => "format.context-value-length",
            Error::ContextOrder(_) => "format.context-order",
            Error::ContextTooLarge(_) => "format.context-too-large",
            Error::NoWrappedKeys => "format.no-wrapped-keys",
            Error::TooManyWrappedKeys(_) => "format.too-many-wrapped-keys",
            Error::KidLength(_) => "format.kid-length",
            Error::WrappedKeyBodyLength { .. } => "format.wrapped-key-body-length",
            Error::TrailingBytes(_) => "format.trailing-bytes",
            Error::MessageTooLong => "format.message-too-long",
            Error::ChunkIndex { .. } => "format.chunk-index",
            Error::SealerBroken => "format.sealer-broken",
            Error::Crypto => "crypto",
            Error::Io(_) => "io",
        }
    }

    /// Converts into an [`std::io::Error`] for `Read`/`Write` adapters,
    /// keeping this error as the source.
    pub fn into_io(self) -> std::io::Error {
        match self {
            Error::Io(e) => e,
            other => std::io::Error::new(std::io::ErrorKind::InvalidData, other),
        }
    }

    /// Recovers an envelope error from an [`std::io::Error`] produced by
    /// [`Error::into_io`]; other I/O errors become [`Error::Io`].
    pub fn from_io(e: std::io::Error) -> Self {
        if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            if let Some(inner) = e.into_inner() {
                if let Ok(err) = inner.downcast::<Error>() {
                    return *err;
                }
            }
            return Error::Crypto;
        }
        Error::Io(e)
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
