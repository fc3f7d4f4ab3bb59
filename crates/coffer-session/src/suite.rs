//! The session suites a browser can speak.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ephemeral-key suite: how the browser encrypts the secret for the server.
///
/// Every suite is implementable with Web Crypto alone.
///
/// Names: a suite is an algorithm ([`Suite::algorithm`]: `RSA-OAEP-256` or
/// `ECDH-P256`, the names policy documents use) with a key size
/// ([`Suite::key_bits`]). Its id ([`Suite::id`]), which offers, serde,
/// [`Display`](std::fmt::Display) and [`FromStr`] use, is the algorithm
/// followed by `-` and the modulus size for RSA (`RSA-OAEP-256-2048`,
/// `RSA-OAEP-256-3072`), and the algorithm alone for ECDH (`ECDH-P256`,
/// whose curve fixes the size).
///
/// ```
/// use coffer_session::Suite;
/// let suite: Suite = "RSA-OAEP-256-3072".parse()?;
/// assert_eq!((suite.algorithm(), suite.key_bits()), ("RSA-OAEP-256", 3072));
/// assert_eq!(suite.to_string(), "RSA-OAEP-256-3072");
/// # Ok::<(), coffer_session::UnknownSuite>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Suite {
    /// RSA-OAEP with SHA-256 (and MGF1-SHA-256) under a 2048-bit key: what
    /// existing browser clients speak.
    #[serde(rename = "RSA-OAEP-256-2048")]
    RsaOaep2048,
    /// RSA-OAEP with SHA-256 under a 3072-bit key.
    #[serde(rename = "RSA-OAEP-256-3072")]
    RsaOaep3072,
    /// Ephemeral-ephemeral ECDH on P-256, HKDF-SHA256, AES-256-GCM.
    #[serde(rename = "ECDH-P256")]
    EcdhP256,
}

/// The RSA modulus sizes the key pool generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsaBits {
    /// 2048-bit modulus.
    B2048,
    /// 3072-bit modulus.
    B3072,
}

impl RsaBits {
    /// The modulus size in bits.
    pub const fn bits(self) -> usize {
        match self {
            Self::B2048 => 2048,
            Self::B3072 => 3072,
        }
    }

    /// The modulus size in bytes, which is also the exact ciphertext length.
    pub const fn modulus_len(self) -> usize {
        self.bits() / 8
    }

    /// The longest message RSA-OAEP-SHA256 can carry under this modulus:
    /// `k - 2·32 - 2` (RFC 8017 §7.1.1).
    pub const fn max_message_len(self) -> usize {
        self.modulus_len() - 2 * 32 - 2
    }
}

/// The longest secret the ECDH suite accepts, whatever the configuration says.
pub const ECDH_MAX_SECRET_LEN: usize = 4096;

impl Suite {
    /// All suites, strongest-to-cheapest order does not matter here.
    pub const ALL: [Suite; 3] = [Suite::RsaOaep2048, Suite::RsaOaep3072, Suite::EcdhP256];

    /// The identifier used in offers (`RSA-OAEP-256-2048`, `RSA-OAEP-256-3072`,
    /// `ECDH-P256`).
    pub const fn id(self) -> &'static str {
        match self {
            Self::RsaOaep2048 => "RSA-OAEP-256-2048",
            Self::RsaOaep3072 => "RSA-OAEP-256-3072",
            Self::EcdhP256 => "ECDH-P256",
        }
    }

    /// Looks a suite up by its identifier.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|suite| suite.id() == id)
    }

    /// The algorithm without the key size, as policy documents name it:
    /// `RSA-OAEP-256` or `ECDH-P256`.
    pub const fn algorithm(self) -> &'static str {
        match self {
            Self::RsaOaep2048 | Self::RsaOaep3072 => "RSA-OAEP-256",
            Self::EcdhP256 => "ECDH-P256",
        }
    }

    /// The key size in bits (the RSA modulus or the curve order), for
    /// minimum-key-size rules.
    pub const fn key_bits(self) -> usize {
        match self {
            Self::RsaOaep2048 => 2048,
            Self::RsaOaep3072 => 3072,
            Self::EcdhP256 => 256,
        }
    }

    /// The RSA modulus size, or `None` for ECDH.
    pub const fn rsa_bits(self) -> Option<RsaBits> {
        match self {
            Self::RsaOaep2048 => Some(RsaBits::B2048),
            Self::RsaOaep3072 => Some(RsaBits::B3072),
            Self::EcdhP256 => None,
        }
    }

    /// The longest secret this suite can carry at all (190 bytes for
    /// RSA-2048, 318 for RSA-3072, [`ECDH_MAX_SECRET_LEN`] for ECDH).
    pub const fn capacity(self) -> usize {
        match self.rsa_bits() {
            Some(bits) => bits.max_message_len(),
            None => ECDH_MAX_SECRET_LEN,
        }
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Suite {
    type Err = UnknownSuite;

    /// Parses a suite id ([`Suite::id`]), exactly.
    fn from_str(id: &str) -> Result<Self, UnknownSuite> {
        Self::from_id(id).ok_or_else(|| UnknownSuite::new(id))
    }
}

/// Text that is not the id of a session suite ([`Suite::id`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown session suite `{id}`")]
pub struct UnknownSuite {
    id: String,
}

impl UnknownSuite {
    fn new(id: &str) -> Self {
        let mut end = id.len().min(64);
        while !id.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            id: id[..end].to_owned(),
        }
    }

    /// The text that named no suite (cut to 64 bytes).
    pub fn id(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_match_serde() {
        for suite in Suite::ALL {
            assert_eq!(Suite::from_id(suite.id()), Some(suite));
            assert_eq!(suite.to_string().parse::<Suite>(), Ok(suite));
            let json = serde_json::to_string(&suite).unwrap();
            assert_eq!(json, format!("\"{}\"", suite.id()));
        }
        assert_eq!(Suite::from_id("RSA-OAEP"), None);
        let err = "RSA-OAEP-256".parse::<Suite>().unwrap_err();
        assert_eq!(err.to_string(), "unknown session suite `RSA-OAEP-256`");
        assert_eq!(err.id(), "RSA-OAEP-256");
    }

    #[test]
    fn ids_are_the_algorithm_and_the_rsa_modulus_size() {
        for suite in Suite::ALL {
            let expected = match suite.rsa_bits() {
                Some(bits) => format!("{}-{}", suite.algorithm(), bits.bits()),
                None => suite.algorithm().to_owned(),
            };
            assert_eq!(suite.id(), expected);
        }
        assert_eq!(Suite::EcdhP256.key_bits(), 256);
    }

    #[test]
    fn capacities_follow_rfc_8017() {
        assert_eq!(Suite::RsaOaep2048.capacity(), 190);
        assert_eq!(Suite::RsaOaep3072.capacity(), 318);
        assert_eq!(Suite::EcdhP256.capacity(), ECDH_MAX_SECRET_LEN);
    }
}
