//! The audit chain detects edits, deletions, insertions, reordering, (with
//! a head kept elsewhere) truncation, and logs of another chain.

use crate::events;

use coffer_audit::policy::*;
use coffer_audit::*;
use events::{event, key, other_key};

fn chain(n: u64) -> (Vec<AuditRecord>, ChainHead) {
    let mut sink = MemorySink::new(key()).unwrap();
    let mut head = sink.head();
    for i in 0..n {
        head = sink.append(event(i)).unwrap();
    }
    (sink.records().to_vec(), head)
}

fn fails_at(records: &[AuditRecord], head: Option<ChainHead>) -> (u64, VerifyFailure) {
    let err = verify(&key(), records, head).unwrap_err();
    (err.position, err.failure)
}

#[test]
fn intact_chain_verifies_to_its_head() {
    let (records, head) = chain(6);
    assert_eq!(head.count, 6);
    assert_eq!(verify(&key(), &records, None).unwrap(), head);
    assert_eq!(verify(&key(), &records, Some(head)).unwrap(), head);
    // The genesis value is the chain's id.
    assert_eq!(&records[0].prev, head.chain.as_bytes());
    for pair in records.windows(2) {
        assert_eq!(pair[1].prev, pair[0].hash());
    }
    // Events record the decision: odd events are ChaCha20 and denied.
    assert_eq!(records[1].event.outcome, Outcome::Denied);
    assert_eq!(records[1].event.decision.verdict, Verdict::Deny);
    assert_eq!(records[1].event.decision.rules[0].effect, Effect::Deny);
    assert_eq!(records[0].event.outcome, Outcome::Succeeded);
    assert_eq!(records[0].event.role, Some(Role::Editor));
    assert_eq!(records[0].event.decision.policy, events::policy().digest());
}

type Edit = Box<dyn Fn(&mut AuditRecord)>;

#[test]
fn any_edit_is_found_at_its_record() {
    let (records, _) = chain(5);
    let mut edits: Vec<(&str, Edit)> = vec![
        ("outcome", Box::new(|r| r.event.outcome = Outcome::Succeeded)),
        (
            "time",
            Box::new(|r| r.event.time = Timestamp::from_unix_millis(1)),
        ),
        ("size", Box::new(|r| r.event.sizes.plaintext = Some(1))),
        ("verdict", Box::new(|r| r.event.decision.verdict = Verdict::Allow)),
        (
            "rule effect",
            Box::new(|r| r.event.decision.rules[0].effect = Effect::Satisfied),
        ),
        ("suite", Box::new(|r| r.event.envelope_suite = None)),
        (
            "principal",
            Box::new(|r| {
                let eve = Principal::new(TenantId::new("acme").unwrap(), PrincipalId::new("eve").unwrap());
                r.event.principal = eve.into();
            }),
        ),
        (
            "principal made an operator",
            Box::new(|r| r.event.principal = Actor::Operator(OperatorId::new("ops").unwrap())),
        ),
        ("tenant removed", Box::new(|r| r.event.tenant = None)),
        (
            "subject added",
            Box::new(|r| r.event.subject = r.event.principal.principal().cloned()),
        ),
        ("mac", Box::new(|r| r.mac[0] ^= 1)),
    ];
    edits.push(("prev", Box::new(|r| r.prev[31] ^= 1)));
    edits.push(("seq", Box::new(|r| r.seq = 9)));
    for (what, edit) in &edits {
        let mut tampered = records.clone();
        edit(&mut tampered[3]);
        let (position, failure) = fails_at(&tampered, None);
        assert_eq!(position, 3, "{what}");
        let expected = match *what {
            "prev" => VerifyFailure::BrokenLink,
            "seq" => VerifyFailure::Sequence { expected: 3 },
            _ => VerifyFailure::BadMac,
        };
        assert_eq!(failure, expected, "{what}");
    }
}

#[test]
fn deletion_is_found() {
    let (mut records, _) = chain(5);
    records.remove(2);
    assert_eq!(
        fails_at(&records, None),
        (2, VerifyFailure::Sequence { expected: 2 })
    );
}

#[test]
fn deletion_with_renumbering_is_found() {
    // Without the key the attacker cannot re-MAC renumbered records.
    let (mut records, _) = chain(5);
    records.remove(2);
    for (i, r) in records.iter_mut().enumerate() {
        r.seq = i as u64;
    }
    let (position, failure) = fails_at(&records, None);
    assert_eq!(position, 2);
    assert_eq!(failure, VerifyFailure::BrokenLink);
}

