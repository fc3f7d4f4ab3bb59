//! Public-key members: a member registers its key, an Owner seals the
//! project key to it, and the member opens stored documents with its
//! identity and no password; removal, rotation, moved grants and the
//! recipient-algorithm rules.

use crate::door;

use coffer_door::audit::{AuditRecord, Outcome};
use coffer_door::keys::{Identity, KemAlgorithm};
use coffer_door::policy::*;
use coffer_door::store::{Change, Store, Transaction};
use coffer_door::*;
use door::*;

const SECRET: &[u8] = b"salaries, by name";

fn store_doc<S: Store>(w: &World<S>, id: &str) {
    let source = Plaintext::new(SECRET, SECRET.len() as u64);
    w.door
        .store_document(&w.owner, &w.doc(id), source, &Context::new(), &pw(PASSWORD))
        .unwrap();
}

fn open_with<S: Store>(
    w: &World<S>,
    who: &Principal,
    id: &str,
    identity: &Identity,
) -> Result<Vec<u8>, FrontDoorError> {
    let mut out = Vec::new();
    w.door
        .open_document(who, &w.doc(id), Source::stored(), identity, &mut out)?;
    Ok(out)
}

/// Registers a fresh key of `algorithm` for `who` and returns its identity.
fn register<S: Store>(w: &World<S>, who: &Principal, algorithm: KemAlgorithm) -> Identity {
    let identity = Identity::generate(algorithm).unwrap();
    w.door
        .register_public_key(who, &w.project_target().into(), identity.public_key())
        .unwrap();
    identity
}

fn grant<S: Store>(w: &World<S>, member: &Principal) -> Result<u32, FrontDoorError> {
    w.door
        .grant_member_key(&w.owner, &w.project_target(), member, &pw(PASSWORD))
}

fn snapshot<S: Store>(w: &World<S>) -> store::Snapshot {
    w.door
        .store()
        .transaction(&mut |tx: &mut dyn Transaction| tx.snapshot())
        .unwrap()
}

fn grants_of<S: Store>(w: &World<S>, who: &Principal) -> Vec<u32> {
    snapshot(w)
        .grants
        .keys()
        .filter(|(_, _, m, _)| *m == who.id)
        .map(|(_, _, _, v)| *v)
        .collect()
}

fn new_records<S: Store>(w: &World<S>, before: usize) -> Vec<AuditRecord> {
    w.records().split_off(before)
}

fn key_name(identity: &Identity) -> String {
    let public = identity.public_key();
    format!("{}:{}", public.algorithm().name(), public.fingerprint_hex())
}

#[test]
fn members_open_stored_documents_with_their_identities() {
    let w = world(fast_config());
    let before = w.records().len();
    let ed = register(&w, &w.editor, KemAlgorithm::X25519);
    let vera = register(&w, &w.viewer, KemAlgorithm::XWing);
    assert_eq!(grant(&w, &w.editor).unwrap(), 1);
    assert_eq!(grant(&w, &w.viewer).unwrap(), 1);
    store_doc(&w, "memo");
    assert_eq!(open_with(&w, &w.editor, "memo", &ed).unwrap(), SECRET);
    assert_eq!(open_with(&w, &w.viewer, "memo", &vera).unwrap(), SECRET);

    // Every call is in the trail: registrations and grants name the key.
    let records = new_records(&w, before);
    let ops: Vec<_> = records
        .iter()
        .map(|r| (r.event.operation, r.event.outcome.clone()))
        .collect();
    use Operation::*;
    assert_eq!(
        ops,
        [
            (RegisterKey, Outcome::Succeeded),
            (RegisterKey, Outcome::Succeeded),
            (GrantKey, Outcome::Succeeded),
            (GrantKey, Outcome::Succeeded),
            (Encrypt, Outcome::Succeeded),
            (Decrypt, Outcome::Started),
            (Decrypt, Outcome::Succeeded),
            (Decrypt, Outcome::Started),
            (Decrypt, Outcome::Succeeded),
        ]
    );
    let named = |i: usize| records[i].event.key.as_ref().map(|k| k.id.to_string());
    assert_eq!(named(0), Some(key_name(&ed)));
    assert_eq!(named(1), Some(key_name(&vera)));
    assert!(key_name(&vera).starts_with("xwing:"));
    assert_eq!(named(3), Some(key_name(&vera)));
    assert_eq!(
        records[5].event.principal,
        audit::Actor::Principal(w.editor.clone())
    );
}

