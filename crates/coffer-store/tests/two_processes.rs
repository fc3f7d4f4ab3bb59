//! Two processes (not threads) on one SQLite file: concurrent front-door
//! calls from both extend one linear chain that verifies, and every
//! acknowledged call has exactly one record, per process; a member added or
//! removed by one process is enforced at once by the other, whose front
//! door had the state cached.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod process_support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use coffer_door::audit::AuditRecord;
use coffer_door::policy::*;
use coffer_door::*;
use process_support::*;

const CHILD_DIR: &str = "COFFER_TWO_CHILD_DIR";
const CHILD_WHO: &str = "COFFER_TWO_CHILD_WHO";
const CALLS: u64 = 60;

fn spawn(test: &str, dir: &Path, who: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_WHO, who)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn child_env() -> Option<(PathBuf, String)> {
    let dir = std::env::var_os(CHILD_DIR).map(PathBuf::from)?;
    Some((dir, std::env::var(CHILD_WHO).unwrap()))
}

/// A child's side of `concurrent_calls_from_two_processes_make_one_chain`.
#[test]
fn calls_child() {
    let Some((dir, who)) = child_env() else {
        return;
    };
    let seed = u64::from(who.as_bytes()[0]);
    run_child(&dir, &who, seed, Some(CALLS));
}

/// Every acknowledged call of one process has its record, in order, and
/// there is no other record of that process.
fn assert_exactly(acks: &[Ack], records: &[&AuditRecord], who: &str) {
    assert_eq!(
        acks.len(),
        usize::try_from(CALLS).unwrap(),
        "{who} acknowledged every call"
    );
    let mut rest = records.iter();
    for ack in acks {
        if ack.operation == "Decrypt" {
            let started = rest
                .next()
                .unwrap_or_else(|| panic!("{who}: no record for {ack:?}"));
            assert_eq!(outcome_name(&started.event.outcome), "started", "{who}: {ack:?}");
        }
        let record = rest
            .next()
            .unwrap_or_else(|| panic!("{who}: no record for {ack:?}"));
        assert!(
            ack.is(record),
            "{who}: acknowledged {ack:?}, recorded {:?}",
            record.event
        );
    }
    assert_eq!(rest.count(), 0, "{who}: records of calls never made");
}

#[test]
fn concurrent_calls_from_two_processes_make_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (seeded, seed_records) = state_and_records(&door(dir.path()));
    let base = seeded.version - change_records(&seed_records);
    let children = ["a", "b"].map(|who| (who, spawn("calls_child", dir.path(), who)));
    let mut acks = Vec::new();
    for (who, mut child) in children {
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mine: Vec<Ack> = lines
            .map_while(Result::ok)
            .filter_map(|l| Ack::parse(&l))
            .collect();
        assert!(child.wait().unwrap().success(), "child {who} failed");
        acks.push((who, mine));
    }
    // Opening verifies the chain: one linear chain from the first record.
    let door = door(dir.path());
    let (snapshot, records) = state_and_records(&door);
    assert_eq!(records[..seed_records.len()], seed_records[..]);
    for (n, record) in (0..).zip(&records) {
        assert_eq!(record.seq, n);
    }
    let new = &records[seed_records.len()..];
    let mut total = 0;
    for (who, mine) in &acks {
        let prefix = format!("{who}-");
        let theirs: Vec<&AuditRecord> = new
            .iter()
            .filter(|r| {
                r.event
                    .project
                    .as_ref()
                    .is_some_and(|p| p.as_str().starts_with(&prefix))
            })
            .collect();
        assert_exactly(mine, &theirs, who);
        total += theirs.len();
    }
    assert_eq!(total, new.len(), "every record belongs to one process's call");
    assert_consistent(&snapshot, &records, base);
    let switches = new
        .windows(2)
        .filter(|w| {
            w[0].event.project.as_ref().map(|p| &p.as_str()[..1])
                != w[1].event.project.as_ref().map(|p| &p.as_str()[..1])
        })
        .count();
    eprintln!(
        "{} records, the chain switched process {switches} times",
        new.len()
    );
}

/// Whether eve may encrypt into project `shared` on `door`.
fn eve_encrypts(door: &FrontDoor<coffer_store::SqliteStore>) -> &'static str {
    let result = door.encrypt(
        &principal("eve"),
        &doc_target("shared", "note"),
        b"hello",
        &Context::new(),
        &password("shared", 0),
    );
    match result {
        Ok(_) => "allowed",
        Err(FrontDoorError::Denied { .. }) => "denied",
        Err(e) => panic!("{e}"),
    }
}

/// A child's side of `a_member_changed_in_one_process_is_enforced_in_the_other`:
/// reports whether eve may encrypt, waits for the parent, reports again,
/// waits, then removes eve.
#[test]
fn member_child() {
    let Some((dir, _)) = child_env() else {
        return;
    };
    let door = door(&dir);
    println!("child: {}", eve_encrypts(&door));
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    println!("child: {}", eve_encrypts(&door));
    std::io::stdin().read_line(&mut line).unwrap();
    door.remove_member(&principal("olga"), &project_target("shared"), &principal("eve"))
        .unwrap();
    println!("child: removed");
}

#[test]
fn a_member_changed_in_one_process_is_enforced_in_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let door = door(dir.path());
    let shared = ProjectId::new("shared").unwrap();
    door.create_project(&principal("olga"), &shared, &password("shared", 0))
        .unwrap();
    assert_eq!(eve_encrypts(&door), "denied");
    let mut child = spawn("member_child", dir.path(), "m");
    let mut reports = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.split_once("child: ").map(|(_, r)| r.to_owned()));
    // The child's front door, with the state cached, sees eve added here…
    assert_eq!(reports.next().as_deref(), Some("denied"));
    door.add_member(
        &principal("olga"),
        &project_target("shared"),
        &principal("eve"),
        Role::Editor,
    )
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin).unwrap();
    assert_eq!(reports.next().as_deref(), Some("allowed"));
    // …and this one, with its state cached, sees eve removed there.
    assert_eq!(eve_encrypts(&door), "allowed");
    writeln!(stdin).unwrap();
    assert_eq!(reports.next().as_deref(), Some("removed"));
    assert!(child.wait().unwrap().success());
    assert_eq!(eve_encrypts(&door), "denied");
    door.verify_chain(None).unwrap();
}
