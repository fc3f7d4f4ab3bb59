//! Property tests: the header encoding is canonical (parse and serialize are
//! inverse), and bodies round trip one-shot, streaming and chunk by chunk at
//! every interesting size.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use std::io::{Read, Write};

use coffer_envelope::{
    open_body, read_chunk, read_header, seal_body, BodyLayout, BodyOpener, BodySealer, ChunkCipher,
    Commitment, ContentKey, Context, Core, Flags, Header, HeaderTag, HeaderView, KeyType, MessageId,
    ReaderLimits, Suite, WrappedKey,
};
use proptest::prelude::*;

/// The widest limits the format allows: every valid header parses.
fn max_limits() -> ReaderLimits {
    ReaderLimits {
        max_chunk_log2: 24,
        max_context_len: u16::MAX,
        max_keys_len: u16::MAX,
        max_key_count: u8::MAX,
        allowed_suites: Suite::ALL.to_vec(),
    }
}

/// Fewer cases under Miri, and no failure file (Miri isolates the file
/// system).
fn header_config() -> ProptestConfig {
    if cfg!(miri) {
        ProptestConfig {
            cases: 8,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    } else {
        ProptestConfig::with_cases(256)
    }
}

fn suite() -> impl Strategy<Value = Suite> {
    prop::sample::select(Suite::ALL.to_vec())
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max)
}

fn context() -> impl Strategy<Value = Context> {
    // Keys of 1..=16 characters of any script are 1..=64 bytes; some values
    // reach the 4096-byte maximum.
    let value = prop_oneof![4 => bytes(40), 1 => Just(vec![0x5a; 4096])];
    prop::collection::btree_map("\\PC{1,16}", value, 0..6).prop_map(|entries| {
        let mut ctx = Context::new();
        for (k, v) in entries {
            ctx.insert(&k, &v).unwrap();
        }
        ctx
    })
}

fn wrapped_key() -> impl Strategy<Value = WrappedKey> {
    let kid = || bytes(64);
    prop_oneof![
        (kid(), prop::collection::vec(any::<u8>(), 96)).prop_map(|(k, b)| (KeyType::LOCAL, k, b)),
        (kid(), prop::collection::vec(any::<u8>(), 116)).prop_map(|(k, b)| (KeyType::PASSWORD, k, b)),
        (kid(), prop::collection::vec(any::<u8>(), 1..=300)).prop_map(|(k, b)| (KeyType::EXTERNAL, k, b)),
        (kid(), Just(vec![0xee; 4096])).prop_map(|(k, b)| (KeyType::EXTERNAL, k, b)),
        (kid(), prop::collection::vec(any::<u8>(), 80)).prop_map(|(k, b)| (KeyType::HPKE_X25519, k, b)),
        (kid(), prop::collection::vec(any::<u8>(), 1168)).prop_map(|(k, b)| (KeyType::HPKE_XWING, k, b)),
        // Unknown types: any body length is kept, including zero.
        (6u8..=255, kid(), bytes(300)).prop_map(|(t, k, b)| (KeyType(t), k, b)),
        (Just(0u8), bytes(64), bytes(10)).prop_map(|(t, k, b)| (KeyType(t), k, b)),
    ]
    .prop_map(|(t, kid, body)| WrappedKey::new(t, kid, body).unwrap())
}

fn header() -> impl Strategy<Value = Header> {
    (
        suite(),
        any::<bool>(),
        10u8..=24,
        any::<[u8; 32]>(),
        context(),
        any::<[u8; 32]>(),
        prop::collection::vec(wrapped_key(), 1..=8),
        any::<[u8; 32]>(),
    )
        .prop_map(
            |(suite, external, chunk_log2, id, context, commitment, keys, tag)| Header {
                core: Core {
                    suite,
                    flags: if external {
                        Flags::EXTERNAL_AAD
                    } else {
                        Flags::NONE
                    },
                    chunk_log2,
                    message_id: MessageId(id),
                    context,
                },
                commitment: Commitment(commitment),
                keys,
                tag: HeaderTag(tag),
            },
        )
}

