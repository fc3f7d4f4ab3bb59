//! Wrapped key types `04` and `05`: the DEK sealed to a public key with
//! HPKE (RFC 9180) base mode.
//!
//! ```text
//! info = "coffer/v1 wrap" ‖ 00 ‖ type ‖ suite ‖ kid_len ‖ kid ‖ message_id    (the `01` wrap's info)
//! enc, ct = SealBase(pkR, info, aad = th, pt = DEK)                           (single shot, sequence 0)
//! body = enc ‖ ct                                                             (32 + 48 or 1120 + 48 bytes)
//! ```
//!
//! KEM DHKEM(X25519, HKDF-SHA256) (`04`) or X-Wing (`05`), KDF HKDF-SHA256,
//! AEAD ChaCha20-Poly1305: one fixed HPKE suite per type, whatever the
//! envelope's suite. The kid is the public key's fingerprint.
//!
//! The `hpke` crate seals for X-Wing and opens both types; sealing for
//! X25519 is `dhkem_x25519.rs` (one scalar multiplication fewer).

use std::convert::Infallible;

use hpke::aead::{AeadTag, ChaCha20Poly1305};
use hpke::inout::InOutBuf;
use hpke::kdf::HkdfSha256;
use hpke::kem::{X25519HkdfSha256, XWing};
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use zeroize::Zeroizing;

use super::dhkem_x25519;
use super::{UnwrapFailure, WrapBinding};
use crate::public_key::{Identity, KemAlgorithm, PublicInner, PublicKey, SecretInner};
use crate::rng::Randomness;
use crate::secret::DataKey;
use crate::Error;

/// Bytes of the AEAD tag (ChaCha20-Poly1305).
const TAG_LEN: usize = 16;

/// Random bytes one HPKE encapsulation draws: the ephemeral X25519 key
/// (RFC 9180 `DeriveKeyPair(ikmE)`, 32) or X-Wing's `eseed` (64).
pub(crate) fn randomness_len(algorithm: KemAlgorithm) -> usize {
    match algorithm {
        KemAlgorithm::X25519 => 32,
        KemAlgorithm::XWing => 64,
    }
}

/// Length of the encapsulated key (`enc`): 32 or 1120 bytes.
#[cfg(test)]
fn enc_len(algorithm: KemAlgorithm) -> usize {
    match algorithm {
        KemAlgorithm::X25519 => <X25519HkdfSha256 as Kem>::EncappedKey::size(),
        KemAlgorithm::XWing => <XWing as Kem>::EncappedKey::size(),
    }
}

/// Seals `dek` to `public`, bound to the message: the body of a type `04`
/// or `05` record.
pub(crate) fn wrap_hpke(
    public: &PublicKey,
    binding: &WrapBinding<'_>,
    dek: &DataKey,
    rng: &Randomness,
) -> Result<Vec<u8>, Error> {
    let mut randomness = Zeroizing::new(vec![0u8; randomness_len(public.algorithm())]);
    rng.fill(&mut randomness)?;
    seal(
        public,
        &binding.hpke_info(),
        binding.transcript_hash(),
        dek.expose_secret(),
        &randomness,
    )
}

/// Opens a type `04` or `05` body under `identity`. Any failure (a body for
/// another key, a changed byte, another message's binding) is
/// [`UnwrapFailure::NotThisKey`]: HPKE cannot tell them apart, and the
/// caller reports them as the one opaque error.
pub(crate) fn unwrap_hpke(
    identity: &Identity,
    binding: &WrapBinding<'_>,
    body: &[u8],
) -> Result<DataKey, UnwrapFailure> {
    let plaintext = open(identity, &binding.hpke_info(), binding.transcript_hash(), body)?;
    let dek: &[u8; 32] = plaintext
        .as_slice()
        .try_into()
        .map_err(|_| UnwrapFailure::NotThisKey)?;
    Ok(DataKey::from_bytes(*dek))
}

/// HPKE single-shot `SealBase(pkR, info, aad, pt)` with the encapsulation's
/// random bytes given: returns `enc ‖ ct ‖ tag`.
pub(crate) fn seal(
    public: &PublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    randomness: &[u8],
) -> Result<Vec<u8>, Error> {
    let pk = match public.inner() {
        PublicInner::X25519(pk) => {
            if randomness.len() != randomness_len(KemAlgorithm::X25519) {
                return Err(Error::Random);
            }
            let pk: [u8; 32] = pk.to_bytes().into();
            return dhkem_x25519::seal(&pk, info, aad, plaintext, randomness)
                .map_err(|_| Error::crypto(crate::CryptoReason::Derivation));
        }
        PublicInner::XWing(pk) => pk,
    };
    let mut rng = FixedRng::new(randomness);
    let sealed = seal_with::<XWing>(pk, info, aad, plaintext, &mut rng);
    // Each KEM draws a fixed number of bytes; a short or unused supply
    // means the caller's count is wrong, never something to paper over.
    if rng.exhausted || rng.left() != 0 {
        return Err(Error::Random);
    }
    sealed.map_err(|_| Error::crypto(crate::CryptoReason::Derivation))
}

