//! Attacks on sealed messages: moved and mismatched wrapped keys, bit flips,
//! suite downgrade, context edits and a password-partitioning ciphertext.
//!
//! Forgeries use the design's formulas re-derived with `ring` directly
//! (`support/design.rs`), so these tests also check the implementation
//! against the written schedule.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use coffer_keys::envelope::{Header, HeaderView, KeyType, ReaderLimits, Suite, WrappedKey};
use coffer_keys::{
    open, seal, CryptoReason, Error, KeyEncryptionKey, KeyId, KeyState, Keyring, OpenOptions, Password,
    Recipient, SealOptions,
};
use ring::aead;

use crate::design;
use crate::forge;

use design::{pbkdf2_sha256, sha256, wrap_keys};
use forge::{join, reason, retag, split};

/// A keyring with version 1 of each name, keyed by the given byte.
fn keyring_of(keys: &[(&str, u8)]) -> Keyring {
    let mut ring = Keyring::new();
    for (name, byte) in keys {
        ring.insert(
            KeyId::new(name, 1).unwrap(),
            KeyEncryptionKey::from_bytes([*byte; 32]),
            KeyState::Active,
        )
        .unwrap();
    }
    ring
}

fn keyring() -> Keyring {
    keyring_of(&[("a", 0xA1), ("b", 0xB2)])
}

/// Why opening `sealed` with `ring` fails.
fn reason_under(ring: &Keyring, sealed: &[u8]) -> CryptoReason {
    reason(open(sealed, &OpenOptions::new().keyring(ring)))
}

#[test]
fn wrapped_key_moved_from_another_message_is_rejected() {
    let ring = keyring();
    let recipients = [Recipient::keyring(&ring, "a").unwrap()];
    let victim = seal(b"victim", &recipients, &SealOptions::new()).unwrap();
    let donor = seal(b"donor", &recipients, &SealOptions::new()).unwrap();
    let (mut header, body) = split(&victim);
    header.keys = split(&donor).0.keys;
    let forged = join(&header, &body);
    assert_eq!(reason_under(&ring, &forged), CryptoReason::WrapCommitment);
}

#[test]
fn recipients_holding_different_deks_cannot_both_open() {
    // A malicious sender gives recipient `a` one DEK and recipient `b`
    // another, for the same message id and core, and signs the header with
    // the first DEK. `a` opens; `b` must not see a different plaintext.
    let ring = keyring();
    let recipients = [
        Recipient::keyring(&ring, "a").unwrap(),
        Recipient::keyring(&ring, "b").unwrap(),
    ];
    let message_id = [0x4D; 32];
    let script = |dek: u8| {
        let mut bytes = vec![dek; 32];
        bytes.extend_from_slice(&message_id);
        bytes.extend_from_slice(&[0x5A; 32]);
        SealOptions::new().scripted_randomness(bytes)
    };
    let first = seal(b"for a", &recipients, &script(1)).unwrap();
    let second = seal(b"for b", &recipients, &script(2)).unwrap();
    let (mut header, body) = split(&first);
    header.keys[1] = split(&second).0.keys[1].clone();
    retag(&mut header, &[1; 32]);
    let forged = join(&header, &body);

    assert_eq!(
        open(&forged, &OpenOptions::new().keyring(&keyring_of(&[("a", 0xA1)])))
            .unwrap()
            .plaintext(),
        b"for a"
    );
    assert_eq!(
        reason(open(
            &forged,
            &OpenOptions::new().keyring(&keyring_of(&[("b", 0xB2)]))
        )),
        CryptoReason::Commitment
    );
}

