//! ECDH-P256 + HKDF-SHA256 + AES-256-GCM: the Web Crypto friendly suite.
//!
//! Client message (all Web Crypto operations):
//!
//! ```text
//! client_public (65 bytes, uncompressed P-256 point: exportKey("raw"))
//! ‖ AES-256-GCM ciphertext of the secret ‖ 16-byte tag
//!
//! shared = ECDH(client private, server public)            (32 bytes, deriveBits 256)
//! okm    = HKDF-SHA256(ikm = shared, salt = 16 raw key-id bytes,
//!                      info = binding string (ASCII), length = 44)
//! key    = okm[0..32], nonce = okm[32..44], no additional data
//! ```
//!
//! Both key pairs are ephemeral and the server key decrypts once, so the
//! derived key and nonce are used exactly once.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, ECDH_P256};
use ring::hkdf;
use ring::rand::SystemRandom;
use spki::der::asn1::{AnyRef, BitStringRef, ObjectIdentifier};
use spki::der::Encode;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::codec;
use crate::key_id::SessionKeyId;
use crate::oaep::DecryptError;
use crate::offer::Jwk;

/// Length of an uncompressed P-256 public key.
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of the AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// HKDF output: AES-256 key then GCM nonce.
pub const OKM_LEN: usize = 32 + NONCE_LEN;

/// id-ecPublicKey (RFC 5480).
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 (RFC 5480).
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

struct OkmLen;

impl hkdf::KeyType for OkmLen {
    fn len(&self) -> usize {
        OKM_LEN
    }
}

/// A fresh server key pair and its uncompressed public point.
pub(crate) fn generate(
    rng: &SystemRandom,
) -> Result<(EphemeralPrivateKey, Vec<u8>), ring::error::Unspecified> {
    let private = EphemeralPrivateKey::generate(&ECDH_P256, rng)?;
    let public = private.compute_public_key()?.as_ref().to_vec();
    Ok((private, public))
}

/// The SPKI DER and JWK of an uncompressed P-256 point.
pub(crate) fn public_forms(point: &[u8]) -> Result<(Vec<u8>, Jwk), spki::der::Error> {
    let spki = SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: ID_EC_PUBLIC_KEY,
            parameters: Some(AnyRef::from(&SECP256R1)),
        },
        subject_public_key: BitStringRef::from_bytes(point)?,
    }
    .to_der()?;
    let coordinates = point.get(1..).unwrap_or_default();
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    Ok((spki, Jwk::ec_p256(codec::encode_url(x), codec::encode_url(y))))
}

/// The key and nonce both sides derive.
fn derive(
    shared: &[u8],
    key_id: &SessionKeyId,
    info: &str,
) -> Result<Zeroizing<[u8; OKM_LEN]>, ring::error::Unspecified> {
    let mut okm = Zeroizing::new([0_u8; OKM_LEN]);
    hkdf::Salt::new(hkdf::HKDF_SHA256, key_id.as_bytes())
        .extract(shared)
        .expand(&[info.as_bytes()], OkmLen)?
        .fill(okm.as_mut())?;
    Ok(okm)
}

/// The AES-256-GCM key and nonce from derived bytes.
fn aead_parts(okm: &[u8; OKM_LEN]) -> Result<(LessSafeKey, Nonce), ring::error::Unspecified> {
    let (key, nonce) = okm.split_at(32);
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key)?);
    Ok((key, Nonce::try_assume_unique_for_key(nonce)?))
}

/// Why [`agree`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgreeError {
    /// The peer's point is not on the curve.
    Peer,
    /// Key derivation failed.
    Derive,
}

/// The AES-256-GCM key and nonce that `private` and the peer's uncompressed
/// point agree on for `key_id` and `info`: the one derivation both the
/// server and the client run.
pub(crate) fn agree(
    private: EphemeralPrivateKey,
    peer_point: &[u8],
    key_id: &SessionKeyId,
    info: &str,
) -> Result<(LessSafeKey, Nonce), AgreeError> {
    let okm = agreement::agree_ephemeral(
        private,
        &UnparsedPublicKey::new(&ECDH_P256, peer_point),
        |shared| derive(shared, key_id, info),
    )
    .map_err(|_| AgreeError::Peer)?
    .map_err(|_| AgreeError::Derive)?;
    aead_parts(&okm).map_err(|_| AgreeError::Derive)
}

/// Opens a client message (see the module docs) with the server's
/// ephemeral key, which is consumed.
///
/// # Errors
/// [`DecryptError`] for any failure: too short, a point not on the curve, a
/// different key id or binding string, a modified ciphertext.
pub fn open(
    private: EphemeralPrivateKey,
    key_id: &SessionKeyId,
    info: &str,
    message: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    if message.len() < PUBLIC_KEY_LEN + TAG_LEN {
        return Err(DecryptError);
    }
    let (client_public, sealed) = message.split_at(PUBLIC_KEY_LEN);
    let (key, nonce) = agree(private, client_public, key_id, info).map_err(|_| DecryptError)?;
    let mut buffer = Zeroizing::new(sealed.to_vec());
    let plaintext_len = key
        .open_in_place(nonce, Aad::empty(), buffer.as_mut_slice())
        .map_err(|_| DecryptError)?
        .len();
    buffer.truncate(plaintext_len);
    Ok(buffer)
}
