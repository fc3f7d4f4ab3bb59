//! Failed authentications recorded by a service in front of the door: an
//! `authenticate` event with the service's reason, in the claimed
//! principal's tenant trail, in a chain that still verifies.

use crate::door;

use coffer_door::audit::Outcome;
use coffer_door::policy::*;
use coffer_door::*;
use door::*;

#[test]
fn a_refused_credential_is_recorded_in_the_claimed_tenant() {
    let alice = principal("acme", "alice");
    let door = FrontDoor::setup(fast_config(), memory_store(), sessions())
        .tenant_role(&alice, Role::Owner)
        .open()
        .unwrap();
    let reason = ReasonCode::new("api-key.revoked").unwrap();
    door.record_failed_authentication(&alice, &reason).unwrap();
    door.record_failed_authentication(&principal("other", "mallory"), &reason)
        .unwrap();

    let trail = door
        .audit_trail(&alice, &Target::for_tenant(tenant("acme")))
        .unwrap();
    let records: Vec<_> = trail
        .iter()
        .filter(|r| r.event.operation == Operation::Authenticate)
        .collect();
    assert_eq!(records.len(), 1, "only acme's refusal is in acme's trail");
    let event = &records[0].event;
    assert_eq!(event.principal, alice);
    assert_eq!(event.outcome, Outcome::Failed { reason });
    assert_eq!(event.role, None);
    assert_eq!(event.decision.verdict, Verdict::Deny);
    assert!(event.decision.access.is_none() && event.decision.rules.is_empty());
    door.verify_chain(None).unwrap();
    assert_eq!(
        door.audit_records().unwrap().len(),
        3,
        "two refusals and the trail read"
    );
    assert!(!Role::Owner.permits(Operation::Authenticate));
}
