//! Basic round trips through the public API.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use std::io::{Read, Write};

use coffer_envelope::*;

fn sample_header() -> Header {
    let mut context = Context::new();
    context.insert("coffer.project", b"p-1").unwrap();
    context.insert("purpose", b"test").unwrap();
    Header {
        core: Core {
            suite: Suite::Aes256GcmHkdfSha256,
            flags: Flags::NONE,
            chunk_log2: 16,
            message_id: MessageId([3; 32]),
            context,
        },
        commitment: Commitment([4; 32]),
        keys: vec![
            WrappedKey::new(KeyType::LOCAL, b"project:1".to_vec(), vec![5; 96]).unwrap(),
            WrappedKey::new(KeyType(0x7f), vec![], vec![6; 3]).unwrap(),
        ],
        tag: HeaderTag([7; 32]),
    }
}

#[test]
fn header_round_trips_and_length_is_discoverable() {
    let limits = ReaderLimits::default();
    let header = sample_header();
    let bytes = header.to_bytes().unwrap();
    let view = HeaderView::parse(&bytes, &limits).unwrap();
    assert_eq!(view.len(), bytes.len());
    assert_eq!(view.to_header().unwrap(), header);
    assert_eq!(view.core_bytes(), &header.core.to_bytes().unwrap()[..]);
    assert_eq!(view.signed_bytes(), &bytes[..bytes.len() - 32]);
    assert_eq!(
        header_len(&bytes, &limits).unwrap(),
        HeaderLength::Exact(bytes.len())
    );
    let mut with_body = bytes.clone();
    with_body.extend_from_slice(b"body");
    let mut reader = &with_body[..];
    assert_eq!(read_header(&mut reader, &limits).unwrap(), bytes);
    assert_eq!(reader, b"body");
    assert!(matches!(
        HeaderView::parse(&with_body, &limits),
        Err(Error::TrailingBytes(4))
    ));
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn bodies_round_trip_one_shot_streaming_and_by_chunk() {
    let key = ContentKey::new(&[1; 32], &[2; 12]);
    for suite in Suite::ALL {
        for len in [0usize, 1, 1023, 1024, 1025, 4096, 5000] {
            let pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let cipher = ChunkCipher::new(suite, &key).unwrap();
            let body = seal_body(&cipher, 10, &pt).unwrap();
            assert_eq!(
                body.len() as u64,
                BodyLayout::for_plaintext(10, len as u64).unwrap().body_len()
            );
            assert_eq!(&open_body(&cipher, 10, &body).unwrap()[..], &pt[..]);

            let mut sealer = BodySealer::new(Vec::new(), ChunkCipher::new(suite, &key).unwrap(), 10).unwrap();
            for piece in pt.chunks(333) {
                sealer.write_all(piece).unwrap();
            }
            assert_eq!(sealer.finish().unwrap(), body);
            let mut out = Vec::new();
            BodyOpener::new(&body[..], ChunkCipher::new(suite, &key).unwrap(), 10)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, pt);

            let layout = BodyLayout::from_body_len(10, body.len() as u64).unwrap();
            let mut cursor = std::io::Cursor::new(&body);
            let mut joined = Vec::new();
            for k in 0..layout.chunk_count() {
                joined.extend_from_slice(&read_chunk(&mut cursor, 0, &layout, &cipher, k).unwrap());
            }
            assert_eq!(joined, pt);
        }
    }
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn truncated_body_fails_opaquely() {
    let cipher = ChunkCipher::new(Suite::Aes256GcmHkdfSha256, &ContentKey::new(&[1; 32], &[2; 12])).unwrap();
    let body = seal_body(&cipher, 10, &[9; 2048]).unwrap();
    let cut = &body[..2 * (1024 + 16)];
    assert!(matches!(open_body(&cipher, 10, cut), Err(Error::Crypto)));
    let mut out = Vec::new();
    let err = BodyOpener::new(
        cut,
        ChunkCipher::new(Suite::Aes256GcmHkdfSha256, &ContentKey::new(&[1; 32], &[2; 12])).unwrap(),
        10,
    )
    .unwrap()
    .read_to_end(&mut out)
    .unwrap_err();
    assert!(matches!(Error::from_io(err), Error::Crypto));
}

#[test]
fn error_codes_are_stable() {
    let limits = ReaderLimits::default();
    let code = |bytes: &[u8]| HeaderView::parse(bytes, &limits).unwrap_err().code();
    assert_eq!(code(b"\x89CFQ"), "format.bad-magic");
    assert_eq!(code(b"\x89CFR\x02"), "format.unsupported-version");
    assert_eq!(code(b"\x89CFR\x01"), "format.truncated");
    assert_eq!(code(b"\x89CFR\x01\x00\x00\x01\x15"), "format.limit.chunk-log2");
    let limit = |field| Error::LimitExceeded {
        field,
        value: 1,
        limit: 0,
    };
    assert_eq!(limit(Field::ContextLen).code(), "format.limit.context-len");
    assert_eq!(limit(Field::KeysLen).code(), "format.limit.keys-len");
    assert_eq!(limit(Field::KeyCount).code(), "format.limit.key-count");
    assert_eq!(Error::ContextOrder("a".into()).code(), "format.context-order");
    assert_eq!(Error::Crypto.code(), "crypto");
    assert_eq!(Error::Crypto.to_string(), "cryptographic failure");
    assert_eq!(Field::ChunkLog2.code(), "chunk-log2");
}
