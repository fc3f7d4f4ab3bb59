//! Key-layer benches: one-shot seal and open next to raw ring AES-256-GCM over
//! the same bytes, the fixed cost of a message next to one HKDF, rewrap of
//! a header after a rotation, and a password unwrap at the 600 000-iteration
//! floor.
// `criterion_group!` generates an undocumented public function.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "bench functions are not an API; a bench has no caller to report a setup failure to"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use std::io::Read;

use coffer::keys::{
    open, rewrap_header, seal, seal_into, Keyring, OpenOptions, Opener, Password, Recipient, Rewrap,
    SealOptions,
};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{aead, digest, hkdf, hmac};

const SIZES: [(usize, &str); 4] = [
    (64, "64B"),
    (1 << 10, "1KiB"),
    (1 << 20, "1MiB"),
    (64 << 20, "64MiB"),
];

fn keyring() -> Keyring {
    let mut ring = Keyring::new();
    ring.create("bench").unwrap();
    ring
}

fn raw_seal(key: &aead::LessSafeKey, plaintext: &[u8]) -> Vec<u8> {
    let mut out = plaintext.to_vec();
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key([7; 12]),
        aead::Aad::empty(),
        &mut out,
    )
    .unwrap();
    out
}

/// Times `iters` calls of `f`, dropping each output outside the timed span
/// (but right away, so the allocator reuses memory as in real use).
fn timed_excluding_drop<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let out = f();
        total += start.elapsed();
        drop(black_box(out));
    }
    total
}

fn seal_open(c: &mut Criterion) {
    let ring = keyring();
    let recipients = [Recipient::keyring(&ring, "bench").unwrap()];
    let options = SealOptions::new();
    let open_options = OpenOptions::new().keyring(&ring);
    let raw_key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, &[9; 32]).unwrap());
    let mut group = c.benchmark_group("seal_open");
    for (size, label) in SIZES {
        if size >= 64 << 20 {
            group.sample_size(10);
        }
        let plaintext = vec![0x5A; size];
        let sealed = seal(&plaintext, &recipients, &options).unwrap();
        let raw = raw_seal(&raw_key, &plaintext);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::new("raw_aes256gcm_seal", label),
            &plaintext,
            |b, pt| {
                b.iter(|| raw_seal(&raw_key, black_box(pt)));
            },
        );
        // Opens exclude dropping the output: coffer's plaintext is zeroized
        // on drop (a byte-wise volatile wipe), measured separately below.
        group.bench_with_input(BenchmarkId::new("raw_aes256gcm_open", label), &raw, |b, ct| {
            b.iter_custom(|iters| {
                timed_excluding_drop(iters, || {
                    let mut buf = black_box(ct).clone();
                    let len = raw_key
                        .open_in_place(
                            aead::Nonce::assume_unique_for_key([7; 12]),
                            aead::Aad::empty(),
                            &mut buf,
                        )
                        .unwrap()
                        .len();
                    buf.truncate(len);
                    buf
                })
            });
        });
        group.bench_with_input(BenchmarkId::new("coffer_seal", label), &plaintext, |b, pt| {
            b.iter(|| seal(black_box(pt), &recipients, &options).unwrap());
        });
        let mut buffer = Vec::with_capacity(sealed.len());
        group.bench_with_input(
            BenchmarkId::new("coffer_seal_into_reused_buffer", label),
            &plaintext,
            |b, pt| {
                b.iter(|| {
                    buffer.clear();
                    seal_into(black_box(pt), &recipients, &options, &mut buffer).unwrap();
                    buffer.len()
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("coffer_open", label), &sealed, |b, sealed| {
            b.iter_custom(|iters| {
                timed_excluding_drop(iters, || open(black_box(sealed), &open_options).unwrap())
            });
        });
        group.bench_with_input(
            BenchmarkId::new("coffer_open_and_zeroize", label),
            &sealed,
            |b, sealed| {
                b.iter(|| open(black_box(sealed), &open_options).unwrap());
            },
        );
    }
    group.finish();
}

/// Streaming open next to one-shot open of the same small messages, in the
/// same run: both include dropping what they return (the one-shot plaintext
/// and the opener's chunk buffer are wiped on drop), and the streaming side
/// reads into a caller buffer as a real reader would.
fn stream_open(c: &mut Criterion) {
    let ring = keyring();
    let recipients = [Recipient::keyring(&ring, "bench").unwrap()];
    let options = SealOptions::new();
    let open_options = OpenOptions::new().keyring(&ring);
    let mut group = c.benchmark_group("stream_open");
    for (size, label) in [(64, "64B"), (1 << 10, "1KiB")] {
        let sealed = seal(&vec![0x5A; size], &recipients, &options).unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("one_shot", label), &sealed, |b, sealed| {
            b.iter(|| open(black_box(sealed), &open_options).unwrap().plaintext().len());
        });
        let mut out = vec![0u8; 8 << 10];
        group.bench_with_input(BenchmarkId::new("streaming", label), &sealed, |b, sealed| {
            b.iter(|| {
                let mut opener = Opener::new(black_box(&sealed[..]), &open_options).unwrap();
                let mut total = 0;
                loop {
                    let n = opener.read(&mut out).unwrap();
                    if n == 0 {
                        break total;
                    }
                    total += n;
                }
            });
        });
    }
    group.finish();
}

