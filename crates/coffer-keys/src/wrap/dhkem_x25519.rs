//! The sender side of HPKE (RFC 9180) base mode for DHKEM(X25519,
//! HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, single shot, on
//! x25519-dalek (the curve) and ring (HKDF, HMAC, the AEAD).
//!
//! Why not the `hpke` crate here, which does everything else: its DHKEM
//! encapsulation computes the ephemeral public key twice (once in
//! `GenerateKeyPair`, again in `Encap`), a second fixed-base scalar
//! multiplication that made sealing for an X25519 recipient about a quarter
//! slower than age's. This is the RFC's algorithm written out with one
//! multiplication of each kind. Opening stays with the `hpke` crate, so
//! every seal-then-open checks this sender against an independent
//! implementation, and RFC 9180 A.2 checks it byte for byte.
//!
//! ```text
//! skE   = LabeledExpand(LabeledExtract("", "dkp_prk", ikmE), "sk", "", 32)      (KEM suite)
//! dh    = X25519(skE, pkR)  (all zero: abort)      enc = X25519(skE, 9)
//! ss    = LabeledExpand(LabeledExtract("", "eae_prk", dh), "shared_secret", enc ‖ pkR, 32)
//! ctx   = 00 ‖ LabeledExtract("", "psk_id_hash", "") ‖ LabeledExtract("", "info_hash", info)
//! key   = LabeledExpand(secret = LabeledExtract(ss, "secret", ""), "key", ctx, 32)
//! nonce = LabeledExpand(secret, "base_nonce", ctx, 12)
//! ct    = ChaCha20-Poly1305(key, nonce, aad, pt)
//! ```

use ring::{aead, hkdf};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::primitive::hmac_sha256;

/// `"KEM" ‖ 0x0020`: the DHKEM's own suite id.
const KEM_SUITE: &[u8] = b"KEM\x00\x20";
/// `"HPKE" ‖ kem 0x0020 ‖ kdf 0x0001 ‖ aead 0x0003`.
const HPKE_SUITE: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x03";
const VERSION: &[u8] = b"HPKE-v1";

/// Why sealing failed: the recipient's key gave an all-zero shared secret
/// (a low-order point), or an output length was out of HKDF's range.
#[derive(Debug)]
pub(crate) struct SealError;

/// `LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" ‖ suite ‖ label ‖ ikm)`.
fn labeled_extract(suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    // HKDF-Extract is HMAC keyed with the salt; an empty salt is the same
    // HMAC key as HashLen zero bytes.
    Zeroizing::new(hmac_sha256(salt, &[VERSION, suite, label, ikm]))
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// `LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite ‖ label ‖ info, L)`.
fn labeled_expand(
    suite: &[u8],
    prk: &[u8; 32],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), SealError> {
    let len = u16::try_from(out.len()).map_err(|_| SealError)?.to_be_bytes();
    hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, prk)
        .expand(&[&len, VERSION, suite, label, info], Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| SealError)
}

/// `SealBase(pkR, info, aad, pt)` with the ephemeral key derived from
/// `ikm_e` (32 bytes): returns `enc ‖ ct ‖ tag`.
pub(crate) fn seal(
    recipient: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    ikm_e: &[u8],
) -> Result<Vec<u8>, SealError> {
    // DeriveKeyPair(ikmE); X25519 clamps the scalar itself.
    let dkp_prk = labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm_e);
    let mut sk = Zeroizing::new([0u8; 32]);
    labeled_expand(KEM_SUITE, &dkp_prk, b"sk", b"", sk.as_mut_slice())?;
    let sk_e = StaticSecret::from(*sk);
    let enc = PublicKey::from(&sk_e).to_bytes();
    let dh = sk_e.diffie_hellman(&PublicKey::from(*recipient));
    if !dh.was_contributory() {
        return Err(SealError);
    }
    // ExtractAndExpand(dh, kem_context = enc ‖ pkRm).
    let eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh.as_bytes());
    let mut kem_context = [0u8; 64];
    kem_context[..32].copy_from_slice(&enc);
    kem_context[32..].copy_from_slice(recipient);
    let mut shared_secret = Zeroizing::new([0u8; 32]);
    labeled_expand(
        KEM_SUITE,
        &eae_prk,
        b"shared_secret",
        &kem_context,
        shared_secret.as_mut_slice(),
    )?;

    // KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "").
    let psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info);
    let mut context = [0u8; 65];
    context[1..33].copy_from_slice(psk_id_hash.as_slice());
    context[33..].copy_from_slice(info_hash.as_slice());
    let secret = labeled_extract(HPKE_SUITE, shared_secret.as_slice(), b"secret", b"");
    let mut key = Zeroizing::new([0u8; 32]);
    let mut base_nonce = [0u8; 12];
    labeled_expand(HPKE_SUITE, &secret, b"key", &context, key.as_mut_slice())?;
    labeled_expand(HPKE_SUITE, &secret, b"base_nonce", &context, &mut base_nonce)?;

    // Sequence number 0: the nonce is base_nonce itself.
    let key = aead::LessSafeKey::new(
        aead::UnboundKey::new(&aead::CHACHA20_POLY1305, key.as_slice()).map_err(|_| SealError)?,
    );
    let mut out = Vec::with_capacity(32 + plaintext.len() + 16);
    out.extend_from_slice(&enc);
    out.extend_from_slice(plaintext);
    let tag = key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(base_nonce),
            aead::Aad::from(aad),
            &mut out[32..],
        )
        .map_err(|_| SealError)?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_order_recipient_key_is_refused() {
        // The all-zero u-coordinate (and other small-order points) give an
        // all-zero shared secret: RFC 9180 7.1.4 says abort.
        assert!(seal(&[0; 32], b"", b"", b"", &[1; 32]).is_err());
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(seal(&one, b"", b"", b"", &[1; 32]).is_err());
    }
}
