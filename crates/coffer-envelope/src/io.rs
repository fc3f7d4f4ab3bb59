//! I/O helpers shared by the header reader and the body opener.

use std::io::{ErrorKind, Read};

/// Reads until `buf` is full or the reader ends; returns the bytes read.
/// Unlike `read_exact`, a short input is not an error: the caller decides
/// what it means.
pub(crate) fn read_full<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
