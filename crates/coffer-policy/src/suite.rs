//! Algorithm suites as the policy layer names them.
//!
//! These mirror the lower layers' identifiers exactly:
//!
//! | policy type | name | lower layer |
//! |---|---|---|
//! | [`EnvelopeSuite::Aes256GcmHkdfSha256`] | `AES-256-GCM/HKDF-SHA256` | envelope suite id `0x0001` |
//! | [`EnvelopeSuite::ChaCha20Poly1305HkdfSha256`] | `CHACHA20-POLY1305/HKDF-SHA256` | envelope suite id `0x0002` |
//! | [`SessionSuite::RsaOaep256`] | `RSA-OAEP-256` | session suite, 2048 or 3072-bit keys |
//! | [`SessionSuite::EcdhP256`] | `ECDH-P256` | session suite, P-256 (256-bit) keys |

use serde::{Deserialize, Serialize};

use crate::name::named_enum;

named_enum!(
    /// An envelope (document) suite, named as in the envelope header.
    ///
    /// ```
    /// use coffer_policy::EnvelopeSuite;
    /// assert_eq!(EnvelopeSuite::from_id(0x0002), Some(EnvelopeSuite::ChaCha20Poly1305HkdfSha256));
    /// assert_eq!(EnvelopeSuite::Aes256GcmHkdfSha256.name(), "AES-256-GCM/HKDF-SHA256");
    /// ```
    EnvelopeSuite, "envelope suite" {
        /// Suite `0x0001`: AES-256-GCM with HKDF-SHA256.
        Aes256GcmHkdfSha256 = "AES-256-GCM/HKDF-SHA256",
        /// Suite `0x0002`: ChaCha20-Poly1305 with HKDF-SHA256.
        ChaCha20Poly1305HkdfSha256 = "CHACHA20-POLY1305/HKDF-SHA256",
    }
);

impl EnvelopeSuite {
    /// The 16-bit suite id in the envelope header.
    pub const fn id(self) -> u16 {
        match self {
            EnvelopeSuite::Aes256GcmHkdfSha256 => 0x0001,
            EnvelopeSuite::ChaCha20Poly1305HkdfSha256 => 0x0002,
        }
    }

    /// The suite with header id `id`, if it is one this layer knows.
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(EnvelopeSuite::Aes256GcmHkdfSha256),
            0x0002 => Some(EnvelopeSuite::ChaCha20Poly1305HkdfSha256),
            _ => None,
        }
    }

    /// Whether every primitive of the suite is FIPS 140-approved
    /// (ChaCha20-Poly1305 is not).
    pub const fn is_fips_approved(self) -> bool {
        matches!(self, EnvelopeSuite::Aes256GcmHkdfSha256)
    }
}

named_enum!(
    /// A session (browser-to-server key transport) suite.
    SessionSuite, "session suite" {
        /// RSA-OAEP with SHA-256 (2048 or 3072-bit keys).
        RsaOaep256 = "RSA-OAEP-256",
        /// ECDH on P-256 with HKDF-SHA256 and AES-256-GCM.
        EcdhP256 = "ECDH-P256",
    }
);

impl SessionSuite {
    /// Whether the suite is FIPS 140-approved (both are: RSA-OAEP under
    /// SP 800-56B, ECDH P-256 under SP 800-56A).
    pub const fn is_fips_approved(self) -> bool {
        true
    }
}

/// A session suite together with its key size, as a session is issued.
///
/// ```
/// use coffer_policy::{SessionSpec, SessionSuite};
/// let s = SessionSpec::rsa_oaep_256(3072);
/// assert_eq!((s.suite, s.key_bits), (SessionSuite::RsaOaep256, 3072));
/// assert_eq!(SessionSpec::ecdh_p256().key_bits, 256);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSpec {
    /// The suite.
    pub suite: SessionSuite,
    /// Modulus size for RSA, curve size (256) for ECDH-P256.
    pub key_bits: u32,
}

impl SessionSpec {
    /// An RSA-OAEP-256 session with a `bits`-bit modulus.
    pub const fn rsa_oaep_256(bits: u32) -> Self {
        Self {
            suite: SessionSuite::RsaOaep256,
            key_bits: bits,
        }
    }

    /// An ECDH-P256 session.
    pub const fn ecdh_p256() -> Self {
        Self {
            suite: SessionSuite::EcdhP256,
            key_bits: 256,
        }
    }
}

impl std::fmt::Display for SessionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bits)", self.suite, self.key_bits)
    }
}
