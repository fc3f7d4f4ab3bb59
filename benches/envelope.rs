//! Envelope body throughput next to raw ring AES-256-GCM over the same bytes.
//!
//! For each size, `envelope` seals (or opens) a whole body with
//! [`seal_body`]/[`open_body`] in 64 KiB chunks, and `ring` does what a ring
//! user does with an immutable input: copy it (`to_vec`) and seal (or open)
//! the copy in place in one shot. Both keys are set up once, outside the
//! timed loop. After criterion's groups, a fixed number of interleaved rounds
//! per size gives the envelope/raw throughput ratio table, so both sides of
//! each ratio see the same machine load.
#![allow(
    clippy::expect_used,
    reason = "a bench has no caller to report a setup failure to"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use coffer::envelope::{open_body, seal_body, ChunkCipher, ContentKey, Suite, DEFAULT_CHUNK_LOG2};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use zeroize::Zeroizing;

const SIZES: [(usize, &str); 5] = [
    (64, "64 B"),
    (1 << 10, "1 KiB"),
    (64 << 10, "64 KiB"),
    (1 << 20, "1 MiB"),
    (16 << 20, "16 MiB"),
];

struct Fixture {
    envelope: ChunkCipher,
    ring: LessSafeKey,
}

impl Fixture {
    fn new() -> Self {
        let key = [0x42; 32];
        Fixture {
            envelope: ChunkCipher::new(Suite::Aes256GcmHkdfSha256, &ContentKey::new(&key, &[7; 12]))
                .expect("a 32-byte key"),
            ring: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).expect("a 32-byte key")),
        }
    }

    fn seal_envelope(&self, pt: &[u8]) -> Vec<u8> {
        seal_body(&self.envelope, DEFAULT_CHUNK_LOG2, pt).expect("seal")
    }

    /// The plaintext as the API returns it: zeroizing, so dropping it wipes
    /// it.
    fn open_envelope(&self, body: &[u8]) -> Zeroizing<Vec<u8>> {
        open_body(&self.envelope, DEFAULT_CHUNK_LOG2, body).expect("open")
    }

    /// The same, moved out of its zeroizing wrapper so that dropping it only
    /// frees it, as on the raw side: this isolates the opening work.
    fn open_envelope_unwiped(&self, body: &[u8]) -> Vec<u8> {
        core::mem::take(&mut *self.open_envelope(body))
    }

    fn seal_ring(&self, pt: &[u8]) -> Vec<u8> {
        let mut out = pt.to_vec();
        self.ring
            .seal_in_place_append_tag(Nonce::assume_unique_for_key([7; 12]), Aad::empty(), &mut out)
            .expect("seal");
        out
    }

    fn open_ring(&self, sealed: &[u8]) -> Vec<u8> {
        let mut buf = sealed.to_vec();
        let len = self
            .ring
            .open_in_place(Nonce::assume_unique_for_key([7; 12]), Aad::empty(), &mut buf)
            .expect("open")
            .len();
        buf.truncate(len);
        buf
    }
}

#[allow(clippy::cast_possible_truncation, reason = "i % 251 fits a byte")]
fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Benches one size of one operation, envelope and raw ring side by side.
/// Outputs are dropped inside the timed loop on both sides.
fn compare<E, R>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    (size, label): (usize, &str),
    mut envelope: impl FnMut() -> E,
    mut ring: impl FnMut() -> R,
) {
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function(BenchmarkId::new("envelope", label), |b| {
        b.iter_with_large_drop(&mut envelope)
    });
    group.bench_function(BenchmarkId::new("ring", label), |b| {
        b.iter_with_large_drop(&mut ring)
    });
}

fn bench_seal(c: &mut Criterion) {
    let f = Fixture::new();
    let mut group = c.benchmark_group("seal");
    for (size, label) in SIZES {
        let pt = plaintext(size);
        compare(
            &mut group,
            (size, label),
            || f.seal_envelope(black_box(&pt)),
            || f.seal_ring(black_box(&pt)),
        );
    }
    group.finish();
}

fn bench_open(c: &mut Criterion) {
    let f = Fixture::new();
    let mut group = c.benchmark_group("open");
    for (size, label) in SIZES {
        let pt = plaintext(size);
        let body = f.seal_envelope(&pt);
        let sealed = f.seal_ring(&pt);
        compare(
            &mut group,
            (size, label),
            || f.open_envelope_unwiped(black_box(&body)),
            || f.open_ring(black_box(&sealed)),
        );
        // As callers get it: dropping the zeroizing plaintext wipes it.
        group.bench_function(BenchmarkId::new("envelope+wipe", label), |b| {
            b.iter(|| f.open_envelope(black_box(&body)))
        });
    }
    group.finish();
}

/// Average time of one call of `op` (its output dropped) over `iters` calls.
fn time_per_call<O>(iters: usize, mut op: impl FnMut() -> O) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        drop(black_box(op()));
    }
    start.elapsed() / u32::try_from(iters).unwrap_or(u32::MAX)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Times envelope and raw ring in alternating batches and prints the
/// envelope/raw throughput ratio per size (1.000 = as fast as raw ring).
#[allow(clippy::print_stdout, reason = "the ratio table is this bench's report")]
fn ratio_table() {
    const ROUNDS: usize = 21;
    let f = Fixture::new();
    println!("\nenvelope/raw ring AES-256-GCM throughput ratio, median of {ROUNDS} interleaved batches");
    println!(
        "(outputs dropped inside the timing; +wipe: the envelope's plaintext dropped zeroizing, as returned)"
    );
    println!(
        "{:>8} {:>11} {:>11} {:>6} {:>11} {:>11} {:>6} {:>11} {:>11} {:>6}",
        "size",
        "seal env",
        "seal ring",
        "ratio",
        "open env",
        "open ring",
        "ratio",
        "+wipe env",
        "open ring",
        "ratio"
    );
    for (size, label) in SIZES {
        let pt = plaintext(size);
        let body = f.seal_envelope(&pt);
        let sealed = f.seal_ring(&pt);
        // About 10 to 20 ms of work per batch.
        let iters = ((64usize << 20) / size).clamp(4, 100_000);
        let mut t: [Vec<Duration>; 5] = Default::default();
        for _ in 0..ROUNDS {
            t[0].push(time_per_call(iters, || f.seal_envelope(black_box(&pt))));
            t[1].push(time_per_call(iters, || f.seal_ring(black_box(&pt))));
            t[2].push(time_per_call(iters, || f.open_envelope_unwiped(black_box(&body))));
            t[3].push(time_per_call(iters, || f.open_ring(black_box(&sealed))));
            t[4].push(time_per_call(iters, || f.open_envelope(black_box(&body))));
        }
        let [se, sr, oe, or, we] = t.map(median);
        let ratio = |env: Duration, raw: Duration| raw.as_secs_f64() / env.as_secs_f64();
        println!(
            "{label:>8} {se:>11.2?} {sr:>11.2?} {:>6.3} {oe:>11.2?} {or:>11.2?} {:>6.3} {we:>11.2?} {or:>11.2?} {:>6.3}",
            ratio(se, sr),
            ratio(oe, or),
            ratio(we, or),
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_seal(&mut c);
    bench_open(&mut c);
    c.final_summary();
    // `cargo test --benches` and `--list` only check that the benches run.
    if !std::env::args().any(|a| a == "--test" || a == "--list") {
        ratio_table();
    }
}
