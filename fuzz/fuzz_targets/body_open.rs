//! Hostile chunk streams under a fixed key never yield unauthenticated
//! plaintext: the input is a mutation of a known valid body, and anything an
//! opener releases must be the original plaintext, taken from the original
//! body.
#![no_main]

use std::io::{Cursor, Read};
use std::sync::OnceLock;

use coffer_envelope::{
    open_body, read_chunk, seal_body, BodyLayout, BodyOpener, ChunkCipher, ContentKey, Error, Suite,
};
use libfuzzer_sys::fuzz_target;

/// Small chunks, so that a few kilobytes of input cross several chunks.
const CHUNK_LOG2: u8 = 10;
const PLAINTEXT_LEN: usize = 2500;

/// A key used for nothing but the original bodies below (the envelope's
/// negative test kit uses another): under it, the only authentic chunks
/// are the original ones, which is what makes the assertions sound.
fn key() -> ContentKey {
    ContentKey::new(&[0x5a; 32], &[0x5e; 12])
}

fn cipher(suite: Suite) -> ChunkCipher {
    ChunkCipher::new(suite, &key()).expect("32-byte key")
}

fn plaintext() -> &'static [u8] {
    static PT: OnceLock<Vec<u8>> = OnceLock::new();
    PT.get_or_init(|| (0..PLAINTEXT_LEN).map(|i| (i * 7 % 251) as u8).collect())
}

fn original_body(suite: Suite) -> &'static [u8] {
    static BODIES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let bodies = BODIES.get_or_init(|| {
        Suite::ALL
            .iter()
            .map(|&s| seal_body(&cipher(s), CHUNK_LOG2, plaintext()).expect("seal"))
            .collect()
    });
    &bodies[Suite::ALL.iter().position(|&s| s == suite).expect("known suite")]
}

fn check(suite: Suite, data: &[u8]) {
    let pt = plaintext();
    let body = original_body(suite);

    if let Ok(opened) = open_body(&cipher(suite), CHUNK_LOG2, data) {
        assert_eq!(&opened[..], pt);
        assert_eq!(data, body);
    }

    // Streaming: every byte released is a prefix of the original plaintext,
    // and the end is reported only for the original body.
    let mut opener = BodyOpener::new(data, cipher(suite), CHUNK_LOG2).expect("valid chunk size");
    let mut released = Vec::new();
    let mut buf = [0u8; 700];
    loop {
        match opener.read(&mut buf) {
            Ok(0) => {
                assert_eq!(&released[..], pt);
                assert_eq!(data, body);
                break;
            }
            Ok(n) => {
                released.extend_from_slice(&buf[..n]);
                assert_eq!(&released[..], &pt[..released.len()]);
            }
            Err(e) => {
                assert!(matches!(Error::from_io(e), Error::Crypto));
                break;
            }
        }
    }

    // Random access: a chunk that verifies is the original chunk.
    if let Ok(layout) = BodyLayout::from_body_len(CHUNK_LOG2, data.len() as u64) {
        let original = BodyLayout::for_plaintext(CHUNK_LOG2, pt.len() as u64).expect("layout");
        let mut reader = Cursor::new(data);
        for index in 0..layout.chunk_count().min(8) {
            if let Ok(chunk) = read_chunk(&mut reader, 0, &layout, &cipher(suite), index) {
                let range = original.chunk_plaintext_range(index);
                assert_eq!(&chunk[..], &pt[range.start as usize..range.end as usize]);
                let at = layout.chunk_body_range(index);
                let at = at.start as usize..at.end as usize;
                assert_eq!(data.get(at.clone()), body.get(at));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for suite in Suite::ALL {
        check(suite, data);
    }
});
