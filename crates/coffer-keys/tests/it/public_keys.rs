//! Public-key recipients (wrapped key types `04` X25519 and `05` X-Wing):
//! round trips with 1 and 8 recipients of each type in each suite, mixed
//! with keyring and password recipients, and the attacks: wrong identity,
//! tampered encapsulation, a record moved to another message or rebound to
//! another recipient, and a malicious sender giving one recipient another
//! data key.
//!
//! The forgeries build records with the `hpke` crate directly from the
//! documented info and aad, and the header tag from `support/design.rs`,
//! so they also check the implementation against the written format.

use coffer_keys::envelope::{KeyType, ReaderLimits, Suite, WrappedKey};
use coffer_keys::{
    open, rewrap, seal, CryptoReason, Error, Identity, KemAlgorithm, KeyEncryptionKey, KeyId, KeyState,
    Keyring, OpenOptions, Password, Recipient, Rewrap, SealOptions,
};

use crate::design;
use crate::forge;

use forge::{join, reason, retag, split};

const SUITES: [Suite; 2] = [Suite::Aes256GcmHkdfSha256, Suite::ChaCha20Poly1305HkdfSha256];

fn identities(algorithm: KemAlgorithm, count: usize) -> Vec<Identity> {
    (0..count)
        .map(|_| Identity::generate(algorithm).unwrap())
        .collect()
}

/// Limits that admit eight X-Wing records (1 + 8 · 1188 = 9505 bytes of key
/// section, above the default 8192).
fn roomy() -> ReaderLimits {
    ReaderLimits {
        max_keys_len: 16384,
        ..ReaderLimits::default()
    }
}

#[test]
fn every_type_and_suite_round_trips_with_one_and_eight_recipients() {
    for algorithm in KemAlgorithm::ALL {
        for suite in SUITES {
            for count in [1, 8] {
                let ids = identities(algorithm, count);
                let recipients: Vec<_> = ids
                    .iter()
                    .map(|id| Recipient::public_key(id.public_key()))
                    .collect();
                let options = SealOptions::new().suite(suite).reader_limits(roomy());
                let plaintext = vec![0x5c; 1500];
                let sealed = seal(&plaintext, &recipients, &options).unwrap();
                for id in &ids {
                    let opened = open(&sealed, &OpenOptions::new().limits(roomy()).identity(id)).unwrap();
                    assert_eq!(opened.plaintext(), plaintext.as_slice());
                    assert_eq!(opened.info().key_type, algorithm.key_type());
                    assert_eq!(opened.info().kid, id.public_key().fingerprint().to_vec());
                    assert_eq!(opened.info().suite, suite);
                }
            }
        }
    }
}

#[test]
fn default_limits_take_six_xwing_recipients_and_refuse_eight() {
    let ids = identities(KemAlgorithm::XWing, 8);
    let recipients: Vec<_> = ids
        .iter()
        .map(|id| Recipient::public_key(id.public_key()))
        .collect();
    let six = seal(b"x", &recipients[..6], &SealOptions::new()).unwrap();
    assert_eq!(
        open(&six, &OpenOptions::new().identity(&ids[5]))
            .unwrap()
            .plaintext(),
        b"x"
    );
    match seal(b"x", &recipients, &SealOptions::new()) {
        Err(Error::ExceedsReaderLimit { value, limit, .. }) => assert_eq!((value, limit), (9505, 8192)),
        other => panic!("expected the keys_len limit, got {other:?}"),
    }
    // Eight X25519 records fit the default limits.
    let x = identities(KemAlgorithm::X25519, 8);
    let recipients: Vec<_> = x
        .iter()
        .map(|id| Recipient::public_key(id.public_key()))
        .collect();
    let sealed = seal(b"y", &recipients, &SealOptions::new()).unwrap();
    assert_eq!(
        open(&sealed, &OpenOptions::new().identity(&x[7]))
            .unwrap()
            .plaintext(),
        b"y"
    );
}

