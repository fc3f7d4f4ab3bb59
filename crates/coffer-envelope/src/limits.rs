//! Reader limits: the bounds a reader applies before it allocates.

use crate::error::{Error, Result};
use crate::suite::Suite;

/// The smallest chunk size exponent the format allows (1 KiB chunks).
pub const MIN_CHUNK_LOG2: u8 = 10;
/// The largest chunk size exponent the format allows (16 MiB chunks).
pub const MAX_CHUNK_LOG2: u8 = 24;
/// The chunk size exponent writers use unless told otherwise (64 KiB).
pub const DEFAULT_CHUNK_LOG2: u8 = 16;

/// Checks a chunk size exponent against the range the format allows (a
/// reader's own, tighter bound is [`ReaderLimits::max_chunk_log2`]).
pub(crate) fn check_chunk_log2(chunk_log2: u8) -> Result<()> {
    if (MIN_CHUNK_LOG2..=MAX_CHUNK_LOG2).contains(&chunk_log2) {
        Ok(())
    } else {
        Err(Error::ChunkLog2OutOfRange(chunk_log2))
    }
}

/// Bounds a reader enforces on untrusted headers, each checked before the
/// bytes it governs are read or allocated.
///
/// The defaults follow the design: chunks up to 1 MiB, 8 KiB of context,
/// 8 KiB of key section, 8 wrapped keys, both suites.
///
/// ```
/// use coffer_envelope::{ReaderLimits, Suite};
/// let strict = ReaderLimits {
///     allowed_suites: vec![Suite::Aes256GcmHkdfSha256],
///     ..ReaderLimits::default()
/// };
/// assert!(!strict.allows(Suite::ChaCha20Poly1305HkdfSha256));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderLimits {
    /// Largest accepted chunk size exponent (default 20, at most 24).
    pub max_chunk_log2: u8,
    /// Largest accepted context section in bytes (default 8192).
    pub max_context_len: u16,
    /// Largest accepted key section in bytes (default 8192).
    pub max_keys_len: u16,
    /// Largest accepted number of wrapped keys (default 8).
    pub max_key_count: u8,
    /// Suites the reader accepts (default: all).
    pub allowed_suites: Vec<Suite>,
}

impl Default for ReaderLimits {
    fn default() -> Self {
        ReaderLimits {
            max_chunk_log2: 20,
            max_context_len: 8192,
            max_keys_len: 8192,
            max_key_count: 8,
            allowed_suites: Suite::ALL.to_vec(),
        }
    }
}

impl ReaderLimits {
    /// Whether `suite` is in the allow-list.
    pub fn allows(&self, suite: Suite) -> bool {
        self.allowed_suites.contains(&suite)
    }

    /// The largest header these limits admit, in bytes.
    pub fn max_header_len(&self) -> usize {
        crate::header::FIXED_LEN
            + usize::from(self.max_context_len)
            + crate::header::COMMITMENT_LEN
            + 2
            + usize::from(self.max_keys_len)
            + crate::header::TAG_LEN
    }
}
