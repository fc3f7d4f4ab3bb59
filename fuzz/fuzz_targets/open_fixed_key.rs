//! Mutations of valid sealed messages, opened with the keyring and the
//! identities (X25519 and X-Wing public-key recipients) that they were
//! sealed for: opening must never panic, and must never return plaintext
//! for any input other than the valid messages themselves.
#![no_main]

use std::io::Read;
use std::sync::OnceLock;

use coffer_keys::envelope::Suite;
use coffer_keys::{
    open, Identity, KemAlgorithm, KeyEncryptionKey, KeyId, KeyState, Keyring, OpenOptions, Opener, Recipient,
    SealOptions,
};
use libfuzzer_sys::fuzz_target;

fn keyring() -> Keyring {
    let mut ring = Keyring::new();
    ring.insert(
        KeyId::new("fuzz", 1).expect("valid id"),
        KeyEncryptionKey::from_bytes([0x42; 32]),
        KeyState::Active,
    )
    .expect("empty keyring");
    ring
}

/// Fixed X25519 and X-Wing identities.
fn identities() -> [Identity; 2] {
    KemAlgorithm::ALL.map(|algorithm| {
        Identity::from_secret_bytes(algorithm, &[0x24; 32]).expect("any 32 bytes are a secret")
    })
}

/// The valid messages (also the seed corpus): fixed keys and scripted
/// randomness make them reproducible. The last two are sealed for the
/// identities (one X25519 record, and X-Wing beside a keyring record).
fn valid_messages(ring: &Keyring, ids: &[Identity; 2]) -> Vec<Vec<u8>> {
    let cases: [(Suite, u8, usize, &[(&str, &[u8])]); 3] = [
        (Suite::Aes256GcmHkdfSha256, 10, 100, &[("doc", b"d-1")]),
        (Suite::ChaCha20Poly1305HkdfSha256, 10, 2100, &[]),
        (Suite::Aes256GcmHkdfSha256, 12, 0, &[("a", b""), ("b", b"xyz")]),
    ];
    cases
        .iter()
        .enumerate()
        .map(|(i, (suite, chunk_log2, len, context))| {
            let seed = u8::try_from(i).expect("three cases");
            let mut options = SealOptions::new()
                .suite(*suite)
                .chunk_log2(*chunk_log2)
                .scripted_randomness(vec![seed; 80]);
            for (key, value) in *context {
                options = options.context(key, value).expect("valid context");
            }
            let plaintext: Vec<u8> = (0..*len).map(|j| (j % 251) as u8).collect();
            let recipients = [Recipient::keyring(ring, "fuzz").expect("active key")];
            coffer_keys::seal(&plaintext, &recipients, &options).expect("seal")
        })
        .chain([
            coffer_keys::seal(
                b"x25519",
                &[Recipient::public_key(ids[0].public_key())],
                &SealOptions::new().scripted_randomness(vec![7; 96]),
            )
            .expect("seal"),
            coffer_keys::seal(
                b"x-wing",
                &[
                    Recipient::public_key(ids[1].public_key()),
                    Recipient::keyring(ring, "fuzz").expect("active key"),
                ],
                &SealOptions::new()
                    .suite(Suite::ChaCha20Poly1305HkdfSha256)
                    .scripted_randomness(vec![8; 144]),
            )
            .expect("seal"),
        ])
        .collect()
}

struct Fixture {
    ring: Keyring,
    ids: [Identity; 2],
    valid: Vec<Vec<u8>>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ring = keyring();
        let ids = identities();
        let valid = valid_messages(&ring, &ids);
        Fixture { ring, ids, valid }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let options = OpenOptions::new()
        .keyring(&fixture.ring)
        .identity(&fixture.ids[0])
        .identity(&fixture.ids[1]);
    let is_valid = fixture.valid.iter().any(|m| m.as_slice() == data);
    if open(data, &options).is_ok() {
        assert!(is_valid, "a modified message opened");
    }
    if let Ok(mut opener) = Opener::new(data, &options) {
        let mut out = Vec::new();
        if opener.read_to_end(&mut out).is_ok() {
            assert!(is_valid, "a modified message streamed to the end");
        }
    }
});
