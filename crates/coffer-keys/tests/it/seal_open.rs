//! Round trips through every API and recipient type, and the expectations an
//! opener states.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use std::io::{Cursor, Read, Write};

use coffer_keys::envelope::{self, KeyType, ReaderLimits, Suite};
use coffer_keys::{
    open, open_range, seal, CryptoReason, DataKey, Error, KeyEncryptionKey, KeyId, KeyState, KeyWrapper,
    KeyWrapperError, Keyring, OpenOptions, Opener, Password, ProjectKey, Recipient, SealOptions, Sealer,
    WrapBinding, MAX_UNWRAP_ATTEMPTS,
};
use proptest::prelude::*;

/// Password cost for tests: the floor is exercised in the project-key tests.
const FAST: u32 = 1_000;

fn fast_seal() -> SealOptions {
    SealOptions::new().insecure_password_iterations(FAST)
}

fn fast_open<'a>() -> OpenOptions<'a> {
    OpenOptions::new().insecure_min_pbkdf2_iterations(FAST)
}

fn keyring() -> Keyring {
    let mut ring = Keyring::new();
    ring.insert(
        KeyId::new("docs", 1).unwrap(),
        KeyEncryptionKey::from_bytes([0x11; 32]),
        KeyState::Active,
    )
    .unwrap();
    ring
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

fn is_crypto(err: &Error) -> bool {
    matches!(err, Error::Crypto(_))
}

/// A toy external wrapper: XOR with a pad derived from its secret and the
/// binding, plus a binding check. Enough to prove that the
/// binding reaches the wrapper and that its output is checked by C.
#[derive(Debug)]
struct ToyKms {
    kid: Vec<u8>,
    secret: u8,
    available: bool,
}

impl ToyKms {
    fn pad(&self, binding: &WrapBinding<'_>) -> Vec<u8> {
        let context = binding.to_bytes();
        (0..32)
            .map(|i| context[i % context.len()] ^ self.secret ^ i as u8)
            .collect()
    }
}

impl KeyWrapper for ToyKms {
    fn kid(&self) -> &[u8] {
        &self.kid
    }

    fn wrap(&self, dek: &DataKey, binding: &WrapBinding<'_>) -> Result<Vec<u8>, KeyWrapperError> {
        let pad = self.pad(binding);
        let mut body: Vec<u8> = dek.expose_secret().iter().zip(&pad).map(|(a, b)| a ^ b).collect();
        body.extend_from_slice(&binding.transcript_hash()[..8]);
        Ok(body)
    }

    fn unwrap(&self, body: &[u8], binding: &WrapBinding<'_>) -> Result<DataKey, KeyWrapperError> {
        if !self.available {
            return Err(KeyWrapperError::Unavailable("kms is down".into()));
        }
        if body.len() != 40 || body[32..] != binding.transcript_hash()[..8] {
            return Err(KeyWrapperError::Rejected);
        }
        let pad = self.pad(binding);
        let mut dek = [0u8; 32];
        for (i, (a, b)) in body[..32].iter().zip(&pad).enumerate() {
            dek[i] = a ^ b;
        }
        Ok(DataKey::from_bytes(dek))
    }
}

#[test]
fn every_recipient_type_opens_alone() {
    let ring = keyring();
    let project = ProjectKey::generate("project.alpha").unwrap();
    let password = Password::new("pw");
    let kms = ToyKms {
        kid: b"kms:1".to_vec(),
        secret: 5,
        available: true,
    };
    let sealed = seal(
        b"all four",
        &[
            Recipient::keyring(&ring, "docs").unwrap(),
            Recipient::project_key(&project),
            Recipient::password(&password),
            Recipient::external(&kms),
        ],
        &fast_seal(),
    )
    .unwrap();
    let cases: Vec<(OpenOptions<'_>, KeyType, &[u8])> = vec![
        (fast_open().keyring(&ring), KeyType::LOCAL, b"docs:1"),
        (
            fast_open().project_key(&project),
            KeyType::LOCAL,
            b"project.alpha:1",
        ),
        (fast_open().password(&password), KeyType::PASSWORD, b""),
        (fast_open().key_wrapper(&kms), KeyType::EXTERNAL, b"kms:1"),
    ];
    for (options, key_type, kid) in cases {
        let opened = open(&sealed, &options).unwrap();
        assert_eq!(opened.plaintext(), b"all four");
        assert_eq!(opened.info().key_type, key_type);
        assert_eq!(opened.info().kid, kid);
    }
    assert!(matches!(open(&sealed, &fast_open()), Err(Error::NoMatchingKey)));
}

#[test]
fn streaming_matches_one_shot_and_range_reads_any_slice() {
    let ring = keyring();
    let plaintext = pattern(5 * 1024 + 17);
    let options = SealOptions::new().chunk_log2(10);
    let mut sealer = Sealer::new(
        Vec::new(),
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &options,
    )
    .unwrap();
    for piece in plaintext.chunks(700) {
        sealer.write_all(piece).unwrap();
    }
    let sealed = sealer.finish().unwrap();
    let open_options = OpenOptions::new().keyring(&ring);
    assert_eq!(open(&sealed, &open_options).unwrap().plaintext(), &plaintext[..]);

    let mut opener = Opener::new(&sealed[..], &open_options).unwrap();
    let mut streamed = Vec::new();
    opener.read_to_end(&mut streamed).unwrap();
    assert!(opener.is_done());
    assert_eq!(streamed, plaintext);

    let mut cursor = Cursor::new(&sealed);
    for (start, end) in [
        (0, 0),
        (0, 1),
        (1000, 1100),
        (1023, 1025),
        (2048, 5 * 1024 + 17),
        (0, 5 * 1024 + 17),
    ] {
        let part = open_range(&mut cursor, start..end, &open_options).unwrap();
        assert_eq!(
            part.plaintext(),
            &plaintext[start as usize..end as usize],
            "{start}..{end}"
        );
        cursor.set_position(0);
    }
    assert!(matches!(
        open_range(&mut cursor, 10..6000, &open_options),
        Err(Error::Range { len: 5137, .. })
    ));
}

#[test]
fn seal_into_appends_what_seal_returns_and_keeps_the_buffer_on_error() {
    let ring = keyring();
    let recipients = [Recipient::keyring(&ring, "docs").unwrap()];
    let plaintext = pattern(3000);
    // DEK, message id and wrap salt: the same random bytes give the same envelope.
    let options = || SealOptions::new().chunk_log2(10).scripted_randomness(pattern(80));
    let sealed = seal(&plaintext, &recipients, &options()).unwrap();
    let mut buffer = b"kept".to_vec();
    coffer_keys::seal_into(&plaintext, &recipients, &options(), &mut buffer).unwrap();
    assert_eq!(&buffer[..4], b"kept");
    assert_eq!(&buffer[4..], &sealed[..]);

    let err = coffer_keys::seal_into(&plaintext, &[], &options(), &mut buffer);
    assert!(matches!(err, Err(Error::RecipientCount(0))));
    assert_eq!(&buffer[4..], &sealed[..]);
}

#[test]
fn range_open_decrypts_only_the_chunks_it_needs() {
    let ring = keyring();
    let plaintext = pattern(4 * 1024);
    let mut sealed = seal(
        &plaintext,
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new().chunk_log2(10),
    )
    .unwrap();
    let header_len = open(&sealed, &OpenOptions::new().keyring(&ring))
        .unwrap()
        .info()
        .header_len;
    // Corrupt chunk 3; chunks 0..3 stay readable by range, the whole does not open.
    let chunk3 = header_len + 3 * (1024 + 16);
    sealed[chunk3 + 5] ^= 1;
    let options = OpenOptions::new().keyring(&ring);
    let part = open_range(&mut Cursor::new(&sealed), 100..3000, &options).unwrap();
    assert_eq!(part.plaintext(), &plaintext[100..3000]);
    assert!(is_crypto(
        &open_range(&mut Cursor::new(&sealed), 3000..3100, &options).unwrap_err()
    ));
    assert!(is_crypto(&open(&sealed, &options).unwrap_err()));
}

#[test]
fn required_context_and_suites_are_enforced_before_keys() {
    let ring = keyring();
    let options = SealOptions::new()
        .suite(Suite::ChaCha20Poly1305HkdfSha256)
        .context("doc", b"42")
        .unwrap()
        .reserved_context("coffer.project", b"p-1")
        .unwrap();
    let sealed = seal(b"x", &[Recipient::keyring(&ring, "docs").unwrap()], &options).unwrap();
    let ok = open(
        &sealed,
        &OpenOptions::new()
            .keyring(&ring)
            .require_context("coffer.project", b"p-1"),
    )
    .unwrap();
    assert_eq!(ok.info().suite, Suite::ChaCha20Poly1305HkdfSha256);
    assert_eq!(ok.info().context.get("doc"), Some(&b"42"[..]));

    let wrong_project = OpenOptions::new()
        .keyring(&ring)
        .require_context("coffer.project", b"p-2");
    assert!(matches!(open(&sealed, &wrong_project), Err(Error::ContextMismatch(k)) if k == "coffer.project"));
    let missing = OpenOptions::new()
        .keyring(&ring)
        .require_context("coffer.document", b"d");
    assert!(matches!(open(&sealed, &missing), Err(Error::MissingContext(k)) if k == "coffer.document"));
    let aes_only = OpenOptions::new()
        .keyring(&ring)
        .allow_suites(&[Suite::Aes256GcmHkdfSha256]);
    assert!(matches!(
        open(&sealed, &aes_only),
        Err(Error::Format(envelope::Error::SuiteNotAllowed(
            Suite::ChaCha20Poly1305HkdfSha256
        )))
    ));
}

#[test]
fn user_context_may_not_use_the_reserved_prefix() {
    assert!(matches!(
        SealOptions::new().context("coffer.project", b"p"),
        Err(Error::ReservedContextKey(k)) if k == "coffer.project"
    ));
    assert!(matches!(
        SealOptions::new().reserved_context("project", b"p"),
        Err(Error::ReservedContextKey(_))
    ));
}

#[test]
fn external_aad_is_required_and_bound() {
    let ring = keyring();
    let sealed = seal(
        b"x",
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new().external_aad(b"row 7"),
    )
    .unwrap();
    let base = OpenOptions::new().keyring(&ring);
    assert!(matches!(open(&sealed, &base), Err(Error::ExternalAadRequired)));
    assert_eq!(
        open(&sealed, &base.clone().external_aad(b"row 7"))
            .unwrap()
            .plaintext(),
        b"x"
    );
    assert!(is_crypto(
        &open(&sealed, &base.clone().external_aad(b"row 8")).unwrap_err()
    ));
    let plain = seal(
        b"x",
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    assert!(matches!(
        open(&plain, &base.external_aad(b"row 7")),
        Err(Error::ExternalAadUnexpected)
    ));
}

#[test]
fn keyring_states_decide_what_opens() {
    let mut ring = keyring();
    let sealed_v1 = seal(
        b"old",
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    ring.rotate("docs").unwrap();
    let sealed_v2 = seal(
        b"new",
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    assert_eq!(
        open(&sealed_v1, &OpenOptions::new().keyring(&ring))
            .unwrap()
            .info()
            .kid,
        b"docs:1"
    );
    assert_eq!(
        open(&sealed_v2, &OpenOptions::new().keyring(&ring))
            .unwrap()
            .info()
            .kid,
        b"docs:2"
    );

    let v1 = KeyId::new("docs", 1).unwrap();
    ring.set_state(&v1, KeyState::Suspended).unwrap();
    assert!(matches!(
        open(&sealed_v1, &OpenOptions::new().keyring(&ring)),
        Err(Error::KeyNotUsable {
            state: KeyState::Suspended,
            ..
        })
    ));
    ring.set_state(&v1, KeyState::DecryptOnly).unwrap();
    ring.set_min_decrypt_version("docs", 2).unwrap();
    assert!(matches!(
        open(&sealed_v1, &OpenOptions::new().keyring(&ring)),
        Err(Error::BelowMinimumVersion { minimum: 2, .. })
    ));
    ring.set_state(&v1, KeyState::Destroyed).unwrap();
    assert!(matches!(
        open(&sealed_v1, &OpenOptions::new().keyring(&ring)),
        Err(Error::KeyNotUsable {
            state: KeyState::Destroyed,
            ..
        })
    ));
    assert!(open(&sealed_v2, &OpenOptions::new().keyring(&ring)).is_ok());
}

#[test]
fn unknown_kids_are_never_tried_and_attempts_are_capped() {
    let ring = keyring();
    let strangers: Vec<Password> = (0..4).map(|i| Password::new(format!("stranger {i}"))).collect();
    let mine = Password::new("mine");
    let mut recipients: Vec<Recipient<'_>> = strangers.iter().map(Recipient::password).collect();
    recipients.push(Recipient::password(&mine));
    let sealed = seal(b"x", &recipients, &fast_seal()).unwrap();
    // Our password is the fifth candidate: the three-attempt budget runs out first.
    let err = open(&sealed, &fast_open().password(&mine)).unwrap_err();
    assert!(matches!(&err, Error::Crypto(f) if f.reason() == CryptoReason::WrapCommitment));
    assert_eq!(MAX_UNWRAP_ATTEMPTS, 3);
    // Local kids not in the keyring cost nothing and do not count.
    let other = KeyEncryptionKey::from_bytes([0x22; 32]);
    let ids: Vec<KeyId> = (1..=5).map(|v| KeyId::new("elsewhere", v).unwrap()).collect();
    let mut recipients: Vec<Recipient<'_>> =
        ids.iter().map(|id| Recipient::kek(id.clone(), &other)).collect();
    recipients.push(Recipient::keyring(&ring, "docs").unwrap());
    let sealed = seal(b"y", &recipients, &SealOptions::new()).unwrap();
    assert_eq!(
        open(&sealed, &OpenOptions::new().keyring(&ring))
            .unwrap()
            .plaintext(),
        b"y"
    );
}

#[test]
fn external_wrapper_outage_is_specific_and_rejection_is_opaque() {
    let kms = ToyKms {
        kid: b"kms:1".to_vec(),
        secret: 9,
        available: true,
    };
    let sealed = seal(b"x", &[Recipient::external(&kms)], &SealOptions::new()).unwrap();
    let down = ToyKms {
        kid: b"kms:1".to_vec(),
        secret: 9,
        available: false,
    };
    assert!(matches!(
        open(&sealed, &OpenOptions::new().key_wrapper(&down)),
        Err(Error::KeyWrapper { .. })
    ));
    // A wrapper that hands back a wrong key is caught by the key commitment.
    let liar = ToyKms {
        kid: b"kms:1".to_vec(),
        secret: 10,
        available: true,
    };
    let err = open(&sealed, &OpenOptions::new().key_wrapper(&liar)).unwrap_err();
    assert!(matches!(&err, Error::Crypto(f) if f.reason() == CryptoReason::Commitment));
}

#[test]
fn an_unreachable_wrapper_is_reported_whatever_else_failed() {
    let kms = ToyKms {
        kid: b"kms:1".to_vec(),
        secret: 9,
        available: true,
    };
    let password = Password::new("pw");
    let sealed = seal(
        b"x",
        &[Recipient::external(&kms), Recipient::password(&password)],
        &fast_seal(),
    )
    .unwrap();
    let down = ToyKms {
        kid: b"kms:1".to_vec(),
        secret: 9,
        available: false,
    };
    // The wrapper is down, then the password record's count is below the
    // reader's floor (default options): the outage is what is reported.
    let options = OpenOptions::new().key_wrapper(&down).password(&password);
    let err = open(&sealed, &options).unwrap_err();
    assert!(matches!(err, Error::KeyWrapper { .. }), "{err:?}");
    // And after a failed attempt too (a wrong password, attempted).
    let wrong = Password::new("wrong");
    let options = fast_open().key_wrapper(&down).password(&wrong);
    let err = open(&sealed, &options).unwrap_err();
    assert!(matches!(err, Error::KeyWrapper { .. }), "{err:?}");
}

#[test]
fn recipient_count_is_bounded() {
    let ring = keyring();
    assert!(matches!(
        seal(b"x", &[], &SealOptions::new()),
        Err(Error::RecipientCount(0))
    ));
    let nine: Vec<_> = (0..9)
        .map(|_| Recipient::keyring(&ring, "docs").unwrap())
        .collect();
    assert!(matches!(
        seal(b"x", &nine, &SealOptions::new()),
        Err(Error::RecipientCount(9))
    ));
}

#[test]
fn hostile_iteration_counts_are_refused_before_stretching() {
    let password = Password::new("pw");
    let sealed = seal(b"x", &[Recipient::password(&password)], &fast_seal()).unwrap();
    // Readers refuse counts below the floor by default…
    assert!(matches!(
        open(&sealed, &OpenOptions::new().password(&password)),
        Err(Error::Iterations { iterations: FAST, .. })
    ));
    // …and above their cap.
    let capped = fast_open().password(&password).max_pbkdf2_iterations(FAST - 1);
    assert!(matches!(open(&sealed, &capped), Err(Error::Iterations { .. })));
    assert!(matches!(
        SealOptions::new().password_iterations(599_999),
        Err(Error::Iterations { .. })
    ));
    assert!(matches!(
        seal(b"x", &[Recipient::password(&Password::new(""))], &fast_seal()),
        Err(Error::EmptyPassword)
    ));
}

#[test]
fn reader_limits_apply() {
    let ring = keyring();
    let wide = ReaderLimits {
        max_chunk_log2: 22,
        ..ReaderLimits::default()
    };
    // Written for a reader that accepts 4 MiB chunks, said explicitly.
    let sealed = seal(
        b"x",
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new().chunk_log2(22).reader_limits(wide.clone()),
    )
    .unwrap();
    assert!(matches!(
        open(&sealed, &OpenOptions::new().keyring(&ring)),
        Err(Error::Format(envelope::Error::LimitExceeded { .. }))
    ));
    assert!(open(&sealed, &OpenOptions::new().keyring(&ring).limits(wide)).is_ok());
}

/// An external wrapper whose wrapped keys are as large as the format allows.
#[derive(Debug)]
struct BigKms(&'static [u8]);

impl KeyWrapper for BigKms {
    fn kid(&self) -> &[u8] {
        self.0
    }

    fn wrap(&self, _: &DataKey, _: &WrapBinding<'_>) -> Result<Vec<u8>, KeyWrapperError> {
        Ok(vec![0xB1; envelope::MAX_EXTERNAL_BODY_LEN])
    }

    fn unwrap(&self, _: &[u8], _: &WrapBinding<'_>) -> Result<DataKey, KeyWrapperError> {
        Err(KeyWrapperError::Rejected)
    }
}

fn limit_error(result: Result<Vec<u8>, Error>) -> (envelope::Field, u64, u64) {
    match result {
        Err(Error::ExceedsReaderLimit { field, value, limit }) => (field, value, limit),
        other => panic!("expected ExceedsReaderLimit, got {other:?}"),
    }
}

#[test]
fn default_seal_refuses_what_the_default_reader_refuses() {
    use envelope::Field;
    let ring = keyring();
    let docs = || [Recipient::keyring(&ring, "docs").unwrap()];
    let big_value = vec![b'v'; envelope::MAX_CONTEXT_VALUE_LEN];
    let mut big_context = SealOptions::new();
    for key in ["a", "b", "c"] {
        big_context = big_context.context(key, &big_value).unwrap();
    }

    // Context: three 4096-byte values make a 12 300-byte section; the
    // default reader stops at 8192.
    assert_eq!(
        limit_error(seal(b"x", &docs(), &big_context)),
        (Field::ContextLen, 12_300, 8192)
    );
    // chunk_log2 24 is in the format, above the default reader's 20.
    assert_eq!(
        limit_error(seal(b"x", &docs(), &SealOptions::new().chunk_log2(24))),
        (Field::ChunkLog2, 24, 20)
    );
    // The streaming sealer refuses the same, before writing anything.
    let mut sink = Vec::new();
    assert!(matches!(
        Sealer::new(&mut sink, &docs(), &SealOptions::new().chunk_log2(21)),
        Err(Error::ExceedsReaderLimit {
            field: Field::ChunkLog2,
            ..
        })
    ));
    assert!(sink.is_empty());
    // Key section: two maximal external records make 1 + 2 * 4105 = 8211 bytes > 8192.
    let (kms1, kms2) = (BigKms(b"kms-1"), BigKms(b"kms-2"));
    let two_big = [Recipient::external(&kms1), Recipient::external(&kms2)];
    assert_eq!(
        limit_error(seal(b"x", &two_big, &SealOptions::new())),
        (Field::KeysLen, 8211, 8192)
    );
    // Key count and suite, against the limits the caller states.
    let one_key = ReaderLimits {
        max_key_count: 1,
        ..ReaderLimits::default()
    };
    let password = Password::new("pw");
    let two = [
        Recipient::keyring(&ring, "docs").unwrap(),
        Recipient::password(&password),
    ];
    assert_eq!(
        limit_error(seal(b"x", &two, &fast_seal().reader_limits(one_key))),
        (Field::KeyCount, 2, 1)
    );
    let aes_only = ReaderLimits {
        allowed_suites: vec![Suite::Aes256GcmHkdfSha256],
        ..ReaderLimits::default()
    };
    let chacha = SealOptions::new()
        .suite(Suite::ChaCha20Poly1305HkdfSha256)
        .reader_limits(aes_only);
    assert!(matches!(
        seal(b"x", &docs(), &chacha),
        Err(Error::SuiteNotReadable(Suite::ChaCha20Poly1305HkdfSha256))
    ));

    // Stating a reader with higher limits writes the message, and it opens
    // under those limits (and not under the defaults).
    let wide = ReaderLimits {
        max_chunk_log2: 24,
        max_context_len: u16::MAX,
        max_keys_len: u16::MAX,
        ..ReaderLimits::default()
    };
    let sealed = seal(
        b"x",
        &docs(),
        &big_context.reader_limits(wide.clone()).chunk_log2(24),
    )
    .unwrap();
    let opened = open(&sealed, &OpenOptions::new().keyring(&ring).limits(wide)).unwrap();
    assert_eq!(opened.plaintext(), b"x");
    assert!(matches!(
        open(&sealed, &OpenOptions::new().keyring(&ring)),
        Err(Error::Format(envelope::Error::LimitExceeded { .. }))
    ));
    // At the default limits exactly, a default seal opens with a default open.
    let mut at_limit = SealOptions::new().chunk_log2(20);
    // Two entries with one-byte keys: 2 * (1 + 1 + 2 + 4092) = 8192 bytes.
    for key in ["a", "b"] {
        at_limit = at_limit.context(key, &big_value[..4092]).unwrap();
    }
    let sealed = seal(b"x", &docs(), &at_limit).unwrap();
    assert_eq!(
        open(&sealed, &OpenOptions::new().keyring(&ring))
            .unwrap()
            .plaintext(),
        b"x"
    );
}

#[test]
fn rewrap_refuses_a_key_section_its_reader_refuses() {
    let ring = keyring();
    let (kms1, kms2) = (BigKms(b"kms-1"), BigKms(b"kms-2"));
    let sealed = seal(
        b"x",
        &[
            Recipient::external(&kms1),
            Recipient::keyring(&ring, "docs").unwrap(),
        ],
        &SealOptions::new(),
    )
    .unwrap();
    let change = coffer_keys::Rewrap::new().add_recipient(Recipient::external(&kms2));
    let err = coffer_keys::rewrap(&sealed, &OpenOptions::new().keyring(&ring), &change).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ExceedsReaderLimit {
                field: envelope::Field::KeysLen,
                limit: 8192,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "exceeds-reader-limit.keys-len");
}

#[test]
fn opened_plaintext_never_prints() {
    let ring = keyring();
    let secret = b"TOPSECRET plaintext";
    let sealed = seal(
        secret,
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new().chunk_log2(10),
    )
    .unwrap();
    let options = OpenOptions::new().keyring(&ring);
    let opened = open(&sealed, &options).unwrap();
    let mut opener = Opener::new(&sealed[..], &options).unwrap();
    let mut first = [0u8; 4];
    opener.read_exact(&mut first).unwrap();
    let taken = open(&sealed, &options).unwrap().into_plaintext();
    let texts = [
        format!("{opened:?}"),
        format!("{opened:#?}"),
        format!("{opener:?}"),
        format!("{taken:?}"),
    ];
    // As text, and as the decimal list a derived Debug of bytes prints.
    let decimal: String = secret.iter().map(|b| format!("{b},")).collect();
    for text in &texts {
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(!text.contains("TOPSECRET"), "{text}");
        assert!(!squeezed.contains(&decimal[..16]), "{text}");
    }
    assert!(texts[0].contains("Zeroizing"), "{}", texts[0]);
}

#[test]
fn empty_external_aad_is_not_no_aad() {
    let ring = keyring();
    let docs = || [Recipient::keyring(&ring, "docs").unwrap()];
    let base = OpenOptions::new().keyring(&ring);
    let empty = seal(b"x", &docs(), &SealOptions::new().external_aad(b"")).unwrap();
    let none = seal(b"x", &docs(), &SealOptions::new()).unwrap();
    // The flag tells them apart before any cryptography.
    assert_eq!(empty[5], 0x01);
    assert_eq!(none[5], 0x00);
    assert!(matches!(open(&empty, &base), Err(Error::ExternalAadRequired)));
    assert_eq!(
        open(&empty, &base.clone().external_aad(b"")).unwrap().plaintext(),
        b"x"
    );
    assert!(matches!(
        open(&none, &base.clone().external_aad(b"")),
        Err(Error::ExternalAadUnexpected)
    ));
    assert_eq!(open(&none, &base).unwrap().plaintext(), b"x");
}

#[test]
fn error_codes_are_stable() {
    let ring = keyring();
    let sealed = seal(
        b"x",
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    let code = |result: Result<coffer_keys::Opened, Error>| result.unwrap_err().code();
    assert_eq!(code(open(b"nope", &OpenOptions::new())), "format.bad-magic");
    assert_eq!(code(open(&sealed, &OpenOptions::new())), "no-matching-key");
    assert_eq!(
        code(open(
            &sealed,
            &OpenOptions::new().keyring(&ring).require_context("p", b"1")
        )),
        "missing-context"
    );
    let strict = ReaderLimits {
        max_context_len: 0,
        ..ReaderLimits::default()
    };
    let with_context = seal(
        b"x",
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new().context("p", b"1").unwrap(),
    )
    .unwrap();
    assert_eq!(
        code(open(
            &with_context,
            &OpenOptions::new().keyring(&ring).limits(strict)
        )),
        "format.limit.context-len"
    );
    let mut tampered = sealed.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let err = open(&tampered, &OpenOptions::new().keyring(&ring)).unwrap_err();
    assert_eq!(err.code(), "crypto");
    let Error::Crypto(failure) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failure.reason().code(), "body");
    assert_eq!(
        SealOptions::new().context("coffer.x", b"").unwrap_err().code(),
        "reserved-context-key"
    );
    let mut ring = Keyring::new();
    let v1 = ring.create("k").unwrap();
    ring.rotate("k").unwrap();
    ring.set_min_decrypt_version("k", 2).unwrap();
    assert_eq!(
        ring.set_state(&v1, KeyState::Active).unwrap_err().code(),
        "below-minimum-version"
    );
    assert_eq!(
        seal(
            b"x",
            &[Recipient::keyring(&ring, "k").unwrap()],
            &SealOptions::new().chunk_log2(21)
        )
        .unwrap_err()
        .code(),
        "exceeds-reader-limit.chunk-log2"
    );
}

fn any_suite() -> impl Strategy<Value = Suite> {
    prop_oneof![
        Just(Suite::Aes256GcmHkdfSha256),
        Just(Suite::ChaCha20Poly1305HkdfSha256)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn open_inverts_seal(
        plaintext in proptest::collection::vec(any::<u8>(), 0..5000),
        suite in any_suite(),
        chunk_log2 in 10u8..=12,
        recipient_mask in 1u8..8,
        which in 0usize..3,
    ) {
        let ring = keyring();
        let project = ProjectKey::from_parts(KeyId::new("p", 3).unwrap(), KeyEncryptionKey::from_bytes([7; 32]));
        let password = Password::new("pw");
        let mut recipients = Vec::new();
        if recipient_mask & 1 != 0 { recipients.push(Recipient::keyring(&ring, "docs").unwrap()); }
        if recipient_mask & 2 != 0 { recipients.push(Recipient::project_key(&project)); }
        if recipient_mask & 4 != 0 { recipients.push(Recipient::password(&password)); }
        let options = fast_seal().suite(suite).chunk_log2(chunk_log2);
        let sealed = seal(&plaintext, &recipients, &options).unwrap();
        let available: Vec<OpenOptions<'_>> = [
            (1, fast_open().keyring(&ring)),
            (2, fast_open().project_key(&project)),
            (4, fast_open().password(&password)),
        ]
        .into_iter()
        .filter(|(bit, _)| recipient_mask & bit != 0)
        .map(|(_, o)| o)
        .collect();
        let opener = &available[which % available.len()];
        let opened = open(&sealed, opener).unwrap();
        prop_assert_eq!(opened.plaintext(), &plaintext[..]);
        let mut streamed = Vec::new();
        Opener::new(&sealed[..], opener).unwrap().read_to_end(&mut streamed).unwrap();
        prop_assert_eq!(streamed, plaintext);
    }
}
