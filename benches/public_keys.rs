//! Public-key recipients: seal and open of 1 KiB with 1 and 8 recipients of
//! each type (HPKE X25519, wrapped key type `04`; HPKE X-Wing, type `05`),
//! next to age's X25519 recipient over the same plaintext, in one run.
//!
//! Opening uses the identity of the last recipient: coffer finds its record
//! by kid and decapsulates once; age has no key ids in its X25519 stanzas,
//! so it tries the identity on each stanza in turn.
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::io::{Read, Write};
use std::iter;

use coffer::keys::envelope::ReaderLimits;
use coffer::keys::{open, seal, Identity, KemAlgorithm, OpenOptions, Recipient, SealOptions};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const PLAINTEXT_LEN: usize = 1 << 10;
const COUNTS: [usize; 2] = [1, 8];

/// Room for eight X-Wing records (9505 bytes of key section; the default
/// reader takes 8192), on both sides.
fn limits() -> ReaderLimits {
    ReaderLimits {
        max_keys_len: 16384,
        ..ReaderLimits::default()
    }
}

fn coffer_case(c: &mut Criterion, algorithm: KemAlgorithm, plaintext: &[u8]) {
    let name = format!("coffer_{algorithm}");
    for count in COUNTS {
        let ids: Vec<Identity> = (0..count)
            .map(|_| Identity::generate(algorithm).unwrap())
            .collect();
        let recipients: Vec<_> = ids
            .iter()
            .map(|id| Recipient::public_key(id.public_key()))
            .collect();
        let seal_options = SealOptions::new().reader_limits(limits());
        let open_options = OpenOptions::new().limits(limits()).identity(&ids[count - 1]);
        let sealed = seal(plaintext, &recipients, &seal_options).unwrap();
        let mut group = c.benchmark_group("public_key_seal_1KiB");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new(&name, count), &count, |b, _| {
            b.iter(|| seal(black_box(plaintext), &recipients, &seal_options).unwrap());
        });
        group.finish();
        let mut group = c.benchmark_group("public_key_open_1KiB");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new(&name, count), &count, |b, _| {
            b.iter(|| open(black_box(&sealed), &open_options).unwrap());
        });
        group.finish();
    }
}

fn age_seal(recipients: &[age::x25519::Recipient], plaintext: &[u8]) -> Vec<u8> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient)).unwrap();
    let mut out = Vec::with_capacity(plaintext.len() + 200 * recipients.len());
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    writer.write_all(plaintext).unwrap();
    writer.finish().unwrap();
    out
}

fn age_open(identity: &age::x25519::Identity, sealed: &[u8]) -> Vec<u8> {
    let decryptor = age::Decryptor::new(sealed).unwrap();
    let mut reader = decryptor
        .decrypt(iter::once(identity as &dyn age::Identity))
        .unwrap();
    let mut out = Vec::with_capacity(PLAINTEXT_LEN);
    reader.read_to_end(&mut out).unwrap();
    out
}

fn age_case(c: &mut Criterion, plaintext: &[u8]) {
    for count in COUNTS {
        let ids: Vec<age::x25519::Identity> = (0..count).map(|_| age::x25519::Identity::generate()).collect();
        let recipients: Vec<_> = ids.iter().map(age::x25519::Identity::to_public).collect();
        let sealed = age_seal(&recipients, plaintext);
        assert_eq!(age_open(&ids[count - 1], &sealed), plaintext);
        let mut group = c.benchmark_group("public_key_seal_1KiB");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("age_x25519", count), &count, |b, _| {
            b.iter(|| age_seal(&recipients, black_box(plaintext)));
        });
        group.finish();
        let mut group = c.benchmark_group("public_key_open_1KiB");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("age_x25519", count), &count, |b, _| {
            b.iter(|| age_open(&ids[count - 1], black_box(&sealed)));
        });
        group.finish();
    }
}

fn public_keys(c: &mut Criterion) {
    let plaintext = vec![0x42u8; PLAINTEXT_LEN];
    age_case(c, &plaintext);
    coffer_case(c, KemAlgorithm::X25519, &plaintext);
    coffer_case(c, KemAlgorithm::XWing, &plaintext);
}

criterion_group!(benches, public_keys);
criterion_main!(benches);
