//! Streaming bodies through `Write` and `Read` in constant memory.

use std::io::{self, Read, Write};

use crate::chunk::{ChunkCipher, CHUNK_TAG_LEN, MAX_CHUNKS};
use crate::error::{Error, Result};
use crate::limits::check_chunk_log2;
use crate::secret_buf::SecretBuf;

/// The first read of a [`BodyOpener`] chunk buffer: what a short body
/// initializes (and wipes); longer chunks double it up to the chunk size.
const FIRST_READ: usize = 4096;

/// Seals a body as it is written, holding at most one chunk in memory.
///
/// Call [`BodySealer::finish`] to write the final chunk: a sealer dropped
/// without it leaves a body that every reader rejects as truncated.
///
/// ```
/// # // ring's AEAD is native code, which Miri cannot run.
/// # #[cfg(not(miri))] {
/// use std::io::{Read, Write};
/// use coffer_envelope::{BodyOpener, BodySealer, ChunkCipher, ContentKey, Suite};
/// let key = ContentKey::new(&[1; 32], &[2; 12]);
/// let cipher = || ChunkCipher::new(Suite::ChaCha20Poly1305HkdfSha256, &key);
/// let mut sealer = BodySealer::new(Vec::new(), cipher()?, 10)?;
/// sealer.write_all(&vec![42u8; 5000])?;
/// let body = sealer.finish()?;
/// let mut plaintext = Vec::new();
/// BodyOpener::new(&body[..], cipher()?, 10)?.read_to_end(&mut plaintext)?;
/// assert_eq!(plaintext, vec![42u8; 5000]);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BodySealer<W: Write> {
    inner: W,
    cipher: ChunkCipher,
    chunk_size: usize,
    /// One chunk of plaintext, then its ciphertext and tag; wiped as a
    /// slice on drop.
    buf: SecretBuf,
    index: u64,
    /// Set while a chunk is being written and left set if that fails: the
    /// inner writer may hold part of a chunk, so the body cannot be
    /// continued, and the buffer may hold ciphertext rather than plaintext.
    broken: bool,
}

impl<W: Write> BodySealer<W> {
    /// A sealer writing chunks of `2^chunk_log2` plaintext bytes to `inner`.
    pub fn new(inner: W, cipher: ChunkCipher, chunk_log2: u8) -> Result<Self> {
        check_chunk_log2(chunk_log2)?;
        let chunk_size = 1usize << chunk_log2;
        Ok(BodySealer {
            inner,
            cipher,
            chunk_size,
            buf: SecretBuf::with_capacity(chunk_size + CHUNK_TAG_LEN),
            index: 0,
            broken: false,
        })
    }

    /// Seals and writes the buffered chunk.
    fn flush_chunk(&mut self, is_final: bool) -> Result<()> {
        if self.broken {
            return Err(Error::SealerBroken);
        }
        if self.index >= MAX_CHUNKS {
            return Err(Error::MessageTooLong);
        }
        self.broken = true;
        let tag = self
            .cipher
            .seal_chunk(self.index, is_final, self.buf.as_mut_slice())?;
        self.buf.extend_from_slice(&tag);
        self.inner.write_all(self.buf.as_slice())?;
        self.buf.clear();
        self.index += 1;
        self.broken = false;
        Ok(())
    }

