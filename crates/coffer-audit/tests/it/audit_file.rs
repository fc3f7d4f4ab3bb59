//! The JSON-lines file sink: durable appends, create versus open, restart,
//! chain identity, repair of the final line, verification against the
//! sink's own head, and one writer per file (across processes:
//! `audit_lock.rs`).

use crate::events;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use coffer_audit::*;
use events::{event, key, other_key};

fn append_raw(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

fn cut_to(path: &Path, len: u64) {
    OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// Creates the file, appends events `0..n` one by one, closes it.
fn write_events(path: &Path, n: u64) -> ChainHead {
    let mut sink = FileSink::create(path, key()).unwrap();
    for i in 0..n {
        sink.append(event(i)).unwrap();
    }
    sink.head()
}

fn verify_failure(result: Result<ChainHead, AuditError>) -> VerifyFailure {
    match result {
        Err(AuditError::Verify(e)) => e.failure,
        other => panic!("expected a verify error, got {other:?}"),
    }
}

#[test]
fn new_file_appends_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut sink = FileSink::create(&path, key()).unwrap();
    assert_eq!(sink.head().count, 0);
    for i in 0..3 {
        sink.append(event(i)).unwrap();
    }
    let head = sink.append_batch(vec![event(3), event(4)]).unwrap();
    assert_eq!(head.count, 5);
    let text = fs::read_to_string(&path).unwrap();
    // A header line, then one line per record.
    assert_eq!(text.lines().count(), 6);
    assert!(text.starts_with(&format!(
        r#"{{"format":"coffer-audit/v1","chain":"{}","mac":""#,
        sink.chain_id()
    )));
    assert!(text.ends_with('\n'));
    let records = FileSink::read_records(&path).unwrap();
    assert_eq!(records.len(), 5);
    assert_eq!(verify(&key(), &records, Some(head)).unwrap(), head);
    assert_eq!(sink.verify(None).unwrap(), head);
}

#[test]
fn reopening_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let first_head = write_events(&path, 2);
    let (mut sink, recovery) = FileSink::open(&path, key()).unwrap();
    assert_eq!(recovery.records, 2);
    assert_eq!(recovery.head, first_head);
    assert!(!recovery.restored_newline);
    assert_eq!(sink.head(), first_head);
    assert_eq!(sink.chain_id(), first_head.chain);
    let head = sink.append(event(2)).unwrap();
    drop(sink);
    let records = FileSink::read_records(&path).unwrap();
    assert_eq!(records[2].seq, 2);
    assert_eq!(records[2].prev, records[1].hash());
    assert_eq!(verify(&key(), &records, Some(first_head)).unwrap(), head);
    // An empty chain reopens as itself.
    let empty = dir.path().join("empty.jsonl");
    let created = write_events(&empty, 0);
    let (sink, recovery) = FileSink::open(&empty, key()).unwrap();
    assert_eq!((recovery.head, sink.head()), (created, created));
}

// ---------------------------------------------------------------------------
// A chain has an identity; create and open are distinct.
// ---------------------------------------------------------------------------

#[test]
fn chain_ids_differ_between_two_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = FileSink::create(dir.path().join("a.jsonl"), key()).unwrap();
    let b = FileSink::create(dir.path().join("b.jsonl"), key()).unwrap();
    assert_ne!(a.chain_id(), b.chain_id());
    assert_ne!(a.head(), b.head());
}

#[test]
fn a_deleted_log_is_an_error_on_open_not_a_new_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_events(&path, 3);
    fs::remove_file(&path).unwrap();
    match FileSink::open(&path, key()) {
        Err(e @ AuditError::NotFound { .. }) => {
            assert!(matches!(&e, AuditError::NotFound { path: p } if *p == path));
            assert!(e.to_string().ends_with("audit.jsonl` does not exist"), "{e}");
        }
        other => panic!("expected not found, got {other:?}"),
    }
    // Nothing was created by the failed open.
    assert!(!path.exists());
    assert!(matches!(
        FileSink::read_records(&path),
        Err(AuditError::NotFound { .. })
    ));
}