#[test]
fn a_wrong_identity_or_no_grant_opens_nothing() {
    let w = world(fast_config());
    let ed = register(&w, &w.editor, KemAlgorithm::X25519);
    store_doc(&w, "memo");
    // Registered but not granted yet: the allowed call fails, recorded.
    let before = w.records().len();
    assert!(matches!(
        open_with(&w, &w.editor, "memo", &ed),
        Err(FrontDoorError::NoGrant { version: 1, .. })
    ));
    let failed = new_records(&w, before);
    assert_eq!(failed.len(), 1);
    assert!(matches!(failed[0].event.outcome, Outcome::Failed { .. }));
    grant(&w, &w.editor).unwrap();
    // Another identity than the registered key.
    let other = Identity::generate(KemAlgorithm::X25519).unwrap();
    assert!(matches!(
        open_with(&w, &w.editor, "memo", &other),
        Err(FrontDoorError::NoGrant { .. })
    ));
    // A member without a key, and a stranger, are refused.
    assert!(matches!(
        grant(&w, &w.auditor),
        Err(FrontDoorError::NoPublicKey(_))
    ));
    assert!(matches!(
        open_with(&w, &w.stranger, "memo", &ed),
        Err(FrontDoorError::Denied { .. })
    ));
    // Granting is the Owner's.
    assert!(matches!(
        w.door
            .grant_member_key(&w.editor, &w.project_target(), &w.editor, &pw(PASSWORD)),
        Err(FrontDoorError::Denied { .. })
    ));
    // A wrong password seals nothing.
    assert!(w
        .door
        .grant_member_key(&w.owner, &w.project_target(), &w.editor, &pw("wrong"))
        .is_err());
}

#[test]
fn a_removed_member_opens_nothing_and_keeps_no_grant() {
    let w = world(fast_config());
    let vera = register(&w, &w.viewer, KemAlgorithm::XWing);
    grant(&w, &w.viewer).unwrap();
    store_doc(&w, "memo");
    assert_eq!(open_with(&w, &w.viewer, "memo", &vera).unwrap(), SECRET);
    assert_eq!(grants_of(&w, &w.viewer), [1]);
    w.door
        .remove_member(&w.owner, &w.project_target(), &w.viewer)
        .unwrap();
    assert!(grants_of(&w, &w.viewer).is_empty());
    assert!(matches!(
        open_with(&w, &w.viewer, "memo", &vera),
        Err(FrontDoorError::Denied { .. })
    ));
    // Back as a member, still no grant until an Owner seals one.
    w.door
        .add_member(&w.owner, &w.project_target(), &w.viewer, Role::Viewer)
        .unwrap();
    assert!(matches!(
        open_with(&w, &w.viewer, "memo", &vera),
        Err(FrontDoorError::NoGrant { .. })
    ));
}

#[test]
fn a_revoked_or_replaced_key_loses_its_grants() {
    let w = world(fast_config());
    let ed = register(&w, &w.editor, KemAlgorithm::X25519);
    grant(&w, &w.editor).unwrap();
    store_doc(&w, "memo");
    w.door
        .revoke_public_key(&w.editor, &w.project_target().into())
        .unwrap();
    assert!(grants_of(&w, &w.editor).is_empty());
    assert!(matches!(
        open_with(&w, &w.editor, "memo", &ed),
        Err(FrontDoorError::NoPublicKey(_))
    ));
    let again = register(&w, &w.editor, KemAlgorithm::XWing);
    grant(&w, &w.editor).unwrap();
    register(&w, &w.editor, KemAlgorithm::XWing);
    assert!(grants_of(&w, &w.editor).is_empty());
    assert!(open_with(&w, &w.editor, "memo", &again).is_err());
}

