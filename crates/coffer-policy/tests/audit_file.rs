//! The JSON-lines file sink: durable appends, restart, torn final lines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/events.rs"]
mod events;

use std::fs::{self, OpenOptions};
use std::io::Write;

use coffer_policy::audit::*;
use events::{event, key, other_key};

fn append_raw(path: &std::path::Path, bytes: &[u8]) {
    let mut f = OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// Opens (or creates) the file, appends events `0..n` one by one, closes it.
fn write_events(path: &std::path::Path, n: u64) -> ChainHead {
    let (mut sink, _) = FileSink::open(path, key()).unwrap();
    for i in 0..n {
        sink.append(event(i)).unwrap();
    }
    sink.head()
}

#[test]
fn new_file_appends_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let (mut sink, recovery) = FileSink::open(&path, key()).unwrap();
    assert_eq!(recovery.records, 0);
    assert_eq!(recovery.torn_tail, None);
    for i in 0..3 {
        sink.append(event(i)).unwrap();
    }
    let head = sink.append_batch(vec![event(3), event(4)]).unwrap();
    assert_eq!(head.count, 5);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(text.ends_with('\n'));
    let records = FileSink::read_records(&path).unwrap();
    assert_eq!(verify(&key(), &records, Some(head)).unwrap(), head);
}

#[test]
fn reopening_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let first_head = write_events(&path, 2);
    let (mut sink, recovery) = FileSink::open(&path, key()).unwrap();
    assert_eq!(recovery.records, 2);
    assert_eq!(recovery.head, first_head);
    assert_eq!(sink.head(), first_head);
    let head = sink.append(event(2)).unwrap();
    drop(sink);
    let records = FileSink::read_records(&path).unwrap();
    assert_eq!(records[2].seq, 2);
    assert_eq!(records[2].prev, records[1].hash());
    assert_eq!(verify(&key(), &records, Some(first_head)).unwrap(), head);
}

#[test]
fn torn_final_line_is_cut_away_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let head = write_events(&path, 2);
    let good_len = fs::metadata(&path).unwrap().len();
    // A crash in the middle of writing the next record.
    let next = AuditChain::new(key()).seal(event(2));
    let line = serde_json::to_vec(&next).unwrap();
    append_raw(&path, &line[..line.len() / 2]);
    let (mut sink, recovery) = FileSink::open(&path, key()).unwrap();
    assert_eq!(
        recovery.torn_tail,
        Some(TornTail {
            offset: good_len,
            len: (line.len() / 2) as u64
        })
    );
    assert_eq!(recovery.records, 2);
    assert_eq!(recovery.head, head);
    assert_eq!(fs::metadata(&path).unwrap().len(), good_len);
    // The chain continues cleanly after the repair.
    let new_head = sink.append(event(2)).unwrap();
    drop(sink);
    let records = FileSink::read_records(&path).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(verify(&key(), &records, Some(head)).unwrap(), new_head);
    let (_, again) = FileSink::open(&path, key()).unwrap();
    assert_eq!(again.torn_tail, None);
}

#[test]
fn complete_record_without_newline_is_treated_as_unacknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_events(&path, 1);
    let len = fs::metadata(&path).unwrap().len();
    let mut chain = AuditChain::new(key());
    let first = chain.seal(event(0));
    chain.commit(&first);
    let second = serde_json::to_vec(&chain.seal(event(1))).unwrap();
    append_raw(&path, &second);
    let (_, recovery) = FileSink::open(&path, key()).unwrap();
    assert_eq!(recovery.records, 1);
    assert_eq!(recovery.torn_tail.map(|t| t.offset), Some(len));
}

#[test]
fn damaged_complete_lines_are_errors_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_events(&path, 3);
    let original = fs::read_to_string(&path).unwrap();
    // An edited record in the middle.
    let edited = original.replacen("\"doc-1\"", "\"doc-9\"", 1);
    assert_ne!(edited, original);
    fs::write(&path, &edited).unwrap();
    match FileSink::open(&path, key()) {
        Err(AuditError::Verify(e)) => {
            assert_eq!((e.position, e.failure), (1, VerifyFailure::BadMac));
        }
        other => panic!("expected a verify error, got {other:?}"),
    }
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
    // A line that is not a record at all.
    let mut lines: Vec<&str> = original.lines().collect();
    lines[1] = "{\"not\": \"a record\"}";
    let garbled = lines.join("\n") + "\n";
    fs::write(&path, &garbled).unwrap();
    match FileSink::open(&path, key()) {
        Err(AuditError::Corrupt { line, .. }) => assert_eq!(line, 2),
        other => panic!("expected corrupt, got {other:?}"),
    }
    // A deleted middle line.
    let mut lines: Vec<&str> = original.lines().collect();
    lines.remove(1);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    assert!(matches!(FileSink::open(&path, key()), Err(AuditError::Verify(_))));
}

#[test]
fn overlong_lines_are_refused_without_unbounded_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    fs::write(&path, vec![b'x'; MAX_RECORD_BYTES + 10]).unwrap();
    assert!(matches!(
        FileSink::open(&path, key()),
        Err(AuditError::LineTooLong { line: 1, .. })
    ));
}

#[test]
fn a_file_written_under_another_key_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_events(&path, 1);
    match FileSink::open(&path, other_key()) {
        Err(AuditError::Verify(e)) => {
            assert_eq!((e.position, e.failure), (0, VerifyFailure::BadMac))
        }
        other => panic!("expected a verify error, got {other:?}"),
    }
}
