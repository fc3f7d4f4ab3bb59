//! The body layout and the bounds of the format, as `docs/FORMAT.md` states
//! them: chunk offsets (section 3.2), the 2^32-chunk limit (section 3.1), the
//! largest headers (section 2.4) and what an encoder refuses to write.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use crate::example;

use std::io::Cursor;

use coffer_envelope::{
    read_chunk, seal_body, BodyLayout, ChunkCipher, ContentKey, Context, Error, KeyType, ReaderLimits, Suite,
    WrappedKey, MAX_CHUNKS,
};

fn layout(chunk_log2: u8, plaintext_len: u64) -> BodyLayout {
    BodyLayout::for_plaintext(chunk_log2, plaintext_len).unwrap()
}

#[test]
fn chunk_offsets_follow_the_specification() {
    // 1 KiB chunks, 2500 bytes: 1024 + 1024 + a final 452.
    let l = layout(10, 2500);
    assert_eq!(l.chunk_count(), 3);
    assert_eq!(l.body_len(), 2500 + 3 * 16);
    assert_eq!(l.chunk_body_range(0), 0..1040);
    assert_eq!(l.chunk_body_range(1), 1040..2080);
    assert_eq!(l.chunk_body_range(2), 2080..2548);
    assert_eq!(l.chunk_plaintext_range(2), 2048..2500);
    assert!(!l.is_final(1) && l.is_final(2));

    assert_eq!(l.chunks_for(0..1), 0..1);
    assert_eq!(l.chunks_for(1023..1025), 0..2);
    assert_eq!(l.chunks_for(2048..9999), 2..3);
    assert_eq!(l.chunks_for(5..5), 0..0);
    assert_eq!(l.chunks_for(3000..4000), 2..2);

    // The empty plaintext is one empty final chunk: a bare tag.
    let empty = layout(10, 0);
    assert_eq!(empty.chunk_count(), 1);
    assert_eq!(empty.chunk_body_range(0), 0..16);
}

#[test]
fn body_lengths_no_plaintext_produces_are_refused() {
    // A remainder shorter than a tag, including none (a missing final
    // chunk), is damage.
    for r in 0..16 {
        assert!(matches!(
            BodyLayout::from_body_len(10, 2 * 1040 + r),
            Err(Error::Crypto)
        ));
    }
    assert_eq!(
        BodyLayout::from_body_len(10, 2 * 1040 + 16).unwrap(),
        layout(10, 2048)
    );
    for chunk_log2 in [9, 25] {
        assert!(matches!(
            BodyLayout::from_body_len(chunk_log2, 16),
            Err(Error::ChunkLog2OutOfRange(n)) if n == chunk_log2
        ));
        assert!(matches!(
            BodyLayout::for_plaintext(chunk_log2, 0),
            Err(Error::ChunkLog2OutOfRange(n)) if n == chunk_log2
        ));
    }
}