proptest! {
    #![proptest_config(header_config())]

    #[test]
    fn parse_inverts_serialize(h in header()) {
        let limits = max_limits();
        let bytes = h.to_bytes().unwrap();
        let view = HeaderView::parse(&bytes, &limits).unwrap();
        prop_assert_eq!(view.len(), bytes.len());
        prop_assert_eq!(&view.to_header().unwrap(), &h);
        prop_assert_eq!(&Header::parse(&bytes, &limits).unwrap(), &h);
        prop_assert_eq!(view.core_bytes(), &h.core.to_bytes().unwrap()[..]);
        prop_assert_eq!(view.signed_bytes(), &h.signed_bytes().unwrap()[..]);
        let context: Vec<_> = view.context().collect();
        let expected: Vec<_> = h.core.context.iter().collect();
        prop_assert_eq!(context, expected);
        for (k, v) in h.core.context.iter() {
            prop_assert_eq!(view.context_value(k), Some(v));
        }
        // The length is known from bounded prefixes, and a reader stops at
        // the end of the header.
        let mut envelope = bytes.clone();
        envelope.extend_from_slice(b"body");
        let mut reader = &envelope[..];
        prop_assert_eq!(read_header(&mut reader, &limits).unwrap(), bytes);
        prop_assert_eq!(reader, &b"body"[..]);
    }

    /// Whatever parses re-serializes to the same bytes: a mutation of a
    /// valid encoding either fails to parse or is itself canonical.
    #[test]
    fn serialize_inverts_parse(h in header(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let limits = max_limits();
        let mut bytes = h.to_bytes().unwrap();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(parsed) = Header::parse(&bytes, &limits) {
            prop_assert_eq!(parsed.to_bytes().unwrap(), bytes);
        }
    }
}

// ---------------------------------------------------------------------------
// Bodies.

fn key() -> ContentKey {
    ContentKey::new(&[0x11; 32], &[0x22; 12])
}

fn cipher(suite: Suite) -> ChunkCipher {
    ChunkCipher::new(suite, &key()).unwrap()
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add((i >> 8) as u8))
        .collect()
}

/// Seals `pt` one-shot and streaming (writes split at `splits`), opens it
/// one-shot, streaming (reads of `read_buf` bytes) and chunk by chunk, and
/// checks all agree.
fn check_body(suite: Suite, chunk_log2: u8, pt: &[u8], splits: &[usize], read_buf: usize) {
    let body = seal_body(&cipher(suite), chunk_log2, pt).unwrap();
    let layout = BodyLayout::for_plaintext(chunk_log2, pt.len() as u64).unwrap();
    assert_eq!(body.len() as u64, layout.body_len());
    assert_eq!(
        BodyLayout::from_body_len(chunk_log2, body.len() as u64).unwrap(),
        layout
    );

    assert_eq!(&open_body(&cipher(suite), chunk_log2, &body).unwrap()[..], pt);

    let mut sealer = BodySealer::new(Vec::new(), cipher(suite), chunk_log2).unwrap();
    let mut rest = pt;
    for &split in splits.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let n = split.clamp(1, rest.len());
        sealer.write_all(&rest[..n]).unwrap();
        rest = &rest[n..];
    }
    assert_eq!(
        sealer.finish().unwrap(),
        body,
        "streamed body differs from one-shot"
    );

    let mut opener = BodyOpener::new(&body[..], cipher(suite), chunk_log2).unwrap();
    let mut opened = Vec::new();
    let mut buf = vec![0u8; read_buf];
    loop {
        let n = opener.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        opened.extend_from_slice(&buf[..n]);
    }
    assert!(opener.is_done());
    assert_eq!(opened, pt);

    let mut reader = std::io::Cursor::new(&body);
    let mut joined = Vec::new();
    for index in 0..layout.chunk_count() {
        let chunk = read_chunk(&mut reader, 0, &layout, &cipher(suite), index).unwrap();
        let range = layout.chunk_plaintext_range(index);
        assert_eq!(&chunk[..], &pt[range.start as usize..range.end as usize]);
        joined.extend_from_slice(&chunk);
    }
    assert_eq!(joined, pt);
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn bodies_round_trip_at_chunk_boundaries() {
    for suite in Suite::ALL {
        for chunk_log2 in [10u8, 12, 16] {
            let c = 1usize << chunk_log2;
            for len in [
                0,
                1,
                c - 1,
                c,
                c + 1,
                2 * c - 1,
                2 * c,
                2 * c + 1,
                3 * c,
                5 * c + 17,
            ] {
                check_body(suite, chunk_log2, &plaintext(len), &[1000, 1, c, 3 * c], 777);
            }
        }
    }
}

#[test]
#[cfg_attr(miri, ignore)] // as above
fn bodies_round_trip_with_large_chunks() {
    // A 16 MiB chunk (the format's maximum) and the lengths around it.
    let c = 1usize << 24;
    for len in [c - 1, c, c + 1] {
        check_body(
            Suite::Aes256GcmHkdfSha256,
            24,
            &plaintext(len),
            &[c / 3 + 1],
            1 << 20,
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    #[cfg_attr(miri, ignore)] // as above
    fn bodies_round_trip_at_random_sizes(
        suite in suite(),
        chunk_log2 in prop::sample::select(vec![10u8, 11, 13, 16]),
        len in prop_oneof![0usize..5000, 0usize..200_000],
        splits in prop::collection::vec(1usize..70_000, 1..6),
        read_buf in 1usize..70_000,
    ) {
        check_body(suite, chunk_log2, &plaintext(len), &splits, read_buf);
    }
}
