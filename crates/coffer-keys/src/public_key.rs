//! Public-key recipients: public keys, their fingerprints, and identities
//! (the matching private keys).
//!
//! Two KEMs, both used through HPKE (RFC 9180) base mode:
//!
//! | algorithm | wrapped key type | HPKE KEM id | public key | identity secret |
//! |---|---|---|---|---|
//! | X25519 | `04` | `0x0020` DHKEM(X25519, HKDF-SHA256) | 32 bytes | 32 bytes (clamped scalar) |
//! | X-Wing | `05` | `0x647a` ML-KEM-768 + X25519 | 1216 bytes | 32 bytes (seed) |
//!
//! A public key's fingerprint is
//! `SHA-256("coffer/v1 recipient" ‖ 00 ‖ type ‖ kem_id ‖ public key)[0..16]`;
//! it is the kid of every record wrapped for it, so a reader picks its
//! record without trial decryption.

use std::fmt;

use coffer_envelope::KeyType;
use hpke::kem::{X25519HkdfSha256, XWing};
use hpke::{Deserializable, Kem, Serializable};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::primitive::sha256;
use crate::rng::Randomness;
use crate::Error;

/// Bytes of a public-key fingerprint (the kid of HPKE records).
pub const FINGERPRINT_LEN: usize = 16;

const FINGERPRINT_LABEL: &[u8] = b"coffer/v1 recipient";

pub(crate) type X25519Secret = <X25519HkdfSha256 as Kem>::PrivateKey;
pub(crate) type X25519Public = <X25519HkdfSha256 as Kem>::PublicKey;
pub(crate) type XWingSecret = <XWing as Kem>::PrivateKey;
pub(crate) type XWingPublic = <XWing as Kem>::PublicKey;

/// The key encapsulation mechanism of a public key or identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KemAlgorithm {
    /// DHKEM(X25519, HKDF-SHA256) (RFC 9180): classical, 128-bit security.
    X25519,
    /// X-Wing (ML-KEM-768 + X25519, draft-connolly-cfrg-xwing-kem): secure
    /// while either component is, so also against a future quantum
    /// adversary that records ciphertexts today.
    XWing,
}

impl KemAlgorithm {
    /// Both algorithms, classical first.
    pub const ALL: [KemAlgorithm; 2] = [KemAlgorithm::X25519, KemAlgorithm::XWing];

    /// The wrapped key type of records for this algorithm.
    pub fn key_type(self) -> KeyType {
        match self {
            Self::X25519 => KeyType::HPKE_X25519,
            Self::XWing => KeyType::HPKE_XWING,
        }
    }

    /// The algorithm whose records have this type, if any.
    pub fn from_key_type(key_type: KeyType) -> Option<Self> {
        match key_type {
            KeyType::HPKE_X25519 => Some(Self::X25519),
            KeyType::HPKE_XWING => Some(Self::XWing),
            _ => None,
        }
    }

    /// The HPKE KEM identifier: `0x0020` or `0x647a`.
    pub fn kem_id(self) -> u16 {
        match self {
            Self::X25519 => <X25519HkdfSha256 as Kem>::KEM_ID,
            Self::XWing => <XWing as Kem>::KEM_ID,
        }
    }

    /// Length of an encoded public key: 32 or 1216 bytes.
    pub fn public_key_len(self) -> usize {
        match self {
            Self::X25519 => X25519Public::size(),
            Self::XWing => XWingPublic::size(),
        }
    }

    /// The lower-case name used in key texts and messages: `x25519` or
    /// `xwing`.
    pub fn name(self) -> &'static str {
        match self {
            Self::X25519 => "x25519",
            Self::XWing => "xwing",
        }
    }
}

impl fmt::Display for KemAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum PublicInner {
    X25519(X25519Public),
    XWing(Box<XWingPublic>),
}

/// A recipient's public key (X25519 or X-Wing), with its fingerprint.
///
/// Anyone may hold it: sealing to it needs no secret, and only the matching
/// [`Identity`] opens what was sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    inner: PublicInner,
    fingerprint: [u8; FINGERPRINT_LEN],
}