#[test]
fn messages_end_at_2_pow_32_chunks() {
    // With 1 KiB chunks, 2^32 chunks hold up to 2^42 - 1 bytes.
    let largest = layout(10, (1 << 42) - 1);
    assert_eq!(largest.chunk_count(), MAX_CHUNKS);
    assert!(matches!(
        BodyLayout::for_plaintext(10, 1 << 42),
        Err(Error::MessageTooLong)
    ));
    assert_eq!(
        BodyLayout::from_body_len(10, largest.body_len()).unwrap(),
        largest
    );
    // 2^32 full chunks and an empty final one: a body one chunk too long.
    assert!(matches!(
        BodyLayout::from_body_len(10, MAX_CHUNKS * 1040 + 16),
        Err(Error::Crypto)
    ));
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn chunk_indices_stop_at_2_pow_32() {
    let cipher = ChunkCipher::new(Suite::Aes256GcmHkdfSha256, &ContentKey::new(&[1; 32], &[2; 12])).unwrap();
    let mut chunk = [0u8; 16];
    assert!(matches!(
        cipher.seal_chunk(MAX_CHUNKS, true, &mut []),
        Err(Error::MessageTooLong)
    ));
    assert!(matches!(
        cipher.open_chunk(MAX_CHUNKS, true, &mut chunk),
        Err(Error::Crypto)
    ));
    // The last allowed index seals and opens.
    let tag = cipher.seal_chunk(MAX_CHUNKS - 1, true, &mut []).unwrap();
    chunk.copy_from_slice(&tag);
    assert!(cipher
        .open_chunk(MAX_CHUNKS - 1, true, &mut chunk)
        .unwrap()
        .is_empty());
}

#[test]
#[cfg_attr(miri, ignore)] // ring's AEAD is native code, which Miri cannot run
fn read_chunk_checks_the_index_and_the_bytes_present() {
    let cipher = ChunkCipher::new(
        Suite::ChaCha20Poly1305HkdfSha256,
        &ContentKey::new(&[3; 32], &[4; 12]),
    )
    .unwrap();
    let pt: Vec<u8> = (0..2500).map(|i| (i % 251) as u8).collect();
    let body = seal_body(&cipher, 10, &pt).unwrap();
    let l = layout(10, 2500);

    // The body after a 7-byte prefix standing in for a header.
    let mut envelope = vec![0xaa; 7];
    envelope.extend_from_slice(&body);
    let mut reader = Cursor::new(&envelope);
    assert_eq!(
        &read_chunk(&mut reader, 7, &l, &cipher, 1).unwrap()[..],
        &pt[1024..2048]
    );
    assert!(matches!(
        read_chunk(&mut reader, 7, &l, &cipher, 3),
        Err(Error::ChunkIndex { index: 3, count: 3 })
    ));

    // One byte short: the final chunk cannot be read whole, the others can.
    envelope.pop();
    let mut reader = Cursor::new(&envelope);
    assert!(matches!(
        read_chunk(&mut reader, 7, &l, &cipher, 2),
        Err(Error::Crypto)
    ));
    assert_eq!(
        &read_chunk(&mut reader, 7, &l, &cipher, 0).unwrap()[..],
        &pt[..1024]
    );
    // The wrong start shifts every chunk: nothing verifies.
    assert!(matches!(
        read_chunk(&mut reader, 6, &l, &cipher, 0),
        Err(Error::Crypto)
    ));
}

#[test]
fn largest_headers_are_as_documented() {
    assert_eq!(ReaderLimits::default().max_header_len(), 16494);
    let widest = ReaderLimits {
        max_context_len: u16::MAX,
        max_keys_len: u16::MAX,
        ..ReaderLimits::default()
    };
    assert_eq!(widest.max_header_len(), 131_180);
}

#[test]
fn encoders_refuse_what_the_format_cannot_hold() {
    let mut header = example::example_header();
    header.keys.clear();
    assert!(matches!(header.to_bytes(), Err(Error::NoWrappedKeys)));

    let unknown = WrappedKey::new(KeyType(0x7f), vec![], vec![]).unwrap();
    header.keys = vec![unknown; 256];
    assert!(matches!(header.to_bytes(), Err(Error::TooManyWrappedKeys(256))));

    // 17 records of 4100 bytes overflow the 16-bit key section length.
    let external = WrappedKey::new(KeyType::EXTERNAL, vec![], vec![0; 4096]).unwrap();
    header.keys = vec![external; 17];
    assert!(matches!(header.to_bytes(), Err(Error::TooManyWrappedKeys(17))));

    let mut header = example::example_header();
    header.core.chunk_log2 = 9;
    assert!(matches!(header.to_bytes(), Err(Error::ChunkLog2OutOfRange(9))));

    // Entries of 1 + 64 + 2 + 4096 bytes: the 16th passes 65535.
    let mut context = Context::new();
    for i in 0..15 {
        context.insert(&format!("{i:064}"), &[0; 4096]).unwrap();
    }
    assert!(matches!(
        context.insert(&format!("{:064}", 15), &[0; 4096]),
        Err(Error::ContextTooLarge(66_608))
    ));
    assert_eq!(context.len(), 15);
    assert_eq!(context.encoded_len(), 15 * 4163);
}