#[test]
fn create_refuses_an_existing_file_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_events(&path, 2);
    let before = fs::read(&path).unwrap();
    match FileSink::create(&path, key()) {
        Err(e @ AuditError::AlreadyExists { .. }) => {
            assert!(e.to_string().ends_with("audit.jsonl` already exists"), "{e}")
        }
        other => panic!("expected already exists, got {other:?}"),
    }
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn a_log_swapped_for_another_under_the_same_key_fails_against_the_first_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let other = dir.path().join("other.jsonl");
    // Two logs under the same key with the very same events.
    let head = write_events(&path, 3);
    let other_head = write_events(&other, 3);
    assert_ne!(head.chain, other_head.chain);
    let wrong_chain = VerifyFailure::WrongChain {
        expected: head.chain,
        found: other_head.chain,
    };

    // Swapped while the sink runs: its own verify finds it.
    let (sink, _) = FileSink::open(&path, key()).unwrap();
    fs::copy(&other, &path).unwrap();
    assert_eq!(verify_failure(sink.verify(None)), wrong_chain);
    drop(sink);

    // Swapped while nothing runs: the file opens (it is a valid log of its
    // own chain), but not against the first log's checkpoint.
    let (sink, recovery) = FileSink::open(&path, key()).unwrap();
    assert_eq!(recovery.head, other_head);
    assert_eq!(verify_failure(sink.verify(Some(head))), wrong_chain);
    let records = FileSink::read_records(&path).unwrap();
    let err = verify(&key(), &records, Some(head)).unwrap_err();
    assert_eq!((err.position, err.failure), (0, wrong_chain));

    // An empty log of another chain is refused too (its header names the
    // chain).
    drop(sink);
    fs::remove_file(&path).unwrap();
    let swapped = write_events(&path, 0);
    let (sink, _) = FileSink::open(&path, key()).unwrap();
    assert_eq!(
        verify_failure(sink.verify(Some(head))),
        VerifyFailure::WrongChain {
            expected: head.chain,
            found: swapped.chain
        }
    );
}

#[test]
fn a_file_written_under_another_key_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_events(&path, 1);
    assert!(matches!(
        FileSink::open(&path, other_key()),
        Err(AuditError::ForeignHeader { .. })
    ));
    // Even an empty one.
    let empty = dir.path().join("empty.jsonl");
    write_events(&empty, 0);
    assert!(matches!(
        FileSink::open(&empty, other_key()),
        Err(AuditError::ForeignHeader { .. })
    ));
    // A header of this key over records of another key.
    let mixed = dir.path().join("mixed.jsonl");
    let mut sink = FileSink::create(&mixed, key()).unwrap();
    let mut forger = AuditChain::new(other_key(), sink.chain_id());
    let forged = forger.seal(event(0));
    forger.commit(&forged);
    append_raw(
        &mixed,
        format!("{}\n", serde_json::to_string(&forged).unwrap()).as_bytes(),
    );
    assert_eq!(verify_failure(sink.verify(None)), VerifyFailure::BadMac);
    assert!(sink.append(event(1)).is_ok());
    drop(sink);
    match FileSink::open(&mixed, key()) {
        Err(AuditError::Verify(e)) => {
            assert_eq!((e.position, e.failure), (0, VerifyFailure::BadMac))
        }
        other => panic!("expected a verify error, got {other:?}"),
    }
}

#[test]
fn a_file_without_its_header_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    fs::write(&path, b"").unwrap();
    assert!(matches!(
        FileSink::open(&path, key()),
        Err(AuditError::Corrupt { line: 1, .. })
    ));
    // Records with the header line removed.
    let log = dir.path().join("log.jsonl");
    write_events(&log, 2);
    let text = fs::read_to_string(&log).unwrap();
    fs::write(&path, text.split_once('\n').unwrap().1).unwrap();
    assert!(matches!(
        FileSink::open(&path, key()),
        Err(AuditError::Corrupt { line: 1, .. })
    ));
}

