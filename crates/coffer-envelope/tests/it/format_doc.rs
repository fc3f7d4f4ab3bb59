//! The worked example in `docs/FORMAT.md` is the implementation's encoding
//! of the example header, byte for byte, and its offsets are right.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use crate::example;

use coffer_envelope::{HeaderView, KeyType, ReaderLimits, Suite};

/// The `hex` block of FORMAT.md as (offset in the comment, bytes) lines.
fn example_lines() -> Vec<(usize, Vec<u8>)> {
    // Compiled in, so the test needs no file system (and runs under Miri).
    let doc = include_str!("../../../../docs/FORMAT.md");
    let start = doc.find("```hex\n").expect("FORMAT.md has a ```hex block") + "```hex\n".len();
    let len = doc[start..].find("```").expect("the hex block is closed");
    doc[start..start + len]
        .lines()
        .map(|line| {
            let (hex_part, comment) = line.split_once('#').expect("every line is annotated");
            let offset = comment
                .split_whitespace()
                .next()
                .expect("comment starts with the offset");
            let offset = usize::from_str_radix(offset.trim_start_matches("0x"), 16).unwrap();
            let digits: String = hex_part.split_whitespace().collect();
            (offset, hex::decode(digits).unwrap())
        })
        .collect()
}

#[test]
fn worked_example_matches_the_implementation() {
    let lines = example_lines();
    let mut bytes = Vec::new();
    for (offset, part) in &lines {
        assert_eq!(*offset, bytes.len(), "a comment gives the wrong offset");
        bytes.extend_from_slice(part);
    }
    let expected = example::example_header().to_bytes().unwrap();
    assert_eq!(hex::encode(&bytes), hex::encode(&expected));

    let view = HeaderView::parse(&bytes, &ReaderLimits::default()).unwrap();
    assert_eq!(view.len(), 273);
    assert_eq!(view.core_bytes().len(), 0x52);
    assert_eq!(view.suite(), Suite::Aes256GcmHkdfSha256);
    assert_eq!(view.chunk_log2(), 16);
    assert_eq!(view.context_value("coffer.project"), Some(&b"p-42"[..]));
    assert_eq!(view.context_value("purpose"), Some(&b"invoice"[..]));
    let keys: Vec<_> = view.wrapped_keys().map(|k| (k.key_type, k.kid)).collect();
    assert_eq!(
        keys,
        [
            (KeyType::LOCAL, &b"project:1"[..]),
            (KeyType::EXTERNAL, &b"kms"[..])
        ]
    );
    assert_eq!(view.to_header().unwrap(), example::example_header());
}
