//! Stored documents: the front door keeps envelopes in its store, opens and
//! offers them for download exactly as envelopes callers keep, and moves a
//! project's stored documents to the current key version with progress.

use crate::door;

use std::io::Read;

use coffer_door::audit::Outcome;
use coffer_door::envelope::{HeaderView, ReaderLimits};
use coffer_door::policy::*;
use coffer_door::store::{Change, DocumentRecord, EnvelopeId, Store, StoreError, Transaction};
use coffer_door::*;
use door::*;

fn store<S: Store>(
    w: &World<S>,
    who: &Principal,
    id: &str,
    plaintext: &[u8],
) -> Result<DocumentRecord, FrontDoorError> {
    let source = Plaintext::new(plaintext, plaintext.len() as u64);
    w.door
        .store_document(who, &w.doc(id), source, &Context::new(), &pw(PASSWORD))
}

fn stored_bytes<S: Store>(w: &World<S>, id: &EnvelopeId) -> Result<Vec<u8>, StoreError> {
    let mut bytes = Vec::new();
    w.door.store().read_envelope(id)?.read_to_end(&mut bytes).unwrap();
    Ok(bytes)
}

fn listed<S: Store>(w: &World<S>) -> Vec<DocumentRecord> {
    w.door.list_documents(&w.owner, &w.project_target()).unwrap()
}

/// Replaces a stored document's envelope with `bytes`, as someone with
/// write access to the store could.
fn plant<S: Store>(w: &World<S>, record: &DocumentRecord, bytes: &[u8]) {
    let mut staged = w.door.store().stage_envelope().unwrap();
    std::io::Write::write_all(&mut staged, bytes).unwrap();
    let size = staged.finish().unwrap();
    let planted = DocumentRecord {
        envelope: Some(staged.id()),
        envelope_size: size,
        ..record.clone()
    };
    w.door
        .store()
        .transaction(&mut |tx: &mut dyn Transaction| tx.apply(&Change::PutDocument(planted.clone())))
        .unwrap();
}

#[test]
fn a_stored_document_is_listed_and_opens() {
    let w = world(fast_config());
    let record = store(&w, &w.editor, "memo", b"five!").unwrap();
    let id = record.envelope.expect("the store keeps the envelope");
    assert_eq!((record.plaintext_size, record.key_version), (5, 1));
    assert_eq!(record.created_by, w.editor);
    assert_eq!(stored_bytes(&w, &id).unwrap().len() as u64, record.envelope_size);
    assert_eq!(reason_of(&w.last()), "succeeded");
    assert_eq!(w.last().event.operation, Operation::Encrypt);
    assert_eq!(listed(&w), std::slice::from_ref(&record));

    let (receipt, out) = w.open_stored(&w.viewer, "memo", PASSWORD);
    assert_eq!(out, b"five!");
    assert_eq!(receipt.unwrap().plaintext_len, 5);
    // Started before the first byte, then the outcome, like any decrypt.
    let outcomes: Vec<_> = w
        .records()
        .iter()
        .rev()
        .take(2)
        .map(|r| reason_of(r).to_owned())
        .collect();
    assert_eq!(outcomes, ["succeeded", "started"]);
    assert_eq!(w.last().event.operation, Operation::Decrypt);

    // Storing again under the same id replaces the envelope and removes
    // the old one once the replacement committed.
    let again = store(&w, &w.editor, "memo", b"a longer memo").unwrap();
    assert_ne!(again.envelope, Some(id));
    assert!(matches!(
        stored_bytes(&w, &id),
        Err(StoreError::UnknownEnvelope { .. })
    ));
    assert_eq!(listed(&w), [again]);
    assert_eq!(w.open_stored(&w.viewer, "memo", PASSWORD).1, b"a longer memo");
    assert_eq!(w.door.store().sweep_envelopes().unwrap(), 0);
}