#[test]
fn a_rotation_reseals_grants_for_the_remaining_members_only() {
    let w = world(fast_config());
    let ed = register(&w, &w.editor, KemAlgorithm::X25519);
    let vera = register(&w, &w.viewer, KemAlgorithm::XWing);
    grant(&w, &w.editor).unwrap();
    grant(&w, &w.viewer).unwrap();
    w.door
        .remove_member(&w.owner, &w.project_target(), &w.viewer)
        .unwrap();
    assert_eq!(
        w.door
            .rotate_key(&w.owner, &w.project_target(), &pw(PASSWORD))
            .unwrap(),
        2
    );
    assert_eq!(grants_of(&w, &w.editor), [1, 2]);
    assert!(grants_of(&w, &w.viewer).is_empty());
    store_doc(&w, "after");
    assert_eq!(open_with(&w, &w.editor, "after", &ed).unwrap(), SECRET);
    w.door
        .add_member(&w.owner, &w.project_target(), &w.viewer, Role::Viewer)
        .unwrap();
    assert!(open_with(&w, &w.viewer, "after", &vera).is_err());
    // Granting again seals every version.
    assert_eq!(grant(&w, &w.viewer).unwrap(), 2);
    assert_eq!(open_with(&w, &w.viewer, "after", &vera).unwrap(), SECRET);
}

/// Copies `from`'s grant of version 1 in `payroll` into `slot_project`
/// for `to`, as someone with write access to the store could.
fn plant_grant<S: Store>(w: &World<S>, from: &Principal, to: &Principal, slot_project: &ProjectId) {
    let snap = snapshot(w);
    let grant = snap
        .grants
        .get(&(w.acme.clone(), w.payroll.clone(), from.id.clone(), 1))
        .unwrap()
        .clone();
    let generation = snap.project(&w.acme, slot_project).unwrap().generation;
    let moved = store::KeyGrant {
        member: to.id.clone(),
        ..grant
    };
    let change = Change::PutGrants {
        tenant: w.acme.clone(),
        project: slot_project.clone(),
        expected_generation: generation,
        grants: vec![moved],
    };
    w.door
        .store()
        .transaction(&mut |tx: &mut dyn Transaction| tx.apply(&change))
        .unwrap();
}

#[test]
fn a_grant_moved_to_another_member_or_project_does_not_open() {
    let w = world(fast_config());
    // Public keys are public: vera registers ed's key as her own.
    let ed = register(&w, &w.editor, KemAlgorithm::X25519);
    w.door
        .register_public_key(&w.viewer, &w.project_target().into(), ed.public_key())
        .unwrap();
    grant(&w, &w.editor).unwrap();
    store_doc(&w, "memo");
    plant_grant(&w, &w.editor, &w.viewer, &w.payroll);
    // The grant names ed as its member: in vera's slot it does not open.
    assert!(matches!(
        open_with(&w, &w.viewer, "memo", &ed),
        Err(FrontDoorError::Keys(_))
    ));

    // Nor in another project's slot for ed.
    let benefits = project("benefits");
    w.door
        .create_project(&w.owner, &benefits, &pw("another password"))
        .unwrap();
    let benefits_target = ProjectRef::new(w.acme.clone(), benefits.clone());
    w.door
        .add_member(&w.owner, &benefits_target, &w.editor, Role::Editor)
        .unwrap();
    plant_grant(&w, &w.editor, &w.editor, &benefits);
    let doc = DocumentRef::new(w.acme.clone(), benefits.clone(), DocumentId::new("memo").unwrap());
    let source = Plaintext::new(SECRET, SECRET.len() as u64);
    w.door
        .store_document(&w.owner, &doc, source, &Context::new(), &pw("another password"))
        .unwrap();
    let mut out = Vec::new();
    assert!(matches!(
        w.door
            .open_document(&w.editor, &doc, Source::stored(), &ed, &mut out),
        Err(FrontDoorError::Keys(_))
    ));
    assert!(out.is_empty());
}

