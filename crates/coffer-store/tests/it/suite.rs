//! The store conformance suite: written once, run against every backend.

use coffer_door::audit::{AuditError, Timestamp, VerifyFailure};
use coffer_door::policy::*;
use coffer_door::store::{Change, Installer, NewPolicy, Snapshot, Store, StoreError, Transaction};
use coffer_door::*;

use super::backends::{event, principal, project, tenant, Backend};

/// A failure that rolls a transaction back.
#[derive(Debug)]
pub(crate) enum Abort {
    // Read by the Debug output of a failed assertion.
    Store(#[allow(dead_code, reason = "read only through Debug, in a failed assertion")] StoreError),
    Requested,
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Store(e)
    }
}

/// Runs `work` and commits.
pub(crate) fn commit<S: Store, T>(
    store: &S,
    mut work: impl FnMut(&mut dyn Transaction) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    store.transaction(&mut |tx: &mut dyn Transaction| work(tx))
}

pub(crate) fn apply<S: Store>(store: &S, change: &Change) -> Result<(), StoreError> {
    commit(store, |tx| tx.apply(change))
}

fn snapshot<S: Store>(store: &S) -> Snapshot {
    commit(store, |tx| tx.snapshot()).unwrap()
}

pub(crate) fn create(name: &str) -> Change {
    Change::CreateProject {
        tenant: tenant("acme"),
        project: project(name),
        owner: principal("acme", "olga"),
        sealed: format!("sealed {name} v1").into_bytes(),
    }
}

fn policy(installed_by: Installer, at: u64) -> Change {
    let policy =
        Policy::from_json(r#"{"version": 1, "rules": [{"id": "fips", "condition": {"fips": "enabled"}}]}"#)
            .unwrap();
    Change::InstallPolicy(NewPolicy {
        document: policy.to_json(),
        digest: policy.digest(),
        installed_by,
        installed_at: Timestamp::from_unix_millis(at),
    })
}

/// Every kind of change, in an order in which each applies.
pub(crate) fn every_change() -> Vec<Change> {
    let (acme, payroll) = (tenant("acme"), project("payroll"));
    vec![
        Change::SetTenantRole {
            principal: principal("acme", "olga"),
            role: Role::Owner,
        },
        Change::SetTenantRole {
            principal: principal("globex", "gus"),
            role: Role::Auditor,
        },
        create("payroll"),
        create("benefits"),
        Change::SetMember {
            tenant: acme.clone(),
            project: payroll.clone(),
            member: principal("acme", "ed"),
            role: Role::Editor,
        },
        Change::SetMember {
            tenant: acme.clone(),
            project: payroll.clone(),
            member: principal("acme", "vera"),
            role: Role::Viewer,
        },
        Change::SetMember {
            tenant: acme.clone(),
            project: payroll.clone(),
            member: principal("acme", "ed"),
            role: Role::Auditor,
        },
        Change::RemoveMember {
            tenant: acme.clone(),
            project: payroll.clone(),
            member: principal("acme", "vera"),
        },
        Change::AddVersion {
            tenant: acme.clone(),
            project: payroll.clone(),
            expected_generation: 0,
            sealed: b"sealed payroll v2".to_vec(),
        },
        Change::ReplaceVersions {
            tenant: acme.clone(),
            project: payroll.clone(),
            expected_generation: 1,
            sealed: vec![b"rewrapped v1".to_vec(), b"rewrapped v2".to_vec()],
        },
        Change::RemoveTenantRole {
            principal: principal("globex", "gus"),
        },
        policy(Installer::Operator("ops".into()), 1),
        policy(Installer::Principal(principal("acme", "olga")), 2),
    ]
}

/// Applying every kind of change gives the state the reference semantics
/// ([`Snapshot::apply`]) give, and the same after a reopen.
pub(crate) fn snapshot_round_trip<B: Backend>(backend: &B) {
    let store = backend.open();
    let mut reference = Snapshot::default();
    for change in every_change() {
        apply(&store, &change).unwrap();
        reference.apply(&change).unwrap();
        assert_eq!(snapshot(&store), reference, "after {change:?}");
    }
    let record = reference.project(&tenant("acme"), &project("payroll")).unwrap();
    assert_eq!(record.generation, 2);
    assert_eq!(record.sealed(2), Some(&b"rewrapped v2"[..]));
    assert_eq!(reference.policy.as_ref().map(|p| p.version), Some(2));
    drop(store);
    let reopened = backend.open();
    assert_eq!(snapshot(&reopened), reference);
    let history = commit(&reopened, |tx| tx.policy_history()).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].installed_by, Installer::Operator("ops".into()));
    assert_eq!(
        history[1].installed_by,
        Installer::Principal(principal("acme", "olga"))
    );
    assert_eq!(history[1].installed_at, Timestamp::from_unix_millis(2));
    let installed = Policy::from_json(&history[1].document).unwrap();
    assert_eq!(installed.digest(), history[1].digest);
    assert_eq!(Some(&history[1]), reference.policy.as_ref());
}

