//! Chunk framing and chunk AEAD: nonces, associated data, the final-chunk
//! rule and offsets for random access.

use ring::aead;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::limits::check_chunk_log2;
use crate::suite::Suite;

/// Length of each chunk's authentication tag.
pub const CHUNK_TAG_LEN: usize = 16;
/// Largest number of chunks in one message (2^32).
pub const MAX_CHUNKS: u64 = 1 << 32;

/// The content key `K_enc` and nonce base, derived per message by the key
/// layer. Zeroized on drop; never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ContentKey {
    key: [u8; 32],
    nonce_base: [u8; 12],
}

impl ContentKey {
    /// Wraps key material. The caller should zeroize its own copies.
    pub fn new(key: &[u8; 32], nonce_base: &[u8; 12]) -> Self {
        ContentKey {
            key: *key,
            nonce_base: *nonce_base,
        }
    }
}

impl core::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ContentKey(..)")
    }
}

/// `nonce_i = nonce_base XOR (0^4 ‖ u64_be(i))`.
pub fn chunk_nonce(nonce_base: &[u8; 12], index: u64) -> [u8; 12] {
    let mut nonce = *nonce_base;
    for (n, i) in nonce[4..].iter_mut().zip(index.to_be_bytes()) {
        *n ^= i;
    }
    nonce
}

/// `aad_i = u64_be(i) ‖ final_i`.
pub fn chunk_aad(index: u64, is_final: bool) -> [u8; 9] {
    let mut aad = [0u8; 9];
    aad[..8].copy_from_slice(&index.to_be_bytes());
    aad[8] = u8::from(is_final);
    aad
}

/// Seals and opens chunks of one message.
pub struct ChunkCipher {
    key: aead::LessSafeKey,
    nonce_base: [u8; 12],
}

impl core::fmt::Debug for ChunkCipher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChunkCipher")
            .field("suite", self.key.algorithm())
            .finish_non_exhaustive()
    }
}

impl ChunkCipher {
    /// A cipher for `suite` under `key`.
    ///
    /// Both suites take 32-byte keys, so this only fails (with
    /// [`Error::Crypto`]) if the AEAD backend refuses the key.
    pub fn new(suite: Suite, key: &ContentKey) -> Result<Self> {
        let unbound = aead::UnboundKey::new(suite.aead(), &key.key).map_err(|_| Error::Crypto)?;
        Ok(ChunkCipher {
            key: aead::LessSafeKey::new(unbound),
            nonce_base: key.nonce_base,
        })
    }

    /// The nonce and associated data of chunk `index`, for sealing and
    /// opening alike.
    fn nonce_and_aad(&self, index: u64, is_final: bool) -> (aead::Nonce, aead::Aad<[u8; 9]>) {
        (
            aead::Nonce::assume_unique_for_key(chunk_nonce(&self.nonce_base, index)),
            aead::Aad::from(chunk_aad(index, is_final)),
        )
    }

    /// Encrypts chunk `index` in place and returns its tag.
    pub fn seal_chunk(&self, index: u64, is_final: bool, chunk: &mut [u8]) -> Result<[u8; CHUNK_TAG_LEN]> {
        if index >= MAX_CHUNKS {
            return Err(Error::MessageTooLong);
        }
        let (nonce, aad) = self.nonce_and_aad(index, is_final);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, aad, chunk)
            .map_err(|_| Error::MessageTooLong)?;
        let mut out = [0u8; CHUNK_TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts chunk `index` (`ciphertext ‖ tag`) in place and returns the
    /// plaintext part. Any failure is [`Error::Crypto`].
    pub fn open_chunk<'b>(&self, index: u64, is_final: bool, chunk: &'b mut [u8]) -> Result<&'b mut [u8]> {
        self.open_chunk_shifted(index, is_final, chunk, 0)
    }

    /// Decrypts chunk `index`, held in `buf[shift..]` as `ciphertext ‖ tag`,
    /// writing the plaintext to the start of `buf`, which it returns: a body
    /// copied whole is opened chunk by chunk with its plaintext packed
    /// together, without a second copy. Any failure is [`Error::Crypto`].
    pub(crate) fn open_chunk_shifted<'b>(
        &self,
        index: u64,
        is_final: bool,
        buf: &'b mut [u8],
        shift: usize,
    ) -> Result<&'b mut [u8]> {
        if index >= MAX_CHUNKS || buf.len().saturating_sub(shift) < CHUNK_TAG_LEN {
            return Err(Error::Crypto);
        }
        let (nonce, aad) = self.nonce_and_aad(index, is_final);
        self.key
            .open_within(nonce, aad, buf, shift..)
            .map_err(|_| Error::Crypto)
    }
}

