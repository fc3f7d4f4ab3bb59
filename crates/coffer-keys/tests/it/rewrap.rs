//! Rewrap changes recipients and never the body.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use coffer_keys::envelope::{HeaderView, KeyType, ReaderLimits};
use coffer_keys::{
    open, rewrap, rewrap_header, rewrap_stream, seal, Error, KeyId, Keyring, OpenOptions, Password,
    Recipient, Rewrap, SealOptions,
};
use proptest::prelude::*;

const FAST: u32 = 1_000;

fn header_len(sealed: &[u8]) -> usize {
    HeaderView::parse_prefix(sealed, &ReaderLimits::default())
        .unwrap()
        .len()
}

fn body(sealed: &[u8]) -> &[u8] {
    &sealed[header_len(sealed)..]
}

fn kids(sealed: &[u8]) -> Vec<(KeyType, Vec<u8>)> {
    HeaderView::parse_prefix(sealed, &ReaderLimits::default())
        .unwrap()
        .wrapped_keys()
        .map(|k| (k.key_type, k.kid.to_vec()))
        .collect()
}

#[test]
fn rotation_rewraps_to_the_new_version_and_old_key_can_go() {
    let mut ring = Keyring::new();
    ring.create("docs").unwrap();
    let plaintext = vec![9u8; 200_000];
    let sealed = seal(
        &plaintext,
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    ring.rotate("docs").unwrap();
    let change = Rewrap::new().rotate_to_active(&ring, "docs").unwrap();
    let rewrapped = rewrap(&sealed, &OpenOptions::new().keyring(&ring), &change).unwrap();
    assert_eq!(body(&rewrapped), body(&sealed));
    assert_eq!(kids(&rewrapped), vec![(KeyType::LOCAL, b"docs:2".to_vec())]);
    // Core and commitment are untouched; only key section and tag changed.
    let core_and_c = HeaderView::parse_prefix(&sealed, &ReaderLimits::default())
        .unwrap()
        .core_bytes()
        .len()
        + 32;
    assert_eq!(&rewrapped[..core_and_c], &sealed[..core_and_c]);

    ring.set_min_decrypt_version("docs", 2).unwrap();
    assert!(matches!(
        open(&sealed, &OpenOptions::new().keyring(&ring)),
        Err(Error::BelowMinimumVersion { .. })
    ));
    assert_eq!(
        open(&rewrapped, &OpenOptions::new().keyring(&ring))
            .unwrap()
            .plaintext(),
        &plaintext[..]
    );
}

#[test]
fn header_only_rewrap_cost_is_independent_of_body() {
    let mut ring = Keyring::new();
    ring.create("docs").unwrap();
    let password = Password::new("new");
    let sealed = seal(
        &vec![1u8; 3 << 20],
        &[Recipient::keyring(&ring, "docs").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    let header = &sealed[..header_len(&sealed)];
    let change = Rewrap::new()
        .insecure_password_iterations(FAST)
        .add_recipient(Recipient::password(&password));
    // Only the header is passed in; the 3 MiB body stays where it is.
    let new_header = rewrap_header(header, &OpenOptions::new().keyring(&ring), &change).unwrap();
    let mut joined = new_header.clone();
    joined.extend_from_slice(body(&sealed));
    let by_password = OpenOptions::new()
        .insecure_min_pbkdf2_iterations(FAST)
        .password(&password);
    assert_eq!(open(&joined, &by_password).unwrap().plaintext().len(), 3 << 20);

    // Streaming rewrap writes the same header and copies the body verbatim.
    let mut out = Vec::new();
    let copied = rewrap_stream(
        &sealed[..],
        &mut out,
        &OpenOptions::new().keyring(&ring),
        &Rewrap::new()
            .remove_key(&KeyId::new("docs", 1).unwrap())
            .add_recipient(Recipient::keyring(&ring, "docs").unwrap()),
    )
    .unwrap();
    assert_eq!(copied as usize, body(&sealed).len());
    assert_eq!(body(&out), body(&sealed));
}

#[test]
fn add_and_remove_recipients() {
    let mut ring = Keyring::new();
    ring.create("a").unwrap();
    ring.create("b").unwrap();
    let sealed = seal(
        b"shared",
        &[Recipient::keyring(&ring, "a").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    let with_b = rewrap(
        &sealed,
        &OpenOptions::new().keyring(&ring),
        &Rewrap::new().add_recipient(Recipient::keyring(&ring, "b").unwrap()),
    )
    .unwrap();
    assert_eq!(kids(&with_b).len(), 2);
    let only_b = rewrap(
        &with_b,
        &OpenOptions::new().keyring(&ring),
        &Rewrap::new().remove_key(&KeyId::new("a", 1).unwrap()),
    )
    .unwrap();
    assert_eq!(kids(&only_b), vec![(KeyType::LOCAL, b"b:1".to_vec())]);
    assert_eq!(body(&only_b), body(&sealed));
    assert_eq!(
        open(&only_b, &OpenOptions::new().keyring(&ring))
            .unwrap()
            .plaintext(),
        b"shared"
    );

    // Removing the last recipient or a missing one is refused.
    assert!(matches!(
        rewrap(
            &only_b,
            &OpenOptions::new().keyring(&ring),
            &Rewrap::new().remove_key(&KeyId::new("b", 1).unwrap())
        ),
        Err(Error::RecipientCount(0))
    ));
    assert!(matches!(
        rewrap(
            &only_b,
            &OpenOptions::new().keyring(&ring),
            &Rewrap::new().remove_key(&KeyId::new("a", 1).unwrap())
        ),
        Err(Error::RecipientNotFound(_))
    ));
}

#[test]
fn rewrap_requires_a_key_that_unlocks_and_a_valid_header() {
    let mut ring = Keyring::new();
    ring.create("a").unwrap();
    let mut stranger = Keyring::new();
    stranger.create("a").unwrap();
    let sealed = seal(
        b"x",
        &[Recipient::keyring(&ring, "a").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    let change = Rewrap::new().add_recipient(Recipient::keyring(&stranger, "a").unwrap());
    assert!(matches!(
        rewrap(&sealed, &OpenOptions::new().keyring(&stranger), &change),
        Err(Error::Crypto(_))
    ));
    let mut bad_tag = sealed.clone();
    let tag_at = header_len(&sealed) - 1;
    bad_tag[tag_at] ^= 1;
    assert!(matches!(
        rewrap(&bad_tag, &OpenOptions::new().keyring(&ring), &change),
        Err(Error::Crypto(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn rewrap_preserves_body_and_plaintext(
        plaintext in proptest::collection::vec(any::<u8>(), 0..4000),
        chunk_log2 in 10u8..=11,
        password_first in any::<bool>(),
    ) {
        let mut ring = Keyring::new();
        ring.create("k").unwrap();
        let old = Password::new("old");
        let new = Password::new("new");
        let fast = SealOptions::new().insecure_password_iterations(FAST).chunk_log2(chunk_log2);
        let recipients = if password_first {
            vec![Recipient::password(&old), Recipient::keyring(&ring, "k").unwrap()]
        } else {
            vec![Recipient::keyring(&ring, "k").unwrap(), Recipient::password(&old)]
        };
        let sealed = seal(&plaintext, &recipients, &fast).unwrap();
        let change = Rewrap::new().insecure_password_iterations(FAST).remove_passwords().add_recipient(Recipient::password(&new));
        let unlock_old = OpenOptions::new().insecure_min_pbkdf2_iterations(FAST).password(&old);
        let rewrapped = rewrap(&sealed, &unlock_old, &change).unwrap();
        prop_assert_eq!(body(&rewrapped), body(&sealed));
        let unlock_new = OpenOptions::new().insecure_min_pbkdf2_iterations(FAST).password(&new);
        let opened = open(&rewrapped, &unlock_new).unwrap();
        prop_assert_eq!(opened.plaintext(), &plaintext[..]);
        prop_assert!(open(&rewrapped, &unlock_old).is_err());
        let by_key = open(&rewrapped, &OpenOptions::new().keyring(&ring)).unwrap();
        prop_assert_eq!(by_key.plaintext(), &plaintext[..]);
    }
}

/// A reader that yields at most `step` bytes a call, as a socket or a
/// chunked store might.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn streaming_rewrap_writes_exactly_what_the_in_memory_rewrap_returns() {
    let old = coffer_keys::ProjectKey::generate("project").unwrap();
    let new = old.rotate().unwrap();
    let plaintext: Vec<u8> = (0..50_000u32).map(|i| (i % 241) as u8).collect();
    let sealed = seal(
        &plaintext,
        &[Recipient::project_key(&old)],
        &SealOptions::new().chunk_log2(10),
    )
    .unwrap();
    let options = OpenOptions::new().project_key(&old);
    // The same scripted randomness for both, so the new wrapped key is the
    // same; everything else is determined by the envelope.
    let change = || {
        Rewrap::new()
            .remove_key(old.id())
            .add_recipient(Recipient::project_key(&new))
            .scripted_randomness((0..=255).cycle().take(4096).collect())
    };
    let in_memory = rewrap(&sealed, &options, &change()).unwrap();
    let mut streamed = Vec::new();
    let source = Trickle {
        bytes: &sealed,
        step: 37,
    };
    let copied = rewrap_stream(source, &mut streamed, &options, &change()).unwrap();
    assert_eq!(streamed, in_memory);
    assert_eq!(copied as usize, body(&sealed).len());
    let opened = open(&streamed, &OpenOptions::new().project_key(&new)).unwrap();
    assert_eq!(opened.plaintext(), &plaintext[..]);
}
