//! The header model: an owned [`Header`] to build and serialize, and a
//! zero-copy [`HeaderView`] parsed from untrusted bytes.

mod length;
mod view;

pub use length::{header_len, read_header, HeaderLength};
pub use view::HeaderView;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::limits::check_chunk_log2;
use crate::suite::{Flags, Suite};
use crate::wrapped_key::WrappedKey;

/// The four magic bytes every envelope starts with: `\x89CFR`.
pub const MAGIC: [u8; 4] = [0x89, 0x43, 0x46, 0x52];
/// The only format version this library reads and writes.
pub const VERSION: u8 = 1;
/// Length of the fixed part of the core (magic through message id).
pub const FIXED_LEN: usize = 44;
/// Length of the key commitment.
pub const COMMITMENT_LEN: usize = 32;
/// Length of the header tag.
pub const TAG_LEN: usize = 32;

macro_rules! public_bytes {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($name), "("))?;
                for b in &self.0 {
                    write!(f, "{b:02x}")?;
                }
                write!(f, ")")
            }
        }
    };
}

public_bytes!(
    /// The random 32-byte message id, the key schedule's HKDF salt.
    MessageId
);
public_bytes!(
    /// The key commitment C. Public, but compare it in constant time.
    Commitment
);
public_bytes!(
    /// The header tag: HMAC-SHA256 under the header key over everything
    /// before it.
    HeaderTag
);

/// The header core, bytes `[0, X)`: everything the key schedule hashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Core {
    /// The algorithm suite.
    pub suite: Suite,
    /// The flags.
    pub flags: Flags,
    /// Plaintext chunk size exponent, 10..=24.
    pub chunk_log2: u8,
    /// The message id.
    pub message_id: MessageId,
    /// The context entries.
    pub context: Context,
}

impl Core {
    /// Length of the encoded core.
    pub fn encoded_len(&self) -> usize {
        FIXED_LEN + self.context.encoded_len()
    }

    /// The canonical core bytes (what `th` hashes).
    ///
    /// Fails with [`Error::ChunkLog2OutOfRange`] for a chunk size the format
    /// does not allow.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out)?;
        Ok(out)
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "`Context` keeps its length within u16"
    )]
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        check_chunk_log2(self.chunk_log2)?;
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(self.flags.bits());
        out.extend_from_slice(&self.suite.id().to_be_bytes());
        out.push(self.chunk_log2);
        out.push(0);
        out.extend_from_slice(&(self.context.encoded_len() as u16).to_be_bytes());
        out.extend_from_slice(self.message_id.as_bytes());
        self.context.encode_into(out);
        Ok(())
    }
}

/// A complete header, owned.
///
/// Building one is the key layer's job (it computes the commitment and the
/// tag); this type only knows the bytes. Serialization is canonical: each
/// header has exactly one encoding, and parsing gives it back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The core.
    pub core: Core,
    /// The key commitment.
    pub commitment: Commitment,
    /// The wrapped keys, in order, at least one.
    pub keys: Vec<WrappedKey>,
    /// The header tag.
    pub tag: HeaderTag,
}

impl Header {
    /// Parses exactly one header occupying all of `bytes`.
    pub fn parse(bytes: &[u8], limits: &crate::ReaderLimits) -> Result<Header> {
        HeaderView::parse(bytes, limits).and_then(|view| view.to_header())
    }

    fn keys_len(&self) -> Result<u16> {
        if self.keys.is_empty() {
            return Err(Error::NoWrappedKeys);
        }
        let len = 1 + self.keys.iter().map(WrappedKey::encoded_len).sum::<usize>();
        if self.keys.len() > usize::from(u8::MAX) {
            return Err(Error::TooManyWrappedKeys(self.keys.len()));
        }
        u16::try_from(len).map_err(|_| Error::TooManyWrappedKeys(self.keys.len()))
    }

    /// The bytes the header tag covers: the whole header but its tag.
    ///
    /// Fails when the header cannot be encoded: no wrapped keys
    /// ([`Error::NoWrappedKeys`]), a key section over 65535 bytes or 255
    /// records ([`Error::TooManyWrappedKeys`]), or a bad chunk size.
    pub fn signed_bytes(&self) -> Result<Vec<u8>> {
        let keys_len = self.keys_len()?;
        let mut out = Vec::with_capacity(
            self.core.encoded_len() + COMMITMENT_LEN + 2 + usize::from(keys_len) + TAG_LEN,
        );
        self.core.encode_into(&mut out)?;
        out.extend_from_slice(self.commitment.as_bytes());
        out.extend_from_slice(&keys_len.to_be_bytes());
        #[allow(clippy::cast_possible_truncation, reason = "checked by `keys_len`")]
        out.push(self.keys.len() as u8);
        for key in &self.keys {
            key.encode_into(&mut out);
        }
        Ok(out)
    }

    /// The canonical header bytes, tag included.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = self.signed_bytes()?;
        out.extend_from_slice(self.tag.as_bytes());
        Ok(out)
    }
}
