//! Zero-copy parsing of untrusted header bytes.

use core::ops::Range;

use crate::context::{Context, ContextEntries};
use crate::cursor::Cursor;
use crate::error::{Error, Field, Result};
use crate::header::{Commitment, Core, Header, HeaderTag, MessageId, COMMITMENT_LEN, TAG_LEN};
use crate::limits::{check_chunk_log2, ReaderLimits};
use crate::suite::{Flags, Suite};
use crate::wrapped_key::{WrappedKey, WrappedKeys};

/// A header parsed in place: every field validated, nothing copied.
///
/// Parsing is pure (no cryptography): it proves the bytes are a canonical,
/// in-limits header, not that they are authentic. The key layer verifies the
/// commitment and tag.
#[derive(Debug, Clone)]
pub struct HeaderView<'a> {
    bytes: &'a [u8],
    fixed: Fixed,
    context: Range<usize>,
    keys: Range<usize>,
}

/// The fixed 44-byte prefix of the core, validated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fixed {
    pub(crate) suite: Suite,
    pub(crate) flags: Flags,
    pub(crate) chunk_log2: u8,
    pub(crate) context_len: u16,
    pub(crate) message_id: [u8; 32],
}

impl Fixed {
    /// Reads and checks magic through message id against the format and
    /// `limits`.
    pub(crate) fn read(c: &mut Cursor<'_>, limits: &ReaderLimits) -> Result<Fixed> {
        if c.array::<4>(Field::Magic)? != crate::header::MAGIC {
            return Err(Error::BadMagic);
        }
        let version = c.u8(Field::Version)?;
        if version != crate::header::VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let flag_bits = c.u8(Field::Flags)?;
        let flags = Flags::from_bits(flag_bits).ok_or(Error::UnknownFlags(flag_bits))?;
        let suite_id = c.u16(Field::Suite)?;
        let suite = Suite::from_id(suite_id).ok_or(Error::UnknownSuite(suite_id))?;
        if !limits.allows(suite) {
            return Err(Error::SuiteNotAllowed(suite));
        }
        let chunk_log2 = c.u8(Field::ChunkLog2)?;
        check_chunk_log2(chunk_log2)?;
        check_limit(Field::ChunkLog2, chunk_log2.into(), limits.max_chunk_log2.into())?;
        let reserved = c.u8(Field::Reserved)?;
        if reserved != 0 {
            return Err(Error::ReservedNotZero(reserved));
        }
        let context_len = c.u16(Field::ContextLen)?;
        check_limit(
            Field::ContextLen,
            context_len.into(),
            limits.max_context_len.into(),
        )?;
        let message_id = c.array(Field::MessageId)?;
        Ok(Fixed {
            suite,
            flags,
            chunk_log2,
            context_len,
            message_id,
        })
    }
}

/// Reads the key section length and checks it against `limits`.
pub(crate) fn read_keys_len(c: &mut Cursor<'_>, limits: &ReaderLimits) -> Result<u16> {
    let keys_len = c.u16(Field::KeysLen)?;
    check_limit(Field::KeysLen, keys_len.into(), limits.max_keys_len.into())?;
    Ok(keys_len)
}

fn check_limit(field: Field, value: u64, limit: u64) -> Result<()> {
    if value > limit {
        return Err(Error::LimitExceeded { field, value, limit });
    }
    Ok(())
}

impl<'a> HeaderView<'a> {
    /// Parses a header that occupies all of `bytes`.
    ///
    /// Fails with a specific error naming the first bad field; with
    /// [`Error::TrailingBytes`] when bytes follow the header.
    pub fn parse(bytes: &'a [u8], limits: &ReaderLimits) -> Result<Self> {
        let view = Self::parse_prefix(bytes, limits)?;
        match bytes.len() - view.len() {
            0 => Ok(view),
            extra => Err(Error::TrailingBytes(extra)),
        }
    }

