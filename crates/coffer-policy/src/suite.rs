//! Algorithm suites as the policy layer names them.
//!
//! One vocabulary across the layers: each name below is the same text in
//! every layer's `Display` and `FromStr`, in policy documents and in audit
//! events, and the layers convert with `From` / `TryFrom`:
//!
//! | policy type | name | lower layer |
//! |---|---|---|
//! | [`EnvelopeSuite::Aes256GcmHkdfSha256`] | `AES-256-GCM/HKDF-SHA256` | [`envelope::Suite::Aes256GcmHkdfSha256`](coffer_session::envelope::Suite), header id `0x0001` |
//! | [`EnvelopeSuite::ChaCha20Poly1305HkdfSha256`] | `CHACHA20-POLY1305/HKDF-SHA256` | [`envelope::Suite::ChaCha20Poly1305HkdfSha256`](coffer_session::envelope::Suite), header id `0x0002` |
//! | [`SessionSuite::RsaOaep256`] | `RSA-OAEP-256` | [`session::Suite::algorithm`](coffer_session::Suite::algorithm) of `RsaOaep2048` and `RsaOaep3072` |
//! | [`SessionSuite::EcdhP256`] | `ECDH-P256` | [`session::Suite::algorithm`](coffer_session::Suite::algorithm) of `EcdhP256` |
//! | [`SessionSpec`] | `RSA-OAEP-256-2048`, `RSA-OAEP-256-3072`, `ECDH-P256` | [`session::Suite`](coffer_session::Suite) (its id) |
//!
//! Conversions: `envelope::Suite` ⇄ [`EnvelopeSuite`] (`From` one way,
//! `TryFrom` the other, since the envelope layer may define suites this
//! layer does not know yet); `session::Suite` → [`SessionSuite`] and →
//! [`SessionSpec`] (`From`), [`SessionSpec`] → `session::Suite`
//! (`TryFrom`: only sizes the session layer issues).

use coffer_session::keys::KemAlgorithm;
use std::fmt;
use std::str::FromStr;

use coffer_session::envelope;
use serde::{Deserialize, Serialize};

use crate::name::UnknownName;
use crate::named_enum;

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

named_enum!(
    /// The key-encapsulation algorithm of a public-key recipient (a
    /// member's registered key), named as in key texts.
    RecipientKem, "recipient algorithm" {
        /// HPKE DHKEM(X25519, HKDF-SHA256): classical only.
        X25519 = "x25519",
        /// X-Wing (ML-KEM-768 + X25519): the post-quantum hybrid.
        XWing = "xwing",
    }
);

impl RecipientKem {
    /// Whether the algorithm resists a quantum adversary recording
    /// ciphertexts today (X-Wing does, X25519 alone does not).
    pub const fn is_post_quantum(self) -> bool {
        matches!(self, RecipientKem::XWing)
    }

    /// Whether the algorithm is FIPS 140-approved: neither is (X25519 and
    /// X-Wing's ChaCha20-Poly1305 wrap are not approved algorithms).
    pub const fn is_fips_approved(self) -> bool {
        false
    }
}

impl From<KemAlgorithm> for RecipientKem {
    fn from(kem: KemAlgorithm) -> Self {
        match kem {
            KemAlgorithm::X25519 => RecipientKem::X25519,
            KemAlgorithm::XWing => RecipientKem::XWing,
        }
    }
}

impl From<RecipientKem> for KemAlgorithm {
    fn from(kem: RecipientKem) -> Self {
        match kem {
            RecipientKem::X25519 => KemAlgorithm::X25519,
            RecipientKem::XWing => KemAlgorithm::XWing,
        }
    }
}

impl SessionSuite {
    /// Whether the suite is FIPS 140-approved (both are: RSA-OAEP under
    /// SP 800-56B, ECDH P-256 under SP 800-56A).
    pub const fn is_fips_approved(self) -> bool {
        true
    }
}

impl From<EnvelopeSuite> for envelope::Suite {
    fn from(suite: EnvelopeSuite) -> Self {
        match suite {
            EnvelopeSuite::Aes256GcmHkdfSha256 => envelope::Suite::Aes256GcmHkdfSha256,
            EnvelopeSuite::ChaCha20Poly1305HkdfSha256 => envelope::Suite::ChaCha20Poly1305HkdfSha256,
        }
    }
}

impl TryFrom<envelope::Suite> for EnvelopeSuite {
    type Error = UnknownName;

    /// The policy name of an envelope suite; fails only for a suite the
    /// envelope layer defines and this layer does not know yet.
    fn try_from(suite: envelope::Suite) -> Result<Self, UnknownName> {
        EnvelopeSuite::from_id(suite.id()).ok_or_else(|| UnknownName::new("envelope suite", suite.name()))
    }
}