impl PublicKey {
    /// Decodes a public key of `algorithm`.
    ///
    /// Fails with [`Error::InvalidPublicKey`] when `bytes` has the wrong
    /// length, or (X-Wing) its ML-KEM part is not a valid FIPS 203
    /// encapsulation key.
    pub fn from_bytes(algorithm: KemAlgorithm, bytes: &[u8]) -> Result<Self, Error> {
        let invalid = |_| Error::InvalidPublicKey(algorithm);
        let inner = match algorithm {
            KemAlgorithm::X25519 => PublicInner::X25519(X25519Public::from_bytes(bytes).map_err(invalid)?),
            KemAlgorithm::XWing => {
                PublicInner::XWing(Box::new(XWingPublic::from_bytes(bytes).map_err(invalid)?))
            }
        };
        Ok(Self::from_inner(inner))
    }

    fn from_inner(inner: PublicInner) -> Self {
        let mut key = Self {
            inner,
            fingerprint: [0; FINGERPRINT_LEN],
        };
        let algorithm = key.algorithm();
        let digest = sha256(&[
            FINGERPRINT_LABEL,
            &[0x00, algorithm.key_type().0],
            &algorithm.kem_id().to_be_bytes(),
            &key.to_bytes(),
        ]);
        key.fingerprint.copy_from_slice(&digest[..FINGERPRINT_LEN]);
        key
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KemAlgorithm {
        match self.inner {
            PublicInner::X25519(_) => KemAlgorithm::X25519,
            PublicInner::XWing(_) => KemAlgorithm::XWing,
        }
    }

    /// The encoded key: 32 bytes (X25519) or `pk_M(1184) ‖ pk_X(32)`
    /// (X-Wing).
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.inner {
            PublicInner::X25519(key) => key.to_bytes().to_vec(),
            PublicInner::XWing(key) => key.to_bytes().to_vec(),
        }
    }

    /// The fingerprint, which is the kid of the records wrapped for this key.
    pub fn fingerprint(&self) -> &[u8; FINGERPRINT_LEN] {
        &self.fingerprint
    }

    /// The fingerprint as lower-case hex, for people comparing keys.
    pub fn fingerprint_hex(&self) -> String {
        hex::encode(self.fingerprint)
    }

    pub(crate) fn inner(&self) -> &PublicInner {
        &self.inner
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.algorithm(), self.fingerprint_hex())
    }
}

pub(crate) enum SecretInner {
    X25519(X25519Secret),
    XWing(Box<XWingSecret>),
}

/// A recipient's private key: opens what was sealed to its [`PublicKey`].
///
/// A secret: the key material is wiped when the identity is dropped (the
/// underlying x25519-dalek and x-wing keys zeroize on drop), it prints as
/// `Identity(algorithm, fingerprint)` and never as bytes, it has no `Clone`,
/// and it compares in constant time.
///
/// ```
/// use coffer_keys::{open, seal, Identity, KemAlgorithm, OpenOptions, Recipient, SealOptions};
/// let alice = Identity::generate(KemAlgorithm::XWing)?;
/// let sealed = seal(b"hello", &[Recipient::public_key(alice.public_key())], &SealOptions::new())?;
/// let opened = open(&sealed, &OpenOptions::new().identity(&alice))?;
/// assert_eq!(opened.plaintext(), b"hello");
/// assert!(!format!("{alice:?}").contains(&format!("{:?}", alice.expose_secret())));
/// # Ok::<(), coffer_keys::Error>(())
/// ```
pub struct Identity {
    secret: SecretInner,
    public: PublicKey,
}

