//! Finding a header's exact length from a bounded prefix.

use std::io::Read;

use crate::cursor::Cursor;
use crate::error::{Error, Field, Result};
use crate::header::view::{read_keys_len, Fixed};
use crate::header::{COMMITMENT_LEN, FIXED_LEN, TAG_LEN};
use crate::io::read_full;
use crate::limits::ReaderLimits;

/// What a prefix says about the header's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLength {
    /// Read at least this many bytes from the start, then ask again.
    NeedAtLeast(usize),
    /// The header is exactly this long.
    Exact(usize),
}

/// Finds the header's length from the first bytes of an envelope.
///
/// Two bounded reads always suffice: the 44-byte fixed prefix gives the
/// context length, and `44 + context_len + 34` bytes give the key section
/// length. Every length is checked against `limits` before it is reported,
/// so a caller may allocate what it is told.
///
/// ```
/// use coffer_envelope::{header_len, HeaderLength, ReaderLimits};
/// assert_eq!(header_len(&[], &ReaderLimits::default())?, HeaderLength::NeedAtLeast(44));
/// # Ok::<(), coffer_envelope::Error>(())
/// ```
pub fn header_len(prefix: &[u8], limits: &ReaderLimits) -> Result<HeaderLength> {
    if prefix.len() < FIXED_LEN {
        return Ok(HeaderLength::NeedAtLeast(FIXED_LEN));
    }
    let mut c = Cursor::new(prefix);
    let fixed = Fixed::read(&mut c, limits)?;
    let keys_len_at = FIXED_LEN + usize::from(fixed.context_len) + COMMITMENT_LEN;
    if prefix.len() < keys_len_at + 2 {
        return Ok(HeaderLength::NeedAtLeast(keys_len_at + 2));
    }
    let mut c = Cursor::new(&prefix[keys_len_at..]);
    let keys_len = read_keys_len(&mut c, limits)?;
    Ok(HeaderLength::Exact(
        keys_len_at + 2 + usize::from(keys_len) + TAG_LEN,
    ))
}

/// Reads exactly one header's bytes from `reader`, leaving it at the body.
///
/// Reads never go past the header, and nothing is allocated beyond what
/// `limits` allow. The bytes are not yet validated beyond their lengths:
/// parse them with [`HeaderView::parse`](crate::HeaderView::parse).
/// A reader that ends early gives [`Error::Truncated`].
pub fn read_header<R: Read>(reader: &mut R, limits: &ReaderLimits) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(FIXED_LEN);
    loop {
        let want = match header_len(&buf, limits)? {
            HeaderLength::NeedAtLeast(n) => n,
            HeaderLength::Exact(n) if n == buf.len() => return Ok(buf),
            HeaderLength::Exact(n) => n,
        };
        let have = buf.len();
        buf.resize(want, 0);
        let got = read_full(reader, &mut buf[have..])?;
        if have + got < want {
            // Let the parser name the field the input ends in.
            buf.truncate(have + got);
            return Err(crate::HeaderView::parse_prefix(&buf, limits)
                .err()
                .unwrap_or(Error::Truncated {
                    field: Field::HeaderTag,
                }));
        }
    }
}
