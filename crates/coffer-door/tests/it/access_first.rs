//! A caller refused access to a project learns nothing about its
//! documents: the access decision comes before anything about a stored
//! document is read, and its denial explains that decision only.

use crate::door;

use std::io;

use coffer_door::audit::Outcome;
use coffer_door::policy::*;
use coffer_door::*;
use door::*;

/// A policy whose rules would speak of a document's size and context: a
/// size limit, and a rule scoped to one client's documents.
fn revealing_policy() -> Policy {
    let at_most_16 = Rule::new(RuleId::new("at-most-16").unwrap(), Condition::MaxMessageSize(16));
    let scoped = Rule::new(
        RuleId::new("initech-small").unwrap(),
        Condition::MaxMessageSize(1 << 20),
    )
    .in_scope(Scope::global().with_context("client", "initech"));
    Policy::new(Enforcement::Enforce, vec![at_most_16, scoped]).unwrap()
}

#[test]
fn a_member_with_no_role_in_the_project_learns_nothing_of_a_stored_document() {
    let w = world(fast_config());
    let mut context = Context::new();
    context.insert("client", "initech").unwrap();
    let secret = [7u8; 100];
    w.door
        .store_document(
            &w.editor,
            &w.doc("memo"),
            Plaintext::new(&secret[..], 100),
            &context,
            &pw(PASSWORD),
        )
        .unwrap();
    assert!(w
        .door
        .install_policy(&revealing_policy(), &ops())
        .unwrap()
        .is_clean());

    // `sam` is of the tenant but holds no role in the project; `gus` is
    // another tenant's Owner.
    for who in [&w.stranger, &w.globex_owner] {
        let mut explanations = Vec::new();
        for id in ["memo", "no-such-document"] {
            let mut out = Vec::new();
            let opened = w
                .door
                .open_document(who, &w.doc(id), Source::stored(), &pw(PASSWORD), &mut out);
            assert!(out.is_empty());
            let offered = w.door.issue_download(who, &w.doc(id), Source::stored());
            for (result, operation) in [
                (opened.map(drop), Operation::Decrypt),
                (offered.map(drop), Operation::Download),
            ] {
                let Err(FrontDoorError::Denied {
                    operation: denied,
                    explanation,
                }) = result
                else {
                    panic!("expected a denial, got {result:?}");
                };
                assert_eq!(denied, operation);
                // The access line and the verdict: no rule, no size, no context.
                assert_eq!(explanation.len(), 2, "{explanation:?}");
                assert!(explanation[0].starts_with("access: denied"), "{explanation:?}");
                assert_eq!(explanation[1], "verdict: deny");
                let text = explanation.join("; ");
                for leak in ["100", "initech", "client", "at-most-16", "rule"] {
                    assert!(!text.contains(leak), "`{leak}` in {text}");
                }
                explanations.push(explanation);
                // The record names the access decision only.
                let record = w.last();
                assert_eq!(record.event.outcome, Outcome::Denied);
                assert_eq!(record.event.sizes.plaintext, None);
                assert!(
                    record.event.decision.rules.is_empty(),
                    "{:?}",
                    record.event.decision
                );
                assert!(record.event.decision.access.is_some());
            }
        }
        // A document that exists and one that does not are refused alike.
        assert!(
            explanations.windows(2).all(|pair| pair[0] == pair[1]),
            "{explanations:?}"
        );
    }

    // A member with access is decided on the envelope's facts, as before:
    // the size rule denies the 100-byte document, and says why.
    let denied = w.door.open_document(
        &w.viewer,
        &w.doc("memo"),
        Source::stored(),
        &pw(PASSWORD),
        io::sink(),
    );
    let Err(FrontDoorError::Denied { explanation, .. }) = denied else {
        panic!("expected a denial, got {denied:?}");
    };
    assert!(
        explanation.iter().any(|line| line.contains("at-most-16")),
        "{explanation:?}"
    );
    assert_eq!(w.last().event.sizes.plaintext, Some(100));
}

#[test]
fn a_caller_refused_access_to_a_given_envelope_is_told_of_access_only() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.editor, "memo", &[1; 100]).unwrap();
    assert!(w
        .door
        .install_policy(&revealing_policy(), &ops())
        .unwrap()
        .is_clean());
    let result = w.door.open_document(
        &w.stranger,
        &w.doc("memo"),
        Source::Envelope(&envelope[..]),
        &pw(PASSWORD),
        io::sink(),
    );
    let Err(FrontDoorError::Denied { explanation, .. }) = result else {
        panic!("expected a denial, got {result:?}");
    };
    assert_eq!(explanation.len(), 2, "{explanation:?}");
    assert!(w.last().event.decision.rules.is_empty());
}