#[test]
fn a_stored_document_downloads_through_a_browser_session() {
    let w = world(fast_config());
    store(&w, &w.editor, "report", &[9; 3000]).unwrap();
    let offer = w
        .door
        .issue_download(&w.viewer, &w.doc("report"), Source::stored())
        .unwrap();
    let message = browser_message(&offer, PASSWORD);
    let mut out = Vec::new();
    let receipt = w
        .door
        .open_document(&w.viewer, &w.doc("report"), Source::stored(), &message, &mut out)
        .unwrap();
    assert_eq!(out, vec![9; 3000]);
    assert_eq!((receipt.plaintext_len, receipt.key_version), (3000, 1));
    assert_eq!(w.last().event.operation, Operation::Download);
    // Single use, as any download session.
    let mut again = Vec::new();
    let replay = w.door.open_document(
        &w.viewer,
        &w.doc("report"),
        Source::stored(),
        &message,
        &mut again,
    );
    assert!(matches!(replay, Err(FrontDoorError::SessionRejected(_))));
    assert!(again.is_empty());
}

#[test]
fn stored_downloads_are_decided_on_the_stored_envelope() {
    let w = world(fast_config());
    store(&w, &w.editor, "small", &[1; 16]).unwrap();
    store(&w, &w.editor, "large", &[2; 100]).unwrap();
    let at_most_16 = Rule::new(RuleId::new("at-most-16").unwrap(), Condition::MaxMessageSize(16));
    let policy = Policy::new(Enforcement::Enforce, vec![at_most_16]).unwrap();
    assert!(w.door.install_policy(&policy, &ops()).unwrap().is_clean());
    assert!(w
        .door
        .issue_download(&w.viewer, &w.doc("small"), Source::stored())
        .is_ok());
    assert_denied(
        w.door
            .issue_download(&w.viewer, &w.doc("large"), Source::stored()),
        Operation::Download,
    );
    assert_eq!(w.last().event.sizes.plaintext, Some(100));
    let (denied, out) = w.open_stored(&w.viewer, "large", PASSWORD);
    assert_denied(denied, Operation::Decrypt);
    assert!(out.is_empty());
}

#[test]
fn a_viewer_cannot_store_and_failed_calls_leave_nothing() {
    let w = world(fast_config());
    assert_denied(store(&w, &w.viewer, "by-viewer", b"x"), Operation::Encrypt);
    assert_eq!(w.last().event.outcome, Outcome::Denied);
    // A reader shorter than declared: recorded as failed, the staged
    // envelope released (nothing left for a sweep).
    let short = w.door.store_document(
        &w.editor,
        &w.doc("short"),
        Plaintext::new(&b"abc"[..], 4),
        &Context::new(),
        &pw(PASSWORD),
    );
    assert!(matches!(short, Err(FrontDoorError::LengthMismatch { .. })));
    assert_eq!(reason_of(&w.last()), "front-door.LengthMismatch");
    assert_crypto(w.door.store_document(
        &w.editor,
        &w.doc("wrong"),
        Plaintext::new(&b"abc"[..], 3),
        &Context::new(),
        &pw("not the password"),
    ));
    assert!(listed(&w).is_empty());
    assert_eq!(w.door.store().sweep_envelopes().unwrap(), 0);

    // Opening what was never stored: denied for a stranger (who learns
    // nothing), a recorded failure for a member.
    w.encrypt(&w.editor, "kept-by-caller", b"mine").unwrap();
    let (denied, _) = w.open_stored(&w.stranger, "kept-by-caller", PASSWORD);
    assert_denied(denied, Operation::Decrypt);
    for id in ["kept-by-caller", "never"] {
        let (missing, out) = w.open_stored(&w.viewer, id, PASSWORD);
        assert!(
            matches!(missing, Err(FrontDoorError::NotStored(_))),
            "{missing:?}"
        );
        assert!(out.is_empty());
        assert_eq!(reason_of(&w.last()), "front-door.NotStored");
    }
    assert!(matches!(
        w.door
            .issue_download(&w.viewer, &w.doc("never"), Source::stored()),
        Err(FrontDoorError::NotStored(_))
    ));
}