#[test]
fn insertion_is_found() {
    let (records, _) = chain(5);
    // A copy of an existing record.
    let mut dup = records.clone();
    dup.insert(3, records[2].clone());
    assert_eq!(fails_at(&dup, None), (3, VerifyFailure::Sequence { expected: 3 }));
    // A well-formed record sealed under another key, linked correctly.
    let forger = AuditChain::new(other_key(), ChainId::from_bytes([1; 32]));
    let mut forged = forger.seal(event(99));
    forged.seq = 3;
    forged.prev = records[2].hash();
    let mut inserted = records[..3].to_vec();
    inserted.push(forged);
    inserted.extend(records[3..].iter().cloned());
    assert_eq!(fails_at(&inserted, None), (3, VerifyFailure::BadMac));
}

#[test]
fn reordering_is_found() {
    let (mut records, _) = chain(5);
    records.swap(1, 3);
    assert_eq!(
        fails_at(&records, None),
        (1, VerifyFailure::Sequence { expected: 1 })
    );
}

#[test]
fn truncation_is_found_with_a_head_kept_elsewhere() {
    let (records, head) = chain(5);
    // Without a head, a prefix is a valid chain: the head is what detects it.
    assert_eq!(verify(&key(), &records[..3], None).unwrap().count, 3);
    assert_eq!(
        fails_at(&records[..3], Some(head)),
        (3, VerifyFailure::Truncated { expected: 5 })
    );
    assert_eq!(
        fails_at(&[], Some(head)),
        (0, VerifyFailure::Truncated { expected: 5 })
    );
    // An older head is a checkpoint that a longer log still satisfies.
    let head3 = verify(&key(), &records[..3], None).unwrap();
    assert_eq!(head3.count, 3);
    assert_eq!(verify(&key(), &records, Some(head3)).unwrap(), head);
    // Truncate and append different records (a key holder forking the
    // chain): the checkpoint no longer matches.
    let mut fork = AuditChain::new(key(), head.chain);
    let mut rewritten = Vec::new();
    for event in [records[0].event.clone(), records[1].event.clone(), event(77)] {
        let record = fork.seal(event);
        fork.commit(&record);
        rewritten.push(record);
    }
    assert_eq!(rewritten[..2], records[..2]);
    assert_eq!(
        fails_at(&rewritten, Some(head3)),
        (2, VerifyFailure::HeadMismatch)
    );
}

#[test]
fn forged_or_foreign_heads_are_refused() {
    let (records, head) = chain(4);
    let mut forged = head;
    forged.count = 2;
    assert_eq!(fails_at(&records, Some(forged)).1, VerifyFailure::ForgedHead);
    assert_eq!(fails_at(&[], Some(forged)).1, VerifyFailure::ForgedHead);
    let mut foreign = MemorySink::new(other_key()).unwrap();
    foreign.append(event(0)).unwrap();
    assert_eq!(
        fails_at(&records, Some(foreign.head())).1,
        VerifyFailure::ForgedHead
    );
}

#[test]
fn another_key_verifies_nothing() {
    let (records, _) = chain(2);
    let err = verify(&other_key(), &records, None).unwrap_err();
    assert_eq!((err.position, err.failure), (0, VerifyFailure::BadMac));
    assert_eq!(
        err.to_string(),
        "audit chain fails at position 0: record MAC does not verify"
    );
}