#[test]
fn public_keys_mix_with_keyring_and_password_recipients() {
    let mut keyring = Keyring::new();
    keyring
        .insert(
            KeyId::new("docs", 1).unwrap(),
            KeyEncryptionKey::from_bytes([3; 32]),
            KeyState::Active,
        )
        .unwrap();
    let password = Password::new("correct horse");
    let classical = Identity::generate(KemAlgorithm::X25519).unwrap();
    let hybrid = Identity::generate(KemAlgorithm::XWing).unwrap();
    for suite in SUITES {
        let recipients = [
            Recipient::public_key(hybrid.public_key()),
            Recipient::keyring(&keyring, "docs").unwrap(),
            Recipient::password(&password),
            Recipient::public_key(classical.public_key()),
        ];
        let options = SealOptions::new().suite(suite).insecure_password_iterations(1000);
        let sealed = seal(b"mixed", &recipients, &options).unwrap();
        let readers = [
            OpenOptions::new().identity(&hybrid),
            OpenOptions::new().identity(&classical),
            OpenOptions::new().keyring(&keyring),
            OpenOptions::new()
                .password(&password)
                .insecure_min_pbkdf2_iterations(1000),
        ];
        for reader in &readers {
            assert_eq!(open(&sealed, reader).unwrap().plaintext(), b"mixed");
        }
    }
}

#[test]
fn a_wrong_identity_finds_no_record_and_tries_nothing() {
    for algorithm in KemAlgorithm::ALL {
        let ids = identities(algorithm, 2);
        let sealed = seal(
            b"m",
            &[Recipient::public_key(ids[0].public_key())],
            &SealOptions::new(),
        )
        .unwrap();
        assert!(matches!(
            open(&sealed, &OpenOptions::new().identity(&ids[1])),
            Err(Error::NoMatchingKey)
        ));
        // An identity of the other algorithm with the same secret bytes is
        // another key, with another fingerprint.
        let other = KemAlgorithm::ALL.into_iter().find(|a| *a != algorithm).unwrap();
        let twin = Identity::from_secret_bytes(other, &ids[0].expose_secret()).unwrap();
        assert!(matches!(
            open(&sealed, &OpenOptions::new().identity(&twin)),
            Err(Error::NoMatchingKey)
        ));
        // Offering the right identity after a wrong one opens.
        let options = OpenOptions::new().identity(&ids[1]).identity(&ids[0]);
        assert_eq!(open(&sealed, &options).unwrap().plaintext(), b"m");
    }
}

#[test]
fn a_tampered_encapsulation_or_ciphertext_fails_opaquely() {
    for algorithm in KemAlgorithm::ALL {
        let id = Identity::generate(algorithm).unwrap();
        let sealed = seal(
            b"m",
            &[Recipient::public_key(id.public_key())],
            &SealOptions::new(),
        )
        .unwrap();
        let (header, body) = split(&sealed);
        let enc_len = header.keys[0].body().len() - 48;
        for at in [0, enc_len / 2, enc_len - 1, enc_len, enc_len + 47] {
            let mut forged = header.clone();
            let record = &forged.keys[0];
            let mut record_body = record.body().to_vec();
            record_body[at] ^= 0x01;
            forged.keys[0] = WrappedKey::new(record.key_type(), record.kid().to_vec(), record_body).unwrap();
            let result = open(&join(&forged, &body), &OpenOptions::new().identity(&id));
            assert_eq!(
                reason(result),
                CryptoReason::WrapCommitment,
                "{algorithm} byte {at}"
            );
        }
    }
}

#[test]
fn a_record_moved_to_another_message_fails() {
    for algorithm in KemAlgorithm::ALL {
        let id = Identity::generate(algorithm).unwrap();
        let recipients = [Recipient::public_key(id.public_key())];
        let first = seal(b"first", &recipients, &SealOptions::new()).unwrap();
        let second = seal(b"second", &recipients, &SealOptions::new()).unwrap();
        let (first_header, _) = split(&first);
        let (mut header, body) = split(&second);
        header.keys[0] = first_header.keys[0].clone();
        let result = open(&join(&header, &body), &OpenOptions::new().identity(&id));
        assert_eq!(reason(result), CryptoReason::WrapCommitment, "{algorithm}");
    }
}

