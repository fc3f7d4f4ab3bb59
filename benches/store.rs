//! The front door's encrypt of 1 KiB (unlock cache on) by 1 and by 8
//! calling threads, on each store, side by side in one run: in memory
//! (`MemoryStore`), SQLite with group commit (the default) and SQLite with
//! one transaction and one fsync per call (group commit off). The SQLite
//! files live under the target directory (a real disk, where fsync costs
//! what it costs), not in `/tmp`, which may be memory.
//!
//! Each measured iteration is one call per thread, so criterion's
//! throughput (elements per second) is calls per second across threads.
//! After the groups, the group-commit / one-fsync-per-call throughput
//! ratio at 8 threads is printed to stderr from interleaved batches.
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "support/door.rs"]
mod support;
use support::{bench_door, BenchDoor};

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use coffer::policy::audit::AuditKey;
use coffer::policy::store::{MemoryStore, Store};
use coffer::policy::*;
use coffer::store::{SqliteOptions, SqliteStore};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const THREADS: [u64; 2] = [1, 8];

/// A front door with one project, its key unlocked in the cache, and the
/// 1 KiB plaintext encrypted.
struct Door<S: Store> {
    bench: BenchDoor<S>,
    plaintext: Vec<u8>,
}

fn door<S: Store>(store: S) -> Door<S> {
    let door = Door {
        bench: bench_door(store),
        plaintext: vec![0x5a; 1024],
    };
    door.encrypt(); // unlocks the project key into the cache
    door
}

impl<S: Store> Door<S> {
    fn encrypt(&self) {
        let BenchDoor {
            door,
            owner,
            target,
            password,
        } = &self.bench;
        let envelope = door
            .encrypt(
                owner,
                target,
                black_box(&self.plaintext),
                &Context::new(),
                password,
            )
            .unwrap();
        black_box(envelope);
    }

    /// `threads` threads each make `calls` calls; the wall time of all.
    fn run(&self, threads: u64, calls: u64) -> Duration {
        if threads == 1 {
            let start = Instant::now();
            for _ in 0..calls {
                self.encrypt();
            }
            return start.elapsed();
        }
        let barrier = Barrier::new(usize::try_from(threads).unwrap() + 1);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    barrier.wait();
                    for _ in 0..calls {
                        self.encrypt();
                    }
                });
            }
            barrier.wait();
            Instant::now()
        })
        .elapsed()
    }
}

fn sqlite(dir: &tempfile::TempDir, options: SqliteOptions) -> SqliteStore {
    SqliteStore::open_with(dir.path(), AuditKey::from_bytes([1; 32]), options).unwrap()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

struct Doors {
    memory: Door<MemoryStore>,
    grouped: Door<SqliteStore>,
    per_call: Door<SqliteStore>,
    _dirs: [tempfile::TempDir; 2],
}

fn doors() -> Doors {
    let dirs = [tempdir(), tempdir()];
    Doors {
        memory: door(MemoryStore::new(AuditKey::from_bytes([1; 32])).unwrap()),
        grouped: door(sqlite(&dirs[0], SqliteOptions::default())),
        per_call: door(sqlite(&dirs[1], SqliteOptions::default().group_commit(false))),
        _dirs: dirs,
    }
}

fn encrypt_1kib(c: &mut Criterion) {
    let d = doors();
    let mut group = c.benchmark_group("store_encrypt_1KiB");
    // fsync-bound calls take milliseconds: fewer, longer samples.
    group.sample_size(10);
    for threads in THREADS {
        group.throughput(Throughput::Elements(threads));
        group.bench_function(BenchmarkId::new("memory", threads), |b| {
            b.iter_custom(|iters| d.memory.run(threads, iters));
        });
        group.bench_function(BenchmarkId::new("sqlite_group_commit", threads), |b| {
            b.iter_custom(|iters| d.grouped.run(threads, iters));
        });
        group.bench_function(BenchmarkId::new("sqlite_fsync_per_call", threads), |b| {
            b.iter_custom(|iters| d.per_call.run(threads, iters));
        });
    }
    group.finish();
}

/// Calls per second of `threads` threads making `calls` calls each.
fn rate<S: Store>(door: &Door<S>, threads: u64, calls: u64) -> f64 {
    (threads * calls) as f64 / door.run(threads, calls).as_secs_f64()
}

/// The ratios in one run: batches of each side alternate, the best batch
/// of each counts (least disturbed by other load).
fn ratios(_: &mut Criterion) {
    let d = doors();
    for threads in THREADS {
        let calls = 200 / threads;
        let [mut memory, mut grouped, mut per_call] = [0f64; 3];
        for _ in 0..5 {
            memory = memory.max(rate(&d.memory, threads, calls * 10));
            grouped = grouped.max(rate(&d.grouped, threads, calls));
            per_call = per_call.max(rate(&d.per_call, threads, calls));
        }
        eprintln!(
            "{threads} thread(s), calls/s: memory {memory:.0}, sqlite group commit {grouped:.0}, \
             sqlite fsync per call {per_call:.0}; group commit / fsync per call = {:.2}",
            grouped / per_call
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = encrypt_1kib, ratios
}
criterion_main!(benches);