#[test]
fn json_form_does_not_change_what_is_hashed() {
    let (records, head) = chain(3);
    let text = serde_json::to_string(&records[1]).unwrap();
    // Reordered fields and whitespace parse to the same record.
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let back: AuditRecord = serde_json::from_str(&pretty).unwrap();
    assert_eq!(back, records[1]);
    let mut again = records.clone();
    again[1] = back;
    assert_eq!(verify(&key(), &again, Some(head)).unwrap(), head);
    // Unknown fields and malformed hashes are refused when reading.
    let extra = text.replacen('{', r#"{"note":"x","#, 1);
    assert!(serde_json::from_str::<AuditRecord>(&extra).is_err());
    let upper = text.replace(&hex::encode(records[1].mac), &hex::encode_upper(records[1].mac));
    assert!(serde_json::from_str::<AuditRecord>(&upper).is_err());
}

#[test]
fn audit_key_never_prints() {
    assert_eq!(format!("{:?}", key()), "AuditKey(..)");
    let sink = MemorySink::new(key()).unwrap();
    assert!(!format!("{sink:?}").contains("66, 66"));
}

/// A sink under the same key holding the same events as `chain(n)`.
fn twin(n: u64) -> MemorySink {
    let mut sink = MemorySink::new(key()).unwrap();
    for i in 0..n {
        sink.append(event(i)).unwrap();
    }
    sink
}

#[test]
fn new_chains_have_distinct_random_ids_bound_into_genesis_and_head() {
    let (a, b) = (twin(0), twin(0));
    assert_ne!(a.chain_id(), b.chain_id());
    assert_eq!(a.head().chain, a.chain_id());
    assert_eq!(&a.head().hash, a.chain_id().as_bytes());
    let (one, two) = (twin(1), twin(1));
    // The same events make different records in different chains.
    assert_ne!(one.records()[0].hash(), two.records()[0].hash());
    assert_eq!(&one.records()[0].prev, one.chain_id().as_bytes());
    // The id prints as hex and round-trips through the head's JSON.
    let head = one.head();
    let json = serde_json::to_value(head).unwrap();
    assert_eq!(json["chain"], one.chain_id().to_string());
    assert_eq!(one.chain_id().to_string().len(), 64);
    assert_eq!(serde_json::from_value::<ChainHead>(json).unwrap(), head);
}

#[test]
fn a_log_of_another_chain_under_the_same_key_fails_against_the_first_checkpoint() {
    let (records, head) = chain(4);
    let other = twin(4);
    // Same key, same events, each log valid on its own.
    assert_eq!(verify(&key(), other.records(), None).unwrap(), other.head());
    let err = verify(&key(), other.records(), Some(head)).unwrap_err();
    assert_eq!(err.position, 0);
    assert_eq!(
        err.failure,
        VerifyFailure::WrongChain {
            expected: head.chain,
            found: other.chain_id()
        }
    );
    assert!(err.to_string().contains(&format!(
        "log belongs to chain {}, not to chain {}",
        other.chain_id(),
        head.chain
    )));
    // An older checkpoint, an empty one, and an empty log: still refused.
    let (_, early) = chain(0);
    assert!(matches!(
        fails_at(other.records(), Some(early)).1,
        VerifyFailure::WrongChain { .. }
    ));
    assert!(matches!(
        fails_at(&other.records()[..1], Some(head)).1,
        VerifyFailure::WrongChain { .. }
    ));
    // The chain id is under the head's MAC.
    let mut relabelled = head;
    relabelled.chain = other.chain_id();
    assert_eq!(
        fails_at(other.records(), Some(relabelled)).1,
        VerifyFailure::ForgedHead
    );
    assert_eq!(verify(&key(), &records, Some(head)).unwrap(), head);
}

#[test]
fn a_memory_sink_refuses_a_checkpoint_of_another_chain() {
    let (mine, other) = (twin(3), twin(3));
    assert_eq!(mine.verify(Some(mine.head())).unwrap(), mine.head());
    match mine.verify(Some(other.head())) {
        Err(AuditError::Verify(e)) => assert_eq!(
            e.failure,
            VerifyFailure::WrongChain {
                expected: other.chain_id(),
                found: mine.chain_id()
            }
        ),
        other => panic!("expected a wrong-chain error, got {other:?}"),
    }
    // Also with nothing appended yet.
    assert!(matches!(
        twin(0).verify(Some(twin(0).head())),
        Err(AuditError::Verify(VerifyError {
            failure: VerifyFailure::WrongChain { .. },
            ..
        }))
    ));
    // A checkpoint ahead of the sink (from a fork under the same chain id)
    // is a truncation.
    let mut fork = AuditChain::new(key(), mine.chain_id());
    for r in mine.records() {
        fork.commit(r);
    }
    fork.commit(&fork.seal(event(9)));
    assert!(matches!(
        mine.verify(Some(fork.head())),
        Err(AuditError::Verify(VerifyError {
            failure: VerifyFailure::Truncated { expected: 4 },
            ..
        }))
    ));
}

#[test]
fn an_empty_log_without_a_checkpoint_names_no_chain() {
    assert_eq!(fails_at(&[], None), (0, VerifyFailure::NoChain));
    let (_, empty) = chain(0);
    assert_eq!(verify(&key(), &[], Some(empty)).unwrap(), empty);
}