/// The committing argument, part one: a record is tried only by the
/// identity its kid names, and the kid is in HPKE's info, so a record
/// relabelled for another recipient (or given another recipient's body)
/// opens for nobody.
#[test]
fn a_record_rebound_to_another_recipient_opens_for_no_one() {
    for algorithm in KemAlgorithm::ALL {
        let ids = identities(algorithm, 2);
        let recipients = [
            Recipient::public_key(ids[0].public_key()),
            Recipient::public_key(ids[1].public_key()),
        ];
        let sealed = seal(b"m", &recipients, &SealOptions::new()).unwrap();
        let (header, body) = split(&sealed);
        // A's record labelled with B's kid: B tries it and fails.
        let mut relabelled = header.clone();
        let a = &header.keys[0];
        relabelled.keys =
            vec![WrappedKey::new(a.key_type(), header.keys[1].kid().to_vec(), a.body().to_vec()).unwrap()];
        let result = open(&join(&relabelled, &body), &OpenOptions::new().identity(&ids[1]));
        assert_eq!(reason(result), CryptoReason::WrapCommitment);
        // The two bodies swapped: each identity finds its kid, neither opens.
        let mut swapped = header.clone();
        swapped.keys = vec![
            WrappedKey::new(a.key_type(), a.kid().to_vec(), header.keys[1].body().to_vec()).unwrap(),
            WrappedKey::new(a.key_type(), header.keys[1].kid().to_vec(), a.body().to_vec()).unwrap(),
        ];
        for id in &ids {
            let result = open(&join(&swapped, &body), &OpenOptions::new().identity(id));
            assert_eq!(reason(result), CryptoReason::WrapCommitment);
        }
    }
}

/// Builds a type `04`/`05` record body for `public` from the documented
/// formulas, with the `hpke` crate directly.
fn forge_record(identity: &Identity, suite: u16, message_id: &[u8], th: &[u8], dek: &[u8; 32]) -> Vec<u8> {
    use hpke::aead::ChaCha20Poly1305;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::{X25519HkdfSha256, XWing};
    use hpke::{Deserializable, OpModeS, Serializable};

    let algorithm = identity.algorithm();
    let kid = identity.public_key().fingerprint();
    let mut info = b"coffer/v1 wrap\x00".to_vec();
    info.push(algorithm.key_type().0);
    info.extend_from_slice(&suite.to_be_bytes());
    info.push(u8::try_from(kid.len()).unwrap());
    info.extend_from_slice(kid);
    info.extend_from_slice(message_id);
    let pk = identity.public_key().to_bytes();
    let mut rng = hpke::rand_core::UnwrapErr(getrandom::SysRng);
    let (enc, ct) =
        match algorithm {
            KemAlgorithm::X25519 => {
                let pk = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&pk).unwrap();
                let (enc, ct) = hpke::single_shot_seal_with_rng::<
                    ChaCha20Poly1305,
                    HkdfSha256,
                    X25519HkdfSha256,
                >(&OpModeS::Base, &pk, &info, dek, th, &mut rng)
                .unwrap();
                (enc.to_bytes().to_vec(), ct)
            }
            KemAlgorithm::XWing => {
                let pk = <XWing as hpke::Kem>::PublicKey::from_bytes(&pk).unwrap();
                let (enc, ct) = hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, XWing>(
                    &OpModeS::Base,
                    &pk,
                    &info,
                    dek,
                    th,
                    &mut rng,
                )
                .unwrap();
                (enc.to_bytes().to_vec(), ct)
            }
        };
    [enc, ct].concat()
}