// ---------------------------------------------------------------------------
// A sink verifies against the head it holds.
// ---------------------------------------------------------------------------

#[test]
fn truncating_the_file_while_the_sink_runs_fails_verify_without_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut sink = FileSink::create(&path, key()).unwrap();
    let header_len = fs::metadata(&path).unwrap().len();
    sink.append(event(0)).unwrap();
    let one_len = fs::metadata(&path).unwrap().len();
    sink.append(event(1)).unwrap();
    sink.append(event(2)).unwrap();
    assert_eq!(sink.verify(None).unwrap(), sink.head());

    // The last two records cut away: a valid prefix, but not the head.
    cut_to(&path, one_len);
    assert_eq!(verify(&key(), &sink.records().unwrap(), None).unwrap().count, 1);
    assert_eq!(
        verify_failure(sink.verify(None)),
        VerifyFailure::Truncated { expected: 3 }
    );
    // Every record cut away.
    cut_to(&path, header_len);
    assert_eq!(
        verify_failure(sink.verify(None)),
        VerifyFailure::Truncated { expected: 3 }
    );
    // The whole file deleted.
    fs::remove_file(&path).unwrap();
    assert!(matches!(sink.verify(None), Err(AuditError::NotFound { .. })));
}

#[test]
fn records_appended_behind_the_sinks_back_fail_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut sink = FileSink::create(&path, key()).unwrap();
    sink.append(event(0)).unwrap();
    // A second writer with the key continuing the same chain.
    let mut fork = AuditChain::new(key(), sink.chain_id());
    let first = fork.seal(event(0));
    fork.commit(&first);
    let extra = fork.seal(event(1));
    append_raw(
        &path,
        format!("{}\n", serde_json::to_string(&extra).unwrap()).as_bytes(),
    );
    assert_eq!(
        verify_failure(sink.verify(None)),
        VerifyFailure::Extended { expected: 1 }
    );
}

// ---------------------------------------------------------------------------
// Repair never deletes an acknowledged record.
// ---------------------------------------------------------------------------

#[test]
fn a_record_missing_only_its_final_newline_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let head = write_events(&path, 2);
    let original = fs::read(&path).unwrap();
    cut_to(&path, original.len() as u64 - 1);
    let (mut sink, recovery) = FileSink::open(&path, key()).unwrap();
    assert_eq!(recovery.records, 2);
    assert_eq!(recovery.head, head);
    assert!(recovery.restored_newline);
    assert_eq!(recovery.torn_tail, None);
    assert_eq!(fs::read(&path).unwrap(), original);
    let next = sink.append(event(2)).unwrap();
    drop(sink);
    let (_, again) = FileSink::open(&path, key()).unwrap();
    assert_eq!(again.head, next);
    assert!(!again.restored_newline);
    // The same for the header of an empty log.
    let empty = dir.path().join("empty.jsonl");
    let created = write_events(&empty, 0);
    let original = fs::read(&empty).unwrap();
    cut_to(&empty, original.len() as u64 - 1);
    let (_, recovery) = FileSink::open(&empty, key()).unwrap();
    assert!(recovery.restored_newline);
    assert_eq!(recovery.head, created);
    assert_eq!(fs::read(&empty).unwrap(), original);
}

