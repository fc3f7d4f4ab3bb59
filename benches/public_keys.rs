//! Public-key recipients: seal and open of 1 KiB with 1 and 8 recipients of
//! each type (HPKE X25519, wrapped key type `04`; HPKE X-Wing, type `05`),
//! next to age's X25519 recipient over the same plaintext, in one run.
//!
//! Opening uses the identity of the last recipient: coffer finds its record
//! by kid and decapsulates once; age has no key ids in its X25519 stanzas,
//! so it tries the identity on each stanza in turn.
//!
//! After criterion, the same operations run in interleaved rounds of
//! batches and the medians are printed per recipient, with age/coffer
//! ratios: criterion's groups run minutes apart on a shared machine, the
//! rounds see the same load.
// `criterion_group!` generates an undocumented public function.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "bench functions are not an API; a bench has no caller to report a setup failure to"
)]

use std::hint::black_box;
use std::io::{Read, Write};
use std::iter;
use std::time::{Duration, Instant};

use coffer::keys::envelope::ReaderLimits;
use coffer::keys::{open, seal, Identity, KemAlgorithm, OpenOptions, Recipient, SealOptions};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

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

/// One side of the interleaved comparison: seal and open closures.
struct Side<'a> {
    name: &'static str,
    seal: Box<dyn FnMut() + 'a>,
    open: Box<dyn FnMut() + 'a>,
}

/// Median time per call of `op` over `ROUNDS` batches of `iters` calls,
/// one batch of each side per round.
#[allow(clippy::print_stdout, reason = "the table is this report")]
fn interleaved() {
    const ROUNDS: usize = 21;
    let plaintext = vec![0x42u8; PLAINTEXT_LEN];
    println!(
        "\nper recipient, median of {ROUNDS} interleaved batches (1 KiB; open: last recipient's identity)"
    );
    println!(
        "{:>10} {:>14} {:>12} {:>12} {:>14} {:>14}",
        "recipients", "side", "seal", "open", "age/coffer seal", "age/coffer open"
    );
    for count in COUNTS {
        let age_ids: Vec<age::x25519::Identity> =
            (0..count).map(|_| age::x25519::Identity::generate()).collect();
        let age_recipients: Vec<_> = age_ids.iter().map(age::x25519::Identity::to_public).collect();
        let age_sealed = age_seal(&age_recipients, &plaintext);
        let coffer_ids: Vec<Vec<Identity>> = [KemAlgorithm::X25519, KemAlgorithm::XWing]
            .iter()
            .map(|a| (0..count).map(|_| Identity::generate(*a).unwrap()).collect())
            .collect();
        let seal_options = SealOptions::new().reader_limits(limits());
        let recipients: Vec<Vec<Recipient<'_>>> = coffer_ids
            .iter()
            .map(|ids| {
                ids.iter()
                    .map(|id| Recipient::public_key(id.public_key()))
                    .collect()
            })
            .collect();
        let sealed: Vec<Vec<u8>> = recipients
            .iter()
            .map(|r| seal(&plaintext, r, &seal_options).unwrap())
            .collect();
        let open_options: Vec<OpenOptions<'_>> = coffer_ids
            .iter()
            .map(|ids| OpenOptions::new().limits(limits()).identity(&ids[count - 1]))
            .collect();
        let mut sides = vec![Side {
            name: "age x25519",
            seal: Box::new(|| drop(black_box(age_seal(&age_recipients, black_box(&plaintext))))),
            open: Box::new(|| drop(black_box(age_open(&age_ids[count - 1], black_box(&age_sealed))))),
        }];
        for (i, name) in ["coffer x25519", "coffer xwing"].into_iter().enumerate() {
            let (recipients, sealed, open_options) = (&recipients[i], &sealed[i], &open_options[i]);
            let seal_options = &seal_options;
            let plaintext = &plaintext;
            sides.push(Side {
                name,
                seal: Box::new(move || {
                    drop(black_box(
                        seal(black_box(plaintext), recipients, seal_options).unwrap(),
                    ))
                }),
                open: Box::new(move || drop(black_box(open(black_box(sealed), open_options).unwrap()))),
            });
        }
        let iters = 160 / count + 10;
        let batch = |op: &mut dyn FnMut()| {
            let start = Instant::now();
            for _ in 0..iters {
                op();
            }
            start.elapsed() / u32::try_from(iters).unwrap()
        };
        let mut times: Vec<[Vec<Duration>; 2]> = sides.iter().map(|_| Default::default()).collect();
        for _ in 0..ROUNDS {
            for (side, t) in sides.iter_mut().zip(times.iter_mut()) {
                t[0].push(batch(&mut side.seal));
                t[1].push(batch(&mut side.open));
            }
        }
        let medians: Vec<[Duration; 2]> = times
            .into_iter()
            .map(|t| {
                t.map(|mut v| {
                    v.sort();
                    v[ROUNDS / 2]
                })
            })
            .collect();
        let per = u32::try_from(count).unwrap();
        for (side, [seal_t, open_t]) in sides.iter().zip(&medians) {
            let [age_seal_t, age_open_t] = medians[0];
            println!(
                "{count:>10} {:>14} {:>12.1?} {:>12.1?} {:>14.2} {:>14.2}",
                side.name,
                *seal_t / per,
                *open_t / per,
                age_seal_t.as_secs_f64() / seal_t.as_secs_f64(),
                age_open_t.as_secs_f64() / open_t.as_secs_f64(),
            );
        }
    }
}

criterion_group!(benches, public_keys);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only `cargo bench` passes `--bench`; `cargo test --benches` just
    // checks that the benches run.
    if std::env::args().any(|a| a == "--bench") && !std::env::args().any(|a| a == "--list") {
        interleaved();
    }
}
