//! The stored-envelope cases of the conformance suite: staged outside any
//! transaction, linked and unlinked by document changes with their
//! transaction, read back as a stream, released and swept.

use std::io::{Read, Write};

use coffer_door::policy::*;
use coffer_door::store::{Change, DocumentRecord, EnvelopeId, Store, StoreError, Transaction};

use super::backends::{event, principal, Backend};
use super::suite::{apply, commit, create, document_record, Abort};

/// Bytes spanning several PostgreSQL chunk rows, with a short last one.
fn bytes(seed: u8) -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 251) as u8 ^ seed).collect()
}

/// A finished envelope of `content`; the writer is dropped.
fn staged<S: Store>(store: &S, content: &[u8]) -> EnvelopeId {
    let mut writer = store.stage_envelope().unwrap();
    // Written in odd pieces, as a sealer writes.
    for piece in content.chunks(7_000) {
        writer.write_all(piece).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), content.len() as u64);
    writer.id()
}

fn read<S: Store>(store: &S, id: &EnvelopeId) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    store.read_envelope(id)?.read_to_end(&mut out).unwrap();
    Ok(out)
}

fn gone<S: Store>(store: &S, id: &EnvelopeId) -> bool {
    matches!(read(store, id), Err(StoreError::UnknownEnvelope { .. }))
}

/// `memo` of `acme/payroll`, naming `envelope` of `size` bytes.
fn memo(envelope: EnvelopeId, size: usize) -> DocumentRecord {
    DocumentRecord {
        envelope: Some(envelope),
        envelope_size: size as u64,
        ..document_record("payroll", "memo", principal("acme", "ed"), 5)
    }
}

fn stored<S: Store>(store: &S) -> Option<EnvelopeId> {
    let record = commit(store, |tx| {
        tx.document(
            &memo_record().tenant,
            &memo_record().project,
            &memo_record().document,
        )
    });
    record.unwrap().and_then(|r| r.envelope)
}

fn memo_record() -> DocumentRecord {
    document_record("payroll", "memo", principal("acme", "ed"), 5)
}

/// A change links a finished envelope of the recorded size that no other
/// document names (else it is refused, the transaction staying usable);
/// the envelope a change unlinks goes once the transaction committed, and
/// nothing moves when it rolls back; a replacement applies only to the
/// envelope it expects.
pub(crate) fn linked_and_unlinked_with_their_transaction<B: Backend>(backend: &B) {
    let store = backend.open();
    apply(&store, &create("payroll")).unwrap();
    let version = commit(&store, |tx| tx.version()).unwrap();
    let (one, two) = (bytes(1), bytes(2));
    let first = staged(&store, &one);

    // Refused: a size other than the envelope's, an envelope never staged.
    // The refusal leaves the transaction usable.
    for record in [
        memo(first, one.len() + 1),
        memo(EnvelopeId::from_bytes([9; 16]), one.len()),
    ] {
        let refused = commit(&store, |tx| {
            let refused = tx.apply(&Change::PutDocument(record.clone()));
            tx.append(event(0))?;
            Ok(refused)
        });
        assert!(
            matches!(refused, Ok(Err(StoreError::UnknownEnvelope { .. }))),
            "{refused:?}"
        );
    }
    assert_eq!(stored(&store), None);

    apply(&store, &Change::PutDocument(memo(first, one.len()))).unwrap();
    assert_eq!(stored(&store), Some(first));
    assert_eq!(read(&store, &first).unwrap(), one);
    let listed = commit(&store, |tx| {
        tx.documents(&memo_record().tenant, &memo_record().project)
    })
    .unwrap();
    assert_eq!(listed, [memo(first, one.len())]);
    // Linking does not move the state version.
    assert_eq!(commit(&store, |tx| tx.version()).unwrap(), version);
    // An envelope a document names is not another document's to name.
    let other = DocumentRecord {
        document: DocumentId::new("other").unwrap(),
        ..memo(first, one.len())
    };
    let taken = apply(&store, &Change::PutDocument(other));
    assert!(
        matches!(taken, Err(StoreError::UnknownEnvelope { .. })),
        "{taken:?}"
    );
    assert!(
        !store.release_envelope(&first).unwrap(),
        "a linked envelope stays"
    );

    // Replaced in a transaction that rolls back: nothing moves.
    let second = staged(&store, &two);
    let aborted = store.transaction(&mut |tx: &mut dyn Transaction| -> Result<(), Abort> {
        tx.apply(&Change::PutDocument(memo(second, two.len())))?;
        Err(Abort::Requested)
    });
    assert!(matches!(aborted, Err(Abort::Requested)));
    assert_eq!(stored(&store), Some(first));
    assert_eq!(read(&store, &first).unwrap(), one);
    // Committed: the old envelope is gone.
    apply(&store, &Change::PutDocument(memo(second, two.len()))).unwrap();
    assert_eq!(stored(&store), Some(second));
    assert!(gone(&store, &first));

    // A replacement expecting an envelope the document no longer names.
    let third = staged(&store, &one);
    let stale = Change::ReplaceEnvelope {
        replaces: first,
        record: memo(third, one.len()),
    };
    assert!(matches!(
        apply(&store, &stale),
        Err(StoreError::DocumentChanged { .. })
    ));
    assert_eq!(read(&store, &second).unwrap(), two);
    let current = Change::ReplaceEnvelope {
        replaces: second,
        record: memo(third, one.len()),
    };
    apply(&store, &current).unwrap();
    assert_eq!(stored(&store), Some(third));
    assert!(gone(&store, &second));

    // Released: staged for a call that failed, never linked.
    let unused = staged(&store, &two);
    assert!(store.release_envelope(&unused).unwrap());
    assert!(gone(&store, &unused));
    assert!(!store.release_envelope(&unused).unwrap());
    // Another handle (another instance) reads what this one linked.
    assert_eq!(read(&backend.open(), &third).unwrap(), one);
}

/// Leftovers (finished or not, no document naming them, the writer gone)
/// are swept; linked envelopes never are; a live writer's envelope is left
/// to it (by its writer's lock, or by age on PostgreSQL).
pub(crate) fn leftovers_are_swept<B: Backend>(backend: &B) {
    let store = backend.open();
    apply(&store, &create("payroll")).unwrap();
    let content = bytes(3);
    let linked = staged(&store, &content);
    apply(&store, &Change::PutDocument(memo(linked, content.len()))).unwrap();
    let finished = staged(&store, &content);
    let partial = {
        let mut writer = store.stage_envelope().unwrap();
        writer.write_all(&content[..100_000]).unwrap();
        writer.id()
    };
    let mut live = store.stage_envelope().unwrap();
    live.write_all(&content).unwrap();
    if B::SWEEP_SEES_WRITERS {
        // The partial one may never have become visible (memory keeps
        // only finished envelopes).
        assert!((1..=2).contains(&backend.sweep(&store)));
        live.finish().unwrap();
        assert_eq!(read(&store, &live.id()).unwrap(), content);
    } else {
        // By age: nothing is a leftover yet.
        assert_eq!(store.sweep_envelopes().unwrap(), 0);
        assert_eq!(read(&store, &finished).unwrap(), content);
        assert_eq!(backend.sweep(&store), 3);
    }
    assert!(gone(&store, &finished));
    assert!(gone(&store, &partial));
    assert_eq!(read(&store, &linked).unwrap(), content);
    drop(live);
    assert_eq!(backend.sweep(&store), u64::from(B::SWEEP_SEES_WRITERS));
    assert_eq!(backend.sweep(&store), 0);
    assert_eq!(read(&store, &linked).unwrap(), content);
}
