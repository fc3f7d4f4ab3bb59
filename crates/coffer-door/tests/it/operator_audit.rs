//! The operator's calls are audited: each change of a tenant role or of
//! the policy commits with exactly one record naming the operator, in one
//! transaction, so a record that cannot be written leaves the change
//! undone; the records verify with the chain, and a tenant's trail shows
//! the role changes in that tenant.

use crate::door;

use std::sync::atomic::Ordering;

use coffer_door::audit::{Actor, AuditEvent, Outcome};
use coffer_door::policy::*;
use coffer_door::store::{Snapshot, Store, Transaction};
use coffer_door::*;
use door::*;

fn snapshot<S: Store>(door: &FrontDoor<S>) -> Snapshot {
    door.store()
        .transaction(&mut |tx: &mut dyn Transaction| tx.snapshot())
        .unwrap()
}

fn tenant_role<S: Store>(door: &FrontDoor<S>, who: &Principal) -> Option<Role> {
    snapshot(door)
        .membership
        .role(who, &Target::for_tenant(who.tenant.clone()))
}

fn fips_policy() -> Policy {
    Policy::new(
        Enforcement::Enforce,
        vec![Rule::new(
            RuleId::new("fips").unwrap(),
            Condition::Fips(FipsProfile::Enabled),
        )],
    )
    .unwrap()
}

/// The records `call` appended.
fn recorded<S: Store, T: std::fmt::Debug>(
    w: &World<S>,
    call: impl FnOnce() -> Result<T, FrontDoorError>,
) -> (T, Vec<AuditEvent>) {
    let before = w.records().len();
    let value = call().unwrap();
    let events = w.records()[before..].iter().map(|r| r.event.clone()).collect();
    (value, events)
}

#[test]
fn each_operator_call_leaves_one_record_naming_the_operator() {
    let w = world(fast_config());
    let carla = principal("acme", "carla");
    let operator = Actor::Operator(ops());
    let digest = snapshot(&w.door).policy.unwrap().digest;

    let (previous, events) = recorded(&w, || w.door.grant_tenant_role(&ops(), &carla, Role::Auditor));
    assert_eq!(previous, None);
    let [granted] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(granted.principal, operator);
    assert_eq!(granted.operation, Operation::AddMember);
    assert_eq!(granted.tenant.as_ref(), Some(&w.acme));
    assert_eq!(
        (granted.project.as_ref(), granted.document.as_ref()),
        (None, None)
    );
    assert_eq!(granted.subject.as_ref(), Some(&carla));
    assert_eq!(granted.role, Some(Role::Auditor));
    assert_eq!(granted.outcome, Outcome::Succeeded);
    assert_eq!(granted.decision.policy, digest);
    assert_eq!(granted.decision.verdict, Verdict::Allow);

    let (previous, events) = recorded(&w, || w.door.revoke_tenant_role(&ops(), &carla));
    assert_eq!(previous, Some(Role::Auditor));
    let [revoked] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(revoked.principal, operator);
    assert_eq!(revoked.operation, Operation::RemoveMember);
    assert_eq!(revoked.subject.as_ref(), Some(&carla));
    assert_eq!(revoked.role, Some(Role::Auditor));

    let policy = fips_policy();
    let (_, events) = recorded(&w, || w.door.install_policy(&policy, &ops()));
    let [installed] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(installed.principal, operator);
    assert_eq!(installed.operation, Operation::ManagePolicy);
    assert_eq!(
        (installed.tenant.as_ref(), installed.subject.as_ref()),
        (None, None)
    );
    assert_eq!(installed.decision.policy, policy.digest());
    let history = w.door.policy_history().unwrap();
    assert_eq!(
        history.last().unwrap().installed_at,
        installed.time,
        "the history and the record tell one time"
    );

    // Verified with the chain, in the operator's export.
    let head = w.door.verify_chain(None).unwrap();
    assert_eq!(head.count, w.records().len() as u64);
}

