//! The front door's encrypt of 1 KiB (unlock cache on) by 1 and by 8
//! calling threads, on each store, side by side in one run: in memory
//! (`MemoryStore`), SQLite with group commit (the default), SQLite with
//! one transaction and one fsync per call (group commit off), and
//! PostgreSQL. Then single calls of three kinds (add a member, encrypt
//! 1 KiB, list a project's documents) on memory, SQLite and PostgreSQL.
//! The SQLite files live under the target directory (a real disk, where
//! fsync costs what it costs), not in `/tmp`, which may be memory.
//! PostgreSQL is the database `COFFER_TEST_POSTGRES_URL` names (a fresh
//! schema, dropped at the end); without it the PostgreSQL benches are
//! skipped with a note on stderr.
//!
//! Each measured iteration is one call per thread, so criterion's
//! throughput (elements per second) is calls per second across threads.
//! After the groups, the group-commit / one-fsync-per-call throughput
//! ratio at 8 threads is printed to stderr from interleaved batches.
// `criterion_group!` generates an undocumented public function.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "bench functions are not an API; a bench has no caller to report a setup failure to"
)]

#[path = "support/door.rs"]
mod support;
use support::{bench_door, BenchDoor};

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use coffer::policy::audit::AuditKey;
use coffer::policy::store::{MemoryStore, Store};
use coffer::policy::*;
use coffer::store::{PostgresStore, SqliteOptions, SqliteStore};
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

    /// Gives `member` the role it does not have (a change every call).
    fn add_member(&self, member: &Principal, flip: &mut bool) {
        let BenchDoor {
            door, owner, target, ..
        } = &self.bench;
        *flip = !*flip;
        let role = if *flip { Role::Editor } else { Role::Viewer };
        let project = target.project_ref();
        black_box(door.add_member(owner, &project, member, role).unwrap());
    }

    fn list(&self) {
        let BenchDoor {
            door, owner, target, ..
        } = &self.bench;
        let project = target.project_ref();
        black_box(door.list_documents(owner, &project).unwrap());
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

/// A schema of the database `COFFER_TEST_POSTGRES_URL` names, dropped
/// when the bench ends.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    /// `None`, after a note on stderr, without a database.
    fn new(what: &str) -> Option<Self> {
        let Some(url) = std::env::var("COFFER_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            eprintln!(
                "{what}: PostgreSQL skipped, `COFFER_TEST_POSTGRES_URL` is not set \
                 (start a throwaway cluster with `eval \"$(.ci/postgres.sh start)\"`)"
            );
            return None;
        };
        let name = format!(
            "bench_{}_{}",
            std::process::id(),
            what.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        Some(Schema { url, name })
    }

    fn open(&self) -> PostgresStore {
        PostgresStore::open_in_schema(&self.url, &self.name, AuditKey::from_bytes([1; 32])).unwrap()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

struct Doors {
    memory: Door<MemoryStore>,
    grouped: Door<SqliteStore>,
    per_call: Door<SqliteStore>,
    postgres: Option<(Door<PostgresStore>, Schema)>,
    _dirs: [tempfile::TempDir; 2],
}

fn doors(what: &str) -> Doors {
    let dirs = [tempdir(), tempdir()];
    Doors {
        memory: door(MemoryStore::new(AuditKey::from_bytes([1; 32])).unwrap()),
        grouped: door(sqlite(&dirs[0], SqliteOptions::default())),
        per_call: door(sqlite(&dirs[1], SqliteOptions::default().group_commit(false))),
        postgres: Schema::new(what).map(|schema| (door(schema.open()), schema)),
        _dirs: dirs,
    }
}

fn encrypt_1kib(c: &mut Criterion) {
    let d = doors("encrypt");
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
        if let Some((postgres, _)) = &d.postgres {
            group.bench_function(BenchmarkId::new("postgres", threads), |b| {
                b.iter_custom(|iters| postgres.run(threads, iters));
            });
        }
    }
    group.finish();
}

/// One thread's single calls of each kind on each store.
fn calls<S: Store>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    store: &str,
    door: &Door<S>,
) {
    let member = Principal::new(TenantId::new("acme").unwrap(), PrincipalId::new("ed").unwrap());
    let mut flip = false;
    group.bench_function(BenchmarkId::new("add_member", store), |b| {
        b.iter(|| door.add_member(&member, &mut flip));
    });
    group.bench_function(BenchmarkId::new("encrypt_1KiB", store), |b| {
        b.iter(|| door.encrypt())
    });
    group.bench_function(BenchmarkId::new("list_documents", store), |b| {
        b.iter(|| door.list())
    });
}

fn front_door_calls(c: &mut Criterion) {
    let d = doors("calls");
    let mut group = c.benchmark_group("store_calls");
    group.sample_size(10);
    calls(&mut group, "memory", &d.memory);
    calls(&mut group, "sqlite", &d.grouped);
    if let Some((postgres, _)) = &d.postgres {
        calls(&mut group, "postgres", postgres);
    }
    group.finish();
}

/// Calls per second of `threads` threads making `calls` calls each.
fn rate<S: Store>(door: &Door<S>, threads: u64, calls: u64) -> f64 {
    (threads * calls) as f64 / door.run(threads, calls).as_secs_f64()
}

/// Nanoseconds the calling thread has run on a CPU (Linux), so what a call
/// costs in work can be told from what it waits (fsync).
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// CPU time per call of one thread making `calls` calls, in µs: the
/// front door's and the store's own work, fsync's wait excluded.
fn cpu_per_call<S: Store>(door: &Door<S>, calls: u64) -> Option<f64> {
    let before = cpu_ns()?;
    door.run(1, calls);
    Some((cpu_ns()? - before) as f64 / calls as f64 / 1000.0)
}

/// The ratios in one run: batches of each side alternate, the best batch
/// of each counts (least disturbed by other load).
fn ratios(_: &mut Criterion) {
    let d = doors("ratios");
    let best = |f: &dyn Fn() -> Option<f64>| (0..5).filter_map(|_| f()).fold(f64::INFINITY, f64::min);
    eprintln!(
        "1 thread, CPU per call (best of 5 rounds): memory {:.1} µs, sqlite group commit {:.1} µs, \
         sqlite fsync per call {:.1} µs{}",
        best(&|| cpu_per_call(&d.memory, 2000)),
        best(&|| cpu_per_call(&d.grouped, 200)),
        best(&|| cpu_per_call(&d.per_call, 200)),
        d.postgres.as_ref().map_or(String::new(), |(door, _)| format!(
            ", postgres {:.1} µs",
            best(&|| cpu_per_call(door, 200))
        )),
    );
    for threads in THREADS {
        let calls = 200 / threads;
        let [mut memory, mut grouped, mut per_call] = [0f64; 3];
        for _ in 0..5 {
            memory = memory.max(rate(&d.memory, threads, calls * 10));
            grouped = grouped.max(rate(&d.grouped, threads, calls));
            per_call = per_call.max(rate(&d.per_call, threads, calls));
        }
        let postgres = d.postgres.as_ref().map_or(String::new(), |(door, _)| {
            let best = (0..5).map(|_| rate(door, threads, calls)).fold(0f64, f64::max);
            format!(", postgres {best:.0}")
        });
        eprintln!(
            "{threads} thread(s), calls/s: memory {memory:.0}, sqlite group commit {grouped:.0}, \
             sqlite fsync per call {per_call:.0}{postgres}; group commit / fsync per call = {:.2}",
            grouped / per_call
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    targets = encrypt_1kib, front_door_calls, ratios
}
criterion_main!(benches);
