//! Downloads: decided as decryptions, owned by the principal they were
//! issued to, and fair across tenants.

use crate::door;

use coffer_door::audit::Outcome;
use coffer_door::envelope::Suite;
use coffer_door::policy::*;
use coffer_door::session::{
    OnEmpty, PoolConfig, RejectReason, SessionConfig, SessionService, SessionStoreError, StoreLimits,
};
use coffer_door::*;
use door::Via::{Decrypt, Download};
use door::*;

fn rule(id: &str, condition: Condition) -> Rule {
    Rule::new(RuleId::new(id).unwrap(), condition)
}

fn policy(rules: Vec<Rule>) -> Policy {
    Policy::new(Enforcement::Enforce, rules).unwrap()
}

#[test]
fn a_suite_rule_on_decrypt_stops_downloads_of_that_suite() {
    let w = world(FrontDoorConfig {
        suite: Suite::ChaCha20Poly1305HkdfSha256,
        ..fast_config()
    });
    let envelope = w.encrypt(&w.editor, "d", b"sealed with chacha").unwrap();
    // An offer made before the policy changed...
    let offer = w
        .door
        .issue_download(&w.viewer, &w.doc("d"), Source::Envelope(&envelope[..]))
        .unwrap();
    let no_chacha = rule(
        "no-chacha",
        Condition::DenyEnvelopeSuites(vec![EnvelopeSuite::ChaCha20Poly1305HkdfSha256]),
    )
    .on(vec![Operation::Decrypt]);
    assert!(w
        .door
        .install_policy(&policy(vec![no_chacha]), &ops())
        .unwrap()
        .is_clean());
    // ... is refused at the redeem, on the suite found in the envelope.
    let (result, out) = redeem(
        &w.door,
        &w.viewer,
        &w.doc("d"),
        &browser_message(&offer, PASSWORD),
        &envelope,
    );
    assert_denied(result, Operation::Download);
    assert!(out.is_empty());
    let last = w.last().event;
    assert_eq!(
        last.envelope_suite,
        Some(EnvelopeSuite::ChaCha20Poly1305HkdfSha256)
    );
    assert!(last.decision.rules.iter().any(|r| r.rule.as_str() == "no-chacha"));
    // A new offer is refused too, before the user types a password.
    assert_denied(
        w.door
            .issue_download(&w.viewer, &w.doc("d"), Source::Envelope(&envelope[..])),
        Operation::Download,
    );
}

#[test]
fn a_size_rule_stops_downloads_of_large_documents() {
    let w = world(fast_config());
    let small = w.encrypt(&w.editor, "small", &[1; 16]).unwrap();
    let large = w.encrypt(&w.editor, "large", &[2; 100]).unwrap();
    let at_most_16 = rule("at-most-16", Condition::MaxMessageSize(16));
    assert_eq!(
        at_most_16.applies_to(),
        [Operation::Encrypt, Operation::Decrypt, Operation::Download]
    );
    assert!(w
        .door
        .install_policy(&policy(vec![at_most_16]), &ops())
        .unwrap()
        .is_clean());
    assert_denied(
        w.read(Download, &w.viewer, "large", &large, PASSWORD),
        Operation::Download,
    );
    assert_eq!(w.last().event.sizes.plaintext, Some(100));
    assert_eq!(
        w.read(Download, &w.viewer, "small", &small, PASSWORD).unwrap().0,
        [1; 16]
    );
}

#[test]
fn a_rule_can_name_download() {
    let json = r#"{"version": 1, "rules": [
        {"id": "no-chacha-downloads", "operations": ["download"],
         "condition": {"deny_envelope_suites": ["CHACHA20-POLY1305/HKDF-SHA256"]}}
    ]}"#;
    let policy = Policy::from_json(json).unwrap();
    let w = world_with(
        FrontDoorConfig {
            suite: Suite::ChaCha20Poly1305HkdfSha256,
            ..fast_config()
        },
        policy,
        memory_store(),
    );
    let envelope = w.encrypt(&w.editor, "d", b"x").unwrap();
    assert_denied(
        w.read(Download, &w.viewer, "d", &envelope, PASSWORD),
        Operation::Download,
    );
    // The rule names downloads only: a server-side decrypt is not refused.
    w.read(Decrypt, &w.viewer, "d", &envelope, PASSWORD).unwrap();
}

#[test]
fn a_session_is_redeemed_only_by_the_principal_it_was_issued_to() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.owner, "d", b"for the owner").unwrap();
    let offer = w
        .door
        .issue_download(&w.owner, &w.doc("d"), Source::Envelope(&envelope[..]))
        .unwrap();
    let message = browser_message(&offer, PASSWORD);

    // The Viewer may download this document, but not through the Owner's
    // session and the Owner's password.
    let (stolen, out) = redeem(&w.door, &w.viewer, &w.doc("d"), &message, &envelope);
    assert!(out.is_empty());
    let stolen = stolen.unwrap_err();
    assert!(
        matches!(&stolen, FrontDoorError::SessionRejected(r) if r.reason() == RejectReason::WrongIssuer),
        "{stolen:?}"
    );
    let last = w.last().event;
    assert_eq!(last.principal, w.viewer);
    assert!(matches!(&last.outcome, Outcome::Failed { reason } if reason.as_str() == "session.wrong_issuer"));

    // The attempt did not spend the Owner's session.
    let (owner, out) = redeem(&w.door, &w.owner, &w.doc("d"), &message, &envelope);
    owner.unwrap();
    assert_eq!(out, b"for the owner");

    // Offers for one document differ by principal: the binding names who.
    let viewers = w
        .door
        .issue_download(&w.viewer, &w.doc("d"), Source::Envelope(&envelope[..]))
        .unwrap();
    assert_ne!(viewers.binding, offer.binding);
    assert!(viewers.binding.starts_with("acme/payroll/d/"));
}

#[test]
fn one_tenant_cannot_fill_the_session_store_for_everyone() {
    let limits = StoreLimits {
        capacity: 4,
        per_tenant: 2,
        ..StoreLimits::default()
    };
    let sessions = SessionService::new(SessionConfig {
        store: limits,
        pool: PoolConfig {
            workers: 0,
            on_empty: OnEmpty::GenerateInline,
            ..PoolConfig::default()
        },
        ..SessionConfig::default()
    })
    .unwrap();
    let w = world_in(fast_config(), Policy::default(), memory_store(), sessions);
    let envelope = w.encrypt(&w.owner, "d", b"x").unwrap();
    let acme = [&w.owner, &w.editor, &w.viewer];
    let issued: Vec<_> = acme
        .iter()
        .map(|who| {
            w.door
                .issue_download(who, &w.doc("d"), Source::Envelope(&envelope[..]))
        })
        .collect();
    assert!(issued[0].is_ok() && issued[1].is_ok());
    assert!(
        matches!(
            &issued[2],
            Err(FrontDoorError::Issue(session::IssueError::Store(
                SessionStoreError::TenantFull { .. }
            )))
        ),
        "{:?}",
        issued[2]
    );

    // Globex still gets offers.
    let gus = &w.globex_owner;
    let tax = ProjectId::new("tax").unwrap();
    w.door.create_project(gus, &tax, &pw(PASSWORD)).unwrap();
    let globex_doc = DocumentRef::new(gus.tenant.clone(), tax, DocumentId::new("t").unwrap());
    let globex_envelope = w
        .door
        .encrypt(gus, &globex_doc, b"y", &Context::new(), &pw(PASSWORD))
        .unwrap();
    w.door
        .issue_download(gus, &globex_doc, Source::Envelope(&globex_envelope[..]))
        .unwrap();
}
