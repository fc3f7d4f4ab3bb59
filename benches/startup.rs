//! Opening a front door on a SQLite store that holds 10 000 and 100 000
//! audit records: from the store's checkpoint (start-up verifies the
//! record it names and the records after it: none here) against a full
//! verification (the checkpoint cleared first, so every record is read
//! and verified, as every start-up did before checkpoints). The SQLite
//! files live under the target directory (the real disk).
//!
//! After the groups, interleaved rounds print the medians and their ratio
//! to stderr.
// `criterion_group!` generates an undocumented public function.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "bench functions are not an API; a bench has no caller to report a setup failure to"
)]

use std::time::{Duration, Instant};

use coffer::policy::audit::{AuditEvent, AuditKey, Outcome, Timestamp};
use coffer::policy::store::{Store, StoreError, Transaction};
use coffer::policy::*;
use coffer::session::SessionService;
use coffer::store::{SqliteStore, DATABASE_FILE};
use coffer_testkit::sessions;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};

const RECORDS: [u64; 2] = [10_000, 100_000];

fn key() -> AuditKey {
    AuditKey::from_bytes([3; 32])
}

/// A store of `count` records: encrypt events of one member, each with
/// its decision, as a front door records them.
fn populated(count: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let store = SqliteStore::open(dir.path(), key()).unwrap();
    let acme = TenantId::new("acme").unwrap();
    let payroll = ProjectId::new("payroll").unwrap();
    let ed = Principal::new(acme.clone(), PrincipalId::new("ed").unwrap());
    let mut members = Membership::new();
    members.create_project(&acme, &payroll).unwrap();
    members.assign(&acme, &payroll, &ed, Role::Editor).unwrap();
    let authorizer = Authorizer::new(members, Policy::default().compile());
    let target = Target::for_document(acme, payroll, DocumentId::new("payslip").unwrap());
    let attributes = Attributes::envelope(EnvelopeSuite::Aes256GcmHkdfSha256, 1024);
    let decision = authorizer.authorize(&ed, Operation::Encrypt, &target, &attributes);
    let event = AuditEvent::for_decision(
        Timestamp::now(),
        &ed,
        Operation::Encrypt,
        &target,
        &attributes,
        &decision,
        Outcome::Succeeded,
    );
    let mut left = count;
    while left > 0 {
        let batch = left.min(5_000);
        store
            .transaction(&mut |tx: &mut dyn Transaction| -> Result<(), StoreError> {
                for _ in 0..batch {
                    tx.append(event.clone())?;
                }
                Ok(())
            })
            .unwrap();
        left -= batch;
    }
    dir
}

/// Clears the checkpoint, so the next start-up verifies every record.
fn clear_checkpoint(dir: &tempfile::TempDir) {
    rusqlite::Connection::open(dir.path().join(DATABASE_FILE))
        .unwrap()
        .execute_batch(
            "UPDATE state SET checkpoint_count = NULL, checkpoint_hash = NULL, checkpoint_mac = NULL",
        )
        .unwrap();
}

/// What a start-up needs besides the store's contents.
fn handles(dir: &tempfile::TempDir, full: bool) -> (SqliteStore, SessionService) {
    if full {
        clear_checkpoint(dir);
    }
    (SqliteStore::open(dir.path(), key()).unwrap(), sessions())
}

fn open((store, sessions): (SqliteStore, SessionService)) -> FrontDoor<SqliteStore> {
    FrontDoor::open(FrontDoorConfig::default(), store, sessions).unwrap()
}

fn startup(c: &mut Criterion) {
    let mut group = c.benchmark_group("front_door_open");
    group.sample_size(10);
    for count in RECORDS {
        let dir = populated(count);
        for (name, full) in [("full", true), ("checkpoint", false)] {
            group.bench_function(BenchmarkId::new(name, count), |b| {
                b.iter_batched(|| handles(&dir, full), open, BatchSize::PerIteration);
            });
        }
    }
    group.finish();
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Full and checkpointed openings alternate; medians and their ratio.
fn ratios(_: &mut Criterion) {
    for count in RECORDS {
        let dir = populated(count);
        let (mut full, mut checkpoint) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            for (times, cleared) in [(&mut full, true), (&mut checkpoint, false)] {
                let inputs = handles(&dir, cleared);
                let start = Instant::now();
                let door = open(inputs);
                times.push(start.elapsed());
                drop(door);
            }
        }
        let (full, checkpoint) = (median(full), median(checkpoint));
        eprintln!(
            "{count} records: open with full verification {full:?}, from the checkpoint {checkpoint:?}; \
             full / checkpoint = {:.1}",
            full.as_secs_f64() / checkpoint.as_secs_f64()
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = startup, ratios
}
criterion_main!(benches);
