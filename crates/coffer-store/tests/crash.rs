//! Crash: a child process runs front-door operations on a SQLite store and
//! acknowledges each on stdout once it returned; the parent kills it with
//! SIGKILL at random points, many times, and after each kill reopens the
//! store: the front door opens (the chain verifies, from its checkpoint
//! and in full), every acknowledged
//! call is in the audit trail in order, and nothing is half-applied (every
//! state change has its record and every record of a change its state).
//!
//! `COFFER_CRASH_SEED` replays a run (the seed is printed on failure).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod process_support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coffer_door::audit::{AuditRecord, Outcome};
use process_support::*;

const CHILD_DIR: &str = "COFFER_CRASH_CHILD_DIR";
const CHILD_SEED: &str = "COFFER_CRASH_CHILD_SEED";
const KILLS: u64 = 24;

/// The child's side; does nothing unless run as the child.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR).map(PathBuf::from) else {
        return;
    };
    let seed = std::env::var(CHILD_SEED).unwrap().parse().unwrap();
    run_child(&dir, "c", seed, None);
}

/// The records of acknowledged calls, in order from `records`; what is
/// left may only be the records of the one call in flight when the child
/// died (a decryption's `started`, or one final record).
fn assert_acknowledged(acks: &[Ack], records: &[AuditRecord], context: &str) {
    let mut rest = records;
    for ack in acks {
        if ack.operation == "Decrypt" {
            let started = rest
                .first()
                .unwrap_or_else(|| panic!("{context}: no record for {ack:?}"));
            assert_eq!(started.event.outcome, Outcome::Started, "{context}: {ack:?}");
            rest = &rest[1..];
        }
        let record = rest
            .first()
            .unwrap_or_else(|| panic!("{context}: no record for {ack:?}"));
        assert!(
            ack.is(record),
            "{context}: acknowledged {ack:?}, recorded {:?}",
            record.event
        );
        rest = &rest[1..];
    }
    match rest {
        [] | [_] => {}
        [started, _] if started.event.outcome == Outcome::Started => {}
        more => panic!("{context}: {} records of calls never made: {more:?}", more.len()),
    }
}

/// Runs the child until it acknowledged `acks` calls, waits `delay`, kills
/// it; returns every call it acknowledged.
fn run_and_kill(dir: &Path, seed: u64, acks: u64, delay: Duration) -> Vec<Ack> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_SEED, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    while (seen.len() as u64) < acks {
        match lines.next() {
            Some(line) => seen.extend(Ack::parse(&line.unwrap())),
            None => {
                let mut stderr = String::new();
                child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
                panic!("the child ended by itself: {:?}\n{stderr}", child.wait());
            }
        }
    }
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
    // What it printed before it died.
    seen.extend(lines.map_while(Result::ok).filter_map(|l| Ack::parse(&l)));
    seen
}

#[test]
fn killed_at_random_points_every_acknowledged_call_survives_and_nothing_is_half_applied() {
    let seed = std::env::var("COFFER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c0_ffee);
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    // Seeds the store (olga's tenant role) so each run's records are the
    // child's alone.
    let (seeded, mut records) = state_and_records(&door(dir.path()));
    let base = seeded.version - change_records(&records);
    let mut acknowledged = 0;
    for kill in 0..KILLS {
        let context = format!("seed {seed}, kill {kill}");
        let acks = run_and_kill(
            dir.path(),
            rng.next(),
            1 + rng.below(25),
            Duration::from_micros(rng.below(15_000)),
        );
        acknowledged += acks.len();
        // Opening verifies the chain from its checkpoint; the operator's
        // full verification, every record.
        let door = door(dir.path());
        door.verify_chain(None)
            .unwrap_or_else(|e| panic!("{context}: {e}"));
        let (snapshot, after) = state_and_records(&door);
        assert_eq!(
            after[..records.len()],
            records[..],
            "{context}: earlier records changed"
        );
        assert_acknowledged(&acks, &after[records.len()..], &context);
        assert_consistent(&snapshot, &after, base);
        records = after;
    }
    eprintln!(
        "{KILLS} kills, {acknowledged} calls acknowledged, {} records, {:?}",
        records.len(),
        start.elapsed()
    );
    assert!(acknowledged as u64 >= KILLS);
}