fn policy(json: &str) -> Policy {
    Policy::from_json(json).unwrap()
}

#[test]
fn the_post_quantum_rule_refuses_x25519_registration_and_allows_xwing() {
    let pq = policy(
        r#"{"version": 1, "rules": [{"id": "pq", "scope": {"tenant": "acme"},
            "condition": {"allow_recipient_algorithms": ["xwing"]}}]}"#,
    );
    let w = world_with(fast_config(), pq, memory_store());
    let classical = Identity::generate(KemAlgorithm::X25519).unwrap();
    let before = w.records().len();
    let refused = w
        .door
        .register_public_key(&w.editor, &w.project_target().into(), classical.public_key());
    assert!(
        matches!(refused, Err(FrontDoorError::Denied { .. })),
        "{refused:?}"
    );
    let denied = new_records(&w, before);
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].event.outcome, Outcome::Denied);
    assert_eq!(
        denied[0].event.key.as_ref().map(|k| k.id.to_string()),
        Some(key_name(&classical))
    );
    assert!(snapshot(&w).public_key(&w.editor).is_none());
    let hybrid = register(&w, &w.editor, KemAlgorithm::XWing);
    grant(&w, &w.editor).unwrap();
    store_doc(&w, "memo");
    assert_eq!(open_with(&w, &w.editor, "memo", &hybrid).unwrap(), SECRET);
}

#[test]
fn the_post_quantum_rule_on_grants_refuses_an_x25519_grant() {
    // Only grants are constrained, for one project: an X25519 key
    // registers, but is not granted there.
    let pq = policy(
        r#"{"version": 1, "rules": [{"id": "pq-grants", "operations": ["grant_key"],
            "scope": {"tenant": "acme", "project": "payroll"},
            "condition": {"allow_recipient_algorithms": ["xwing"]}}]}"#,
    );
    let w = world_with(fast_config(), pq, memory_store());
    register(&w, &w.editor, KemAlgorithm::X25519);
    let before = w.records().len();
    assert!(matches!(grant(&w, &w.editor), Err(FrontDoorError::Denied { .. })));
    assert_eq!(new_records(&w, before)[0].event.outcome, Outcome::Denied);
    assert!(grants_of(&w, &w.editor).is_empty());
    register(&w, &w.viewer, KemAlgorithm::XWing);
    assert_eq!(grant(&w, &w.viewer).unwrap(), 1);
}

#[test]
fn a_rotation_does_not_reseal_to_keys_the_policy_no_longer_allows() {
    let w = world(fast_config());
    register(&w, &w.editor, KemAlgorithm::X25519);
    register(&w, &w.viewer, KemAlgorithm::XWing);
    grant(&w, &w.editor).unwrap();
    grant(&w, &w.viewer).unwrap();
    let pq = policy(
        r#"{"version": 1, "rules": [{"id": "pq", "condition": {"allow_recipient_algorithms": ["xwing"]}}]}"#,
    );
    let _report = w.door.install_policy(&pq, &ops()).unwrap();
    w.door
        .rotate_key(&w.owner, &w.project_target(), &pw(PASSWORD))
        .unwrap();
    assert_eq!(grants_of(&w, &w.editor), [1]);
    assert_eq!(grants_of(&w, &w.viewer), [1, 2]);
}

#[test]
fn the_fips_profile_blocks_both_recipient_algorithms() {
    let fips = policy(r#"{"version": 1, "rules": [{"id": "fips", "condition": {"fips": "enabled"}}]}"#);
    let w = world_with(fast_config(), fips, memory_store());
    for algorithm in KemAlgorithm::ALL {
        let identity = Identity::generate(algorithm).unwrap();
        let result = w
            .door
            .register_public_key(&w.editor, &w.project_target().into(), identity.public_key());
        assert!(
            matches!(result, Err(FrontDoorError::Denied { .. })),
            "{algorithm}"
        );
    }
}
