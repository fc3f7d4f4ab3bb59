//! Document metadata: every encryption records it in the transaction of
//! its audit record; listing a project's documents is Owners', Editors' and
//! Viewers' right, audited, and untouched by suite and size rules.

use crate::door;

use std::sync::atomic::Ordering;

use coffer_door::audit::Timestamp;
use coffer_door::envelope::Suite;
use coffer_door::policy::*;
use coffer_door::store::DocumentRecord;
use coffer_door::*;
use door::*;

#[test]
fn encrypting_records_the_documents_metadata() {
    let w = world(fast_config());
    let target = w.project_target();
    assert!(w.door.list_documents(&w.viewer, &target).unwrap().is_empty());
    let before = Timestamp::now();
    let memo = w.encrypt(&w.editor, "memo", b"five!").unwrap();
    let report = w.encrypt(&w.owner, "annual-report", &[7; 3000]).unwrap();
    let after = Timestamp::now();
    let listed = w.door.list_documents(&w.viewer, &target).unwrap();
    let ids: Vec<_> = listed.iter().map(|d| d.document.as_str()).collect();
    assert_eq!(ids, ["annual-report", "memo"]);
    let memo_record = &listed[1];
    assert_eq!(memo_record.tenant, w.acme);
    assert_eq!(memo_record.project, w.payroll);
    assert_eq!(memo_record.plaintext_size, 5);
    assert_eq!(memo_record.envelope_size, memo.len() as u64);
    assert_eq!(memo_record.suite, Suite::Aes256GcmHkdfSha256);
    assert_eq!(memo_record.key_version, 1);
    assert_eq!(memo_record.created_by, w.editor);
    assert!(before <= memo_record.created_at && memo_record.created_at <= after);
    assert_eq!(listed[0].created_by, w.owner);
    assert_eq!(listed[0].plaintext_size, 3000);
    assert_eq!(listed[0].envelope_size, report.len() as u64);
    // The listing is audited as its own operation, on the project.
    let last = w.last();
    assert_eq!(last.event.operation, Operation::ListDocuments);
    assert_eq!(reason_of(&last), "succeeded");

    // Sealing again under the same id, after a rotation: the entry is
    // replaced, with the new key version.
    w.door.rotate_key(&w.owner, &target, &pw(PASSWORD)).unwrap();
    w.encrypt(&w.editor, "memo", b"longer memo").unwrap();
    let listed = w.door.list_documents(&w.editor, &target).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[1].plaintext_size, listed[1].key_version), (11, 2));
}

#[test]
fn a_failed_or_denied_encryption_records_no_document() {
    let w = world(fast_config());
    let target = w.project_target();
    assert_denied(w.encrypt(&w.viewer, "by-viewer", b"x"), Operation::Encrypt);
    let wrong = w
        .door
        .encrypt(&w.editor, &w.doc("wrong"), b"x", &Context::new(), &pw("not it"));
    assert!(wrong.is_err());
    let short = w.door.encrypt_from(
        &w.editor,
        &w.doc("short"),
        Plaintext::new(&b"abc"[..], 4),
        Vec::new(),
        &Context::new(),
        &pw(PASSWORD),
    );
    assert!(matches!(short, Err(FrontDoorError::LengthMismatch { .. })));
    assert!(w.door.list_documents(&w.owner, &target).unwrap().is_empty());
}

#[test]
fn the_document_and_its_record_commit_together() {
    // The store refuses the encryption's final transaction: neither the
    // document's metadata nor its audit record exists.
    let (store, accepts) = CountdownStore::new();
    let w = world_with(fast_config(), Policy::default(), store);
    let target = w.project_target();
    w.encrypt(&w.editor, "first", b"x").unwrap();
    let records = w.records().len();
    accepts.store(0, Ordering::SeqCst);
    let result = w.encrypt(&w.editor, "second", b"y");
    assert!(unrecorded(&result), "{result:?}");
    accepts.store(usize::MAX, Ordering::SeqCst);
    assert_eq!(w.records().len(), records);
    let listed: Vec<DocumentRecord> = w.door.list_documents(&w.owner, &target).unwrap();
    let ids: Vec<_> = listed.iter().map(|d| d.document.as_str()).collect();
    assert_eq!(ids, ["first"]);
}

#[test]
fn viewers_and_up_may_list_auditors_and_strangers_may_not() {
    let w = world(fast_config());
    let target = w.project_target();
    w.encrypt(&w.editor, "memo", b"x").unwrap();
    for who in [&w.owner, &w.editor, &w.viewer] {
        assert_eq!(w.door.list_documents(who, &target).unwrap().len(), 1);
    }
    for who in [&w.auditor, &w.stranger, &w.globex_owner] {
        assert_denied(w.door.list_documents(who, &target), Operation::ListDocuments);
        assert_eq!(reason_of(&w.last()), "denied");
    }
    // A project only: a tenant or document target does not compile (the
    // `compile_fail` examples on `FrontDoor::list_documents`).
    // Another tenant's project of the same name is not this one.
    let globex = ProjectRef::new(tenant("globex"), w.payroll.clone());
    assert!(w.door.list_documents(&w.globex_owner, &globex).is_err());
}

#[test]
fn suite_and_size_rules_do_not_stop_listing() {
    // Blocking rules that cannot be evaluated without a suite or a size
    // would deny a listing decided as a decryption.
    let policy = Policy::new(
        Enforcement::Enforce,
        vec![
            Rule::new(RuleId::new("size").unwrap(), Condition::MaxMessageSize(1 << 20)),
            Rule::new(
                RuleId::new("aes").unwrap(),
                Condition::AllowEnvelopeSuites(vec![EnvelopeSuite::Aes256GcmHkdfSha256]),
            ),
        ],
    )
    .unwrap();
    let w = world_with(fast_config(), policy, memory_store());
    w.encrypt(&w.editor, "memo", b"x").unwrap();
    assert_eq!(
        w.door
            .list_documents(&w.viewer, &w.project_target())
            .unwrap()
            .len(),
        1
    );
}
