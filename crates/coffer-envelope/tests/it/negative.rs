//! The negative test kit: one file per hostile input under
//! `tests/data/negative/`, and `cases.txt` naming each case's target and the
//! exact error it must produce.
//!
//! The cases are made here by mutating real encodings (the header of the
//! format specification's worked example, and bodies sealed under a fixed
//! content key). `kit_files_match_generator` fails when the files on disk
//! differ from what this file generates; the ignored `regenerate_kit`
//! rewrites them when `COFFER_REGENERATE_KIT=1` is set.
//! `every_case_fails_with_its_expected_error` reads only the files, so the
//! kit also serves other implementations of the format.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use crate::example;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use coffer_envelope::{
    open_body, read_header, seal_body, BodyOpener, ChunkCipher, ContentKey, Error, HeaderView, ReaderLimits,
    Suite,
};

const REGENERATE: &str = "COFFER_REGENERATE_KIT";
/// Body cases use 1 KiB chunks so that a few kilobytes span several chunks.
const BODY_CHUNK_LOG2: u8 = 10;

fn kit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/negative")
}

/// The fixed content key every body case is sealed and opened under.
fn body_key() -> ContentKey {
    ContentKey::new(&[0x4b; 32], &[0x4e; 12])
}

fn body_cipher(suite: Suite) -> ChunkCipher {
    ChunkCipher::new(suite, &body_key()).unwrap()
}

/// How a case's bytes are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `HeaderView::parse` with the default reader limits.
    Header,
    /// `HeaderView::parse` with default limits but only AES-256-GCM allowed.
    HeaderAesOnly,
    /// A body opened under the fixed key, AES-256-GCM, 1 KiB chunks.
    BodyAes,
    /// A body opened under the fixed key, ChaCha20-Poly1305, 1 KiB chunks.
    BodyChaCha,
}

impl Target {
    const ALL: [Target; 4] = [
        Target::Header,
        Target::HeaderAesOnly,
        Target::BodyAes,
        Target::BodyChaCha,
    ];

    fn name(self) -> &'static str {
        match self {
            Target::Header => "header",
            Target::HeaderAesOnly => "header-aes-only",
            Target::BodyAes => "body-aes",
            Target::BodyChaCha => "body-chacha",
        }
    }

    fn from_name(name: &str) -> Target {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .unwrap_or_else(|| panic!("unknown target `{name}` in cases.txt"))
    }
}

struct Case {
    name: String,
    target: Target,
    bytes: Vec<u8>,
    /// The expected outcome: `Ok`, or the error's `Debug` form.
    expected: String,
}

// ---------------------------------------------------------------------------
// Header cases.

/// A header split into its fields, so a case can change one field (lengths
/// included) and encode the rest as they were.
#[derive(Clone)]
struct Raw {
    fixed: Vec<u8>,
    context_len: Option<u16>,
    entries: Vec<Vec<u8>>,
    commitment: Vec<u8>,
    keys_len: Option<u16>,
    key_count: Option<u8>,
    records: Vec<Vec<u8>>,
    tag: Vec<u8>,
}

fn entry(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![key.len() as u8];
    out.extend_from_slice(key);
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
    out
}