#[test]
fn every_flipped_bit_is_rejected() {
    let ring = keyring();
    let options = SealOptions::new()
        .chunk_log2(10)
        .context("doc", b"d-1")
        .unwrap()
        .reserved_context("coffer.project", b"p-1")
        .unwrap();
    let plaintext: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
    let sealed = seal(&plaintext, &[Recipient::keyring(&ring, "a").unwrap()], &options).unwrap();
    let view = HeaderView::parse_prefix(&sealed, &ReaderLimits::default()).unwrap();
    let core_len = view.core_bytes().len();
    let commitment = core_len..core_len + 32;
    let tag = view.len() - 32..view.len();
    let body_start = view.len();
    let open_options = OpenOptions::new().keyring(&ring);
    assert_eq!(open(&sealed, &open_options).unwrap().plaintext(), &plaintext[..]);

    let mut tampered = sealed.clone();
    for byte in 0..sealed.len() {
        for bit in 0..8 {
            tampered[byte] ^= 1 << bit;
            let result = open(&tampered, &open_options);
            assert!(result.is_err(), "flip of byte {byte} bit {bit} opened");
            if let Err(Error::Crypto(failure)) = &result {
                let expected = if commitment.contains(&byte) {
                    Some(CryptoReason::Commitment)
                } else if tag.contains(&byte) {
                    Some(CryptoReason::HeaderTag)
                } else if byte >= body_start {
                    Some(CryptoReason::Body)
                } else {
                    None
                };
                if let Some(expected) = expected {
                    assert_eq!(failure.reason(), expected, "byte {byte} bit {bit}");
                }
            }
            tampered[byte] ^= 1 << bit;
        }
    }
}

#[test]
fn truncated_or_extended_bodies_are_rejected() {
    let ring = keyring();
    let sealed = seal(
        &[7u8; 3000],
        &[Recipient::keyring(&ring, "a").unwrap()],
        &SealOptions::new().chunk_log2(10),
    )
    .unwrap();
    let options = OpenOptions::new().keyring(&ring);
    let header_len = HeaderView::parse_prefix(&sealed, &ReaderLimits::default())
        .unwrap()
        .len();
    for cut in [header_len, header_len + 1040, sealed.len() - 1] {
        assert_eq!(
            reason(open(&sealed[..cut], &options)),
            CryptoReason::Body,
            "cut at {cut}"
        );
    }
    let mut extended = sealed.clone();
    extended.push(0);
    assert_eq!(reason(open(&extended, &options)), CryptoReason::Body);
}

#[test]
fn suite_downgrade_is_rejected() {
    let ring = keyring();
    let sealed = seal(
        b"x",
        &[Recipient::keyring(&ring, "a").unwrap()],
        &SealOptions::new().suite(Suite::ChaCha20Poly1305HkdfSha256),
    )
    .unwrap();
    let (mut header, body) = split(&sealed);
    header.core.suite = Suite::Aes256GcmHkdfSha256;
    let downgraded = join(&header, &body);
    assert_eq!(&downgraded[6..8], &[0, 1]);
    assert_eq!(reason_under(&ring, &downgraded), CryptoReason::WrapCommitment);
}

#[test]
fn changed_context_entry_is_rejected() {
    let ring = keyring();
    let sealed = seal(
        b"x",
        &[Recipient::keyring(&ring, "a").unwrap()],
        &SealOptions::new()
            .reserved_context("coffer.project", b"p-1")
            .unwrap(),
    )
    .unwrap();
    let (mut header, body) = split(&sealed);
    header.core.context.insert("coffer.project", b"p-2").unwrap();
    let moved = join(&header, &body);
    let options = OpenOptions::new()
        .keyring(&ring)
        .require_context("coffer.project", b"p-2");
    // The wrapped key's AEAD has th as AAD, so the edit is caught while
    // unwrapping, before the key commitment is even computed.
    assert_eq!(reason(open(&moved, &options)), CryptoReason::WrappedKey);
    header.core.context.remove("coffer.project");
    header.core.context.insert("coffer.project", b"p-1").unwrap();
    header.core.context.insert("extra", b"").unwrap();
    assert_eq!(
        reason_under(&ring, &join(&header, &body)),
        CryptoReason::WrappedKey
    );
}

