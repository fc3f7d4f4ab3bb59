//! Stored documents on SQLite and PostgreSQL: they open and download after
//! a restart and on another instance, rewrap after a rotation, and a
//! writer killed before linking leaves a file that no document names, left
//! alone while its writer lives and swept once it is gone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "it/backends.rs"]
#[allow(dead_code, reason = "each test module uses part of the shared fixtures")]
mod backends;
#[path = "it/door.rs"]
#[allow(dead_code, reason = "each test module uses part of the shared fixtures")]
mod door;
#[path = "it/test_db.rs"]
#[allow(dead_code, reason = "each test module uses part of the shared fixtures")]
mod test_db;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use backends::{Backend, Postgres, Sqlite, KEY};
use coffer_door::audit::AuditKey;
use coffer_door::keys::Password;
use coffer_door::policy::*;
use coffer_door::session::client;
use coffer_door::store::{EnvelopeId, Store};
use coffer_door::*;
use coffer_store::{SqliteStore, ENVELOPE_DIR};
use door::*;

fn stored<S: Store>(
    door: &FrontDoor<S>,
    name: &'static str,
    plaintext: &[u8],
    password: &str,
) -> store::DocumentRecord {
    door.store_document(
        &principal("ed"),
        &doc(name),
        Plaintext::new(plaintext, plaintext.len() as u64),
        &Context::new(),
        &Password::new(password),
    )
    .unwrap()
}

fn open_stored<S: Store>(door: &FrontDoor<S>, name: &'static str, password: &str) -> (Vec<u8>, u32) {
    let mut out = Vec::new();
    let receipt = door
        .open_document(
            &principal("vera"),
            &doc(name),
            Source::stored(),
            &Password::new(password),
            &mut out,
        )
        .unwrap();
    (out, receipt.key_version)
}

fn download_stored<S: Store>(door: &FrontDoor<S>, name: &'static str, password: &str) -> Vec<u8> {
    let vera = principal("vera");
    let offer = door.issue_download(&vera, &doc(name), Source::stored()).unwrap();
    let message = client::encrypt(&offer, password.as_bytes()).unwrap();
    let mut out = Vec::new();
    door.open_document(&vera, &doc(name), Source::stored(), &message, &mut out)
        .unwrap();
    out
}

#[test]
fn stored_documents_survive_a_restart() {
    stored_documents_survive(&Sqlite::new());
}

#[test]
fn on_postgres_stored_documents_survive_a_restart() {
    let Some(backend) = Postgres::new() else { return };
    stored_documents_survive(&backend);
}

fn stored_documents_survive<B: Backend>(backend: &B) {
    let (olga, vera) = (principal("olga"), principal("vera"));
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    {
        let door = door(backend);
        door.create_project(&olga, &id(ProjectId::new, "payroll"), &Password::new(FIRST))
            .unwrap();
        door.add_member(&olga, &project(), &principal("ed"), Role::Editor)
            .unwrap();
        door.add_member(&olga, &project(), &vera, Role::Viewer).unwrap();
        stored(&door, "memo", b"a stored memo", FIRST);
        stored(&door, "big", &big, FIRST);
        door.rotate_key(&olga, &project(), &Password::new(FIRST)).unwrap();
        door.change_password(&olga, &project(), &Password::new(FIRST), &Password::new(SECOND))
            .unwrap();
        door.sessions().shutdown();
    }
    // The restart; a second instance on the same store alongside.
    let door = door(backend);
    let other = door::door(backend);
    assert_eq!(open_stored(&door, "memo", SECOND), (b"a stored memo".to_vec(), 1));
    assert_eq!(download_stored(&other, "big", SECOND), big);
    let summary = door
        .rewrap_project(&olga, &project(), &Password::new(SECOND), &mut |_| {})
        .unwrap();
    assert_eq!(summary.rewrapped.len(), 2);
    // The other instance reads the rewrapped envelopes at once.
    assert_eq!(open_stored(&other, "big", SECOND), (big.clone(), 2));
    let listed = other.list_documents(&vera, &project()).unwrap();
    assert!(listed.iter().all(|d| d.key_version == 2 && d.envelope.is_some()));
    drop(other);
    drop(door);
    let door = door::door(backend);
    assert_eq!(open_stored(&door, "memo", SECOND), (b"a stored memo".to_vec(), 2));
    assert_eq!(door.list_documents(&vera, &project()).unwrap(), listed);
    assert_eq!(door.store().sweep_envelopes().unwrap(), 0);
}

const CHILD_DIR: &str = "COFFER_STAGING_CHILD_DIR";

/// The child's side: stages an envelope, says which, and waits to be
/// killed before linking it. Does nothing unless run as the child.
#[test]
fn staging_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR).map(PathBuf::from) else {
        return;
    };
    let store = SqliteStore::open(&dir, AuditKey::from_bytes(KEY)).unwrap();
    let mut writer = store.stage_envelope().unwrap();
    writer.write_all(&[7; 100_000]).unwrap();
    writer.finish().unwrap();
    // Straight to stdout, past the test harness's capture.
    let mut out = std::io::stdout().lock();
    writeln!(out, "staged {}", writer.id()).unwrap();
    out.flush().unwrap();
    drop(out);
    loop {
        std::thread::park();
    }
}

/// Runs the child on `dir` until it staged; returns it and its envelope.
fn stage_in_child(dir: &Path) -> (std::process::Child, EnvelopeId) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["staging_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines {
        // The harness may have started the line (`test staging_child ...`).
        if let Some((_, id)) = line.unwrap().split_once("staged ") {
            return (child, id.trim().parse().unwrap());
        }
    }
    let status = child.wait().unwrap();
    panic!("the child ended before staging: {status}");
}

fn file_of(dir: &Path, id: &EnvelopeId) -> PathBuf {
    dir.join(ENVELOPE_DIR).join(id.to_string())
}

#[test]
fn a_writer_killed_before_linking_leaves_a_file_that_is_swept() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let store = SqliteStore::open(dir, AuditKey::from_bytes(KEY)).unwrap();
    let (mut child, id) = stage_in_child(dir);
    // While its writer lives (in another process), the file is not a
    // leftover: neither a sweep nor another process's open removes it.
    assert_eq!(store.sweep_envelopes().unwrap(), 0);
    drop(SqliteStore::open(dir, AuditKey::from_bytes(KEY)).unwrap());
    assert!(file_of(dir, &id).exists());
    child.kill().unwrap();
    child.wait().unwrap();
    // The crash left a durable file no document names: an explicit sweep
    // removes it.
    assert!(file_of(dir, &id).exists());
    assert_eq!(store.sweep_envelopes().unwrap(), 1);
    assert!(!file_of(dir, &id).exists());

    // Again, and this time the next open sweeps it.
    let (mut child, id) = stage_in_child(dir);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(store);
    assert!(file_of(dir, &id).exists());
    let store = SqliteStore::open(dir, AuditKey::from_bytes(KEY)).unwrap();
    assert!(!file_of(dir, &id).exists());
    assert_eq!(store.sweep_envelopes().unwrap(), 0);
    // Files that are not envelopes are not the store's to remove.
    std::fs::write(dir.join(ENVELOPE_DIR).join("notes.txt"), b"kept").unwrap();
    assert_eq!(store.sweep_envelopes().unwrap(), 0);
    assert!(dir.join(ENVELOPE_DIR).join("notes.txt").exists());
}
