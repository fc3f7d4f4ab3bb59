//! A bounds-checked cursor over untrusted bytes.

use crate::error::{Error, Field, Result};

/// Reads big-endian fields from a slice; running off the end is an error
/// naming the field, never a panic.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// What running short means: `Truncated` for the outer input,
    /// `LengthMismatch` inside a length-delimited section.
    short: fn(Field) -> Error,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor {
            bytes,
            pos: 0,
            short: |field| Error::Truncated { field },
        }
    }

    /// A cursor over a section whose length field promised `bytes.len()`.
    pub(crate) fn section(bytes: &'a [u8]) -> Self {
        Cursor {
            bytes,
            pos: 0,
            short: |field| Error::LengthMismatch { field },
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(out)
            }
            None => Err((self.short)(field)),
        }
    }

    pub(crate) fn array<const N: usize>(&mut self, field: Field) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: Field) -> Result<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u16(&mut self, field: Field) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }
}