/// GF(2^128) multiplication in GCM's bit order.
fn gf_mul(x: u128, y: u128) -> u128 {
    let r: u128 = 0xE1 << 120;
    let (mut z, mut v) = (0u128, x);
    for i in 0..128 {
        if (y >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ r } else { v >> 1 };
    }
    z
}

fn gf_pow2k(mut x: u128, k: u32) -> u128 {
    for _ in 0..k {
        x = gf_mul(x, x);
    }
    x
}

fn gf_inv(x: u128) -> u128 {
    // x^(2^128 - 2) = prod over i in 1..128 of x^(2^i).
    let mut acc = 1u128 << 127; // the field's one in GCM order
    let mut square = x;
    for _ in 1..128 {
        square = gf_mul(square, square);
        acc = gf_mul(acc, square);
    }
    acc
}

fn gcm_tag(key: &[u8], aad: &[u8], in_out: &mut [u8]) -> u128 {
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, key).unwrap());
    let tag = key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key([0; 12]),
            aead::Aad::from(aad),
            in_out,
        )
        .unwrap();
    u128::from_be_bytes(tag.as_ref().try_into().unwrap())
}

/// GHASH key H and E_K(J0) of an AES-256-GCM key with the zero nonce,
/// recovered from two tags (the attacker knows the key it derives).
fn gcm_secrets(key: &[u8]) -> (u128, u128) {
    let t0 = gcm_tag(key, &[0; 16], &mut []);
    let t1 = gcm_tag(key, &1u128.to_be_bytes(), &mut []);
    // T(a) = E(J0) ^ a·H^2 ^ L·H, so T(0) ^ T(1) = 1·H^2.
    let h_squared = gf_mul(t0 ^ t1, gf_inv(1));
    let h = gf_pow2k(h_squared, 127);
    let len_block = 128u128 << 64;
    (h, t0 ^ gf_mul(len_block, h))
}