fn record(key_type: u8, kid: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = vec![key_type, kid.len() as u8];
    out.extend_from_slice(kid);
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

impl Raw {
    /// The example header, split by walking a parsed view of its real
    /// encoding.
    fn example() -> Raw {
        let bytes = example::example_header().to_bytes().unwrap();
        let view = HeaderView::parse(&bytes, &ReaderLimits::default()).unwrap();
        let raw = Raw {
            fixed: bytes[..12].to_vec(),
            context_len: None,
            entries: view.context().map(|(k, v)| entry(k.as_bytes(), v)).collect(),
            commitment: view.commitment().as_bytes().to_vec(),
            keys_len: None,
            key_count: None,
            records: view
                .wrapped_keys()
                .map(|r| record(r.key_type.0, r.kid, r.body))
                .collect(),
            tag: view.tag().as_bytes().to_vec(),
        };
        let mut message_id = raw.clone();
        message_id.fixed.extend_from_slice(view.message_id().as_bytes());
        assert_eq!(
            message_id.encode(),
            bytes,
            "the split must re-encode the real header"
        );
        message_id
    }

    fn context_bytes(&self) -> Vec<u8> {
        self.entries.concat()
    }

    fn key_section(&self) -> Vec<u8> {
        let mut out = vec![self.key_count.unwrap_or(self.records.len() as u8)];
        out.extend(self.records.concat());
        out
    }

    fn encode(&self) -> Vec<u8> {
        let context = self.context_bytes();
        let keys = self.key_section();
        let mut out = self.fixed[..10].to_vec();
        out.extend_from_slice(&self.context_len.unwrap_or(context.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.fixed[12..]);
        out.extend(context);
        out.extend_from_slice(&self.commitment);
        out.extend_from_slice(&self.keys_len.unwrap_or(keys.len() as u16).to_be_bytes());
        out.extend(keys);
        out.extend_from_slice(&self.tag);
        out
    }

    /// Offset of the key commitment (X in the specification).
    fn commitment_at(&self) -> usize {
        44 + self.context_bytes().len()
    }

    fn with(&self, change: impl FnOnce(&mut Raw)) -> Vec<u8> {
        let mut raw = self.clone();
        change(&mut raw);
        raw.encode()
    }
}

fn header_cases() -> Vec<(&'static str, Target, Vec<u8>, String)> {
    use Target::{Header as H, HeaderAesOnly as AesOnly};
    let base = Raw::example();
    let valid = base.encode();
    let x = base.commitment_at();
    let end = valid.len();
    let trunc = |n: usize| valid[..n].to_vec();
    let keys = base.records.clone();
    let nine_keys: Vec<Vec<u8>> = (0..9).map(|_| keys[0].clone()).collect();
    let s = String::from;

    let mut cases = vec![
        ("header-valid", H, valid.clone(), s("Ok")),
        (
            "header-valid-external-aad",
            H,
            base.with(|r| r.fixed[5] = 0x01),
            s("Ok"),
        ),
        (
            "header-valid-chacha",
            H,
            base.with(|r| r.fixed[7] = 0x02),
            s("Ok"),
        ),
        // Fixed fields.
        (
            "magic-last-byte",
            H,
            base.with(|r| r.fixed[3] = 0x53),
            s("BadMagic"),
        ),
        (
            "magic-zero",
            H,
            base.with(|r| r.fixed[..4].fill(0)),
            s("BadMagic"),
        ),
        (
            "version-0",
            H,
            base.with(|r| r.fixed[4] = 0),
            s("UnsupportedVersion(0)"),
        ),
        (
            "version-2",
            H,
            base.with(|r| r.fixed[4] = 2),
            s("UnsupportedVersion(2)"),
        ),
        (
            "flags-bit1",
            H,
            base.with(|r| r.fixed[5] = 0x02),
            s("UnknownFlags(2)"),
        ),
        (
            "flags-high-bits",
            H,
            base.with(|r| r.fixed[5] = 0x81),
            s("UnknownFlags(129)"),
        ),
        (
            "suite-0000",
            H,
            base.with(|r| r.fixed[6..8].copy_from_slice(&[0, 0])),
            s("UnknownSuite(0)"),
        ),
        (
            "suite-0003",
            H,
            base.with(|r| r.fixed[6..8].copy_from_slice(&[0, 3])),
            s("UnknownSuite(3)"),
        ),
        (
            "suite-0100",
            H,
            base.with(|r| r.fixed[6..8].copy_from_slice(&[1, 0])),
            s("UnknownSuite(256)"),
        ),
        (
            "suite-not-allowed",
            AesOnly,
            base.with(|r| r.fixed[7] = 0x02),
            s("SuiteNotAllowed(ChaCha20Poly1305HkdfSha256)"),
        ),
        (
            "chunk-log2-0",
            H,
            base.with(|r| r.fixed[8] = 0),
            s("ChunkLog2OutOfRange(0)"),
        ),
        (
            "chunk-log2-9",
            H,
            base.with(|r| r.fixed[8] = 9),
            s("ChunkLog2OutOfRange(9)"),
        ),
        (
            "chunk-log2-25",
            H,
            base.with(|r| r.fixed[8] = 25),
            s("ChunkLog2OutOfRange(25)"),
        ),
        (
            "chunk-log2-255",
            H,
            base.with(|r| r.fixed[8] = 255),
            s("ChunkLog2OutOfRange(255)"),
        ),
        (
            "chunk-log2-21-over-reader-limit",
            H,
            base.with(|r| r.fixed[8] = 21),
            s("LimitExceeded { field: ChunkLog2, value: 21, limit: 20 }"),
        ),
        (
            "chunk-log2-20-at-reader-limit",
            H,
            base.with(|r| r.fixed[8] = 20),
            s("Ok"),
        ),
        (
            "reserved-01",
            H,
            base.with(|r| r.fixed[9] = 1),
            s("ReservedNotZero(1)"),
        ),
        (
            "reserved-80",
            H,
            base.with(|r| r.fixed[9] = 0x80),
            s("ReservedNotZero(128)"),
        ),
        (
            "context-len-over-reader-limit",
            H,
            base.with(|r| r.context_len = Some(8193)),
            s("LimitExceeded { field: ContextLen, value: 8193, limit: 8192 }"),
        ),
        (
            "context-len-ffff",
            H,
            base.with(|r| r.context_len = Some(0xffff)),
            s("LimitExceeded { field: ContextLen, value: 65535, limit: 8192 }"),
        ),
        // Context section.
        (
            "context-len-short-by-one",
            H,
            base.with(|r| r.context_len = Some(r.context_bytes().len() as u16 - 1)),
            s("LengthMismatch { field: Context }"),
        ),
        (
            // The commitment's first byte (0x20) is read as a key length.
            "context-len-long-by-one",
            H,
            base.with(|r| r.context_len = Some(r.context_bytes().len() as u16 + 1)),
            s("LengthMismatch { field: Context }"),
        ),
        (
            "context-len-past-end",
            H,
            base.with(|r| r.context_len = Some(8192)),
            s("Truncated { field: Context }"),
        ),
        (
            "context-unsorted",
            H,
            base.with(|r| r.entries.reverse()),
            s("ContextOrder(\"coffer.project\")"),
        ),
        (
            "context-duplicate-key",
            H,
            base.with(|r| r.entries.insert(1, entry(b"coffer.project", b"p-43"))),
            s("ContextOrder(\"coffer.project\")"),
        ),
        (
            "context-key-empty",
            H,
            base.with(|r| r.entries.insert(0, entry(b"", b"x"))),
            s("ContextKeyLength(0)"),
        ),
        (
            "context-key-65-bytes",
            H,
            base.with(|r| r.entries.push(entry(&[b'z'; 65], b"x"))),
            s("ContextKeyLength(65)"),
        ),
        (
            "context-key-64-bytes",
            H,
            base.with(|r| r.entries.push(entry(&[b'z'; 64], b"x"))),
            s("Ok"),
        ),
        (
            "context-value-4097-bytes",
            H,
            base.with(|r| r.entries.push(entry(b"zz", &[0; 4097]))),
            s("ContextValueLength { key: \"zz\", len: 4097 }"),
        ),
        (
            "context-value-4096-bytes",
            H,
            base.with(|r| r.entries.push(entry(b"zz", &[0; 4096]))),
            s("Ok"),
        ),
        (
            "context-key-not-utf8",
            H,
            base.with(|r| r.entries.push(entry(&[b'z', 0xff, 0xfe], b"x"))),
            s("ContextKeyNotUtf8"),
        ),
        (
            "context-key-overlong-utf8",
            H,
            base.with(|r| r.entries.push(entry(&[b'z', 0xc0, 0xaf], b"x"))),
            s("ContextKeyNotUtf8"),
        ),
        (
            "context-value-len-overruns",
            H,
            base.with(|r| {
                let last = r.entries.last_mut().unwrap();
                let at = 1 + usize::from(last[0]);
                last[at..at + 2].copy_from_slice(&100u16.to_be_bytes());
            }),
            s("LengthMismatch { field: Context }"),
        ),
        (
            "context-key-len-overruns",
            H,
            base.with(|r| r.entries.push(vec![10, b'z', b'z'])),
            s("LengthMismatch { field: Context }"),
        ),
        // Key section.
        (
            "keys-len-over-reader-limit",
            H,
            base.with(|r| r.keys_len = Some(8193)),
            s("LimitExceeded { field: KeysLen, value: 8193, limit: 8192 }"),
        ),
        (
            "keys-len-zero",
            H,
            base.with(|r| r.keys_len = Some(0)),
            s("LengthMismatch { field: KeyCount }"),
        ),
        (
            "keys-len-short-by-one",
            H,
            base.with(|r| r.keys_len = Some(r.key_section().len() as u16 - 1)),
            s("LengthMismatch { field: WrappedKey }"),
        ),
        (
            "keys-len-long-by-one",
            H,
            base.with(|r| r.keys_len = Some(r.key_section().len() as u16 + 1)),
            s("LengthMismatch { field: KeySection }"),
        ),
        (
            "keys-len-past-end",
            H,
            base.with(|r| r.keys_len = Some(8192)),
            s("Truncated { field: KeySection }"),
        ),
        (
            "key-count-zero",
            H,
            base.with(|r| r.key_count = Some(0)),
            s("NoWrappedKeys"),
        ),
        (
            "key-count-zero-no-records",
            H,
            base.with(|r| {
                r.key_count = Some(0);
                r.records.clear();
            }),
            s("NoWrappedKeys"),
        ),
        (
            "key-count-above-records",
            H,
            base.with(|r| r.key_count = Some(3)),
            s("LengthMismatch { field: WrappedKey }"),
        ),
        (
            "key-count-below-records",
            H,
            base.with(|r| r.key_count = Some(1)),
            s("LengthMismatch { field: KeySection }"),
        ),
        (
            "key-count-9-over-reader-limit",
            H,
            base.with(|r| r.records = nine_keys.clone()),
            s("LimitExceeded { field: KeyCount, value: 9, limit: 8 }"),
        ),
        (
            "key-count-8-at-reader-limit",
            H,
            base.with(|r| r.records = nine_keys[..8].to_vec()),
            s("Ok"),
        ),
        (
            "kid-65-bytes",
            H,
            base.with(|r| r.records[1] = record(3, &[b'k'; 65], b"kms-blob")),
            s("KidLength(65)"),
        ),
        (
            "kid-len-255",
            H,
            base.with(|r| r.records[1] = record(3, &[b'k'; 255], b"kms-blob")),
            s("KidLength(255)"),
        ),
        (
            "kid-64-bytes",
            H,
            base.with(|r| r.records[1] = record(3, &[b'k'; 64], b"kms-blob")),
            s("Ok"),
        ),
        (
            "local-body-95-bytes",
            H,
            base.with(|r| r.records[0] = record(1, b"project:1", &[0x40; 95])),
            s("WrappedKeyBodyLength { key_type: 1, len: 95, expected: \"96\" }"),
        ),
        (
            "local-body-97-bytes",
            H,
            base.with(|r| r.records[0] = record(1, b"project:1", &[0x40; 97])),
            s("WrappedKeyBodyLength { key_type: 1, len: 97, expected: \"96\" }"),
        ),
        (
            "password-body-115-bytes",
            H,
            base.with(|r| r.records[0] = record(2, b"", &[0x40; 115])),
            s("WrappedKeyBodyLength { key_type: 2, len: 115, expected: \"116\" }"),
        ),
        (
            "password-body-117-bytes",
            H,
            base.with(|r| r.records[0] = record(2, b"", &[0x40; 117])),
            s("WrappedKeyBodyLength { key_type: 2, len: 117, expected: \"116\" }"),
        ),
        (
            "password-body-116-bytes",
            H,
            base.with(|r| r.records[0] = record(2, b"", &[0x40; 116])),
            s("Ok"),
        ),
        (
            "external-body-empty",
            H,
            base.with(|r| r.records[1] = record(3, b"kms", b"")),
            s("WrappedKeyBodyLength { key_type: 3, len: 0, expected: \"1..=4096\" }"),
        ),
        (
            "external-body-4097-bytes",
            H,
            base.with(|r| r.records[1] = record(3, b"kms", &[7; 4097])),
            s("WrappedKeyBodyLength { key_type: 3, len: 4097, expected: \"1..=4096\" }"),
        ),
        (
            "hpke-x25519-body-79-bytes",
            H,
            base.with(|r| r.records[1] = record(4, &[0x5a; 16], &[0x40; 79])),
            s("WrappedKeyBodyLength { key_type: 4, len: 79, expected: \"80\" }"),
        ),
        (
            "hpke-x25519-body-81-bytes",
            H,
            base.with(|r| r.records[1] = record(4, &[0x5a; 16], &[0x40; 81])),
            s("WrappedKeyBodyLength { key_type: 4, len: 81, expected: \"80\" }"),
        ),
        (
            "hpke-x25519-body-80-bytes",
            H,
            base.with(|r| r.records[1] = record(4, &[0x5a; 16], &[0x40; 80])),
            s("Ok"),
        ),
        (
            "hpke-xwing-body-1167-bytes",
            H,
            base.with(|r| r.records[1] = record(5, &[0x5a; 16], &[0x40; 1167])),
            s("WrappedKeyBodyLength { key_type: 5, len: 1167, expected: \"1168\" }"),
        ),
        (
            "hpke-xwing-body-1169-bytes",
            H,
            base.with(|r| r.records[1] = record(5, &[0x5a; 16], &[0x40; 1169])),
            s("WrappedKeyBodyLength { key_type: 5, len: 1169, expected: \"1168\" }"),
        ),
        (
            "hpke-xwing-body-1168-bytes",
            H,
            base.with(|r| r.records[1] = record(5, &[0x5a; 16], &[0x40; 1168])),
            s("Ok"),
        ),
        (
            // body_len 4096 is refused for type 05 before a body byte is
            // read: the section holds only 30 bytes after it.
            "hpke-xwing-body-len-checked-before-reading",
            H,
            base.with(|r| {
                r.records[1] = record(5, &[0x5a; 16], &[0x40; 30]);
                let at = 2 + 16;
                r.records[1][at..at + 2].copy_from_slice(&4096u16.to_be_bytes());
            }),
            s("WrappedKeyBodyLength { key_type: 5, len: 4096, expected: \"1168\" }"),
        ),
        (
            "unknown-key-type-kept",
            H,
            base.with(|r| r.records.push(record(0x7f, b"future", b""))),
            s("Ok"),
        ),
        (
            "record-body-len-overruns",
            H,
            base.with(|r| {
                let last = r.records.last_mut().unwrap();
                let at = 2 + usize::from(last[1]);
                last[at..at + 2].copy_from_slice(&4000u16.to_be_bytes());
            }),
            s("LengthMismatch { field: WrappedKey }"),
        ),
        (
            "record-kid-len-overruns",
            H,
            base.with(|r| r.records.push(vec![0x7f, 60, b'k'])),
            s("LengthMismatch { field: WrappedKey }"),
        ),
        // Truncation at every field boundary, and inside fields.
        ("truncated-empty", H, trunc(0), s("Truncated { field: Magic }")),
        ("truncated-in-magic", H, trunc(3), s("Truncated { field: Magic }")),
        (
            "truncated-at-version",
            H,
            trunc(4),
            s("Truncated { field: Version }"),
        ),
        ("truncated-at-flags", H, trunc(5), s("Truncated { field: Flags }")),
        ("truncated-at-suite", H, trunc(6), s("Truncated { field: Suite }")),
        ("truncated-in-suite", H, trunc(7), s("Truncated { field: Suite }")),
        (
            "truncated-at-chunk-log2",
            H,
            trunc(8),
            s("Truncated { field: ChunkLog2 }"),
        ),
        (
            "truncated-at-reserved",
            H,
            trunc(9),
            s("Truncated { field: Reserved }"),
        ),
        (
            "truncated-at-context-len",
            H,
            trunc(10),
            s("Truncated { field: ContextLen }"),
        ),
        (
            "truncated-at-message-id",
            H,
            trunc(12),
            s("Truncated { field: MessageId }"),
        ),
        (
            "truncated-in-message-id",
            H,
            trunc(43),
            s("Truncated { field: MessageId }"),
        ),
        (
            "truncated-at-context",
            H,
            trunc(44),
            s("Truncated { field: Context }"),
        ),
        (
            "truncated-in-context",
            H,
            trunc(x - 1),
            s("Truncated { field: Context }"),
        ),
        (
            "truncated-at-commitment",
            H,
            trunc(x),
            s("Truncated { field: Commitment }"),
        ),
        (
            "truncated-in-commitment",
            H,
            trunc(x + 31),
            s("Truncated { field: Commitment }"),
        ),
        (
            "truncated-at-keys-len",
            H,
            trunc(x + 32),
            s("Truncated { field: KeysLen }"),
        ),
        (
            "truncated-in-keys-len",
            H,
            trunc(x + 33),
            s("Truncated { field: KeysLen }"),
        ),
        (
            "truncated-at-key-section",
            H,
            trunc(x + 34),
            s("Truncated { field: KeySection }"),
        ),
        (
            "truncated-in-key-section",
            H,
            trunc(end - 33),
            s("Truncated { field: KeySection }"),
        ),
        (
            "truncated-at-header-tag",
            H,
            trunc(end - 32),
            s("Truncated { field: HeaderTag }"),
        ),
        (
            "truncated-in-header-tag",
            H,
            trunc(end - 1),
            s("Truncated { field: HeaderTag }"),
        ),
        // Trailing bytes.
        (
            "trailing-byte",
            H,
            [valid.clone(), vec![0]].concat(),
            s("TrailingBytes(1)"),
        ),
        (
            "trailing-chunk",
            H,
            [valid.clone(), vec![0xaa; 17]].concat(),
            s("TrailingBytes(17)"),
        ),
    ];
    cases.sort_by_key(|c| c.0);
    cases
}

// ---------------------------------------------------------------------------
// Body cases.

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// Splits a body into its chunks (each `ciphertext ‖ tag`).
fn chunks(body: &[u8]) -> Vec<Vec<u8>> {
    body.chunks((1 << BODY_CHUNK_LOG2) + 16)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Seals one chunk directly, to build bodies no honest sealer writes.
fn sealed_chunk(suite: Suite, index: u64, is_final: bool, pt: &[u8]) -> Vec<u8> {
    let mut out = pt.to_vec();
    let tag = body_cipher(suite).seal_chunk(index, is_final, &mut out).unwrap();
    out.extend_from_slice(&tag);
    out
}

fn flip(mut bytes: Vec<u8>, at: usize) -> Vec<u8> {
    bytes[at] ^= 0x01;
    bytes
}

fn body_cases() -> Vec<(String, Target, Vec<u8>, String)> {
    let mut cases = Vec::new();
    for (target, suite, prefix) in [
        (Target::BodyAes, Suite::Aes256GcmHkdfSha256, "aes"),
        (Target::BodyChaCha, Suite::ChaCha20Poly1305HkdfSha256, "chacha"),
    ] {
        // 2500 bytes: chunks of 1024, 1024 and a final 452.
        let body = seal_body(&body_cipher(suite), BODY_CHUNK_LOG2, &plaintext(2500)).unwrap();
        let c = chunks(&body);
        assert_eq!(c.len(), 3);
        // 2048 bytes: two full chunks and an empty final chunk (a bare tag).
        let exact = seal_body(&body_cipher(suite), BODY_CHUNK_LOG2, &plaintext(2048)).unwrap();
        let e = chunks(&exact);
        assert_eq!(e.len(), 3);
        assert_eq!(e[2].len(), 16);
        let full = 1024 + 16;
        let other_key = {
            let cipher = ChunkCipher::new(suite, &ContentKey::new(&[0x4c; 32], &[0x4e; 12])).unwrap();
            seal_body(&cipher, BODY_CHUNK_LOG2, &plaintext(2500)).unwrap()
        };
        let other_nonce = {
            let cipher = ChunkCipher::new(suite, &ContentKey::new(&[0x4b; 32], &[0x4f; 12])).unwrap();
            seal_body(&cipher, BODY_CHUNK_LOG2, &plaintext(2500)).unwrap()
        };
        let named: Vec<(&str, Vec<u8>, &str)> = vec![
            ("valid", body.clone(), "Ok"),
            ("valid-exact-multiple", exact.clone(), "Ok"),
            ("valid-empty-plaintext", sealed_chunk(suite, 0, true, b""), "Ok"),
            ("empty", vec![], "Crypto"),
            ("truncated-one-byte", body[..body.len() - 1].to_vec(), "Crypto"),
            ("truncated-in-first-chunk", body[..500].to_vec(), "Crypto"),
            ("truncated-to-tag-length", body[..15].to_vec(), "Crypto"),
            (
                "missing-final-chunk",
                [c[0].clone(), c[1].clone()].concat(),
                "Crypto",
            ),
            (
                "missing-empty-final-chunk",
                [e[0].clone(), e[1].clone()].concat(),
                "Crypto",
            ),
            (
                "short-last-chunk-not-final",
                [
                    c[0].clone(),
                    c[1].clone(),
                    sealed_chunk(suite, 2, false, &plaintext(2500)[2048..]),
                ]
                .concat(),
                "Crypto",
            ),
            (
                "dropped-first-chunk",
                [c[1].clone(), c[2].clone()].concat(),
                "Crypto",
            ),
            (
                "dropped-middle-chunk",
                [c[0].clone(), c[2].clone()].concat(),
                "Crypto",
            ),
            (
                "reordered-chunks",
                [c[1].clone(), c[0].clone(), c[2].clone()].concat(),
                "Crypto",
            ),
            (
                "duplicated-chunk",
                [c[0].clone(), c[0].clone(), c[1].clone(), c[2].clone()].concat(),
                "Crypto",
            ),
            (
                "second-final-chunk-appended",
                [body.clone(), c[2].clone()].concat(),
                "Crypto",
            ),
            (
                "two-short-final-chunks",
                [
                    sealed_chunk(suite, 0, true, &[1; 500]),
                    sealed_chunk(suite, 1, true, &[2; 100]),
                ]
                .concat(),
                "Crypto",
            ),
            (
                "full-chunk-marked-final",
                [
                    c[0].clone(),
                    sealed_chunk(suite, 1, true, &plaintext(2500)[1024..2048]),
                ]
                .concat(),
                "Crypto",
            ),
            ("appended-byte", [body.clone(), vec![0]].concat(), "Crypto"),
            (
                "appended-chunk",
                [body.clone(), sealed_chunk(suite, 3, true, b"more")].concat(),
                "Crypto",
            ),
            (
                "appended-empty-final-chunk",
                [exact.clone(), e[2].clone()].concat(),
                "Crypto",
            ),
            ("flipped-ciphertext-first-chunk", flip(body.clone(), 0), "Crypto"),
            ("flipped-tag-first-chunk", flip(body.clone(), full - 1), "Crypto"),
            (
                "flipped-ciphertext-final-chunk",
                flip(body.clone(), 2 * full + 10),
                "Crypto",
            ),
            (
                "flipped-tag-final-chunk",
                flip(body.clone(), body.len() - 1),
                "Crypto",
            ),
            (
                "flipped-tag-empty-final-chunk",
                flip(exact.clone(), exact.len() - 16),
                "Crypto",
            ),
            ("other-key", other_key, "Crypto"),
            ("other-nonce-base", other_nonce, "Crypto"),
        ];
        for (name, bytes, expected) in named {
            cases.push((
                format!("body-{prefix}-{name}"),
                target,
                bytes,
                expected.to_owned(),
            ));
        }
    }
    cases
}

fn generate() -> Vec<Case> {
    let mut cases: Vec<Case> = header_cases()
        .into_iter()
        .map(|(name, target, bytes, expected)| (name.to_owned(), target, bytes, expected))
        .chain(body_cases())
        .map(|(name, target, bytes, expected)| Case {
            name,
            target,
            bytes,
            expected,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

// ---------------------------------------------------------------------------
// Files.

fn manifest_text(cases: &[Case]) -> String {
    let mut out = String::from(
        "# coffer envelope negative test kit: <case> <target> <expected>\n\
         # case: the file <case>.hex (hex, whitespace ignored) beside this one\n\
         # target: header / header-aes-only (parse with default reader limits,\n\
         #   the latter allowing only suite 0001), body-aes / body-chacha (open a\n\
         #   body with chunk_log2 10 under key 4b*32, nonce base 4e*12)\n\
         # expected: Ok, or the error (Rust Debug form of coffer_envelope::Error)\n",
    );
    for case in cases {
        writeln!(out, "{} {} {}", case.name, case.target.name(), case.expected).unwrap();
    }
    out
}

fn hex_text(bytes: &[u8]) -> String {
    let mut out = String::new();
    for line in bytes.chunks(32) {
        out.push_str(&hex::encode(line));
        out.push('\n');
    }
    out
}

fn read_hex(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let digits: String = text.split_whitespace().collect();
    hex::decode(digits).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct ManifestLine {
    name: String,
    target: Target,
    expected: String,
}

fn read_manifest() -> Vec<ManifestLine> {
    let text = std::fs::read_to_string(kit_dir().join("cases.txt")).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let (name, target, expected) = (parts.next(), parts.next(), parts.next());
            ManifestLine {
                name: name.unwrap().to_owned(),
                target: Target::from_name(target.unwrap()),
                expected: expected
                    .unwrap_or_else(|| panic!("no expected outcome: {line}"))
                    .to_owned(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Opening a case.

fn outcome<T>(result: Result<T, Error>) -> String {
    match result {
        Ok(_) => "Ok".to_owned(),
        Err(e) => format!("{e:?}"),
    }
}

/// Opens a case every way its target allows and checks all agree; returns
/// the outcome.
fn open_case(target: Target, bytes: &[u8]) -> String {
    match target {
        Target::Header | Target::HeaderAesOnly => {
            let mut limits = ReaderLimits::default();
            if target == Target::HeaderAesOnly {
                limits.allowed_suites = vec![Suite::Aes256GcmHkdfSha256];
            }
            let parsed = outcome(HeaderView::parse(bytes, &limits));
            // Through a reader: the same verdict, except that trailing bytes
            // are where the body starts.
            let mut reader = bytes;
            let streamed = outcome(
                read_header(&mut reader, &limits).and_then(|h| HeaderView::parse(&h, &limits).map(drop)),
            );
            if parsed.starts_with("TrailingBytes") {
                assert_eq!(streamed, "Ok");
            } else {
                assert_eq!(streamed, parsed, "read_header disagrees with parse");
            }
            parsed
        }
        Target::BodyAes | Target::BodyChaCha => {
            let suite = if target == Target::BodyAes {
                Suite::Aes256GcmHkdfSha256
            } else {
                Suite::ChaCha20Poly1305HkdfSha256
            };
            let one_shot = outcome(open_body(&body_cipher(suite), BODY_CHUNK_LOG2, bytes));
            let mut out = Vec::new();
            let streamed = outcome(
                BodyOpener::new(bytes, body_cipher(suite), BODY_CHUNK_LOG2)
                    .unwrap()
                    .read_to_end(&mut out)
                    .map_err(Error::from_io),
            );
            assert_eq!(streamed, one_shot, "BodyOpener disagrees with open_body");
            if one_shot == "Ok" {
                assert_eq!(
                    out,
                    *open_body(&body_cipher(suite), BODY_CHUNK_LOG2, bytes).unwrap()
                );
            }
            one_shot
        }
    }
}

/// Rewrites the kit from the generator:
/// `COFFER_REGENERATE_KIT=1 cargo test -p coffer-envelope --test negative -- --ignored`.
#[test]
#[ignore = "rewrites tests/data/negative when COFFER_REGENERATE_KIT is set"]
fn regenerate_kit() {
    if std::env::var_os(REGENERATE).is_none() {
        return;
    }
    let cases = generate();
    let dir = kit_dir();
    for entry in std::fs::read_dir(&dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    for case in &cases {
        std::fs::write(dir.join(format!("{}.hex", case.name)), hex_text(&case.bytes)).unwrap();
    }
    std::fs::write(dir.join("cases.txt"), manifest_text(&cases)).unwrap();
}

#[test]
#[cfg_attr(miri, ignore)] // reads files and seals bodies: neither runs under Miri
fn kit_files_match_generator() {
    let cases = generate();
    let dir = kit_dir();
    let on_disk = std::fs::read_to_string(dir.join("cases.txt")).unwrap();
    assert_eq!(
        on_disk,
        manifest_text(&cases),
        "cases.txt is stale: run regenerate_kit"
    );
    for case in &cases {
        let path = dir.join(format!("{}.hex", case.name));
        assert_eq!(
            read_hex(&path),
            case.bytes,
            "{} is stale: run regenerate_kit",
            case.name
        );
    }
}

#[test]
#[cfg_attr(miri, ignore)] // reads files and opens bodies: neither runs under Miri
fn every_case_fails_with_its_expected_error() {
    let manifest = read_manifest();
    assert!(manifest.iter().filter(|c| c.expected != "Ok").count() >= 40);
    for case in &manifest {
        let bytes = read_hex(&kit_dir().join(format!("{}.hex", case.name)));
        assert_eq!(
            open_case(case.target, &bytes),
            case.expected,
            "case `{}`",
            case.name
        );
    }
}

#[test]
fn every_header_case_fails_with_its_expected_error() {
    // The header half straight from the generator, without the file system
    // or any AEAD, so that it also runs under Miri; `kit_files_match_generator`
    // ties these cases to the files.
    let cases = header_cases();
    assert!(cases.iter().filter(|c| c.3 != "Ok").count() >= 40);
    for (name, target, bytes, expected) in cases {
        assert_eq!(open_case(target, &bytes), expected, "case `{name}`");
    }
}

#[test]
#[cfg_attr(miri, ignore)] // reads files
fn kit_has_no_stray_files() {
    let named: BTreeSet<String> = read_manifest()
        .into_iter()
        .map(|c| format!("{}.hex", c.name))
        .collect();
    for entry in std::fs::read_dir(kit_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "cases.txt" || named.contains(&name),
            "`{name}` is not in cases.txt"
        );
    }
}
