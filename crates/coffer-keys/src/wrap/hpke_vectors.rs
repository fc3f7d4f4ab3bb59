//! Published known-answer vectors through coffer's HPKE calls (the same
//! `seal` and `open` that wrap and unwrap DEKs): RFC 9180 A.2 for
//! DHKEM(X25519, HKDF-SHA256), the HPKE-PQ vector for X-Wing (KEM 0x647a),
//! both with HKDF-SHA256 and ChaCha20-Poly1305, and the X-Wing draft's KEM
//! vectors. Sources: `tests/data/hpke/README.md`.

use serde_json::Value;

use super::{open, seal};
use crate::public_key::{Identity, KemAlgorithm};

fn hex(value: &Value, field: &str) -> Vec<u8> {
    let text = value[field].as_str().unwrap_or_else(|| panic!("no `{field}`"));
    hex::decode(text).unwrap_or_else(|_| panic!("`{field}` is not hex"))
}

fn secret(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().expect("32-byte secret")
}

/// Checks HPKE base-mode vectors of `algorithm` with HKDF-SHA256 and
/// ChaCha20-Poly1305: key pair, encapsulation from ikmE, first encryption.
fn check_hpke(vectors: &str, algorithm: KemAlgorithm) -> usize {
    let vectors: Vec<Value> = serde_json::from_str(vectors).unwrap();
    for v in &vectors {
        assert_eq!(v["mode"], 0);
        assert_eq!(v["kem_id"], u64::from(algorithm.kem_id()));
        assert_eq!((v["kdf_id"].as_u64(), v["aead_id"].as_u64()), (Some(1), Some(3)));
        let identity = Identity::from_secret_bytes(algorithm, &secret(&hex(v, "skRm"))).unwrap();
        assert_eq!(identity.public_key().to_bytes(), hex(v, "pkRm"));
        let info = hex(v, "info");
        let first = &v["encryptions"][0];
        let (aad, pt, ct) = (hex(first, "aad"), hex(first, "pt"), hex(first, "ct"));
        let mut expected = hex(v, "enc");
        expected.extend_from_slice(&ct);
        let sealed = seal(identity.public_key(), &info, &aad, &pt, &hex(v, "ikmE")).unwrap();
        assert_eq!(hex::encode(&sealed), hex::encode(&expected));
        assert_eq!(
            open(&identity, &info, &aad, &expected).unwrap().as_slice(),
            pt.as_slice()
        );
        let mut flipped = expected.clone();
        flipped[0] ^= 1;
        assert!(open(&identity, &info, &aad, &flipped).is_err());
    }
    vectors.len()
}

#[test]
fn rfc9180_x25519_hkdf_sha256_chacha20poly1305() {
    let count = check_hpke(
        include_str!("../../tests/data/hpke/rfc9180-x25519-hkdf-sha256-chacha20poly1305.json"),
        KemAlgorithm::X25519,
    );
    assert_eq!(count, 1);
}

#[test]
fn hpke_pq_xwing_hkdf_sha256_chacha20poly1305() {
    let count = check_hpke(
        include_str!("../../tests/data/hpke/hpke-pq-xwing-hkdf-sha256-chacha20poly1305.json"),
        KemAlgorithm::XWing,
    );
    assert_eq!(count, 1);
}

/// The X-Wing draft's vectors: seed → (sk, pk), and eseed → ct, where ct
/// is HPKE's enc (the KEM ciphertext) when coffer seals with eseed as its
/// encapsulation randomness.
#[test]
fn xwing_draft_kem_vectors() {
    let vectors: Vec<Value> =
        serde_json::from_str(include_str!("../../tests/data/hpke/xwing-kem.json")).unwrap();
    assert_eq!(vectors.len(), 3);
    for v in &vectors {
        assert_eq!(hex(v, "seed"), hex(v, "sk"));
        let identity = Identity::from_secret_bytes(KemAlgorithm::XWing, &secret(&hex(v, "sk"))).unwrap();
        assert_eq!(*identity.expose_secret(), secret(&hex(v, "sk")));
        assert_eq!(identity.public_key().to_bytes(), hex(v, "pk"));
        let sealed = seal(identity.public_key(), b"info", b"aad", b"pt", &hex(v, "eseed")).unwrap();
        assert_eq!(hex::encode(&sealed[..1120]), hex::encode(hex(v, "ct")));
        assert_eq!(
            open(&identity, b"info", b"aad", &sealed).unwrap().as_slice(),
            b"pt"
        );
    }
}