#[test]
fn password_partitioning_ciphertext_is_stopped_by_the_wrap_commitment() {
    let iterations = 1_000u32;
    let (pw_a, pw_b) = (Password::new("guess-one"), Password::new("guess-two"));
    let options = SealOptions::new().insecure_password_iterations(iterations);
    let sealed = seal(b"secret", &[Recipient::password(&pw_a)], &options).unwrap();
    let view = HeaderView::parse_prefix(&sealed, &ReaderLimits::default()).unwrap();
    let th = sha256(view.core_bytes());
    let message_id = view.message_id();
    let (mut header, body) = split(&sealed);

    // The attacker picks salts and derives WK and wc for both guesses.
    let (pw_salt, wrap_salt) = ([0x33u8; 16], [0x44u8; 16]);
    let derive = |pw: &Password| {
        let kek = pbkdf2_sha256(pw.expose_secret(), &pw_salt, iterations);
        wrap_keys(&kek, &wrap_salt, 0x02, 1, b"", message_id.as_bytes())
    };
    let (keys_a, keys_b) = (derive(&pw_a), derive(&pw_b));
    let (wk_a, wc_a, wk_b) = (&keys_a[..32], &keys_a[32..], &keys_b[..32]);

    // One AES-GCM ciphertext that authenticates under both WK_A and WK_B:
    // solve the GHASH equations for the second ciphertext block.
    let ((h_a, e_a), (h_b, e_b)) = (gcm_secrets(wk_a), gcm_secrets(wk_b));
    let th = &th[..];
    let a1 = u128::from_be_bytes(th[..16].try_into().unwrap());
    let a2 = u128::from_be_bytes(th[16..].try_into().unwrap());
    let len_block = (256u128 << 64) | 256;
    let pow = |h: u128, n: u32| (1..n).fold(h, |acc, _| gf_mul(acc, h));
    let c1 = 0u128;
    let rhs = e_a
        ^ e_b
        ^ gf_mul(a1, pow(h_a, 5) ^ pow(h_b, 5))
        ^ gf_mul(a2, pow(h_a, 4) ^ pow(h_b, 4))
        ^ gf_mul(c1, pow(h_a, 3) ^ pow(h_b, 3))
        ^ gf_mul(len_block, h_a ^ h_b);
    let c2 = gf_mul(rhs, gf_inv(pow(h_a, 2) ^ pow(h_b, 2)));
    let ghash_a = gf_mul(a1, pow(h_a, 5))
        ^ gf_mul(a2, pow(h_a, 4))
        ^ gf_mul(c1, pow(h_a, 3))
        ^ gf_mul(c2, pow(h_a, 2))
        ^ gf_mul(len_block, h_a);
    let tag = (e_a ^ ghash_a).to_be_bytes();
    let mut ciphertext = [c1.to_be_bytes(), c2.to_be_bytes()].concat();

    // Premise: without wc, this wrapped key would "unwrap" under both guesses.
    for wk in [wk_a, wk_b] {
        let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, wk).unwrap());
        let mut copy = ciphertext.clone();
        key.open_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key([0; 12]),
            aead::Aad::from(th),
            aead::Tag::from(tag),
            &mut copy,
            0..,
        )
        .expect("the crafted ciphertext opens under both wrapping keys");
    }

    let mut wrapped = iterations.to_be_bytes().to_vec();
    wrapped.extend_from_slice(&pw_salt);
    wrapped.extend_from_slice(&wrap_salt);
    wrapped.extend_from_slice(wc_a);
    wrapped.append(&mut ciphertext);
    wrapped.extend_from_slice(&tag);
    header.keys = vec![WrappedKey::new(KeyType::PASSWORD, Vec::new(), wrapped).unwrap()];
    let forged = join(&header, &body);

    let with = |pw| {
        OpenOptions::new()
            .insecure_min_pbkdf2_iterations(iterations)
            .password(pw)
    };
    // Guess B never reaches the AEAD: its wc differs, so one trial tests one
    // password only.
    assert_eq!(reason(open(&forged, &with(&pw_b))), CryptoReason::WrapCommitment);
    // Guess A unwraps a garbage DEK, which the key commitment refuses.
    assert_eq!(reason(open(&forged, &with(&pw_a))), CryptoReason::Commitment);
}

/// A password-only message with a scripted DEK and message id (so two seals
/// share a core), `iterations` PBKDF2 rounds.
fn password_message(passwords: &[&Password], dek: u8, message_id: [u8; 32], iterations: u32) -> Vec<u8> {
    let mut script = vec![dek; 32];
    script.extend_from_slice(&message_id);
    for i in 0..passwords.len() {
        script.extend_from_slice(&[0x60 + i as u8; 32]);
    }
    let recipients: Vec<_> = passwords.iter().map(|pw| Recipient::password(pw)).collect();
    let options = SealOptions::new()
        .insecure_password_iterations(iterations)
        .scripted_randomness(script);
    seal(format!("dek {dek}").as_bytes(), &recipients, &options).unwrap()
}