    /// Writes the final chunk and returns the inner writer.
    ///
    /// A full buffered chunk is written as an ordinary chunk followed by an
    /// empty final one, since the final chunk must be shorter than a full
    /// chunk.
    pub fn finish(mut self) -> Result<W> {
        if self.buf.len() == self.chunk_size {
            self.flush_chunk(false)?;
        }
        self.flush_chunk(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for BodySealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.broken {
            return Err(Error::SealerBroken.into_io());
        }
        if data.is_empty() {
            return Ok(0);
        }
        // A full chunk is sealed only once more data arrives: until then it
        // might still be the last one.
        if self.buf.len() == self.chunk_size {
            self.flush_chunk(false).map_err(Error::into_io)?;
        }
        let n = data.len().min(self.chunk_size - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Opens a body as it is read, holding at most one chunk in memory.
///
/// Plaintext is released only after its chunk's tag verifies, and the end of
/// the stream (`Ok(0)`) is reported only after the final chunk verifies. Any
/// damage is an [`std::io::Error`] of kind `InvalidData` wrapping
/// [`Error::Crypto`] (see [`Error::from_io`]); after it the opener yields
/// nothing more. An error of the inner reader is passed through and loses
/// nothing: reading again resumes where it stopped.
#[derive(Debug)]
pub struct BodyOpener<R: Read> {
    inner: R,
    cipher: ChunkCipher,
    /// Room for one whole chunk (ciphertext and tag), allocated once and
    /// initialized only as far as chunks have reached, so a short body
    /// touches and wipes a few kilobytes, not a whole chunk; wiped as a
    /// slice on drop.
    buf: SecretBuf,
    /// Verified plaintext not yet handed out: `buf[start..end]`.
    start: usize,
    end: usize,
    /// Bytes of the next chunk read so far into `buf`.
    filled: usize,
    index: u64,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Done,
    Failed,
}

impl<R: Read> BodyOpener<R> {
    /// An opener reading a body of `2^chunk_log2`-byte chunks from `inner`.
    pub fn new(inner: R, cipher: ChunkCipher, chunk_log2: u8) -> Result<Self> {
        check_chunk_log2(chunk_log2)?;
        let chunk_size = 1usize << chunk_log2;
        Ok(BodyOpener {
            inner,
            cipher,
            buf: SecretBuf::with_capacity(chunk_size + CHUNK_TAG_LEN),
            start: 0,
            end: 0,
            filled: 0,
            index: 0,
            state: State::Reading,
        })
    }

    /// Whether the final chunk has been verified.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Reads and verifies the next chunk into the buffer.
    ///
    /// A full-length chunk can only be a non-final one (the final chunk is
    /// always shorter), so no lookahead is needed: a short read is the final
    /// chunk, and it can only be short because the input ended, so nothing
    /// can trail it.
    fn next_chunk(&mut self) -> Result<()> {
        let full = self.buf.capacity();
        while self.filled < full {
            if self.filled == self.buf.initialized() {
                let more = (2 * self.filled).max(FIRST_READ).min(full);
                self.buf.initialize(more);
            }
            match self.inner.read(&mut self.buf.initialized_mut()[self.filled..]) {
                Ok(0) => break,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // `filled` keeps what was read, so a retry resumes here.
                Err(e) => return Err(Error::Io(e)),
            }
        }
        let got = core::mem::take(&mut self.filled);
        let is_final = got < full;
        self.buf.set_len(got);
        // A final chunk shorter than a tag, or none at all (the input ended
        // after a full chunk), is refused by `open_chunk` as `Crypto`.
        let pt_len = self
            .cipher
            .open_chunk(self.index, is_final, self.buf.as_mut_slice())?
            .len();
        self.start = 0;
        self.end = pt_len;
        self.index += 1;
        if is_final {
            self.state = State::Done;
        }
        Ok(())
    }

    /// Returns the inner reader, positioned after the last chunk read.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for BodyOpener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.start == self.end {
            match self.state {
                State::Done => return Ok(0),
                State::Failed => return Err(Error::Crypto.into_io()),
                State::Reading => {
                    if let Err(e) = self.next_chunk() {
                        if !matches!(e, Error::Io(_)) {
                            self.state = State::Failed;
                        }
                        return Err(e.into_io());
                    }
                }
            }
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf.as_slice()[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ContentKey;
    use crate::suite::Suite;

    fn cipher() -> ChunkCipher {
        match ChunkCipher::new(Suite::Aes256GcmHkdfSha256, &ContentKey::new(&[3; 32], &[4; 12])) {
            Ok(cipher) => cipher,
            Err(e) => unreachable!("{e}"),
        }
    }

    fn read_all(opener: &mut BodyOpener<&[u8]>) -> Vec<u8> {
        let mut out = Vec::new();
        assert!(opener.read_to_end(&mut out).is_ok());
        out
    }

    #[test]
    fn a_short_body_touches_only_what_it_uses() {
        let body = crate::body::seal_body(&cipher(), 16, &[7; 64]).unwrap_or_default();
        let Ok(mut opener) = BodyOpener::new(&body[..], cipher(), 16) else {
            unreachable!()
        };
        assert_eq!(read_all(&mut opener), vec![7; 64]);
        assert!(opener.is_done());
        // Before, the whole 64 KiB chunk buffer was zero-filled up front
        // and wiped byte by byte on drop.
        assert_eq!(opener.buf.capacity(), (1 << 16) + CHUNK_TAG_LEN);
        assert_eq!(opener.buf.initialized(), FIRST_READ);
    }

    #[test]
    fn the_buffer_grows_to_whole_chunks_and_stays_within_them() {
        let plaintext: Vec<u8> = (0..5000u32).map(|i| i.to_le_bytes()[0]).collect();
        let body = crate::body::seal_body(&cipher(), 10, &plaintext).unwrap_or_default();
        let Ok(mut opener) = BodyOpener::new(&body[..], cipher(), 10) else {
            unreachable!()
        };
        assert_eq!(read_all(&mut opener), plaintext);
        assert_eq!(opener.buf.initialized(), 1024 + CHUNK_TAG_LEN);
    }

    #[test]
    fn debug_prints_no_buffer_bytes() {
        let body = crate::body::seal_body(&cipher(), 10, &[0xAB; 100]).unwrap_or_default();
        let Ok(mut opener) = BodyOpener::new(&body[..], cipher(), 10) else {
            unreachable!()
        };
        let mut first = [0u8; 10];
        assert!(opener.read(&mut first).is_ok());
        let mut sealer = BodySealer::new(Vec::new(), cipher(), 10).unwrap_or_else(|_| unreachable!());
        assert!(sealer.write_all(&[0xAB; 100]).is_ok());
        let text = format!("{opener:?} {sealer:?}");
        assert!(text.contains("SecretBuf { len: "), "{text}");
        assert!(!text.contains("171"), "{text}");
    }
}