/// Streaming and one-shot open interleaved in many short rounds (a batch of
/// each per round), printing the median batch time of each side and the
/// median of the per-round streaming/one-shot ratios: on a shared machine
/// this is the figure to trust, as both sides of each ratio see the same
/// load.
#[allow(clippy::print_stdout, reason = "the ratio table is this report")]
fn interleaved_stream_ratios() {
    const ROUNDS: usize = 401;
    const ITERS: u32 = 50;
    let ring = keyring();
    let recipients = [Recipient::keyring(&ring, "bench").unwrap()];
    let open_options = OpenOptions::new().keyring(&ring);
    println!("\nstreaming/one-shot open, {ROUNDS} interleaved rounds of {ITERS} each");
    println!(
        "{:>6} {:>12} {:>12} {:>14}",
        "size", "one-shot", "streaming", "median ratio"
    );
    let mut out = vec![0u8; 8 << 10];
    for (size, label) in [(64, "64B"), (1 << 10, "1KiB")] {
        let sealed = seal(&vec![0x5A; size], &recipients, &SealOptions::new()).unwrap();
        let mut one_shot = Vec::with_capacity(ROUNDS);
        let mut streaming = Vec::with_capacity(ROUNDS);
        let mut ratios = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for _ in 0..ITERS {
                black_box(open(black_box(&sealed), &open_options).unwrap().plaintext().len());
            }
            let a = start.elapsed() / ITERS;
            let start = Instant::now();
            for _ in 0..ITERS {
                let mut opener = Opener::new(black_box(&sealed[..]), &open_options).unwrap();
                while opener.read(&mut out).unwrap() != 0 {}
                black_box(&out);
            }
            let b = start.elapsed() / ITERS;
            one_shot.push(a);
            streaming.push(b);
            ratios.push(b.as_secs_f64() / a.as_secs_f64());
        }
        one_shot.sort();
        streaming.sort();
        ratios.sort_by(f64::total_cmp);
        println!(
            "{label:>6} {:>12.2?} {:>12.2?} {:>14.3}",
            one_shot[ROUNDS / 2],
            streaming[ROUNDS / 2],
            ratios[ROUNDS / 2]
        );
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// The fixed cost of one message next to each piece of cryptographic work
/// the design mandates for it, measured in the same run: one system random
/// draw (DEK, message id, wrap salt), the schedule's HKDF, the wrap's HKDF,
/// the header HMAC, two AES-256-GCM key setups (body key and wrap key) and
/// the transcript SHA-256.
fn fixed_cost(c: &mut Criterion) {
    let ring = keyring();
    let recipients = [Recipient::keyring(&ring, "bench").unwrap()];
    let options = SealOptions::new();
    let mut group = c.benchmark_group("fixed_cost");
    group.bench_function("coffer_seal_64B", |b| {
        b.iter(|| seal(black_box(&[1u8; 64]), &recipients, &options).unwrap());
    });
    let system = SystemRandom::new();
    group.bench_function("getrandom_80", |b| {
        b.iter(|| {
            let mut out = [0u8; 80];
            system.fill(&mut out).unwrap();
            out
        });
    });
    group.bench_function("hkdf_sha256_extract_expand_108", |b| {
        b.iter(|| hkdf_sha256(&[3; 32], &[4; 32], &[b"coffer/v1 derive", &[0; 3], &[5; 32]], 108));
    });
    group.bench_function("hkdf_sha256_wrap_64", |b| {
        b.iter(|| {
            hkdf_sha256(
                &[3; 16],
                &[4; 32],
                &[b"coffer/v1 wrap", &[0; 5], b"bench:1", &[5; 32]],
                64,
            )
        });
    });
    // The signed bytes of the header `coffer_seal_64B` writes: core 44, commitment 32,
    // keys_len 2, key_count 1, one type 01 record with kid `bench:1` 107.
    group.bench_function("hmac_sha256_header_186B", |b| {
        b.iter(|| {
            let key = hmac::Key::new(hmac::HMAC_SHA256, black_box(&[6; 32]));
            hmac::sign(&key, black_box(&[7; 186]))
        });
    });
    group.bench_function("aes256gcm_key_setup", |b| {
        b.iter(|| {
            aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, black_box(&[8; 32])).unwrap())
        });
    });
    group.bench_function("sha256_44B", |b| {
        b.iter(|| digest::digest(&digest::SHA256, black_box(&[9; 44])));
    });
    group.finish();
}

fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[&[u8]], len: usize) -> [u8; 108] {
    let mut out = [0u8; 108];
    hkdf::Salt::new(hkdf::HKDF_SHA256, black_box(salt))
        .extract(black_box(ikm))
        .expand(info, Len(len))
        .unwrap()
        .fill(&mut out[..len])
        .unwrap();
    out
}

/// Rewrap after a rotation. `rewrap_header` takes the header bytes alone,
/// which do not depend on the body, so one message size shows its cost.
fn rewrap_cost(c: &mut Criterion) {
    let mut ring = keyring();
    let sealed = seal(
        &[0x33; 1 << 10],
        &[Recipient::keyring(&ring, "bench").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    ring.rotate("bench").unwrap();
    let change = Rewrap::new().rotate_to_active(&ring, "bench").unwrap();
    let open_options = OpenOptions::new().keyring(&ring);
    let header_len =
        coffer::envelope::HeaderView::parse_prefix(&sealed, &coffer::envelope::ReaderLimits::default())
            .unwrap()
            .len();
    let header = &sealed[..header_len];
    let mut group = c.benchmark_group("rewrap");
    group.bench_function("rewrap_header", |b| {
        b.iter(|| rewrap_header(black_box(header), &open_options, &change).unwrap());
    });
    group.finish();
}

fn password_unwrap(c: &mut Criterion) {
    let password = Password::new("correct horse battery staple");
    let sealed = seal(b"x", &[Recipient::password(&password)], &SealOptions::new()).unwrap();
    let open_options = OpenOptions::new().password(&password);
    let mut group = c.benchmark_group("password");
    group.sample_size(10);
    group.bench_function("open_600k_iterations", |b| {
        b.iter(|| open(black_box(&sealed), &open_options).unwrap());
    });
    group.finish();
}

/// Interleaves coffer and raw ring in rounds of batches (64 MiB of
/// work each) and prints the coffer/raw throughput ratio of the median batch per
/// size, so both sides of a ratio see the same machine load; criterion's
/// groups run one after the other, minutes apart on a shared machine.
#[allow(clippy::print_stdout, reason = "the ratio table is this report")]
fn interleaved_ratios() {
    const ROUNDS: usize = 11;
    let ring = keyring();
    let recipients = [Recipient::keyring(&ring, "bench").unwrap()];
    let options = SealOptions::new();
    let open_options = OpenOptions::new().keyring(&ring);
    let raw_key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, &[9; 32]).unwrap());
    println!("\ncoffer/raw ring AES-256-GCM throughput, median of {ROUNDS} interleaved batches");
    println!("(open: plaintext moved out before its drop; open+wipe: dropped as returned, wiped)");
    println!(
        "{:>6} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "size", "raw seal", "seal", "raw open", "open", "open+wipe"
    );
    for (size, label) in SIZES.into_iter().skip(2) {
        let plaintext = vec![0x5A; size];
        let sealed = seal(&plaintext, &recipients, &options).unwrap();
        let raw = raw_seal(&raw_key, &plaintext);
        let iters = (64 << 20) / size;
        let batch = |op: &mut dyn FnMut()| {
            let start = Instant::now();
            for _ in 0..iters {
                op();
            }
            start.elapsed()
        };
        let mut runs: [Vec<Duration>; 5] = Default::default();
        for _ in 0..ROUNDS {
            runs[0].push(batch(&mut || {
                drop(black_box(raw_seal(&raw_key, black_box(&plaintext))))
            }));
            runs[1].push(batch(&mut || {
                drop(black_box(seal(black_box(&plaintext), &recipients, &options)))
            }));
            runs[2].push(batch(&mut || {
                let mut buf = black_box(&raw).clone();
                let nonce = aead::Nonce::assume_unique_for_key([7; 12]);
                let len = raw_key
                    .open_in_place(nonce, aead::Aad::empty(), &mut buf)
                    .unwrap()
                    .len();
                buf.truncate(len);
                drop(black_box(buf));
            }));
            runs[3].push(batch(&mut || {
                let mut plaintext = open(black_box(&sealed), &open_options).unwrap().into_plaintext();
                // Moved out of its wrapper, so the drop only frees it.
                drop(black_box(core::mem::take(&mut *plaintext)));
            }));
            runs[4].push(batch(&mut || {
                drop(black_box(open(black_box(&sealed), &open_options)))
            }));
        }
        let [raw_seal_t, seal_t, raw_open_t, open_t, wipe_t] = runs.map(|mut times| {
            times.sort();
            times[ROUNDS / 2] / u32::try_from(iters).unwrap()
        });
        let ratio = |coffer: Duration, raw: Duration| raw.as_secs_f64() / coffer.as_secs_f64();
        println!(
            "{label:>6} {raw_seal_t:>12.2?} {:>12} {raw_open_t:>12.2?} {:>12} {:>12}",
            format!("{seal_t:.2?} {:.3}", ratio(seal_t, raw_seal_t)),
            format!("{open_t:.2?} {:.3}", ratio(open_t, raw_open_t)),
            format!("{wipe_t:.2?} {:.3}", ratio(wipe_t, raw_open_t)),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = seal_open, stream_open, fixed_cost, rewrap_cost, password_unwrap
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only `cargo bench` passes `--bench`; `cargo test --benches` and
    // `--list` just check that the benches run, and a filter asks for some
    // criterion benches only.
    let bench = std::env::args().any(|a| a == "--bench") && !std::env::args().any(|a| a == "--list");
    let filter = filter();
    if bench
        && filter
            .as_deref()
            .is_none_or(|f| "stream_open".contains(f) || f.contains("stream_open"))
    {
        interleaved_stream_ratios();
    }
    if bench && filter.is_none() {
        interleaved_ratios();
    }
}

/// The criterion filter on the command line, if any (a positional argument
/// that is not the value of an option).
fn filter() -> Option<String> {
    const WITH_VALUE: [&str; 16] = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--profile-time",
        "--color",
        "--plotting-backend",
        "--output-format",
        "--format",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}
