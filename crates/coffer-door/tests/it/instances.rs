//! Several front doors on one store (instances of a service): each sees
//! the others' changes at once, and of two racing changes to a project's
//! keys one wins and the other is a recorded conflict. Races are made
//! deterministic by a store handle that runs the other instance's call
//! just before a chosen transaction.

use crate::door;

use std::sync::Arc;

use coffer_door::audit::Outcome;
use coffer_door::policy::*;
use coffer_door::store::{MemoryStore, Store};
use coffer_door::*;
use coffer_testkit::Hooked;
use door::Via::Decrypt;
use door::*;

/// A world on a hooked handle, and a second front door (another
/// instance) on the same store.
/// One shared in-memory store, as two instances see it.
type Shared = Arc<MemoryStore>;

fn two_instances() -> (World<Hooked<Shared>>, Arc<FrontDoor<Shared>>) {
    let store = Arc::new(memory_store());
    let w = world_with(fast_config(), Policy::default(), Hooked::new(Arc::clone(&store)));
    let other = FrontDoor::open(fast_config(), store, sessions()).unwrap();
    (w, Arc::new(other))
}

#[test]
fn of_two_racing_rotations_one_wins_and_the_other_conflicts() {
    let (w, other) = two_instances();
    let before = w.encrypt(&w.editor, "before", b"v1").unwrap();
    let target = w.project_target();
    // The other instance's rotation lands between this one's decision
    // (transaction 1) and its commit (transaction 2).
    let (winner, owner, on) = (Arc::clone(&other), w.owner.clone(), target.clone());
    let won = Arc::new(std::sync::Mutex::new(None));
    let result = Arc::clone(&won);
    w.door.store().before(2, move || {
        *result.lock().unwrap() = Some(winner.rotate_key(&owner, &on, &pw(PASSWORD)));
    });
    let lost = w.door.rotate_key(&w.owner, &target, &pw(PASSWORD));
    assert_eq!(won.lock().unwrap().take().unwrap().unwrap(), 2);
    assert!(
        matches!(&lost, Err(FrontDoorError::Conflict { project }) if project == "payroll"),
        "{lost:?}"
    );
    // The conflict is on file as a failure, after the winner's success.
    let rotations: Vec<Outcome> = w
        .records()
        .into_iter()
        .filter(|r| r.event.operation == Operation::RotateKey)
        .map(|r| r.event.outcome)
        .collect();
    assert_eq!(rotations.len(), 2);
    assert_eq!(rotations[0], Outcome::Succeeded);
    assert!(matches!(&rotations[1], Outcome::Failed { reason } if reason.as_str() == "front-door.Conflict"));
    // Exactly one version was added, seen by both instances.
    let after = w.encrypt(&w.editor, "after", b"v2").unwrap();
    let (plain, receipt) = w.read(Decrypt, &w.viewer, "after", &after, PASSWORD).unwrap();
    assert_eq!((plain.as_slice(), receipt.key_version), (&b"v2"[..], 2));
    let moved = other
        .rewrap_document(&w.owner, &w.doc("before"), &before, &pw(PASSWORD))
        .unwrap();
    assert_eq!(opened_version(&w.door, &w.doc("before"), &moved, PASSWORD), 2);
    // Retried, the loser's rotation succeeds on the new state.
    assert_eq!(w.door.rotate_key(&w.owner, &target, &pw(PASSWORD)).unwrap(), 3);
    w.door.verify_chain(None).unwrap();
}