/// The committing argument, part two: ChaCha20-Poly1305 alone does not
/// commit to its key, and a malicious sender knows every recipient's HPKE
/// key. What keeps all recipients on one plaintext is the envelope's
/// commitment C: a record that gives a recipient any other data key fails
/// the commitment check, even with a valid header tag for that key.
#[test]
fn records_built_from_the_format_open_and_another_data_key_fails_the_commitment() {
    for algorithm in KemAlgorithm::ALL {
        let ids = identities(algorithm, 2);
        let dek = [0x11u8; 32];
        let mut script = dek.to_vec();
        script.extend_from_slice(&[0x22; 32]); // message id
        script.extend_from_slice(&vec![
            0x33;
            if algorithm == KemAlgorithm::X25519 { 32 } else { 64 }
        ]);
        let options = SealOptions::new().scripted_randomness(script);
        let sealed = seal(b"shared", &[Recipient::public_key(ids[0].public_key())], &options).unwrap();
        let (header, body) = split(&sealed);
        let th = design::transcript(&header.core.to_bytes().unwrap(), None);
        let suite = header.core.suite.id();
        let message_id = header.core.message_id.0;
        let record = |id: &Identity, key: &[u8; 32]| {
            let body = forge_record(id, suite, &message_id, &th, key);
            WrappedKey::new(algorithm.key_type(), id.public_key().fingerprint().to_vec(), body).unwrap()
        };
        // B's record built independently with the message's DEK opens.
        let mut honest = header.clone();
        honest.keys.push(record(&ids[1], &dek));
        retag(&mut honest, &dek);
        let honest = join(&honest, &body);
        assert_eq!(
            open(&honest, &OpenOptions::new().identity(&ids[1]))
                .unwrap()
                .plaintext(),
            b"shared"
        );
        // B's record carrying another data key: unwraps, fails C.
        let other = [0x44u8; 32];
        let mut split_view = header.clone();
        split_view.keys.push(record(&ids[1], &other));
        retag(&mut split_view, &other);
        let forged = join(&split_view, &body);
        assert_eq!(
            reason(open(&forged, &OpenOptions::new().identity(&ids[1]))),
            CryptoReason::Commitment
        );
        // A still opens the honest way.
        retag(&mut split_view, &dek);
        let for_a = join(&split_view, &body);
        assert_eq!(
            open(&for_a, &OpenOptions::new().identity(&ids[0]))
                .unwrap()
                .plaintext(),
            b"shared"
        );
    }
}

#[test]
fn readers_without_an_identity_skip_public_key_records() {
    let id = Identity::generate(KemAlgorithm::XWing).unwrap();
    let mut keyring = Keyring::new();
    keyring.create("k").unwrap();
    let recipients = [
        Recipient::public_key(id.public_key()),
        Recipient::keyring(&keyring, "k").unwrap(),
    ];
    let sealed = seal(b"z", &recipients, &SealOptions::new()).unwrap();
    let (header, _) = split(&sealed);
    assert_eq!(header.keys[0].key_type(), KeyType::HPKE_XWING);
    assert_eq!(
        open(&sealed, &OpenOptions::new().keyring(&keyring))
            .unwrap()
            .plaintext(),
        b"z"
    );
}

#[test]
fn rewrap_adds_and_removes_public_key_recipients() {
    let mut keyring = Keyring::new();
    keyring.create("k").unwrap();
    let member = Identity::generate(KemAlgorithm::XWing).unwrap();
    let sealed = seal(
        b"project",
        &[Recipient::keyring(&keyring, "k").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    let by_keyring = OpenOptions::new().keyring(&keyring);
    let added = rewrap(
        &sealed,
        &by_keyring,
        &Rewrap::new().add_recipient(Recipient::public_key(member.public_key())),
    )
    .unwrap();
    assert_eq!(
        open(&added, &OpenOptions::new().identity(&member))
            .unwrap()
            .plaintext(),
        b"project"
    );
    let removed = rewrap(
        &added,
        &by_keyring,
        &Rewrap::new().remove_public_key(member.public_key()),
    )
    .unwrap();
    assert!(matches!(
        open(&removed, &OpenOptions::new().identity(&member)),
        Err(Error::NoMatchingKey)
    ));
    // Removing a key that is not there names it by type and fingerprint.
    match rewrap(
        &removed,
        &by_keyring,
        &Rewrap::new().remove_public_key(member.public_key()),
    ) {
        Err(Error::RecipientNotFound(what)) => {
            assert_eq!(what, format!("0x05/{}", member.public_key().fingerprint_hex()));
        }
        other => panic!("expected RecipientNotFound, got {other:?}"),
    }
}
