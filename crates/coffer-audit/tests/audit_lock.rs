//! One writer per audit file, across processes: a second process is
//! refused the lock while a sink holds it.
//!
//! Kept apart from `audit_file.rs` because it spawns processes: a process
//! forked while another test thread holds a sink shares that sink's lock
//! until it execs, which would make that test's reopen fail spuriously.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "it/events.rs"]
#[allow(dead_code, reason = "each test module uses part of the shared fixtures")]
mod events;

use std::path::{Path, PathBuf};
use std::process::Command;

use coffer_audit::*;
use events::{event, key};

/// Set in a child process to the path it must try to open.
const CHILD_PATH: &str = "COFFER_AUDIT_LOCK_CHILD_PATH";

/// Runs this test binary again, only `child_tries_to_open`, which tries to
/// open `path`; returns what the child reported.
fn child_open(path: &Path) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_tries_to_open",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_PATH, path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout
        .lines()
        .find_map(|l| l.split_once("child: ").map(|(_, report)| report))
        .unwrap_or_else(|| panic!("the child reported nothing: {stdout}"))
        .to_owned()
}

/// The child's side of `a_second_process_is_refused_the_lock`; does nothing
/// unless run as its child.
#[test]
fn child_tries_to_open() {
    let Some(path) = std::env::var_os(CHILD_PATH).map(PathBuf::from) else {
        return;
    };
    match FileSink::open(&path, key()) {
        Ok(_) => println!("child: opened"),
        Err(AuditError::Locked { path: p }) if p == path => println!("child: locked"),
        Err(e) => println!("child: error {e}"),
    }
}

#[test]
fn a_second_process_is_refused_the_lock_until_the_first_sink_drops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut sink = FileSink::create(&path, key()).unwrap();
    sink.append(event(0)).unwrap();
    assert_eq!(child_open(&path), "locked");
    let head = sink.append(event(1)).unwrap();
    drop(sink);
    assert_eq!(child_open(&path), "opened");
    let (_, recovery) = FileSink::open(&path, key()).unwrap();
    assert_eq!(recovery.head, head);
}
