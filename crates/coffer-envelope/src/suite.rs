//! Algorithm suites and header flags.

use core::fmt;
use core::str::FromStr;

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

    /// The suite's canonical name, the same in every layer (policy
    /// documents, audit events, logs): `AES-256-GCM/HKDF-SHA256` or
    /// `CHACHA20-POLY1305/HKDF-SHA256`. [`Display`](fmt::Display) writes it
    /// and [`FromStr`] parses it (exactly: case and spelling matter).
    ///
    /// ```
    /// use coffer_envelope::Suite;
    /// let suite: Suite = "CHACHA20-POLY1305/HKDF-SHA256".parse()?;
    /// assert_eq!(suite, Suite::ChaCha20Poly1305HkdfSha256);
    /// assert_eq!(suite.to_string(), suite.name());
    /// assert!("chacha20-poly1305/hkdf-sha256".parse::<Suite>().is_err());
    /// # Ok::<(), coffer_envelope::UnknownSuiteName>(())
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Suite::Aes256GcmHkdfSha256 => "AES-256-GCM/HKDF-SHA256",
            Suite::ChaCha20Poly1305HkdfSha256 => "CHACHA20-POLY1305/HKDF-SHA256",
        }
    }

    /// The suite with this canonical name, if the format defines one.
    pub fn from_name(name: &str) -> Option<Suite> {
        Self::ALL.into_iter().find(|suite| suite.name() == name)
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

impl FromStr for Suite {
    type Err = UnknownSuiteName;

    fn from_str(name: &str) -> Result<Suite, UnknownSuiteName> {
        Suite::from_name(name).ok_or_else(|| UnknownSuiteName::new(name))
    }
}

/// Text that is not the canonical name of an envelope suite
/// ([`Suite::name`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown envelope suite `{name}`")]
pub struct UnknownSuiteName {
    name: String,
}

impl UnknownSuiteName {
    fn new(name: &str) -> Self {
        let mut end = name.len().min(64);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            name: name[..end].to_owned(),
        }
    }

    /// The text that named no suite (cut to 64 bytes).
    pub fn name(&self) -> &str {
        &self.name
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for suite in Suite::ALL {
            assert_eq!(suite.to_string(), suite.name());
            assert_eq!(suite.name().parse::<Suite>(), Ok(suite));
            assert_eq!(Suite::from_id(suite.id()), Some(suite));
        }
        assert_ne!(Suite::ALL[0].name(), Suite::ALL[1].name());
    }

    #[test]
    fn unknown_names_are_refused_and_quoted_short() {
        let err = "AES-256-GCM".parse::<Suite>().unwrap_err();
        assert_eq!(err.to_string(), "unknown envelope suite `AES-256-GCM`");
        assert_eq!(err.name(), "AES-256-GCM");
        assert!(" AES-256-GCM/HKDF-SHA256".parse::<Suite>().is_err());
        let long = "é".repeat(100);
        assert_eq!(long.parse::<Suite>().unwrap_err().name().len(), 64);
    }
}
