//! Algorithm suites and header flags.

use core::fmt;

use ring::aead;

/// An algorithm suite: the chunk AEAD and the key-derivation function.
///
/// Both suites derive keys with HKDF-SHA256 and commit to the key; they
/// differ only in the chunk AEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Suite {
    /// `0x0001`: AES-256-GCM chunks, HKDF-SHA256 key schedule.
    Aes256GcmHkdfSha256,
    /// `0x0002`: ChaCha20-Poly1305 chunks, HKDF-SHA256 key schedule.
    ChaCha20Poly1305HkdfSha256,
}

impl Suite {
    /// Every suite the format defines.
    pub const ALL: [Suite; 2] = [Suite::Aes256GcmHkdfSha256, Suite::ChaCha20Poly1305HkdfSha256];

    /// The two-byte id written in the header.
    pub const fn id(self) -> u16 {
        match self {
            Suite::Aes256GcmHkdfSha256 => 0x0001,
            Suite::ChaCha20Poly1305HkdfSha256 => 0x0002,
        }
    }

    /// The suite with this id, if the format defines one.
    ///
    /// ```
    /// use coffer_envelope::Suite;
    /// assert_eq!(Suite::from_id(1), Some(Suite::Aes256GcmHkdfSha256));
    /// assert_eq!(Suite::from_id(3), None);
    /// ```
    pub const fn from_id(id: u16) -> Option<Suite> {
        match id {
            0x0001 => Some(Suite::Aes256GcmHkdfSha256),
            0x0002 => Some(Suite::ChaCha20Poly1305HkdfSha256),
            _ => None,
        }
    }

    /// The stable name used in policies and logs.
    pub const fn name(self) -> &'static str {
        match self {
            Suite::Aes256GcmHkdfSha256 => "AES-256-GCM/HKDF-SHA256",
            Suite::ChaCha20Poly1305HkdfSha256 => "CHACHA20-POLY1305/HKDF-SHA256",
        }
    }

    pub(crate) fn aead(self) -> &'static aead::Algorithm {
        match self {
            Suite::Aes256GcmHkdfSha256 => &aead::AES_256_GCM,
            Suite::ChaCha20Poly1305HkdfSha256 => &aead::CHACHA20_POLY1305,
        }
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The header's flag byte. Only [`Flags::EXTERNAL_AAD`] is defined; a reader
/// rejects any other bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// No flag set.
    pub const NONE: Flags = Flags(0);
    /// The caller must supply associated data that is bound into the key
    /// schedule but not stored in the envelope.
    pub const EXTERNAL_AAD: Flags = Flags(0b0000_0001);
    const KNOWN: u8 = 0b0000_0001;

    /// Flags from their byte, rejecting undefined bits.
    pub fn from_bits(bits: u8) -> Option<Flags> {
        (bits & !Self::KNOWN == 0).then_some(Flags(bits))
    }

    /// The byte written in the header.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether the EXTERNAL_AAD flag is set.
    pub const fn external_aad(self) -> bool {
        self.0 & Self::EXTERNAL_AAD.0 != 0
    }
}
