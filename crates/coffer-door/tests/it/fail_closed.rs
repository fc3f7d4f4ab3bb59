//! The front door fails closed: no plaintext before its access is recorded,
//! every refused call in the trail, decisions and acts on one state, and a
//! request that cannot be evaluated is denied.

use crate::door;

use std::io::{self, Cursor, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use coffer_door::audit::{AuditEvent, Outcome};
use coffer_door::envelope::{read_header, ReaderLimits};
use coffer_door::keys::{self, ProjectKey, Recipient, SealOptions};
use coffer_door::policy::*;
use coffer_door::*;
use door::Via::{Decrypt, Download};
use door::*;

fn countdown_world() -> (World<CountdownStore>, Arc<AtomicUsize>) {
    let (store, accepts) = CountdownStore::new();
    (world_with(fast_config(), Policy::default(), store), accepts)
}

#[test]
fn no_plaintext_leaves_before_the_read_is_recorded() {
    let (w, accepts) = countdown_world();
    let envelope = w.encrypt(&w.editor, "d", b"the payroll of november").unwrap();
    for via in [Decrypt, Download] {
        // A download's offer is recorded first; then the redeem's records.
        let offer = w
            .door
            .issue_download(&w.viewer, &w.doc("d"), Source::Envelope(&envelope[..]));
        let message = browser_message(&offer.unwrap(), PASSWORD);
        let before = w.records().len();
        accepts.store(0, Ordering::SeqCst);
        let (result, out) = match via {
            Decrypt => {
                let mut out = Vec::new();
                let result = w.door.open_document(
                    &w.viewer,
                    &w.doc("d"),
                    Source::Envelope(&envelope[..]),
                    &pw(PASSWORD),
                    &mut out,
                );
                (result, out)
            }
            Download => redeem(&w.door, &w.viewer, &w.doc("d"), &message, &envelope),
        };
        assert!(unrecorded(&result), "{via:?}: {result:?}");
        assert!(out.is_empty(), "{via:?}: plaintext left without a record");
        assert_eq!(w.records().len(), before);
        accepts.store(usize::MAX, Ordering::SeqCst);
    }
}

#[test]
fn a_read_whose_final_record_fails_is_on_file_as_started() {
    let (w, accepts) = countdown_world();
    let envelope = w.encrypt(&w.editor, "d", b"released").unwrap();
    accepts.store(1, Ordering::SeqCst);
    let mut out = Vec::new();
    let result = w.door.open_document(
        &w.viewer,
        &w.doc("d"),
        Source::Envelope(&envelope[..]),
        &pw(PASSWORD),
        &mut out,
    );
    assert!(unrecorded(&result), "{result:?}");
    accepts.store(usize::MAX, Ordering::SeqCst);
    // The plaintext left, and the trail says who was given it.
    assert_eq!(out, b"released");
    let last = w.last().event;
    assert_eq!(last.outcome, Outcome::Started);
    assert_eq!(last.principal, w.viewer);
    assert_eq!(last.operation, Operation::Decrypt);
    assert_eq!(last.key.as_ref().map(|k| k.version), Some(1));
}

#[test]
fn an_allowed_read_is_recorded_started_then_succeeded() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.editor, "d", b"twice on file").unwrap();
    let before = w.records().len();
    w.read(Decrypt, &w.viewer, "d", &envelope, PASSWORD).unwrap();
    let records = w.records();
    let outcomes: Vec<&Outcome> = records[before..].iter().map(|r| &r.event.outcome).collect();
    assert_eq!(outcomes, [&Outcome::Started, &Outcome::Succeeded]);
    assert_eq!(records[before + 1].event.sizes.plaintext, Some(13));
    // A wrong password never gets as far as starting.
    let before = w.records().len();
    assert!(w.read(Decrypt, &w.viewer, "d", &envelope, "wrong").is_err());
    let records = w.records();
    assert_eq!(records.len(), before + 1);
    assert!(matches!(records[before].event.outcome, Outcome::Failed { .. }));
}

#[test]
fn calls_refused_before_the_decision_are_audited() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.editor, "d", b"x").unwrap();
    let before = w.records().len();
    let wrong_target = |result: Result<(), FrontDoorError>| {
        assert!(
            matches!(result, Err(FrontDoorError::WrongTarget { .. })),
            "{result:?}"
        );
    };
    // Document and project calls take a `DocumentRef` or `ProjectRef`: the
    // wrong kind does not compile (the `compile_fail` examples on
    // `FrontDoor`). The audit trail, kept per tenant and project, takes a
    // `Target` and refuses a document, recorded.
    let on_document = Target::from(w.doc("d"));
    wrong_target(w.door.audit_trail(&w.owner, &on_document).map(drop));
    wrong_target(w.door.verify_audit(&w.auditor, &on_document).map(drop));
    let outsider = principal("acme", "mallory");
    assert!(matches!(
        w.door.open_document(
            &outsider,
            &w.doc("d"),
            Source::Envelope(&envelope[..]),
            &pw(PASSWORD),
            io::sink()
        ),
        Err(FrontDoorError::Denied { .. })
    ));
    // An unreadable envelope is refused after the decision, on file too.
    assert!(w.read(Decrypt, &w.viewer, "d", b"garbage", PASSWORD).is_err());

    let records = w.records();
    let refused: Vec<&AuditEvent> = records[before..].iter().map(|r| &r.event).collect();
    assert_eq!(refused.len(), 4);
    for event in &refused[..2] {
        assert!(
            matches!(&event.outcome, Outcome::Failed { reason } if reason.as_str() == "front-door.WrongTarget"),
            "{event:?}"
        );
    }
    assert_eq!(refused[2].principal, outsider);
    assert_eq!(refused[2].outcome, Outcome::Denied);
    assert!(
        matches!(&refused[3].outcome, Outcome::Failed { reason } if reason.as_str().starts_with("format."))
    );
}