#[test]
fn a_rotation_racing_a_password_change_never_mixes_passwords() {
    let new = "a much better passphrase";
    let (w, other) = two_instances();
    let target = w.project_target();
    let before = w.encrypt(&w.editor, "before", b"v1").unwrap();
    // A rotation on the other instance lands while this password change
    // rewraps: the change conflicts and nothing of it stands.
    let (winner, owner, on) = (Arc::clone(&other), w.owner.clone(), target.clone());
    w.door.store().before(2, move || {
        assert_eq!(winner.rotate_key(&owner, &on, &pw(PASSWORD)).unwrap(), 2);
    });
    let changed = w.door.change_password(&w.owner, &target, &pw(PASSWORD), &pw(new));
    assert!(
        matches!(changed, Err(FrontDoorError::Conflict { .. })),
        "{changed:?}"
    );
    // The project is entirely under the old password, both versions.
    assert_eq!(opened_version(&w.door, &w.doc("before"), &before, PASSWORD), 1);
    let after = w.encrypt(&w.editor, "after", b"after").unwrap();
    assert_eq!(opened_version(&*other, &w.doc("after"), &after, PASSWORD), 2);
    assert_crypto(w.read(Decrypt, &w.viewer, "before", &before, new));
    // Retried, the change covers every version, the rotated one too, and
    // the old password opens nothing on either instance.
    w.door
        .change_password(&w.owner, &target, &pw(PASSWORD), &pw(new))
        .unwrap();
    for (id, envelope, version) in [("before", &before, 1), ("after", &after, 2)] {
        assert_eq!(opened_version(&*other, &w.doc(id), envelope, new), version);
        assert_crypto(open(Decrypt, &*other, &w.viewer, &w.doc(id), envelope, PASSWORD).map(drop));
        assert_crypto(w.read(Decrypt, &w.viewer, id, envelope, PASSWORD).map(drop));
    }
}

#[test]
fn a_member_added_on_one_instance_is_enforced_on_the_other_at_once() {
    let (w, other) = two_instances();
    let newcomer = principal("acme", "nina");
    let envelope = w.encrypt(&w.editor, "d", b"shared").unwrap();
    // The other instance has cached the state: nina is no member there.
    assert_denied(
        open(Decrypt, &*other, &newcomer, &w.doc("d"), &envelope, PASSWORD),
        Operation::Decrypt,
    );
    w.door
        .add_member(&w.owner, &w.project_target(), &newcomer, Role::Viewer)
        .unwrap();
    let (plain, _) = open(Decrypt, &*other, &newcomer, &w.doc("d"), &envelope, PASSWORD).unwrap();
    assert_eq!(plain, b"shared");
    other
        .remove_member(&w.owner, &w.project_target(), &newcomer)
        .unwrap();
    assert_denied(
        w.read(Decrypt, &newcomer, "d", &envelope, PASSWORD),
        Operation::Decrypt,
    );
}

#[test]
fn a_member_removed_between_decision_and_release_gets_no_plaintext() {
    let (w, other) = two_instances();
    let envelope = w.encrypt(&w.editor, "d", b"not for vera any more").unwrap();
    let before = w.records().len();
    // Vera's read is decided (transaction 1) and opens the header; before
    // its started record (transaction 2) the other instance removes her.
    let (remover, owner, project, vera) = (
        Arc::clone(&other),
        w.owner.clone(),
        w.project_target(),
        w.viewer.clone(),
    );
    w.door.store().before(2, move || {
        assert_eq!(
            remover.remove_member(&owner, &project, &vera).unwrap(),
            Some(Role::Viewer)
        );
    });
    let mut out = Vec::new();
    let refused = w.door.open_document(
        &w.viewer,
        &w.doc("d"),
        Source::Envelope(&envelope[..]),
        &pw(PASSWORD),
        &mut out,
    );
    assert_denied(refused, Operation::Decrypt);
    assert!(out.is_empty(), "plaintext left after the removal");
    // On file: the removal, then vera's read as denied, once, and nothing
    // started.
    let records = w.records();
    let events: Vec<(Option<&Principal>, Operation, &Outcome)> = records[before..]
        .iter()
        .map(|r| (r.event.principal.principal(), r.event.operation, &r.event.outcome))
        .collect();
    assert_eq!(
        events,
        [
            (Some(&w.owner), Operation::RemoveMember, &Outcome::Succeeded),
            (Some(&w.viewer), Operation::Decrypt, &Outcome::Denied),
        ]
    );
}

