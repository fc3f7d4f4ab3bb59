//! The design's formulas written out independently with `ring`, to check the
//! implementation against the specification rather than against itself.
// Each test file uses a different subset.
#![allow(dead_code, reason = "each test module uses part of the shared fixtures")]

use ring::{aead, digest, hkdf, hmac, pbkdf2};

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

pub(crate) fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    hkdf::Salt::new(hkdf::HKDF_SHA256, salt)
        .extract(ikm)
        .expand(&[info], Len(len))
        .unwrap()
        .fill(&mut out)
        .unwrap();
    out
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    digest::digest(&digest::SHA256, data).as_ref().try_into().unwrap()
}

/// th = SHA-256(core) or SHA-256(core ‖ 01 ‖ SHA-256(external_aad)).
pub(crate) fn transcript(core: &[u8], external_aad: Option<&[u8]>) -> [u8; 32] {
    match external_aad {
        None => sha256(core),
        Some(aad) => sha256(&[core, &[1], &sha256(aad)].concat()),
    }
}

/// K_enc(32) ‖ nonce_base(12) ‖ C(32) ‖ K_hdr(32).
pub(crate) fn schedule(dek: &[u8], suite: u16, message_id: &[u8], th: &[u8]) -> Vec<u8> {
    let mut info = b"coffer/v1 derive\x00".to_vec();
    info.extend_from_slice(&suite.to_be_bytes());
    info.extend_from_slice(th);
    hkdf(message_id, dek, &info, 108)
}

/// WK(32) ‖ wc(32).
pub(crate) fn wrap_keys(
    kek: &[u8],
    wrap_salt: &[u8],
    key_type: u8,
    suite: u16,
    kid: &[u8],
    message_id: &[u8],
) -> Vec<u8> {
    let mut info = b"coffer/v1 wrap\x00".to_vec();
    info.push(key_type);
    info.extend_from_slice(&suite.to_be_bytes());
    info.push(u8::try_from(kid.len()).unwrap());
    info.extend_from_slice(kid);
    info.extend_from_slice(message_id);
    hkdf(wrap_salt, kek, &info, 64)
}

/// wrap_salt ‖ wc ‖ AES-256-GCM(WK, 0^12, th, DEK): the type 01 body, from
/// `keys` = WK ‖ wc.
pub(crate) fn local_body(keys: &[u8], wrap_salt: &[u8], th: &[u8], dek: &[u8]) -> Vec<u8> {
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, &keys[..32]).unwrap());
    let mut ct = dek.to_vec();
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key([0; 12]),
        aead::Aad::from(th),
        &mut ct,
    )
    .unwrap();
    [wrap_salt, &keys[32..], &ct].concat()
}

pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(iterations).unwrap(),
        salt,
        password,
        &mut out,
    );
    out
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .try_into()
        .unwrap()
}

/// The info of the committing wrap and of HPKE records:
/// `"coffer/v1 wrap" ‖ 00 ‖ type ‖ suite ‖ kid_len ‖ kid ‖ message_id`.
pub(crate) fn wrap_info(key_type: u8, suite: u16, kid: &[u8], message_id: &[u8]) -> Vec<u8> {
    let kid_len = u8::try_from(kid.len()).unwrap();
    [
        b"coffer/v1 wrap\x00",
        &[key_type][..],
        &suite.to_be_bytes(),
        &[kid_len],
        kid,
        message_id,
    ]
    .concat()
}

/// HPKE base-mode `OpenBase` of a type `04`/`05` body (`enc ‖ ct`) with
/// the `hpke` crate directly: ChaCha20-Poly1305, HKDF-SHA256.
pub(crate) fn hpke_open(
    algorithm: coffer_keys::KemAlgorithm,
    secret: &[u8],
    body: &[u8],
    info: &[u8],
    aad: &[u8],
) -> Vec<u8> {
    use hpke::aead::ChaCha20Poly1305;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::{X25519HkdfSha256, XWing};
    use hpke::{Deserializable, Kem, OpModeR};

    fn open<K: Kem>(secret: &[u8], body: &[u8], info: &[u8], aad: &[u8]) -> Vec<u8> {
        let enc_len = body.len() - 48;
        let sk = K::PrivateKey::from_bytes(secret).unwrap();
        let enc = K::EncappedKey::from_bytes(&body[..enc_len]).unwrap();
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, K>(
            &OpModeR::Base,
            &sk,
            &enc,
            info,
            &body[enc_len..],
            aad,
        )
        .unwrap()
    }
    match algorithm {
        coffer_keys::KemAlgorithm::X25519 => open::<X25519HkdfSha256>(secret, body, info, aad),
        coffer_keys::KemAlgorithm::XWing => open::<XWing>(secret, body, info, aad),
    }
}
