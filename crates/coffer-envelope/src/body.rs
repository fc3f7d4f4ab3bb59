//! Whole bodies in memory, and single chunks by index.

use std::io::{Read, Seek, SeekFrom};

use zeroize::Zeroizing;

use crate::chunk::{BodyLayout, ChunkCipher, CHUNK_TAG_LEN};
use crate::error::{Error, Result};
use crate::io::read_full;

/// Seals `plaintext` as a body and appends it to `out` (which may already
/// hold the header, so header and body share one allocation).
pub fn seal_body_into(
    cipher: &ChunkCipher,
    chunk_log2: u8,
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    let layout = BodyLayout::for_plaintext(chunk_log2, plaintext.len() as u64)?;
    let body_len = usize::try_from(layout.body_len()).map_err(|_| Error::MessageTooLong)?;
    out.reserve_exact(body_len);
    let chunk_size = 1usize << chunk_log2;
    let mut chunks = plaintext.chunks(chunk_size);
    for index in 0..layout.chunk_count() {
        // The final chunk of an exact multiple of the chunk size is empty,
        // and `chunks` has nothing left for it.
        let pt = chunks.next().unwrap_or(&[]);
        let start = out.len();
        out.extend_from_slice(pt);
        let tag = cipher.seal_chunk(index, layout.is_final(index), &mut out[start..])?;
        out.extend_from_slice(&tag);
    }
    Ok(())
}

/// Seals `plaintext` as a body.
///
/// ```
/// # // ring's AEAD is native code, which Miri cannot run.
/// # #[cfg(not(miri))] {
/// use coffer_envelope::{open_body, seal_body, ChunkCipher, ContentKey, Suite};
/// let cipher = ChunkCipher::new(Suite::Aes256GcmHkdfSha256, &ContentKey::new(&[7; 32], &[9; 12]))?;
/// let body = seal_body(&cipher, 10, b"hello")?;
/// assert_eq!(body.len(), 5 + 16);
/// assert_eq!(&open_body(&cipher, 10, &body)?[..], b"hello");
/// # }
/// # Ok::<(), coffer_envelope::Error>(())
/// ```
pub fn seal_body(cipher: &ChunkCipher, chunk_log2: u8, plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    seal_body_into(cipher, chunk_log2, plaintext, &mut out)?;
    Ok(out)
}

/// Opens a whole body. Any damage (a modified, missing, extra, reordered or
/// truncated chunk, trailing bytes) is [`Error::Crypto`].
pub fn open_body(cipher: &ChunkCipher, chunk_log2: u8, body: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let layout = BodyLayout::from_body_len(chunk_log2, body.len() as u64)?;
    let pt_len = usize::try_from(layout.plaintext_len()).map_err(|_| Error::Crypto)?;
    // One copy of the whole body (as a raw AEAD user clones a ciphertext),
    // then each chunk is opened from where it lies into its place in the
    // plaintext, which trails the body by one tag per chunk before it.
    // Copying and opening 64 KiB at a time instead was measurably slower on
    // large bodies.
    let mut out = Zeroizing::new(body.to_vec());
    let chunk_size = 1usize << chunk_log2;
    let chunk_len = chunk_size + CHUNK_TAG_LEN;
    for index in 0..layout.chunk_count() {
        let k = usize::try_from(index).map_err(|_| Error::Crypto)?;
        let (pt_at, shift) = (k * chunk_size, k * CHUNK_TAG_LEN);
        let end = (pt_at + shift + chunk_len).min(out.len());
        cipher.open_chunk_shifted(index, layout.is_final(index), &mut out[pt_at..end], shift)?;
    }
    out.truncate(pt_len);
    Ok(out)
}

/// Reads and opens chunk `index` alone from a seekable envelope whose body
/// starts at `body_start` and has layout `layout`.
///
/// Only that chunk's bytes are read, and its plaintext is released only
/// after its tag verifies. An index at or past [`BodyLayout::chunk_count`] is
/// [`Error::ChunkIndex`]; damage is [`Error::Crypto`].
pub fn read_chunk<R: Read + Seek>(
    reader: &mut R,
    body_start: u64,
    layout: &BodyLayout,
    cipher: &ChunkCipher,
    index: u64,
) -> Result<Zeroizing<Vec<u8>>> {
    if index >= layout.chunk_count() {
        return Err(Error::ChunkIndex {
            index,
            count: layout.chunk_count(),
        });
    }
    let range = layout.chunk_body_range(index);
    let len = usize::try_from(range.end - range.start).map_err(|_| Error::Crypto)?;
    // A body that would end past u64::MAX cannot be on any reader.
    let at = body_start.checked_add(range.start).ok_or(Error::Crypto)?;
    reader.seek(SeekFrom::Start(at))?;
    let mut buf = Zeroizing::new(vec![0u8; len]);
    if read_full(reader, &mut buf)? != len {
        return Err(Error::Crypto);
    }
    cipher.open_chunk(index, layout.is_final(index), &mut buf)?;
    buf.truncate(len - CHUNK_TAG_LEN);
    Ok(buf)
}