#[test]
fn a_torn_final_line_moves_to_a_side_file_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let head = write_events(&path, 2);
    let good_len = fs::metadata(&path).unwrap().len();
    // A crash in the middle of writing the next record.
    let mut chain = AuditChain::new(key(), head.chain);
    for record in FileSink::read_records(&path).unwrap() {
        chain.commit(&record);
    }
    let line = serde_json::to_vec(&chain.seal(event(2))).unwrap();
    let half = &line[..line.len() / 2];
    append_raw(&path, half);
    let (mut sink, recovery) = FileSink::open(&path, key()).unwrap();
    let side = dir.path().join("audit.jsonl.torn-1");
    assert_eq!(
        recovery.torn_tail,
        Some(TornTail {
            offset: good_len,
            len: half.len() as u64,
            side_file: side.clone(),
        })
    );
    assert!(!recovery.restored_newline);
    assert_eq!(recovery.records, 2);
    assert_eq!(recovery.head, head);
    assert_eq!(fs::metadata(&path).unwrap().len(), good_len);
    assert_eq!(fs::read(&side).unwrap(), half);
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
fn garbage_tails_land_byte_for_byte_in_new_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let head = write_events(&path, 1);
    let good = fs::read(&path).unwrap();
    let garbage: &[u8] = b"\x00\xffnot a record {\"seq\": \r";
    append_raw(&path, garbage);
    let (sink, first) = FileSink::open(&path, key()).unwrap();
    drop(sink);
    let first = first.torn_tail.unwrap();
    assert_eq!(first.side_file, dir.path().join("audit.jsonl.torn-1"));
    assert_eq!(fs::read(&first.side_file).unwrap(), garbage);
    assert_eq!(fs::read(&path).unwrap(), good);

    // A complete, correctly MACed record without its newline that is not
    // the chain's next (a copy of record 0) does not verify: it is moved
    // too, to a new side file; the first one is not overwritten.
    let copy = FileSink::read_records(&path).unwrap().remove(0);
    let copy = serde_json::to_vec(&copy).unwrap();
    append_raw(&path, &copy);
    let (_, second) = FileSink::open(&path, key()).unwrap();
    let second = second.torn_tail.unwrap();
    assert_eq!(second.side_file, dir.path().join("audit.jsonl.torn-2"));
    assert_eq!(fs::read(&second.side_file).unwrap(), copy);
    assert_eq!(fs::read(&first.side_file).unwrap(), garbage);
    assert_eq!(fs::read(&path).unwrap(), good);
    assert_eq!(FileSink::open(&path, key()).unwrap().1.head, head);
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
    // A line that is not a record at all (line 1 is the header).
    let mut lines: Vec<&str> = original.lines().collect();
    lines[2] = "{\"not\": \"a record\"}";
    let garbled = lines.join("\n") + "\n";
    fs::write(&path, &garbled).unwrap();
    match FileSink::open(&path, key()) {
        Err(AuditError::Corrupt { line, .. }) => assert_eq!(line, 3),
        other => panic!("expected corrupt, got {other:?}"),
    }
    // A deleted middle line.
    let mut lines: Vec<&str> = original.lines().collect();
    lines.remove(2);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    assert!(matches!(FileSink::open(&path, key()), Err(AuditError::Verify(_))));
    // Nothing was moved aside.
    assert!(!dir.path().join("audit.jsonl.torn-1").exists());
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

// ---------------------------------------------------------------------------
// One writer per file.
// ---------------------------------------------------------------------------

#[test]
fn a_second_sink_on_the_same_file_in_this_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut first = FileSink::create(&path, key()).unwrap();
    first.append(event(0)).unwrap();
    match FileSink::open(&path, key()) {
        Err(e @ AuditError::Locked { .. }) => {
            assert!(matches!(&e, AuditError::Locked { path: p } if *p == path));
            assert!(
                e.to_string()
                    .ends_with("audit.jsonl` is locked by another writer"),
                "{e}"
            );
        }
        other => panic!("expected locked, got {other:?}"),
    }
    // The refused open did not touch the file; the first sink goes on.
    let head = first.append(event(1)).unwrap();
    assert_eq!(first.verify(None).unwrap(), head);
    drop(first);
    // Released on drop; a sink from `open` holds the lock too.
    let (second, _) = FileSink::open(&path, key()).unwrap();
    assert!(matches!(
        FileSink::open(&path, key()),
        Err(AuditError::Locked { .. })
    ));
    drop(second);
    assert!(FileSink::open(&path, key()).is_ok());
}