    /// Parses the header at the start of `bytes` (e.g. a whole envelope),
    /// ignoring what follows it; [`HeaderView::len`] says where the body
    /// starts.
    pub fn parse_prefix(bytes: &'a [u8], limits: &ReaderLimits) -> Result<Self> {
        let mut c = Cursor::new(bytes);
        let fixed = Fixed::read(&mut c, limits)?;
        let context_start = c.pos();
        let context = c.take(fixed.context_len.into(), Field::Context)?;
        ContextEntries::validate(context)?;
        let context = context_start..c.pos();
        c.take(COMMITMENT_LEN, Field::Commitment)?;
        let keys_len = read_keys_len(&mut c, limits)?;
        let keys_start = c.pos();
        let section = c.take(keys_len.into(), Field::KeySection)?;
        WrappedKeys::parse(section, limits.max_key_count)?;
        let keys = keys_start..c.pos();
        c.take(TAG_LEN, Field::HeaderTag)?;
        let end = c.pos();
        Ok(HeaderView {
            bytes: &bytes[..end],
            fixed,
            context,
            keys,
        })
    }

    /// The header's length in bytes; the body starts here.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a header is never empty. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The whole header's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The core bytes `[0, X)`, which the key schedule hashes.
    pub fn core_bytes(&self) -> &'a [u8] {
        &self.bytes[..self.context.end]
    }

    /// Everything the header tag covers: the header without its tag.
    pub fn signed_bytes(&self) -> &'a [u8] {
        &self.bytes[..self.bytes.len() - TAG_LEN]
    }

    /// The suite.
    pub fn suite(&self) -> Suite {
        self.fixed.suite
    }

    /// The flags.
    pub fn flags(&self) -> Flags {
        self.fixed.flags
    }

    /// The plaintext chunk size exponent.
    pub fn chunk_log2(&self) -> u8 {
        self.fixed.chunk_log2
    }

    /// The message id.
    pub fn message_id(&self) -> MessageId {
        MessageId(self.fixed.message_id)
    }

    /// The context entries, in canonical order.
    pub fn context(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        // Validated by `parse`: every entry is well formed.
        ContextEntries::new(&self.bytes[self.context.clone()]).map_while(Result::ok)
    }

    /// The value of one context entry.
    pub fn context_value(&self, key: &str) -> Option<&'a [u8]> {
        self.context().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The key commitment.
    pub fn commitment(&self) -> Commitment {
        let mut out = [0u8; COMMITMENT_LEN];
        out.copy_from_slice(&self.bytes[self.context.end..self.context.end + COMMITMENT_LEN]);
        Commitment(out)
    }

    /// The wrapped-key records, in order.
    pub fn wrapped_keys(&self) -> WrappedKeys<'a> {
        // The section was validated by `parse`, with the count limit applied
        // then; u8::MAX here only re-walks it.
        WrappedKeys::parse(&self.bytes[self.keys.clone()], u8::MAX).unwrap_or_else(|_| WrappedKeys::empty())
    }

    /// The key section as raw bytes (`key_count ‖ records`).
    pub fn key_section(&self) -> &'a [u8] {
        &self.bytes[self.keys.clone()]
    }

    /// The header tag.
    pub fn tag(&self) -> HeaderTag {
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(&self.bytes[self.bytes.len() - TAG_LEN..]);
        HeaderTag(out)
    }

    /// The core as an owned value.
    pub fn to_core(&self) -> Result<Core> {
        Ok(Core {
            suite: self.suite(),
            flags: self.flags(),
            chunk_log2: self.chunk_log2(),
            message_id: self.message_id(),
            context: Context::try_from(ContextEntries::new(&self.bytes[self.context.clone()]))?,
        })
    }

    /// The whole header as an owned value.
    pub fn to_header(&self) -> Result<Header> {
        Ok(Header {
            core: self.to_core()?,
            commitment: self.commitment(),
            keys: self.wrapped_keys().map(WrappedKey::from).collect(),
            tag: self.tag(),
        })
    }
}