fn seal_with<K: Kem>(
    pk: &K::PublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut FixedRng<'_>,
) -> Result<Vec<u8>, hpke::HpkeError> {
    let enc_len = K::EncappedKey::size();
    let mut out = vec![0u8; enc_len + plaintext.len() + TAG_LEN];
    let (head, rest) = out.split_at_mut(enc_len);
    let (ciphertext, tag_out) = rest.split_at_mut(plaintext.len());
    ciphertext.copy_from_slice(plaintext);
    let (enc, tag) = hpke::single_shot_seal_inout_detached_with_rng::<ChaCha20Poly1305, HkdfSha256, K>(
        &OpModeS::Base,
        pk,
        info,
        InOutBuf::from(&mut *ciphertext),
        aad,
        rng,
    )?;
    enc.write_exact(head);
    tag.write_exact(tag_out);
    Ok(out)
}

/// HPKE single-shot `OpenBase(enc, skR, info, aad, ct)` of `enc ‖ ct ‖ tag`
/// (lengths checked here): the plaintext, zeroizing.
pub(crate) fn open(
    identity: &Identity,
    info: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, UnwrapFailure> {
    match identity.secret() {
        SecretInner::X25519(sk) => open_with::<X25519HkdfSha256>(sk, info, aad, sealed),
        SecretInner::XWing(sk) => open_with::<XWing>(sk, info, aad, sealed),
    }
}

fn open_with<K: Kem>(
    sk: &K::PrivateKey,
    info: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, UnwrapFailure> {
    let enc_len = K::EncappedKey::size();
    let body_len = sealed
        .len()
        .checked_sub(enc_len + TAG_LEN)
        .ok_or(UnwrapFailure::NotThisKey)?;
    let (enc, rest) = sealed.split_at(enc_len);
    let (ciphertext, tag) = rest.split_at(body_len);
    let enc = K::EncappedKey::from_bytes(enc).map_err(|_| UnwrapFailure::NotThisKey)?;
    let tag = AeadTag::<ChaCha20Poly1305>::from_bytes(tag).map_err(|_| UnwrapFailure::NotThisKey)?;
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    hpke::single_shot_open_inout_detached::<ChaCha20Poly1305, HkdfSha256, K>(
        &OpModeR::Base,
        sk,
        &enc,
        info,
        InOutBuf::from(plaintext.as_mut_slice()),
        aad,
        &tag,
    )
    .map_err(|_| UnwrapFailure::NotThisKey)?;
    Ok(plaintext)
}

/// Hands the HPKE implementation exactly the random bytes coffer drew from
/// its own generator (so scripted known-answer vectors cover these records
/// too, and a failing system generator is an error rather than the
/// library's panic). Running out is recorded and turned into
/// [`Error::Random`] by [`seal`]; the zeros given then are never used.
struct FixedRng<'a> {
    bytes: &'a [u8],
    exhausted: bool,
}

impl<'a> FixedRng<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            exhausted: false,
        }
    }

    fn left(&self) -> usize {
        self.bytes.len()
    }
}

impl TryRng for FixedRng<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut word = [0u8; 4];
        self.try_fill_bytes(&mut word)?;
        Ok(u32::from_le_bytes(word))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut word = [0u8; 8];
        self.try_fill_bytes(&mut word)?;
        Ok(u64::from_le_bytes(word))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        if dst.len() > self.bytes.len() {
            self.exhausted = true;
            dst.fill(0);
            return Ok(());
        }
        let (now, later) = self.bytes.split_at(dst.len());
        dst.copy_from_slice(now);
        self.bytes = later;
        Ok(())
    }
}

impl TryCryptoRng for FixedRng<'_> {}

#[cfg(test)]
#[path = "hpke_vectors.rs"]
mod vectors;

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(algorithm: KemAlgorithm) -> Identity {
        Identity::from_secret_bytes(algorithm, &[0x42; 32]).unwrap()
    }

    #[test]
    fn seal_then_open_with_the_same_info_and_aad() {
        for algorithm in KemAlgorithm::ALL {
            let id = identity(algorithm);
            let randomness = vec![9u8; randomness_len(algorithm)];
            let sealed = seal(id.public_key(), b"info", b"aad", b"data key", &randomness).unwrap();
            assert_eq!(sealed.len(), enc_len(algorithm) + 8 + TAG_LEN);
            assert_eq!(
                open(&id, b"info", b"aad", &sealed).unwrap().as_slice(),
                b"data key"
            );
            assert!(open(&id, b"infx", b"aad", &sealed).is_err());
            assert!(open(&id, b"info", b"aax", &sealed).is_err());
            assert!(open(&id, b"info", b"aad", &sealed[..sealed.len() - 1]).is_err());
            assert!(open(&id, b"info", b"aad", &sealed[..10]).is_err());
        }
    }

    #[test]
    fn the_exact_randomness_is_required() {
        for algorithm in KemAlgorithm::ALL {
            let id = identity(algorithm);
            let need = randomness_len(algorithm);
            for wrong in [need - 1, need + 1] {
                let result = seal(id.public_key(), b"", b"", b"", &vec![1; wrong]);
                assert!(
                    matches!(result, Err(Error::Random)),
                    "{algorithm} with {wrong} bytes"
                );
            }
        }
    }
}