#[test]
fn a_tampered_stored_envelope_is_refused_and_recorded() {
    let w = world(fast_config());
    let record = store(&w, &w.editor, "memo", &[5; 200]).unwrap();
    let mut bytes = stored_bytes(&w, &record.envelope.unwrap()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    plant(&w, &record, &bytes);
    let (result, out) = w.open_stored(&w.viewer, "memo", PASSWORD);
    assert!(out.is_empty(), "nothing of a tampered chunk is released");
    assert_crypto(result);
    assert!(reason_of(&w.last()).starts_with("crypto."));
    assert_eq!(w.last().event.operation, Operation::Decrypt);
}

#[test]
fn rewrapping_a_project_moves_stored_documents_to_the_current_key() {
    let w = world(fast_config());
    let target = w.project_target();
    let mut old = Vec::new();
    for (id, len) in [("a", 10usize), ("b", 70_000), ("c", 1)] {
        old.push(store(&w, &w.editor, id, &vec![7; len]).unwrap());
    }
    w.encrypt(&w.editor, "kept", b"the caller keeps this one")
        .unwrap();
    assert_eq!(w.door.rotate_key(&w.owner, &target, &pw(PASSWORD)).unwrap(), 2);
    let fresh = store(&w, &w.editor, "d", b"sealed under version 2").unwrap();
    assert_eq!(fresh.key_version, 2);

    let mut reports = Vec::new();
    let summary = w
        .door
        .rewrap_project(&w.owner, &target, &pw(PASSWORD), &mut |p| reports.push(p.clone()))
        .unwrap();
    assert_eq!(summary.key_version, 2);
    let names = |ids: &[DocumentId]| ids.iter().map(|d| d.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(&summary.rewrapped), ["a", "b", "c"]);
    assert_eq!(names(&summary.already_current), ["d"]);
    assert_eq!(names(&summary.not_stored), ["kept"]);
    assert!(summary.failed.is_empty());
    // One record for the project, then one per document, each a success.
    let records = w.records();
    let rewraps: Vec<_> = records.iter().rev().take(4).rev().collect();
    assert!(rewraps.iter().all(|r| r.event.operation == Operation::RotateKey));
    assert!(rewraps.iter().all(|r| reason_of(r) == "succeeded"));
    let documents: Vec<_> = rewraps
        .iter()
        .map(|r| r.event.document.as_ref().map(DocumentId::as_str))
        .collect();
    assert_eq!(documents, [None, Some("a"), Some("b"), Some("c")]);

    // Progress: before each document and at the end, monotone, complete.
    let total_bytes: u64 = old.iter().map(|r| r.envelope_size).sum();
    assert_eq!(reports.len(), 4);
    for pair in reports.windows(2) {
        assert!(pair[0].documents_done <= pair[1].documents_done);
        assert!(pair[0].bytes_done <= pair[1].bytes_done);
    }
    let currents: Vec<_> = reports
        .iter()
        .map(|p| p.current.as_ref().map(|d| d.as_str()))
        .collect();
    assert_eq!(currents, [Some("a"), Some("b"), Some("c"), None]);
    let end = reports.last().unwrap();
    assert_eq!((end.documents_done, end.documents_total), (3, 3));
    assert_eq!((end.bytes_done, end.bytes_total), (total_bytes, total_bytes));

    // Listed with the new key version and envelope; old envelopes gone;
    // every document still opens, under version 2.
    let now = listed(&w);
    for (before, after) in old.iter().zip(&now) {
        assert_eq!(after.key_version, 2);
        assert_eq!(after.plaintext_size, before.plaintext_size);
        assert_eq!(after.created_by, before.created_by);
        let id = after.envelope.unwrap();
        assert_ne!(Some(id), before.envelope);
        assert_eq!(stored_bytes(&w, &id).unwrap().len() as u64, after.envelope_size);
        assert!(matches!(
            stored_bytes(&w, &before.envelope.unwrap()),
            Err(StoreError::UnknownEnvelope { .. })
        ));
        let (receipt, out) = w.open_stored(&w.viewer, after.document.as_str(), PASSWORD);
        assert_eq!(receipt.unwrap().key_version, 2);
        assert_eq!(out.len() as u64, before.plaintext_size);
    }
    // Again: nothing left to do.
    let again = w
        .door
        .rewrap_project(&w.owner, &target, &pw(PASSWORD), &mut |_| {})
        .unwrap();
    assert!(again.rewrapped.is_empty());
    assert_eq!(again.already_current.len(), 4);
}

#[test]
fn rewrapping_after_a_password_change_needs_the_new_password() {
    let w = world(fast_config());
    let target = w.project_target();
    store(&w, &w.editor, "memo", b"before the change").unwrap();
    let new = "a new password, longer";
    w.door
        .change_password(&w.owner, &target, &pw(PASSWORD), &pw(new))
        .unwrap();
    // The password wraps the project key, not the documents.
    let nothing = w
        .door
        .rewrap_project(&w.owner, &target, &pw(new), &mut |_| {})
        .unwrap();
    assert_eq!(nothing.already_current.len(), 1);
    w.door.rotate_key(&w.owner, &target, &pw(new)).unwrap();
    let mut calls = 0;
    let wrong = w
        .door
        .rewrap_project(&w.owner, &target, &pw(PASSWORD), &mut |_| calls += 1);
    assert_crypto(wrong);
    assert_eq!(calls, 0, "a wrong password touches no document");
    assert_eq!(listed(&w)[0].key_version, 1);
    let summary = w
        .door
        .rewrap_project(&w.owner, &target, &pw(new), &mut |_| {})
        .unwrap();
    assert_eq!(summary.rewrapped.len(), 1);
    let (receipt, out) = w.open_stored(&w.viewer, "memo", new);
    assert_eq!(
        (receipt.unwrap().key_version, out),
        (2, b"before the change".to_vec())
    );
}

#[test]
fn a_rewrap_lists_what_failed_and_moves_the_rest() {
    let w = world(fast_config());
    let target = w.project_target();
    let bad = store(&w, &w.editor, "bad", &[1; 50]).unwrap();
    store(&w, &w.editor, "good", &[2; 50]).unwrap();
    // The header's last byte (its tag) flipped: the rewrap verifies it.
    let mut bytes = stored_bytes(&w, &bad.envelope.unwrap()).unwrap();
    let header = HeaderView::parse_prefix(&bytes, &ReaderLimits::default())
        .unwrap()
        .len();
    bytes[header - 1] ^= 1;
    plant(&w, &bad, &bytes);
    w.door.rotate_key(&w.owner, &target, &pw(PASSWORD)).unwrap();

    assert_denied(
        w.door
            .rewrap_project(&w.editor, &target, &pw(PASSWORD), &mut |_| {}),
        Operation::RotateKey,
    );
    let summary = w
        .door
        .rewrap_project(&w.owner, &target, &pw(PASSWORD), &mut |_| {})
        .unwrap();
    assert_eq!(summary.rewrapped, [DocumentId::new("good").unwrap()]);
    assert_eq!(summary.failed.len(), 1);
    let failure = &summary.failed[0];
    assert_eq!(failure.document.as_str(), "bad");
    assert!(failure.reason.as_str().starts_with("crypto."), "{failure:?}");
    // Recorded on the document, which keeps its envelope and record.
    let record = w
        .records()
        .into_iter()
        .rev()
        .find(|r| r.event.document.as_ref().map(DocumentId::as_str) == Some("bad"))
        .unwrap();
    assert_eq!(reason_of(&record), failure.reason.as_str());
    let still = listed(&w)
        .into_iter()
        .find(|r| r.document.as_str() == "bad")
        .unwrap();
    assert_eq!(still.key_version, 1);
    assert_eq!(stored_bytes(&w, &still.envelope.unwrap()).unwrap(), bytes);
    assert_eq!(w.door.store().sweep_envelopes().unwrap(), 0);
}