#[test]
fn several_password_records_are_tried_in_record_order() {
    const ITERATIONS: u32 = 1_000;
    let (pw_a, pw_b, pw_x) = (
        Password::new("alpha"),
        Password::new("bravo"),
        Password::new("x-ray"),
    );
    fn with<'a>(passwords: &[&'a Password]) -> OpenOptions<'a> {
        passwords.iter().fold(
            OpenOptions::new().insecure_min_pbkdf2_iterations(ITERATIONS),
            |options, pw| options.password(pw),
        )
    }
    let message_id = [0x4D; 32];
    let sealed = password_message(&[&pw_a, &pw_b], 1, message_id, ITERATIONS);

    // A wrap-commitment mismatch moves on: `bravo` fails record 1's wc and
    // opens record 2; with two passwords the candidates are tried record by
    // record, each password in the order given.
    assert_eq!(open(&sealed, &with(&[&pw_b])).unwrap().plaintext(), b"dek 1");
    assert_eq!(
        open(&sealed, &with(&[&pw_b, &pw_x])).unwrap().plaintext(),
        b"dek 1"
    );
    // At most three attempts: x-ray on record 1, bravo on record 1, x-ray on
    // record 2, and the budget is spent before bravo reaches record 2.
    assert_eq!(
        reason(open(&sealed, &with(&[&pw_x, &pw_b]))),
        CryptoReason::WrapCommitment
    );
    // No password matches any record: opaque, after the attempts.
    assert_eq!(
        reason(open(&sealed, &with(&[&pw_x]))),
        CryptoReason::WrapCommitment
    );

    // A failure after a matching wc is fatal, even if a later record would
    // open: record 1 is `bravo` wrapping another DEK (same core, message id
    // and kid, so its wc matches), record 2 is `bravo` wrapping the real one,
    // and the header tag is valid under the real DEK.
    let other = password_message(&[&pw_b], 2, message_id, ITERATIONS);
    let (mut header, body) = split(&sealed);
    header.keys = vec![split(&other).0.keys[0].clone(), header.keys[1].clone()];
    retag(&mut header, &[1; 32]);
    let forged = join(&header, &body);
    assert_eq!(reason(open(&forged, &with(&[&pw_b]))), CryptoReason::Commitment);
    // The second record alone does open: only the rule stopped it.
    let mut alone = header.clone();
    alone.keys.remove(0);
    retag(&mut alone, &[1; 32]);
    assert_eq!(
        open(&join(&alone, &body), &with(&[&pw_b])).unwrap().plaintext(),
        b"dek 1"
    );
}

#[test]
fn crypto_failures_read_the_same_in_debug_and_display() {
    let ring = keyring();
    let sealed = seal(
        b"one opaque error",
        &[Recipient::keyring(&ring, "a").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    let (header, body) = split(&sealed);
    let with_header = |edit: &dyn Fn(&mut Header)| {
        let mut header = header.clone();
        edit(&mut header);
        join(&header, &body)
    };
    let mut bad_body = sealed.clone();
    *bad_body.last_mut().unwrap() ^= 1;
    let failures = [
        open(&bad_body, &OpenOptions::new().keyring(&ring)),
        open(&sealed, &OpenOptions::new().keyring(&keyring_of(&[("a", 0x00)]))),
        open(
            &with_header(&|h| h.tag.0[0] ^= 1),
            &OpenOptions::new().keyring(&ring),
        ),
        open(
            &with_header(&|h| h.commitment.0[0] ^= 1),
            &OpenOptions::new().keyring(&ring),
        ),
    ]
    .map(|result| match result {
        Err(err @ Error::Crypto(_)) => err,
        other => panic!("expected a cryptographic failure, got {other:?}"),
    });
    let reasons: Vec<_> = failures
        .iter()
        .map(|e| match e {
            Error::Crypto(failure) => failure.reason(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            CryptoReason::Body,
            CryptoReason::WrapCommitment,
            CryptoReason::HeaderTag,
            CryptoReason::Commitment
        ]
    );
    for err in &failures {
        assert_eq!(format!("{err:?}"), "Crypto(CryptoFailure)");
        assert_eq!(format!("{err:#?}"), format!("{:#?}", failures[0]));
        assert_eq!(err.to_string(), "cryptographic failure");
        assert_eq!(err.code(), "crypto");
    }
    // The reason is there for the audit trail, through the accessor only.
    let codes: Vec<_> = reasons.iter().map(|r| r.code()).collect();
    assert_eq!(codes, ["body", "wrap-commitment", "header-tag", "commitment"]);

    // A streaming open reads the same.
    let mut opener = coffer_keys::Opener::new(&bad_body[..], &OpenOptions::new().keyring(&ring)).unwrap();
    let streamed = std::io::Read::read_to_end(&mut opener, &mut Vec::new()).unwrap_err();
    assert_eq!(streamed.to_string(), "cryptographic failure");
}
