//! Streaming under failure: inner I/O errors, damaged chunks and misuse after
//! an error never release unauthenticated plaintext or lose data.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use std::io::{self, Read, Write};

use coffer_envelope::{seal_body, BodyOpener, BodySealer, ChunkCipher, ContentKey, Error, Suite};

fn cipher() -> ChunkCipher {
    ChunkCipher::new(Suite::Aes256GcmHkdfSha256, &ContentKey::new(&[5; 32], &[6; 12])).unwrap()
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 253) as u8).collect()
}

/// A writer that accepts `budget` bytes and then fails.
struct FailingWriter {
    written: Vec<u8>,
    budget: usize,
}

impl Write for FailingWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::other("disk full"));
        }
        let n = data.len().min(self.budget);
        self.written.extend_from_slice(&data[..n]);
        self.budget -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn sealer_refuses_to_continue_after_a_failed_write() {
    // The budget ends inside the second chunk.
    let inner = FailingWriter {
        written: Vec::new(),
        budget: 1040 + 100,
    };
    let mut sealer = BodySealer::new(inner, cipher(), 10).unwrap();
    let pt = plaintext(4000);
    let err = sealer.write_all(&pt).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    // Later writes and finish must not seal whatever the buffer holds now.
    let again = sealer.write(&pt[..10]).unwrap_err();
    assert!(matches!(Error::from_io(again), Error::SealerBroken));
    assert!(matches!(sealer.finish(), Err(Error::SealerBroken)));
}

/// A reader over `data` that fails once, with `kind`, after `fail_at` bytes.
struct HiccupReader<'a> {
    data: &'a [u8],
    pos: usize,
    fail_at: usize,
    kind: Option<io::ErrorKind>,
}

impl Read for HiccupReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.fail_at {
            if let Some(kind) = self.kind.take() {
                return Err(kind.into());
            }
        }
        let end = if self.pos < self.fail_at {
            self.fail_at
        } else {
            self.data.len()
        };
        let n = buf.len().min(end - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn opener_resumes_after_an_inner_read_error() {
    let pt = plaintext(3000);
    let body = seal_body(&cipher(), 10, &pt).unwrap();
    for fail_at in [0, 1, 500, 1040, 1041, 2000, body.len() - 1, body.len()] {
        let reader = HiccupReader {
            data: &body,
            pos: 0,
            fail_at,
            kind: Some(io::ErrorKind::WouldBlock),
        };
        let mut opener = BodyOpener::new(reader, cipher(), 10).unwrap();
        let mut out = Vec::new();
        let err = opener.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "fail_at {fail_at}");
        // Only whole verified chunks came out before the error.
        assert_eq!(out, pt[..out.len()]);
        assert_eq!(out.len() % 1024, 0);
        opener.read_to_end(&mut out).unwrap();
        assert_eq!(out, pt, "fail_at {fail_at}");
        assert!(opener.is_done());
    }
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn opener_releases_only_verified_chunks_and_stays_failed() {
    let pt = plaintext(3000);
    let mut body = seal_body(&cipher(), 10, &pt).unwrap();
    body[1040 + 3] ^= 0x80; // inside the second chunk's ciphertext
    let mut opener = BodyOpener::new(&body[..], cipher(), 10).unwrap();
    let mut out = Vec::new();
    let err = opener.read_to_end(&mut out).unwrap_err();
    assert!(matches!(Error::from_io(err), Error::Crypto));
    assert_eq!(out, pt[..1024]);
    let mut buf = [0u8; 64];
    for _ in 0..3 {
        let err = opener.read(&mut buf).unwrap_err();
        assert!(matches!(Error::from_io(err), Error::Crypto));
    }
    assert!(!opener.is_done());
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn sealer_and_opener_reject_chunk_sizes_outside_the_format() {
    for chunk_log2 in [0, 9, 25, 255] {
        assert!(matches!(
            BodySealer::new(Vec::new(), cipher(), chunk_log2),
            Err(Error::ChunkLog2OutOfRange(n)) if n == chunk_log2
        ));
        assert!(matches!(
            BodyOpener::new(&[][..], cipher(), chunk_log2),
            Err(Error::ChunkLog2OutOfRange(n)) if n == chunk_log2
        ));
    }
}

#[test]
fn an_io_error_keeps_its_cause() {
    use std::error::Error as _;
    let mut failing = HiccupReader {
        data: &[],
        pos: 0,
        fail_at: 0,
        kind: Some(io::ErrorKind::StorageFull),
    };
    let err =
        coffer_envelope::read_header(&mut failing, &coffer_envelope::ReaderLimits::default()).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    assert_eq!(err.code(), "io");
    let source = err.source().expect("an i/o error has a source");
    let io = source
        .downcast_ref::<io::Error>()
        .expect("the source is the io::Error");
    assert_eq!(io.kind(), io::ErrorKind::StorageFull);
}