/// An envelope reader that, on its first read past the header, says so and
/// then waits (a bounded time) until told to go on: a read in flight.
struct GatedReader {
    inner: Cursor<Vec<u8>>,
    header_len: u64,
    arrived: Option<mpsc::Sender<()>>,
    go: Arc<(Mutex<bool>, Condvar)>,
}

impl Read for GatedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inner.position() >= self.header_len {
            if let Some(arrived) = self.arrived.take() {
                let _ = arrived.send(());
                let (lock, ready) = &*self.go;
                let guard = lock.lock().unwrap();
                // Bounded: if the removal is waiting for this call, let it
                // through instead of deadlocking the test.
                let _ = ready
                    .wait_timeout_while(guard, Duration::from_secs(2), |go| !*go)
                    .unwrap();
            }
        }
        self.inner.read(buf)
    }
}

#[test]
fn a_member_removed_during_a_read_is_never_served_on_the_old_role_after_the_removal() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.editor, "d", b"in flight").unwrap();
    let header_len = read_header(&mut &envelope[..], &ReaderLimits::default())
        .unwrap()
        .len() as u64;
    let (arrived, arrival) = mpsc::channel();
    let go = Arc::new((Mutex::new(false), Condvar::new()));
    let reader = GatedReader {
        inner: Cursor::new(envelope.clone()),
        header_len,
        arrived: Some(arrived),
        go: Arc::clone(&go),
    };
    std::thread::scope(|scope| {
        let read = scope.spawn(|| {
            let mut out = Vec::new();
            w.door
                .open_document(
                    &w.viewer,
                    &w.doc("d"),
                    Source::Envelope(reader),
                    &pw(PASSWORD),
                    &mut out,
                )
                .map(|_| out)
        });
        arrival.recv_timeout(Duration::from_secs(30)).unwrap();
        w.door
            .remove_member(&w.owner, &w.project_target(), &w.viewer)
            .unwrap();
        *go.0.lock().unwrap() = true;
        go.1.notify_all();
        assert_eq!(read.join().unwrap().unwrap(), b"in flight");
    });
    let records = w.records();
    let removal = records
        .iter()
        .position(|r| r.event.operation == Operation::RemoveMember && r.event.outcome == Outcome::Succeeded)
        .unwrap();
    // The read's first record as allowed is the one its role was decided
    // for; it comes before the removal.
    let allowed = records
        .iter()
        .position(|r| {
            r.event.principal == w.viewer && r.event.operation == Operation::Decrypt && r.event.role.is_some()
        })
        .unwrap();
    assert!(
        allowed < removal,
        "the read acted after the removal on the old role"
    );
    // And the next read is decided without the role.
    assert!(matches!(
        w.read(Decrypt, &w.viewer, "d", &envelope, PASSWORD),
        Err(FrontDoorError::Denied { .. })
    ));
}

/// An envelope with the isolation context of document `id` of `payroll`,
/// and the user context entries `entries`.
fn envelope_with_context(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let key = ProjectKey::generate("project").unwrap();
    let mut options = SealOptions::new()
        .reserved_context(TENANT_CONTEXT, b"acme")
        .unwrap()
        .reserved_context(PROJECT_CONTEXT, b"payroll")
        .unwrap()
        .reserved_context(DOCUMENT_CONTEXT, b"d")
        .unwrap();
    for (k, v) in entries {
        options = options.context(k, v).unwrap();
    }
    keys::seal(b"x", &[Recipient::project_key(&key)], &options).unwrap()
}

#[test]
fn an_envelope_context_policy_cannot_read_is_denied() {
    let w = world(fast_config());
    let too_many: Vec<(String, Vec<u8>)> = (0..=MAX_CONTEXT_ENTRIES)
        .map(|i| (format!("k{i:04}"), Vec::new()))
        .collect();
    let not_utf8 = vec![("dept".to_owned(), vec![0xff, 0xfe])];
    for entries in [too_many, not_utf8] {
        let envelope = envelope_with_context(&entries);
        for via in [Decrypt, Download] {
            let result = w.read(via, &w.viewer, "d", &envelope, PASSWORD);
            assert!(
                matches!(&result, Err(FrontDoorError::Denied { explanation, .. })
                    if explanation.iter().any(|line| line.contains("context cannot be evaluated"))),
                "{via:?}: {result:?}"
            );
            let last = w.last().event;
            assert_eq!(last.outcome, Outcome::Denied);
            assert_eq!(last.decision.request, Some(RequestDenial::UnreadableContext));
        }
    }
}
