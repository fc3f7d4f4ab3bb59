//! Realistic audit events built through the authorizer.

use coffer_audit::policy::*;
use coffer_audit::{AuditEvent, AuditKey, KeyRef, Outcome, Timestamp};

pub(crate) fn key() -> AuditKey {
    AuditKey::from_bytes([0x42; 32])
}

pub(crate) fn other_key() -> AuditKey {
    AuditKey::from_bytes([0x43; 32])
}

/// The policy the events are decided under: FIPS enabled.
pub(crate) fn policy() -> Policy {
    Policy::from_json(r#"{"version": 1, "rules": [{"id": "fips", "condition": {"fips": "enabled"}}]}"#)
        .unwrap()
}

/// Event number `n`: alternately allowed and denied operations.
pub(crate) fn event(n: u64) -> AuditEvent {
    let acme = TenantId::new("acme").unwrap();
    let p = ProjectId::new("payroll").unwrap();
    let ed = Principal::new(acme.clone(), PrincipalId::new("ed").unwrap());
    let mut m = Membership::new();
    m.create_project(&acme, &p).unwrap();
    m.assign(&acme, &p, &ed, Role::Editor).unwrap();
    let authz = Authorizer::new(m, policy().compile());
    let target = Target::for_document(acme, p, DocumentId::new(format!("doc-{n}")).unwrap());
    let suite = if n.is_multiple_of(2) {
        EnvelopeSuite::Aes256GcmHkdfSha256
    } else {
        EnvelopeSuite::ChaCha20Poly1305HkdfSha256
    };
    let attrs = Attributes::envelope(suite, 1000 + n);
    let decision = authz.authorize(&ed, Operation::Encrypt, &target, &attrs);
    let mut event = AuditEvent::for_decision(
        Timestamp::from_unix_millis(1_700_000_000_000 + n),
        &ed,
        Operation::Encrypt,
        &target,
        &attrs,
        &decision,
        Outcome::Succeeded,
    );
    if decision.is_allowed() {
        event.key = Some(KeyRef {
            id: KeyName::new("payroll-kek").unwrap(),
            version: 3,
        });
        event.sizes.ciphertext = Some(1000 + n + 200);
    }
    event
}