/// Every applied change bumps the version by one; audit appends and
/// refused changes do not.
pub(crate) fn version_counts_changes<B: Backend>(backend: &B) {
    let store = backend.open();
    assert_eq!(commit(&store, |tx| tx.version()).unwrap(), 0);
    for (n, change) in (1..).zip(every_change()) {
        apply(&store, &change).unwrap();
        commit(&store, |tx| tx.append(event(n))).unwrap();
        assert_eq!(commit(&store, |tx| tx.version()).unwrap(), n);
    }
    let before = commit(&store, |tx| tx.version()).unwrap();
    assert!(apply(&store, &create("payroll")).is_err());
    assert_eq!(commit(&store, |tx| tx.version()).unwrap(), before);
}

/// A change prepared on a stale generation is a conflict and applies
/// nothing; a refused change leaves the transaction usable.
pub(crate) fn stale_generations_conflict<B: Backend>(backend: &B) {
    let store = backend.open();
    apply(&store, &create("payroll")).unwrap();
    let (acme, payroll) = (tenant("acme"), project("payroll"));
    let rotate = |expected_generation| Change::AddVersion {
        tenant: acme.clone(),
        project: payroll.clone(),
        expected_generation,
        sealed: b"v2".to_vec(),
    };
    apply(&store, &rotate(0)).unwrap();
    let before = snapshot(&store);
    // Two rotations prepared on generation 0: the second one loses.
    let lost = apply(&store, &rotate(0));
    assert!(
        matches!(
            &lost,
            Err(StoreError::Conflict {
                expected: 0,
                found: 1,
                ..
            })
        ),
        "{lost:?}"
    );
    let replace = Change::ReplaceVersions {
        tenant: acme.clone(),
        project: payroll.clone(),
        expected_generation: 0,
        sealed: vec![b"a".to_vec(), b"b".to_vec()],
    };
    assert!(matches!(
        apply(&store, &replace),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(snapshot(&store), before);
    // Refusals of every kind, each recorded in the same transaction that
    // then commits.
    let refused = [
        (create("payroll"), "exists"),
        (
            Change::AddVersion {
                tenant: acme.clone(),
                project: project("nope"),
                expected_generation: 0,
                sealed: b"x".to_vec(),
            },
            "unknown",
        ),
        (
            Change::SetMember {
                tenant: acme.clone(),
                project: payroll.clone(),
                member: principal("globex", "gus"),
                role: Role::Viewer,
            },
            "membership",
        ),
        (
            Change::ReplaceVersions {
                tenant: acme.clone(),
                project: payroll.clone(),
                expected_generation: 1,
                sealed: vec![],
            },
            "empty",
        ),
    ];
    let head = commit(&store, |tx| tx.audit_head()).unwrap();
    let errors = commit(&store, |tx| {
        let mut errors = Vec::new();
        for (n, (change, _)) in (0..).zip(&refused) {
            let error = tx.apply(change).unwrap_err();
            assert!(error.is_refusal(), "{error:?}");
            errors.push(error);
            tx.append(event(n))?;
        }
        Ok(errors)
    })
    .unwrap();
    for (error, (_, kind)) in errors.iter().zip(&refused) {
        let matches = match *kind {
            "exists" => matches!(error, StoreError::ProjectExists { .. }),
            "unknown" => matches!(error, StoreError::UnknownProject { .. }),
            "membership" => matches!(error, StoreError::Membership(MembershipError::CrossTenant { .. })),
            _ => matches!(error, StoreError::NoKeyVersions { .. }),
        };
        assert!(matches, "{kind}: {error:?}");
    }
    assert_eq!(snapshot(&store), before);
    let after = commit(&store, |tx| tx.verify_audit(Some(head))).unwrap();
    assert_eq!(after.count, head.count + refused.len() as u64);
}

/// A transaction that fails leaves nothing: no change, no policy, no
/// audit record, and the chain goes on from where it was.
pub(crate) fn failed_transactions_roll_back<B: Backend>(backend: &B) {
    let store = backend.open();
    apply(&store, &create("payroll")).unwrap();
    commit(&store, |tx| tx.append(event(0))).unwrap();
    let (state, head) = (snapshot(&store), commit(&store, |tx| tx.audit_head()).unwrap());
    let history = commit(&store, |tx| tx.policy_history()).unwrap();
    let changes = every_change();
    let aborted = store.transaction(&mut |tx: &mut dyn Transaction| -> Result<(), Abort> {
        for (n, change) in (1..).zip(&changes) {
            // Some of these are refused (the project exists); the rest apply.
            let _ = tx.apply(change);
            tx.append(event(n))?;
        }
        assert!(tx.version()? > state.version);
        assert!(tx.audit_head()?.count > head.count);
        Err(Abort::Requested)
    });
    assert!(matches!(aborted, Err(Abort::Requested)));
    assert_eq!(snapshot(&store), state);
    assert_eq!(commit(&store, |tx| tx.audit_head()).unwrap(), head);
    assert_eq!(commit(&store, |tx| tx.policy_history()).unwrap(), history);
    assert_eq!(
        commit(&store, |tx| tx.audit_records()).unwrap().len() as u64,
        head.count
    );
    // The next record follows the last committed one.
    let record = commit(&store, |tx| tx.append(event(99))).unwrap();
    assert_eq!(record.seq, head.count);
    assert_eq!(record.prev, head.hash);
    assert_eq!(
        commit(&store, |tx| tx.verify_audit(Some(head))).unwrap().count,
        head.count + 1
    );
}

/// Appends form one chain of the store's id that verifies against the
/// stored head and earlier checkpoints, and an edited head is caught.
pub(crate) fn the_chain_verifies<B: Backend>(backend: &B) {
    let store = backend.open();
    let empty = commit(&store, |tx| tx.audit_head()).unwrap();
    assert_eq!((empty.count, empty.chain), (0, store.chain_id()));
    assert_eq!(commit(&store, |tx| tx.verify_audit(None)).unwrap(), empty);
    for n in 0..5 {
        let record = commit(&store, |tx| tx.append(event(n))).unwrap();
        assert_eq!(record.seq, n);
    }
    let checkpoint = commit(&store, |tx| tx.audit_head()).unwrap();
    commit(&store, |tx| {
        tx.append(event(5))?;
        tx.append(event(6))
    })
    .unwrap();
    let head = commit(&store, |tx| tx.verify_audit(Some(checkpoint))).unwrap();
    assert_eq!(head.count, 7);
    assert_eq!(head, commit(&store, |tx| tx.audit_head()).unwrap());
    let records = commit(&store, |tx| tx.audit_records()).unwrap();
    assert_eq!(records.len(), 7);
    assert_eq!(records[0].prev, *store.chain_id().as_bytes());
    assert_eq!(records[3].event, event(3));
    assert_eq!(
        audit::verify(
            &audit::AuditKey::from_bytes(super::backends::KEY),
            &records,
            Some(head)
        )
        .unwrap(),
        head
    );
    // A checkpoint from past the end (the log was cut back) fails.
    let mut future = head;
    future.count += 1;
    let forged = commit(&store, |tx| tx.verify_audit(Some(future)));
    assert!(
        matches!(
            forged,
            Err(StoreError::Audit(AuditError::Verify(e))) if e.failure == VerifyFailure::ForgedHead
        ),
        "{forged:?}"
    );
}

/// A new handle (a restart, or a second instance) continues the same chain
/// and sees the same state, and two handles see each other's changes.
pub(crate) fn reopening_resumes_the_chain<B: Backend>(backend: &B) {
    let first = backend.open();
    apply(&first, &create("payroll")).unwrap();
    commit(&first, |tx| tx.append(event(0))).unwrap();
    let chain = first.chain_id();
    let second = backend.open();
    assert_eq!(second.chain_id(), chain);
    // Interleaved appends through both handles: one chain.
    for n in 1..7 {
        let store_record = if n % 2 == 0 {
            commit(&first, |tx| tx.append(event(n)))
        } else {
            commit(&second, |tx| tx.append(event(n)))
        };
        assert_eq!(store_record.unwrap().seq, n);
    }
    apply(&second, &create("benefits")).unwrap();
    assert_eq!(snapshot(&first), snapshot(&second));
    assert_eq!(commit(&first, |tx| tx.version()).unwrap(), 2);
    drop(first);
    drop(second);
    let third = backend.open();
    assert_eq!(third.chain_id(), chain);
    let head = commit(&third, |tx| tx.verify_audit(None)).unwrap();
    assert_eq!(head.count, 7);
    let record = commit(&third, |tx| tx.append(event(7))).unwrap();
    assert_eq!((record.seq, record.prev), (7, head.hash));
    assert!(snapshot(&third)
        .membership
        .has_project(&tenant("acme"), &project("benefits")));
}

/// The metadata of a document of `acme/<project>` made by `creator`.
pub(crate) fn document_record(
    project_name: &str,
    id: &str,
    creator: Principal,
    size: u64,
) -> store::DocumentRecord {
    store::DocumentRecord {
        tenant: tenant("acme"),
        project: project(project_name),
        document: DocumentId::new(id).unwrap(),
        plaintext_size: size,
        envelope_size: size + 190,
        suite: envelope::Suite::ChaCha20Poly1305HkdfSha256,
        key_version: 2,
        created_by: creator,
        created_at: Timestamp::from_unix_millis(1_764_000_000_000 + size),
        envelope: None,
    }
}

/// Document metadata: recorded with an audit record in one transaction,
/// listed per project by document id, replaced under the same id, refused
/// for an unknown project or a creator of another tenant (the transaction
/// staying usable), rolled back with its transaction, kept across a
/// reopen, and never moving the state version.
pub(crate) fn documents_are_recorded<B: Backend>(backend: &B) {
    let store = backend.open();
    apply(&store, &create("payroll")).unwrap();
    apply(&store, &create("benefits")).unwrap();
    let version = commit(&store, |tx| tx.version()).unwrap();
    let ed = principal("acme", "ed");
    // Past 4 GiB: sizes are 64-bit.
    let b = document_record("payroll", "b-report", ed.clone(), 5 << 30);
    let a = document_record("payroll", "a-memo", principal("acme", "olga"), 0);
    let other = document_record("benefits", "a-memo", ed.clone(), 7);
    let mut reference = Snapshot::default();
    reference.apply(&create("payroll")).unwrap();
    reference.apply(&create("benefits")).unwrap();
    commit(&store, |tx| {
        for record in [&b, &a, &other] {
            let change = Change::PutDocument(record.clone());
            reference.apply(&change).unwrap();
            tx.apply(&change)?;
        }
        tx.append(event(0))
    })
    .unwrap();
    assert_eq!(reference.version, version, "the reference leaves the version too");
    assert_eq!(commit(&store, |tx| tx.version()).unwrap(), version);
    let list =
        |store: &B::S, name: &str| commit(store, |tx| tx.documents(&tenant("acme"), &project(name))).unwrap();
    assert_eq!(list(&store, "payroll"), [a.clone(), b.clone()]);
    assert_eq!(list(&store, "benefits"), std::slice::from_ref(&other));
    assert_eq!(list(&store, "nope"), []);
    assert!(
        commit(&store, |tx| tx.documents(&tenant("globex"), &project("payroll")))
            .unwrap()
            .is_empty()
    );

    // Sealing again under the same id replaces the entry.
    let again = document_record("payroll", "a-memo", ed.clone(), 42);
    apply(&store, &Change::PutDocument(again.clone())).unwrap();
    assert_eq!(list(&store, "payroll"), [again.clone(), b.clone()]);

    // Refusals, recorded in the transaction that then commits.
    let unknown = Change::PutDocument(document_record("nope", "x", ed.clone(), 1));
    let foreign = Change::PutDocument(document_record("payroll", "x", principal("globex", "gus"), 1));
    for change in [&unknown, &foreign] {
        assert!(reference.apply(change).is_err());
    }
    let head = commit(&store, |tx| tx.audit_head()).unwrap();
    let errors = commit(&store, |tx| {
        let errors = [tx.apply(&unknown).unwrap_err(), tx.apply(&foreign).unwrap_err()];
        tx.append(event(1))?;
        Ok(errors)
    })
    .unwrap();
    assert!(
        matches!(errors[0], StoreError::UnknownProject { .. }),
        "{:?}",
        errors[0]
    );
    assert!(
        matches!(
            errors[1],
            StoreError::Membership(MembershipError::CrossTenant { .. })
        ),
        "{:?}",
        errors[1]
    );
    assert!(errors.iter().all(StoreError::is_refusal));
    assert_eq!(
        commit(&store, |tx| tx.audit_head()).unwrap().count,
        head.count + 1
    );
    assert_eq!(list(&store, "payroll"), [again.clone(), b.clone()]);

    // A transaction that fails takes its documents with it: a new one and
    // a replacement both vanish.
    let aborted = store.transaction(&mut |tx: &mut dyn Transaction| -> Result<(), Abort> {
        tx.apply(&Change::PutDocument(document_record(
            "payroll",
            "c",
            ed.clone(),
            3,
        )))?;
        tx.apply(&Change::PutDocument(document_record(
            "payroll",
            "b-report",
            ed.clone(),
            9,
        )))?;
        tx.append(event(2))?;
        assert_eq!(tx.documents(&tenant("acme"), &project("payroll"))?.len(), 3);
        Err(Abort::Requested)
    });
    assert!(matches!(aborted, Err(Abort::Requested)));
    assert_eq!(list(&store, "payroll"), [again.clone(), b.clone()]);

    // Another handle (a restart, another instance) sees the same.
    drop(store);
    let reopened = backend.open();
    assert_eq!(list(&reopened, "payroll"), [again, b]);
    assert_eq!(list(&reopened, "benefits"), [other]);
    assert_eq!(commit(&reopened, |tx| tx.version()).unwrap(), version);
    assert_eq!(commit(&reopened, |tx| tx.verify_audit(None)).unwrap().count, 2);
}

/// Start-up verification keeps a checkpoint at the head it verified, in
/// the transaction, and from then on reads only the tail after it.
pub(crate) fn the_checkpoint_follows_start_up_verification<B: Backend>(backend: &B) {
    let store = backend.open();
    assert_eq!(commit(&store, |tx| tx.audit_checkpoint()).unwrap(), None);
    for n in 0..3 {
        commit(&store, |tx| tx.append(event(n))).unwrap();
    }
    // No checkpoint yet: the whole chain is verified, then the checkpoint
    // is put at the head.
    let head = commit(&store, |tx| tx.verify_audit_tail()).unwrap();
    assert_eq!(head.count, 3);
    let checkpoint = commit(&store, |tx| tx.audit_checkpoint()).unwrap().unwrap();
    assert_eq!(
        (checkpoint.chain(), checkpoint.count(), *checkpoint.hash()),
        (head.chain, head.count, head.hash)
    );
    // A head is not a checkpoint: the MACs have different domains.
    assert_ne!(*checkpoint.mac(), head.mac);
    // Verifying with nothing new keeps it where it is.
    assert_eq!(commit(&store, |tx| tx.verify_audit_tail()).unwrap(), head);
    assert_eq!(
        commit(&store, |tx| tx.audit_checkpoint()).unwrap(),
        Some(checkpoint)
    );
    // A verification in a transaction that rolls back moves nothing.
    commit(&store, |tx| tx.append(event(3))).unwrap();
    let rolled_back = store.transaction(&mut |tx: &mut dyn Transaction| -> Result<(), Abort> {
        tx.verify_audit_tail()?;
        Err(Abort::Requested)
    });
    assert!(matches!(rolled_back, Err(Abort::Requested)));
    assert_eq!(
        commit(&store, |tx| tx.audit_checkpoint()).unwrap(),
        Some(checkpoint)
    );
    // A committed one moves it to the new head; another handle sees it.
    let moved = commit(&store, |tx| tx.verify_audit_tail()).unwrap();
    assert_eq!(moved.count, 4);
    let seen = commit(&backend.open(), |tx| tx.audit_checkpoint())
        .unwrap()
        .unwrap();
    assert_eq!((seen.count(), *seen.hash()), (moved.count, moved.hash));
    assert_eq!(commit(&store, |tx| tx.verify_audit(None)).unwrap(), moved);
}