impl From<coffer_session::Suite> for SessionSuite {
    fn from(suite: coffer_session::Suite) -> Self {
        match suite {
            coffer_session::Suite::RsaOaep2048 | coffer_session::Suite::RsaOaep3072 => {
                SessionSuite::RsaOaep256
            }
            coffer_session::Suite::EcdhP256 => SessionSuite::EcdhP256,
        }
    }
}

/// A session suite together with its key size, as a session is issued.
///
/// Its text form ([`Display`](fmt::Display), [`FromStr`]) is the session
/// layer's suite id: the suite name, `-` and the key size for RSA
/// (`RSA-OAEP-256-2048`), the suite name alone for ECDH-P256 with its
/// 256-bit curve (`ECDH-P256`). A spec no session can have (ECDH-P256 with
/// another size) is written `ECDH-P256-<bits>` so that every spec has
/// exactly one text. Its serde form is the object `{"suite", "key_bits"}`
/// (as in audit events).
///
/// ```
/// use coffer_policy::{SessionSpec, SessionSuite};
/// use coffer_policy::session::Suite;
/// let s = SessionSpec::rsa_oaep_256(3072);
/// assert_eq!((s.suite, s.key_bits), (SessionSuite::RsaOaep256, 3072));
/// assert_eq!(SessionSpec::ecdh_p256().key_bits, 256);
/// assert_eq!(s.to_string(), "RSA-OAEP-256-3072");
/// assert_eq!("ECDH-P256".parse(), Ok(SessionSpec::ecdh_p256()));
/// assert_eq!(SessionSpec::from(Suite::RsaOaep3072), s);
/// assert_eq!(Suite::try_from(s), Ok(Suite::RsaOaep3072));
/// assert!(Suite::try_from(SessionSpec::rsa_oaep_256(1024)).is_err());
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

impl fmt::Display for SessionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.suite, self.key_bits) {
            (SessionSuite::EcdhP256, 256) => f.write_str(self.suite.name()),
            (suite, bits) => write!(f, "{suite}-{bits}"),
        }
    }
}

impl FromStr for SessionSpec {
    type Err = UnknownName;

    /// Parses the text [`Display`](fmt::Display) writes, and only that:
    /// `RSA-OAEP-256` needs a size, `ECDH-P256-256` is refused for
    /// `ECDH-P256`, and sizes are decimal without sign or leading zeros.
    fn from_str(text: &str) -> Result<Self, UnknownName> {
        let unknown = || UnknownName::new("session suite", text);
        if text == SessionSuite::EcdhP256.name() {
            return Ok(SessionSpec::ecdh_p256());
        }
        let (name, bits) = text.rsplit_once('-').ok_or_else(unknown)?;
        let suite = SessionSuite::from_name(name).map_err(|_| unknown())?;
        let key_bits = bits
            .parse::<u32>()
            .ok()
            .filter(|n| n.to_string() == bits)
            .ok_or_else(unknown)?;
        let spec = SessionSpec { suite, key_bits };
        if spec == SessionSpec::ecdh_p256() {
            return Err(unknown());
        }
        Ok(spec)
    }
}

impl From<coffer_session::Suite> for SessionSpec {
    fn from(suite: coffer_session::Suite) -> Self {
        match suite.rsa_bits() {
            Some(bits) => SessionSpec::rsa_oaep_256(u32::try_from(bits.bits()).unwrap_or(u32::MAX)),
            None => SessionSpec::ecdh_p256(),
        }
    }
}

impl TryFrom<SessionSpec> for coffer_session::Suite {
    type Error = UnknownName;

    /// The session suite of this spec; fails for a key size the session
    /// layer does not issue (such as RSA-1024).
    fn try_from(spec: SessionSpec) -> Result<Self, UnknownName> {
        coffer_session::Suite::ALL
            .into_iter()
            .find(|suite| SessionSpec::from(*suite) == spec)
            .ok_or_else(|| UnknownName::new("session suite", &spec.to_string()))
    }
}

/// Serde of an [`envelope::Suite`] by its canonical name, for fields of
/// that type in the layers above
/// (`#[serde(with = "coffer_policy::envelope_suite_name")]`).
pub mod envelope_suite_name {
    use coffer_session::envelope::Suite;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the suite's canonical name.
    pub fn serialize<S: Serializer>(suite: &Suite, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(suite.name())
    }

    /// Reads a canonical suite name.
    ///
    /// # Errors
    ///
    /// The deserializer's error for a name that is no suite.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Suite, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}
