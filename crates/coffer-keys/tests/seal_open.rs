//! Round trips through every API and recipient type, and the expectations an
//! opener states.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_possible_truncation)]

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
    let sealed = seal(
        b"x",
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new().chunk_log2(22),
    )
    .unwrap();
    assert!(matches!(
        open(&sealed, &OpenOptions::new().keyring(&ring)),
        Err(Error::Format(envelope::Error::LimitExceeded { .. }))
    ));
    let wide = ReaderLimits {
        max_chunk_log2: 22,
        ..ReaderLimits::default()
    };
    assert!(open(&sealed, &OpenOptions::new().keyring(&ring).limits(wide)).is_ok());
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