#[test]
fn an_encrypt_survives_a_rotation_elsewhere_but_not_a_password_change() {
    let (w, other) = two_instances();
    let target = w.project_target();
    // A rotation lands between an encrypt's decision and its commit: the
    // key it sealed with is still the project's (version 1), so it stands.
    let (rotator, owner, on) = (Arc::clone(&other), w.owner.clone(), target.clone());
    w.door.store().before(2, move || {
        assert_eq!(rotator.rotate_key(&owner, &on, &pw(PASSWORD)).unwrap(), 2);
    });
    let sealed = w.encrypt(&w.editor, "during-rotation", b"v1 still").unwrap();
    assert_eq!(
        open(
            Decrypt,
            &*other,
            &w.viewer,
            &w.doc("during-rotation"),
            &sealed,
            PASSWORD
        )
        .unwrap()
        .1
        .key_version,
        1
    );
    // A password change lands meanwhile: the password this encrypt
    // presented is no longer the project's, so it is a recorded conflict.
    let new = "a much better passphrase";
    let (changer, owner, on) = (Arc::clone(&other), w.owner.clone(), target.clone());
    w.door.store().before(2, move || {
        changer
            .change_password(&owner, &on, &pw(PASSWORD), &pw(new))
            .unwrap();
    });
    let refused = w.encrypt(&w.editor, "during-change", b"old password");
    assert!(
        matches!(refused, Err(FrontDoorError::Conflict { .. })),
        "{refused:?}"
    );
    let last = w.last().event;
    assert_eq!(last.operation, Operation::Encrypt);
    assert!(matches!(&last.outcome, Outcome::Failed { reason } if reason.as_str() == "front-door.Conflict"));
    // With the new password it goes through.
    w.door
        .encrypt(&w.editor, &w.doc("after"), b"new", &Context::new(), &pw(new))
        .unwrap();
}

#[test]
fn a_document_stored_again_during_a_project_rewrap_is_not_overwritten() {
    let (w, other) = two_instances();
    let target = w.project_target();
    let store = |door: &FrontDoor<_>, text: &'static [u8]| {
        let source = Plaintext::new(text, text.len() as u64);
        door.store_document(&w.editor, &w.doc("memo"), source, &Context::new(), &pw(PASSWORD))
    };
    store(&w.door, b"first").unwrap();
    w.door.rotate_key(&w.owner, &target, &pw(PASSWORD)).unwrap();
    // The other instance stores the document again between this one's
    // rewrap of it (project decision, listing, record; the document's
    // decision) and the commit that would link the rewrapped envelope.
    let (again, editor, memo) = (Arc::clone(&other), w.editor.clone(), w.doc("memo"));
    w.door.store().before(5, move || {
        let source = Plaintext::new(&b"second"[..], 6);
        again
            .store_document(&editor, &memo, source, &Context::new(), &pw(PASSWORD))
            .unwrap();
    });
    let summary = w
        .door
        .rewrap_project(&w.owner, &target, &pw(PASSWORD), &mut |_| {})
        .unwrap();
    assert!(summary.rewrapped.is_empty());
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.failed[0].reason.as_str(), "front-door.DocumentChanged");
    // The newer document stands, and nothing of the rewrap is left over.
    let (opened, out) = w.open_stored(&w.viewer, "memo", PASSWORD);
    opened.unwrap();
    assert_eq!(out, b"second");
    assert_eq!(w.door.store().sweep_envelopes().unwrap(), 0);
}

#[test]
fn a_key_revoked_while_an_identity_open_is_in_flight_releases_nothing() {
    use coffer_door::keys::{Identity, KemAlgorithm};
    let (w, other) = two_instances();
    let identity = Identity::generate(KemAlgorithm::XWing).unwrap();
    let target = w.project_target();
    w.door
        .register_public_key(&w.viewer, &target.clone().into(), identity.public_key())
        .unwrap();
    w.door
        .grant_member_key(&w.owner, &target, &w.viewer, &pw(PASSWORD))
        .unwrap();
    let envelope = w.encrypt(&w.editor, "memo", b"payroll").unwrap();
    // The viewer revokes its key on the other instance between this
    // open's decision (transaction 1) and its `started` record (2).
    let (revoker, viewer, on) = (Arc::clone(&other), w.viewer.clone(), Target::from(&target));
    w.door.store().before(2, move || {
        revoker.revoke_public_key(&viewer, &on).unwrap();
    });
    let mut out = Vec::new();
    let result = w.door.open_document(
        &w.viewer,
        &w.doc("memo"),
        Source::Envelope(&envelope[..]),
        &identity,
        &mut out,
    );
    assert!(
        matches!(result, Err(FrontDoorError::Conflict { .. })),
        "{result:?}"
    );
    assert!(out.is_empty());
    let last = w.last();
    assert_eq!(last.event.operation, Operation::Decrypt);
    assert!(
        matches!(&last.event.outcome, Outcome::Failed { reason } if reason.as_str() == "front-door.Conflict")
    );
    assert!(!w
        .records()
        .iter()
        .any(|r| r.event.operation == Operation::Decrypt && r.event.outcome == Outcome::Started));
}