/// Where each chunk of a body lies, for a known plaintext or body length.
///
/// Every chunk but the last holds exactly `2^chunk_log2` plaintext bytes; the
/// last holds fewer, possibly zero, so every length has exactly one chunking
/// and chunk k starts at `k * (2^chunk_log2 + 16)` within the body.
///
/// ```
/// use coffer_envelope::BodyLayout;
/// let layout = BodyLayout::for_plaintext(10, 2048)?;
/// assert_eq!(layout.chunk_count(), 3); // 1024 + 1024 + an empty final chunk
/// assert_eq!(layout.body_len(), 3 * 16 + 2048);
/// assert_eq!(BodyLayout::from_body_len(10, layout.body_len())?, layout);
/// # Ok::<(), coffer_envelope::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLayout {
    chunk_log2: u8,
    plaintext_len: u64,
}

impl BodyLayout {
    /// The layout of a `plaintext_len`-byte plaintext; fails with
    /// [`Error::MessageTooLong`] past 2^32 chunks.
    pub fn for_plaintext(chunk_log2: u8, plaintext_len: u64) -> Result<Self> {
        check_chunk_log2(chunk_log2)?;
        let layout = BodyLayout {
            chunk_log2,
            plaintext_len,
        };
        if layout.chunk_count() > MAX_CHUNKS {
            return Err(Error::MessageTooLong);
        }
        Ok(layout)
    }

    /// The layout implied by a body of `body_len` bytes. A length no
    /// plaintext produces (a last chunk shorter than a tag, or a missing
    /// final chunk) is [`Error::Crypto`], like any other damaged body.
    pub fn from_body_len(chunk_log2: u8, body_len: u64) -> Result<Self> {
        check_chunk_log2(chunk_log2)?;
        let full = (1u64 << chunk_log2) + CHUNK_TAG_LEN as u64;
        let rem = body_len % full;
        if rem < CHUNK_TAG_LEN as u64 {
            return Err(Error::Crypto);
        }
        let full_chunks = body_len / full;
        let plaintext_len = (full_chunks << chunk_log2) + (rem - CHUNK_TAG_LEN as u64);
        Self::for_plaintext(chunk_log2, plaintext_len).map_err(|_| Error::Crypto)
    }

    /// Plaintext bytes per full chunk.
    pub fn chunk_size(&self) -> u64 {
        1 << self.chunk_log2
    }

    /// The chunk size exponent.
    pub fn chunk_log2(&self) -> u8 {
        self.chunk_log2
    }

    /// Total plaintext length.
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// Number of chunks, final chunk included (at least one).
    pub fn chunk_count(&self) -> u64 {
        (self.plaintext_len >> self.chunk_log2) + 1
    }

    /// Total body length: plaintext plus one tag per chunk.
    pub fn body_len(&self) -> u64 {
        self.plaintext_len + self.chunk_count() * CHUNK_TAG_LEN as u64
    }

    /// Whether chunk `index` is the final one.
    pub fn is_final(&self, index: u64) -> bool {
        index + 1 == self.chunk_count()
    }

    /// Plaintext byte range of chunk `index` (empty past the end).
    pub fn chunk_plaintext_range(&self, index: u64) -> core::ops::Range<u64> {
        let start = index.saturating_mul(self.chunk_size()).min(self.plaintext_len);
        let end = start.saturating_add(self.chunk_size()).min(self.plaintext_len);
        start..end
    }

    /// Byte range of chunk `index` within the body (ciphertext and tag).
    pub fn chunk_body_range(&self, index: u64) -> core::ops::Range<u64> {
        let pt = self.chunk_plaintext_range(index);
        let start = index.saturating_mul(self.chunk_size() + CHUNK_TAG_LEN as u64);
        start..start + (pt.end - pt.start) + CHUNK_TAG_LEN as u64
    }

    /// The chunks holding plaintext bytes `range` (clamped to the message).
    pub fn chunks_for(&self, range: core::ops::Range<u64>) -> core::ops::Range<u64> {
        let end = range.end.min(self.plaintext_len);
        let start = range.start.min(end);
        if start == end {
            let k = start >> self.chunk_log2;
            return k..k;
        }
        (start >> self.chunk_log2)..((end - 1) >> self.chunk_log2) + 1
    }
}
