//! A 64 MiB stored document goes in, comes out, is rewrapped and
//! downloaded in constant memory: the process's peak resident memory
//! (`VmHWM`) grows by far less than the document on SQLite and on
//! PostgreSQL. One test in this binary, so the peak is its own (Linux:
//! it reads `/proc/self/status`).
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

use std::io::{Read, Write};

use backends::{Backend, Postgres, Sqlite};
use coffer_door::keys::Password;
use coffer_door::policy::*;
use coffer_door::*;
use door::*;

const MIB: u64 = 1 << 20;
const SIZE: u64 = 64 * MIB;
/// What the peak may grow by while 64 MiB pass through (chunks, buffers,
/// the allocator's slack): a quarter of the document.
const BOUND: u64 = 16 * MIB;

fn pattern(offset: u64) -> u8 {
    ((offset % 251) ^ (offset >> 16)).to_le_bytes()[0]
}

/// `len` bytes of [`pattern`], generated as they are read.
struct Generated {
    at: u64,
    len: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = usize::try_from((self.len - self.at).min(buf.len() as u64)).unwrap();
        for (offset, b) in (self.at..).zip(&mut buf[..n]) {
            *b = pattern(offset);
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// Checks what it is given against [`pattern`], keeping nothing.
struct Checked(u64);

impl Write for Checked {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for (offset, b) in (self.0..).zip(buf) {
            assert_eq!(*b, pattern(offset), "plaintext byte {offset}");
        }
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Peak resident memory in bytes.
fn peak() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

fn round_trip<B: Backend>(backend: &B) -> u64 {
    let (olga, ed, vera) = (principal("olga"), principal("ed"), principal("vera"));
    let door = door(backend);
    door.create_project(&olga, &id(ProjectId::new, "payroll"), &Password::new(FIRST))
        .unwrap();
    door.add_member(&olga, &project(), &ed, Role::Editor).unwrap();
    door.add_member(&olga, &project(), &vera, Role::Viewer).unwrap();
    let store = |name, len| {
        let source = Plaintext::new(Generated { at: 0, len }, len);
        door.store_document(&ed, &doc(name), source, &Context::new(), &Password::new(FIRST))
    };
    // Everything warmed up on a small document first.
    store("small", MIB).unwrap();
    door.open_document(
        &vera,
        &doc("small"),
        Source::stored(),
        &Password::new(FIRST),
        Checked(0),
    )
    .unwrap();
    let before = peak();

    let record = store("big", SIZE).unwrap();
    assert_eq!(record.plaintext_size, SIZE);
    let mut out = Checked(0);
    door.open_document(
        &vera,
        &doc("big"),
        Source::stored(),
        &Password::new(FIRST),
        &mut out,
    )
    .unwrap();
    assert_eq!(out.0, SIZE);
    door.rotate_key(&olga, &project(), &Password::new(FIRST)).unwrap();
    let summary = door
        .rewrap_project(&olga, &project(), &Password::new(FIRST), &mut |_| {})
        .unwrap();
    assert_eq!(summary.rewrapped.len(), 2);
    let offer = door.issue_download(&vera, &doc("big"), Source::stored()).unwrap();
    let message = session::client::encrypt(&offer, FIRST.as_bytes()).unwrap();
    let mut out = Checked(0);
    let receipt = door
        .open_document(&vera, &doc("big"), Source::stored(), &message, &mut out)
        .unwrap();
    assert_eq!((out.0, receipt.key_version), (SIZE, 2));
    peak() - before
}

#[test]
fn a_64_mib_stored_document_passes_through_in_constant_memory() {
    let grew = round_trip(&Sqlite::new());
    assert!(grew < BOUND, "SQLite: the peak grew by {} KiB", grew / 1024);
    if let Some(backend) = Postgres::new() {
        let grew = round_trip(&backend);
        assert!(grew < BOUND, "PostgreSQL: the peak grew by {} KiB", grew / 1024);
    }
}