impl Identity {
    /// A fresh identity from the system's secure random generator: 32
    /// random bytes, as an X25519 private key or an X-Wing seed.
    pub fn generate(algorithm: KemAlgorithm) -> Result<Self, Error> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        Randomness::system().fill(bytes.as_mut_slice())?;
        Self::from_secret_bytes(algorithm, &bytes)
    }

    /// The identity whose secret is `secret`: an X25519 private key (RFC
    /// 7748; clamped on use) or an X-Wing decapsulation key seed. Every 32
    /// bytes are a valid secret for both; [`Error::InvalidIdentity`] is
    /// returned only if the KEM implementation refuses them anyway.
    pub fn from_secret_bytes(algorithm: KemAlgorithm, secret: &[u8; 32]) -> Result<Self, Error> {
        let invalid = |_| Error::InvalidIdentity(algorithm);
        let (secret, public) = match algorithm {
            KemAlgorithm::X25519 => {
                let sk = X25519Secret::from_bytes(secret).map_err(invalid)?;
                let pk = X25519HkdfSha256::sk_to_pk(&sk);
                (SecretInner::X25519(sk), PublicInner::X25519(pk))
            }
            KemAlgorithm::XWing => {
                let sk = XWingSecret::from_bytes(secret).map_err(invalid)?;
                let pk = XWing::sk_to_pk(&sk);
                (SecretInner::XWing(Box::new(sk)), PublicInner::XWing(Box::new(pk)))
            }
        };
        Ok(Self {
            secret,
            public: PublicKey::from_inner(public),
        })
    }

    /// The identity's algorithm.
    pub fn algorithm(&self) -> KemAlgorithm {
        self.public.algorithm()
    }

    /// The public key to give to whoever seals for this identity.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The 32 secret bytes (an X25519 private key, clamped, or an X-Wing
    /// seed), for writing an identity file; never log them.
    pub fn expose_secret(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        match &self.secret {
            SecretInner::X25519(sk) => {
                let mut bytes = sk.to_bytes();
                out.copy_from_slice(&bytes);
                bytes.zeroize();
            }
            SecretInner::XWing(sk) => {
                let mut bytes = sk.to_bytes();
                out.copy_from_slice(&bytes);
                bytes.zeroize();
            }
        }
        out
    }

    pub(crate) fn secret(&self) -> &SecretInner {
        &self.secret
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Identity({}, {})",
            self.algorithm(),
            self.public.fingerprint_hex()
        )
    }
}

impl ConstantTimeEq for Identity {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        let same_algorithm = subtle::Choice::from(u8::from(self.algorithm() == other.algorithm()));
        same_algorithm & self.expose_secret().ct_eq(&*other.expose_secret())
    }
}

impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Identity {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_the_typed_hash_of_the_public_key() {
        for algorithm in KemAlgorithm::ALL {
            let identity = Identity::from_secret_bytes(algorithm, &[7; 32]).unwrap();
            let public = identity.public_key();
            assert_eq!(public.to_bytes().len(), algorithm.public_key_len());
            let mut input = b"coffer/v1 recipient\x00".to_vec();
            input.push(algorithm.key_type().0);
            input.extend_from_slice(&algorithm.kem_id().to_be_bytes());
            input.extend_from_slice(&public.to_bytes());
            assert_eq!(public.fingerprint()[..], sha256(&[&input])[..16]);
            let again = PublicKey::from_bytes(algorithm, &public.to_bytes()).unwrap();
            assert_eq!(&again, public);
        }
        let x = Identity::from_secret_bytes(KemAlgorithm::X25519, &[7; 32]).unwrap();
        let w = Identity::from_secret_bytes(KemAlgorithm::XWing, &[7; 32]).unwrap();
        assert_ne!(x.public_key().fingerprint(), w.public_key().fingerprint());
    }

    #[test]
    fn wrong_lengths_are_invalid_public_keys() {
        for algorithm in KemAlgorithm::ALL {
            let len = algorithm.public_key_len();
            for bad in [0, 31, len - 1, len + 1] {
                assert!(matches!(
                    PublicKey::from_bytes(algorithm, &vec![1; bad]),
                    Err(Error::InvalidPublicKey(a)) if a == algorithm
                ));
            }
        }
        // An ML-KEM encapsulation key whose coefficients are not reduced
        // modulo q is refused (FIPS 203 modulus check).
        assert!(PublicKey::from_bytes(KemAlgorithm::XWing, &[0xff; 1216]).is_err());
    }

    #[test]
    fn secrets_round_trip_and_never_print() {
        for algorithm in KemAlgorithm::ALL {
            let identity = Identity::generate(algorithm).unwrap();
            let secret = identity.expose_secret();
            let again = Identity::from_secret_bytes(algorithm, &secret).unwrap();
            assert_eq!(again, identity);
            assert_eq!(again.public_key(), identity.public_key());
            let debug = format!("{identity:?}");
            assert!(debug.starts_with(&format!("Identity({algorithm}, ")), "{debug}");
            let hex = hex::encode(&secret[..]);
            assert!(!debug.contains(&hex[..8]));
            assert_ne!(Identity::generate(algorithm).unwrap(), identity);
        }
    }
}