#[test]
fn an_operator_change_whose_record_fails_is_undone() {
    let (store, accepts) = CountdownStore::new();
    let w = world_with(fast_config(), Policy::default(), store);
    let carla = principal("acme", "carla");
    w.door.grant_tenant_role(&ops(), &carla, Role::Viewer).unwrap();
    let before = (w.records().len(), snapshot(&w.door));
    let history = w.door.policy_history().unwrap().len();

    accepts.store(0, Ordering::SeqCst);
    let granted = w.door.grant_tenant_role(&ops(), &carla, Role::Owner);
    assert!(unrecorded(&granted), "{granted:?}");
    let revoked = w.door.revoke_tenant_role(&ops(), &carla);
    assert!(unrecorded(&revoked), "{revoked:?}");
    let installed = w.door.install_policy(&fips_policy(), &ops());
    assert!(unrecorded(&installed), "{:?}", installed.map(drop));
    accepts.store(usize::MAX, Ordering::SeqCst);

    // Nothing changed: not the role, not the policy, not the version.
    assert_eq!((w.records().len(), snapshot(&w.door)), before);
    assert_eq!(tenant_role(&w.door, &carla), Some(Role::Viewer));
    assert_eq!(w.door.policy_history().unwrap().len(), history);
    w.door.verify_chain(None).unwrap();
}

/// A world where the operator gave carla `role` over acme, then installed
/// a policy.
fn granted_then_installed(role: Role) -> (World<MemoryStore>, Principal) {
    let w = world(fast_config());
    let carla = principal("acme", "carla");
    w.door.grant_tenant_role(&ops(), &carla, role).unwrap();
    assert!(w.door.install_policy(&fips_policy(), &ops()).unwrap().is_clean());
    (w, carla)
}

#[test]
fn a_tenants_trail_shows_the_role_changes_in_it_and_not_the_policy() {
    let (w, carla) = granted_then_installed(Role::Auditor);
    let globex = principal("globex", "gina");
    w.door.grant_tenant_role(&ops(), &globex, Role::Viewer).unwrap();

    let by_operator = |owner: &Principal, tenant: &TenantId| -> Vec<(Operation, Option<Principal>)> {
        w.door
            .audit_trail(owner, &Target::for_tenant(tenant.clone()))
            .unwrap()
            .into_iter()
            .filter(|r| r.event.principal.operator().is_some())
            .map(|r| (r.event.operation, r.event.subject))
            .collect()
    };
    assert_eq!(
        by_operator(&w.owner, &w.acme),
        [(Operation::AddMember, Some(carla))]
    );
    assert_eq!(
        by_operator(&w.globex_owner, &tenant("globex")),
        [(Operation::AddMember, Some(globex))]
    );
    // The operator sees all three.
    let all = w
        .records()
        .into_iter()
        .filter(|r| r.event.principal.operator() == Some(&ops()))
        .count();
    assert_eq!(all, 3);
}

#[test]
fn operator_events_have_a_stable_json_form() {
    let (w, _) = granted_then_installed(Role::Owner);
    let records = w.records();
    let [.., granted, installed] = records.as_slice() else {
        panic!()
    };
    let value = serde_json::to_value(&granted.event).unwrap();
    assert_eq!(value["principal"], serde_json::json!({"operator": "ops"}));
    assert_eq!(value["tenant"], "acme");
    assert_eq!(
        value["subject"],
        serde_json::json!({"tenant": "acme", "id": "carla"})
    );
    assert_eq!(value["role"], "owner");
    assert_eq!(value["operation"], "add_member");
    let value = serde_json::to_value(&installed.event).unwrap();
    assert_eq!(value["tenant"], serde_json::Value::Null);
    assert_eq!(value["operation"], "manage_policy");
    assert!(value.get("subject").is_none(), "{value}");
    // A principal's event keeps the form it always had: no subject.
    let value = serde_json::to_value(&records[0].event).unwrap();
    assert!(value["principal"]["id"].is_string());
    assert!(value.get("subject").is_none(), "{value}");
    // Each reads back to the same record; an actor with both forms or an
    // unknown field does not.
    for record in &records {
        let text = serde_json::to_string(record).unwrap();
        assert_eq!(
            &serde_json::from_str::<audit::AuditRecord>(&text).unwrap(),
            record
        );
    }
    for bad in [
        r#"{"operator": "ops", "tenant": "acme"}"#,
        r#"{"operator": "o p s"}"#,
        r#"{"tenant": "acme", "id": "ann", "operator": "ops"}"#,
    ] {
        assert!(serde_json::from_str::<Actor>(bad).is_err(), "{bad}");
    }
}
