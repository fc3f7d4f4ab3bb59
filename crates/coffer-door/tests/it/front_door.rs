//! The front door end to end: role × operation, project isolation, download
//! sessions, algorithm rules on both sides, password change, rotation, the
//! audit trail and failing closed.

use crate::door;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use coffer_door::audit::{AuditEvent, Outcome, StatusCode};
use coffer_door::envelope::{HeaderView, ReaderLimits, Suite};
use coffer_door::keys;
use coffer_door::policy::*;
use coffer_door::session::RejectReason;
use coffer_door::store::{MemoryStore, Store, Transaction};
use coffer_door::*;
use door::Via::{Decrypt, Download};
use door::*;

// ---------------------------------------------------------------------------
// Role × operation
// ---------------------------------------------------------------------------

/// The calls of the front door that act on a project or its documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Encrypt,
    Decrypt,
    IssueDownload,
    RedeemDownload,
    ChangePassword,
    RotateKey,
    RewrapDocument,
    AddMember,
    RemoveMember,
    AuditTrail,
    VerifyAudit,
}

impl Call {
    /// The operation the call is decided and audited as.
    fn operation(self) -> Operation {
        match self {
            Call::Encrypt => Operation::Encrypt,
            Call::Decrypt => Operation::Decrypt,
            Call::IssueDownload | Call::RedeemDownload => Operation::Download,
            Call::ChangePassword => Operation::ChangePassword,
            Call::RotateKey | Call::RewrapDocument => Operation::RotateKey,
            Call::AddMember => Operation::AddMember,
            Call::RemoveMember => Operation::RemoveMember,
            Call::AuditTrail => Operation::ReadAudit,
            Call::VerifyAudit => Operation::VerifyAudit,
        }
    }
}

/// Who may make each call: Owner, Editor, Viewer, Auditor, a member of the
/// tenant with no role in the project.
const TABLE: &[(Call, [bool; 5])] = &[
    (Call::Encrypt, [true, true, false, false, false]),
    (Call::Decrypt, [true, true, true, false, false]),
    (Call::IssueDownload, [true, true, true, false, false]),
    (Call::RedeemDownload, [true, true, true, false, false]),
    (Call::ChangePassword, [true, false, false, false, false]),
    (Call::RotateKey, [true, false, false, false, false]),
    (Call::RewrapDocument, [true, false, false, false, false]),
    (Call::AddMember, [true, false, false, false, false]),
    (Call::RemoveMember, [true, false, false, false, false]),
    (Call::AuditTrail, [true, false, false, true, false]),
    (Call::VerifyAudit, [true, false, false, true, false]),
];

/// What the exhaustive test carries from call to call.
struct State {
    password: String,
    envelope: Vec<u8>,
    changes: u32,
}

/// Makes `call` as `who`; on success checks what the call produced.
fn make_call(
    w: &World<MemoryStore>,
    state: &mut State,
    call: Call,
    who: &Principal,
) -> Result<(), FrontDoorError> {
    const PLAINTEXT: &[u8] = b"salaries, november";
    let project = w.project_target();
    let shared = w.doc("shared");
    match call {
        Call::Encrypt => {
            let envelope = w.door.encrypt(
                who,
                &w.doc("new"),
                PLAINTEXT,
                &Context::new(),
                &pw(&state.password),
            )?;
            // Checked by another principal, so the caller's last event
            // stays its encrypt.
            let (plain, _) = w
                .read(Decrypt, &w.viewer, "new", &envelope, &state.password)
                .unwrap();
            assert_eq!(plain, PLAINTEXT);
        }
        Call::Decrypt => {
            let (plain, _) = open(Decrypt, &w.door, who, &shared, &state.envelope, &state.password)?;
            assert_eq!(plain, PLAINTEXT);
        }
        Call::IssueDownload => {
            let offer = w
                .door
                .issue_download(who, &shared, Source::Envelope(&state.envelope[..]))?;
            assert_eq!(offer.purpose, DOWNLOAD_PURPOSE);
        }
        Call::RedeemDownload => {
            // Issued to `who`, or, where `who` may not ask for one, to the
            // Owner: the redeem is decided on its own.
            let offer = w
                .door
                .issue_download(who, &shared, Source::Envelope(&state.envelope[..]))
                .or_else(|_| {
                    w.door
                        .issue_download(&w.owner, &shared, Source::Envelope(&state.envelope[..]))
                })
                .unwrap();
            let message = browser_message(&offer, &state.password);
            let (result, out) = redeem(&w.door, who, &shared, &message, &state.envelope);
            match result {
                Ok(_) => assert_eq!(out, PLAINTEXT),
                Err(e) => {
                    assert!(out.is_empty());
                    return Err(e);
                }
            }
        }
        Call::ChangePassword => {
            let new = format!("{PASSWORD} #{}", state.changes + 1);
            w.door
                .change_password(who, &project, &pw(&state.password), &pw(&new))?;
            state.password = new;
            state.changes += 1;
        }
        Call::RotateKey => {
            let version = w.door.rotate_key(who, &project, &pw(&state.password))?;
            assert!(version >= 2);
        }
        Call::RewrapDocument => {
            state.envelope = w
                .door
                .rewrap_document(who, &shared, &state.envelope, &pw(&state.password))?;
        }
        Call::AddMember => {
            let added = w
                .door
                .add_member(who, &project, &principal("acme", "extra"), Role::Viewer)?;
            assert_eq!(added, None);
        }
        Call::RemoveMember => {
            let removed = w.door.remove_member(who, &project, &principal("acme", "extra"))?;
            assert_eq!(removed, Some(Role::Viewer));
        }
        Call::AuditTrail => {
            let trail = w.door.audit_trail(who, &project.clone().into())?;
            assert!(!trail.is_empty());
        }
        Call::VerifyAudit => {
            let report = w.door.verify_audit(who, &project.clone().into())?;
            // Every record about the project but the verification's own event.
            let about = w
                .records()
                .iter()
                .filter(|r| r.event.project.as_ref() == Some(&w.payroll))
                .count();
            assert_eq!(report.records + 1, about as u64);
        }
    }
    Ok(())
}

#[test]
fn role_by_operation_through_the_front_door() {
    let w = world(fast_config());
    let mut state = State {
        password: PASSWORD.to_owned(),
        envelope: w.encrypt(&w.owner, "shared", b"salaries, november").unwrap(),
        changes: 0,
    };
    let who = [&w.owner, &w.editor, &w.viewer, &w.auditor, &w.stranger];
    let roles = [
        Some(Role::Owner),
        Some(Role::Editor),
        Some(Role::Viewer),
        Some(Role::Auditor),
        None,
    ];
    for (call, row) in TABLE {
        for ((principal, role), allowed) in who.iter().zip(roles).zip(row) {
            let before = w.records().len();
            let result = make_call(&w, &mut state, *call, principal);
            let label = format!("{call:?} as {:?}", role);
            if *allowed {
                assert!(result.is_ok(), "{label}: {result:?}");
            } else {
                assert_denied(result, call.operation());
            }
            // The call's own event is the last one written (a redeem also
            // needed an issue, and an encrypt a check by decryption).
            let records = w.records();
            assert!(records.len() > before, "{label}: no audit event");
            let event = &records
                .iter()
                .rev()
                .find(|r| r.event.principal == **principal)
                .unwrap_or_else(|| unreachable!("{label}: no event for the caller"))
                .event;
            assert_eq!(event.operation, call.operation(), "{label}");
            assert_eq!(event.role, role, "{label}");
            assert_eq!(event.tenant.as_ref(), Some(&w.acme), "{label}");
            assert_eq!(event.project.as_ref(), Some(&w.payroll), "{label}");
            if *allowed {
                assert_eq!(event.outcome, Outcome::Succeeded, "{label}");
                assert_eq!(event.decision.access, None, "{label}");
            } else {
                assert_eq!(event.outcome, Outcome::Denied, "{label}");
                let denial = if role.is_some() {
                    AccessDenial::RoleForbids
                } else {
                    AccessDenial::NotMember
                };
                assert_eq!(event.decision.access, Some(denial), "{label}");
            }
        }
    }
    // The Owner's change of password and rotation really happened.
    assert_eq!(state.changes, 1);
    let (_, receipt) = w
        .read(Decrypt, &w.viewer, "shared", &state.envelope, &state.password)
        .unwrap();
    assert_eq!(receipt.key_version, 2);
}

#[test]
fn the_table_covers_the_project_level_role_permissions() {
    // Same answers as the role table the authorizer uses, so the front door
    // neither adds nor drops a permission.
    let roles = [Role::Owner, Role::Editor, Role::Viewer, Role::Auditor];
    for (call, row) in TABLE {
        for (role, allowed) in roles.iter().zip(row) {
            assert_eq!(role.permits(call.operation()), *allowed, "{call:?} {role}");
        }
        assert!(!row[4], "a non-member may never {call:?}");
    }
}

// ---------------------------------------------------------------------------
// Isolation
// ---------------------------------------------------------------------------

#[test]
fn an_envelope_moved_elsewhere_does_not_open_whoever_asks() {
    let w = world(fast_config());
    // Same password everywhere, and the Owner of `acme` owns both of its
    // projects: only the isolation context keeps the envelope in place.
    let benefits = project("benefits");
    w.door.create_project(&w.owner, &benefits, &pw(PASSWORD)).unwrap();
    let globex_payroll = project("payroll");
    w.door
        .create_project(&w.globex_owner, &globex_payroll, &pw(PASSWORD))
        .unwrap();
    let envelope = w.encrypt(&w.owner, "report-a", b"quarterly figures").unwrap();

    let elsewhere = [
        (
            &w.owner,
            DocumentRef::new(
                w.acme.clone(),
                benefits.clone(),
                DocumentId::new("report-a").unwrap(),
            ),
            "coffer.project",
        ),
        (
            &w.globex_owner,
            DocumentRef::new(
                tenant("globex"),
                globex_payroll,
                DocumentId::new("report-a").unwrap(),
            ),
            "coffer.tenant",
        ),
        (&w.owner, w.doc("report-b"), "coffer.document"),
    ];
    for (who, target, entry) in &elsewhere {
        let mut out = Vec::new();
        let result = w.door.open_document(
            who,
            target,
            Source::Envelope(&envelope[..]),
            &pw(PASSWORD),
            &mut out,
        );
        assert!(
            matches!(&result, Err(FrontDoorError::Keys(keys::Error::ContextMismatch(k))) if k == entry),
            "{target:?}: {result:?}"
        );
        assert!(out.is_empty());
        let last = w.last();
        assert_eq!(&last.event.principal, *who);
        assert_eq!(reason_of(&last), "keys.context-mismatch");
    }

    // Rewriting the context to claim the new place does not help: the
    // context is committed, so the header no longer authenticates.
    let forged = replace_once(&envelope, b"report-a", b"report-b");
    assert_crypto(w.read(Decrypt, &w.owner, "report-b", &forged, PASSWORD));
    assert!(reason_of(&w.last()).starts_with("crypto."));
    // Into another project of the same tenant under that project's key.
    let forged = replace_once(&envelope, b"payroll", b"benefit");
    let benefit = project("benefit");
    w.door.create_project(&w.owner, &benefit, &pw(PASSWORD)).unwrap();
    let target = DocumentRef::new(w.acme.clone(), benefit, DocumentId::new("report-a").unwrap());
    assert_crypto(open(Decrypt, &w.door, &w.owner, &target, &forged, PASSWORD));
    assert_eq!(reason_of(&w.last()), "crypto.wrap-commitment");

    // Where it belongs it still opens.
    let (plain, _) = w
        .read(Decrypt, &w.viewer, "report-a", &envelope, PASSWORD)
        .unwrap();
    assert_eq!(plain, b"quarterly figures");
}

/// `envelope` with the single occurrence of `from` replaced by `to`.
fn replace_once(envelope: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let hits: Vec<usize> = envelope
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| w == &from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "`{}` occurs once", String::from_utf8_lossy(from));
    let mut out = envelope.to_vec();
    out[hits[0]..hits[0] + to.len()].copy_from_slice(to);
    out
}

#[test]
fn viewers_do_not_encrypt_and_auditors_do_not_decrypt() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.editor, "memo", b"memo").unwrap();

    assert_denied(w.encrypt(&w.viewer, "memo-2", b"memo"), Operation::Encrypt);
    let last = w.last();
    assert_eq!(last.event.outcome, Outcome::Denied);
    assert_eq!(last.event.decision.access, Some(AccessDenial::RoleForbids));
    assert_eq!(last.event.key, None);

    let mut out = Vec::new();
    let denied = w.door.open_document(
        &w.auditor,
        &w.doc("memo"),
        Source::Envelope(&envelope[..]),
        &pw(PASSWORD),
        &mut out,
    );
    assert_denied(denied, Operation::Decrypt);
    assert!(out.is_empty());
    assert_denied(
        w.door
            .issue_download(&w.auditor, &w.doc("memo"), Source::Envelope(&envelope[..])),
        Operation::Download,
    );
    assert_eq!(w.last().event.role, Some(Role::Auditor));
}

#[test]
fn a_principal_of_another_tenant_never_reaches_the_project() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.owner, "memo", b"memo").unwrap();
    let gus = &w.globex_owner;
    let target = w.doc("memo");
    let project = w.project_target();

    assert_denied(
        w.door.encrypt(gus, &target, b"x", &Context::new(), &pw(PASSWORD)),
        Operation::Encrypt,
    );
    assert_denied(
        open(Decrypt, &w.door, gus, &target, &envelope, PASSWORD),
        Operation::Decrypt,
    );
    assert_denied(
        w.door
            .issue_download(gus, &target, Source::Envelope(&envelope[..])),
        Operation::Download,
    );
    assert_denied(
        w.door
            .change_password(gus, &project, &pw(PASSWORD), &pw("mine now")),
        Operation::ChangePassword,
    );
    assert_denied(
        w.door.rotate_key(gus, &project, &pw(PASSWORD)),
        Operation::RotateKey,
    );
    assert_denied(
        w.door.add_member(gus, &project, gus, Role::Owner),
        Operation::AddMember,
    );
    assert_denied(
        w.door.audit_trail(gus, &project.clone().into()),
        Operation::ReadAudit,
    );
    assert_denied(
        w.door.audit_trail(gus, &Target::for_tenant(w.acme.clone())),
        Operation::ReadAudit,
    );
    let attempts: Vec<AuditEvent> = w
        .records()
        .into_iter()
        .map(|r| r.event)
        .filter(|e| &e.principal == gus)
        .collect();
    assert_eq!(attempts.len(), 8);
    for event in attempts {
        assert_eq!(event.outcome, Outcome::Denied);
        assert_eq!(event.decision.access, Some(AccessDenial::TenantMismatch));
        assert_eq!(event.tenant.as_ref(), Some(&w.acme));
        assert_eq!(event.role, None);
    }

    // Nor can acme's Owner bring them in.
    let refused = w.door.add_member(&w.owner, &project, gus, Role::Viewer);
    assert!(
        matches!(refused, Err(FrontDoorError::Membership(_))),
        "{refused:?}"
    );
    assert!(matches!(w.last().event.outcome, Outcome::Failed { .. }));
    assert_denied(
        open(Decrypt, &w.door, gus, &target, &envelope, PASSWORD),
        Operation::Decrypt,
    );
}

// ---------------------------------------------------------------------------
// Download sessions
// ---------------------------------------------------------------------------

#[test]
fn a_download_session_is_single_use_and_bound_to_its_document() {
    let w = world(fast_config());
    let d1 = w.encrypt(&w.owner, "d1", b"first document").unwrap();
    let d2 = w.encrypt(&w.owner, "d2", b"second document").unwrap();

    let offer = w
        .door
        .issue_download(&w.viewer, &w.doc("d1"), Source::Envelope(&d1[..]))
        .unwrap();
    let message = browser_message(&offer, PASSWORD);
    let (first, out) = redeem(&w.door, &w.viewer, &w.doc("d1"), &message, &d1);
    let receipt = first.unwrap();
    assert_eq!(out, b"first document");
    assert_eq!(receipt.plaintext_len, 14);
    assert_eq!(receipt.suite, Suite::Aes256GcmHkdfSha256);
    let last = w.last();
    assert_eq!(last.event.operation, Operation::Download);
    assert_eq!(last.event.outcome, Outcome::Succeeded);
    assert_eq!(last.event.sizes.plaintext, Some(14));
    assert_eq!(last.event.key.as_ref().map(|k| k.version), Some(1));

    // The same message again: refused, uniformly to the caller, precisely
    // in the audit trail.
    let replay = redeem(&w.door, &w.viewer, &w.doc("d1"), &message, &d1);
    assert_session_refused(&w, replay, RejectReason::AlreadyUsed, "session.already_used");

    // An offer for d1 redeemed for d2.
    let offer = w
        .door
        .issue_download(&w.viewer, &w.doc("d1"), Source::Envelope(&d1[..]))
        .unwrap();
    let message = browser_message(&offer, PASSWORD);
    let moved = redeem(&w.door, &w.viewer, &w.doc("d2"), &message, &d2);
    assert_session_refused(&w, moved, RejectReason::WrongBinding, "session.wrong_binding");
    // ... and it was spent by that attempt.
    let retry = redeem(&w.door, &w.viewer, &w.doc("d1"), &message, &d1);
    assert_session_refused(&w, retry, RejectReason::AlreadyUsed, "session.already_used");

    // A wrong password inside a good session: the opaque crypto failure
    // outside, the precise reason in the audit trail.
    let wrong = w.read(Download, &w.viewer, "d2", &d2, "tr0ub4dor&3");
    assert_crypto(wrong);
    assert_eq!(reason_of(&w.last()), "crypto.wrap-commitment");
    assert_eq!(
        w.read(Download, &w.viewer, "d2", &d2, PASSWORD).unwrap().0,
        b"second document"
    );
}

/// Download offers in RSA-OAEP-256 with 2048-bit keys, what existing
/// browser clients speak.
fn rsa_config() -> FrontDoorConfig {
    FrontDoorConfig {
        download_suite: session::Suite::RsaOaep2048,
        ..fast_config()
    }
}

#[test]
fn an_allowed_redeem_spends_its_session_even_on_an_unreadable_envelope() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.owner, "d", b"x").unwrap();
    let offer = w
        .door
        .issue_download(&w.viewer, &w.doc("d"), Source::Envelope(&envelope[..]))
        .unwrap();
    let message = browser_message(&offer, PASSWORD);
    let (garbage, out) = redeem(&w.door, &w.viewer, &w.doc("d"), &message, b"not an envelope");
    assert!(
        matches!(garbage, Err(FrontDoorError::Keys(keys::Error::Format(_)))),
        "{garbage:?}"
    );
    assert!(out.is_empty());
    assert!(reason_of(&w.last()).starts_with("format."));
    let again = redeem(&w.door, &w.viewer, &w.doc("d"), &message, &envelope);
    assert_session_refused(&w, again, RejectReason::AlreadyUsed, "session.already_used");
}

#[test]
fn a_session_of_another_suite_is_not_a_download_session() {
    // The door issues RSA-2048 offers; other code sharing its session
    // service issues an ECDH one with the same purpose, binding and issuer.
    let w = world(rsa_config());
    let envelope = w.encrypt(&w.owner, "d", b"x").unwrap();
    let ours = w
        .door
        .issue_download(&w.viewer, &w.doc("d"), Source::Envelope(&envelope[..]))
        .unwrap();
    let issuer = format!("{}/{}", w.viewer.tenant.as_str(), w.viewer.id.as_str());
    let request =
        session::IssueRequest::new(session::Suite::EcdhP256, DOWNLOAD_PURPOSE, ours.binding, issuer)
            .tenant("acme");
    let message = browser_message(&w.door.sessions().issue(&request).unwrap(), PASSWORD);
    let (result, out) = redeem(&w.door, &w.viewer, &w.doc("d"), &message, &envelope);
    assert!(
        matches!(result, Err(FrontDoorError::ForeignSession)),
        "{result:?}"
    );
    assert!(out.is_empty());
    let last = w.last();
    assert_eq!(reason_of(&last), "front-door.ForeignSession");
    assert_eq!(last.event.session, Some(SessionSpec::rsa_oaep_256(2048)));
}

#[test]
fn an_rsa_2048_download_end_to_end() {
    let w = world(rsa_config());
    let envelope = w.encrypt(&w.owner, "d", b"over rsa").unwrap();
    let offer = w
        .door
        .issue_download(&w.editor, &w.doc("d"), Source::Envelope(&envelope[..]))
        .unwrap();
    assert_eq!(offer.suite, session::Suite::RsaOaep2048);
    assert_eq!(w.last().event.session, Some(SessionSpec::rsa_oaep_256(2048)));
    let (result, out) = redeem(
        &w.door,
        &w.editor,
        &w.doc("d"),
        &browser_message(&offer, PASSWORD),
        &envelope,
    );
    result.unwrap();
    assert_eq!(out, b"over rsa");
}

// ---------------------------------------------------------------------------
// Algorithm rules
// ---------------------------------------------------------------------------

fn rule(id: &str, condition: Condition) -> Rule {
    Rule::new(RuleId::new(id).unwrap(), condition)
}

fn policy(rules: Vec<Rule>) -> Policy {
    Policy::new(Enforcement::Enforce, rules).unwrap()
}

#[test]
fn decrypt_is_decided_on_the_suite_in_the_envelope() {
    let config = FrontDoorConfig {
        suite: Suite::ChaCha20Poly1305HkdfSha256,
        ..fast_config()
    };
    let w = world(config);
    let envelope = w.encrypt(&w.editor, "d", b"sealed with chacha").unwrap();
    assert_eq!(
        w.last().event.envelope_suite,
        Some(EnvelopeSuite::ChaCha20Poly1305HkdfSha256)
    );

    assert!(w
        .door
        .install_policy(
            &policy(vec![rule("fips", Condition::Fips(FipsProfile::Enabled))]),
            &ops()
        )
        .unwrap()
        .is_clean());
    assert_denied(
        w.read(Decrypt, &w.editor, "d", &envelope, PASSWORD),
        Operation::Decrypt,
    );
    let last = w.last();
    assert_eq!(last.event.outcome, Outcome::Denied);
    assert_eq!(last.event.decision.access, None);
    assert_eq!(
        last.event.envelope_suite,
        Some(EnvelopeSuite::ChaCha20Poly1305HkdfSha256)
    );
    assert!(last
        .event
        .decision
        .rules
        .iter()
        .any(|r| r.rule.as_str() == "fips" && r.status == StatusCode::Violated));
    // The offer itself is fine (both session suites are approved); the
    // redeem meets the envelope's suite and is refused.
    assert_denied(
        w.read(Download, &w.editor, "d", &envelope, PASSWORD),
        Operation::Download,
    );
    // New ChaCha documents are refused too.
    assert_denied(w.encrypt(&w.editor, "d2", b"more"), Operation::Encrypt);

    assert!(w
        .door
        .install_policy(
            &policy(vec![rule(
                "no-chacha",
                Condition::DenyEnvelopeSuites(vec![EnvelopeSuite::ChaCha20Poly1305HkdfSha256]),
            )]),
            &ops()
        )
        .unwrap()
        .is_clean());
    assert_denied(
        w.read(Decrypt, &w.owner, "d", &envelope, PASSWORD),
        Operation::Decrypt,
    );

    // The denials were the policy's: without it the envelope opens.
    assert!(w.door.install_policy(&policy(vec![]), &ops()).unwrap().is_clean());
    let (plain, receipt) = w.read(Decrypt, &w.editor, "d", &envelope, PASSWORD).unwrap();
    assert_eq!(plain, b"sealed with chacha");
    assert_eq!(receipt.suite, Suite::ChaCha20Poly1305HkdfSha256);
}

#[test]
fn a_session_suite_rule_denies_rsa_2048_offers() {
    let config = rsa_config();
    let min_3072 = rule(
        "rsa-3072",
        Condition::MinKeyBits {
            suite: SessionSuite::RsaOaep256,
            bits: 3072,
        },
    );
    let w = world_with(
        config,
        Policy::new(Enforcement::Enforce, vec![min_3072]).unwrap(),
        memory_store(),
    );
    let envelope = w.encrypt(&w.owner, "d", b"x").unwrap();
    assert_denied(
        w.door
            .issue_download(&w.owner, &w.doc("d"), Source::Envelope(&envelope[..])),
        Operation::Download,
    );
    let last = w.last();
    assert_eq!(last.event.session, Some(SessionSpec::rsa_oaep_256(2048)));
    assert_eq!(last.event.decision.rules.len(), 1);
    assert_eq!(last.event.decision.rules[0].status, StatusCode::Violated);
    // No offer was made.
    assert_eq!(w.door.sessions().stats().live, 0);

    // An ECDH-only rule, with ECDH offers, lets them through.
    let ecdh_only = rule(
        "ecdh-only",
        Condition::AllowSessionSuites(vec![SessionSuite::EcdhP256]),
    );
    let w = world_with(
        fast_config(),
        Policy::new(Enforcement::Enforce, vec![ecdh_only]).unwrap(),
        memory_store(),
    );
    let envelope = w.encrypt(&w.owner, "d", b"x").unwrap();
    assert_eq!(
        w.read(Download, &w.viewer, "d", &envelope, PASSWORD).unwrap().0,
        b"x"
    );
}

#[test]
fn a_context_scoped_rule_applies_to_requests_with_that_context() {
    let w = world(fast_config());
    let secret = Context::from_pairs([("class", "secret")]).unwrap();
    let public = Context::from_pairs([("class", "public")]).unwrap();
    let encrypt = |id: &str, body: &[u8], context: &Context| {
        w.door
            .encrypt(&w.editor, &w.doc(id), body, context, &pw(PASSWORD))
    };
    let big = [7u8; 100];
    let old_small = encrypt("old-small", b"classified", &secret).unwrap();
    let old_big = encrypt("old-big", &big, &secret).unwrap();
    let old_public = encrypt("old-public", &big, &public).unwrap();

    // Secrets at most 16 bytes, on encrypt and (by default) decrypt.
    let small_secrets = rule("small-secrets", Condition::MaxMessageSize(16))
        .in_scope(Scope::tenant(w.acme.clone()).with_context("class", "secret"));
    assert!(w
        .door
        .install_policy(&policy(vec![small_secrets]), &ops())
        .unwrap()
        .is_clean());
    assert_denied(encrypt("a", &big, &secret), Operation::Encrypt);
    let denied = w.last();
    assert_eq!(denied.event.decision.rules.len(), 1);
    assert_eq!(denied.event.decision.rules[0].rule.as_str(), "small-secrets");
    assert_eq!(denied.event.decision.rules[0].status, StatusCode::Violated);
    encrypt("b", &big[..16], &secret).unwrap();
    encrypt("c", &big, &public).unwrap();
    encrypt("d", &big, &Context::new()).unwrap();
    assert!(w.last().event.decision.rules.is_empty());
    // On decrypt the context and the size come from the envelope itself.
    assert_denied(
        w.read(Decrypt, &w.editor, "old-big", &old_big, PASSWORD),
        Operation::Decrypt,
    );
    assert_eq!(w.last().event.sizes.plaintext, Some(100));
    assert_eq!(
        w.read(Decrypt, &w.editor, "old-small", &old_small, PASSWORD)
            .unwrap()
            .0,
        b"classified"
    );
    assert_eq!(w.last().event.decision.rules[0].status, StatusCode::Satisfied);
    w.read(Decrypt, &w.editor, "old-public", &old_public, PASSWORD)
        .unwrap();

    // A decrypt-only rule for one project's secrets.
    let no_aes_for_secrets = rule(
        "no-aes-secrets",
        Condition::DenyEnvelopeSuites(vec![EnvelopeSuite::Aes256GcmHkdfSha256]),
    )
    .in_scope(Scope::project(w.acme.clone(), w.payroll.clone()).with_context("class", "secret"))
    .on(vec![Operation::Decrypt]);
    assert!(w
        .door
        .install_policy(&policy(vec![no_aes_for_secrets]), &ops())
        .unwrap()
        .is_clean());
    encrypt("e", b"still sealable", &secret).unwrap();
    assert_denied(
        w.read(Decrypt, &w.editor, "old-small", &old_small, PASSWORD),
        Operation::Decrypt,
    );
    assert_eq!(w.last().event.decision.rules[0].rule.as_str(), "no-aes-secrets");
    let (plain, _) = w
        .read(Decrypt, &w.editor, "old-public", &old_public, PASSWORD)
        .unwrap();
    assert_eq!(plain, big);
}

// ---------------------------------------------------------------------------
// Password change and rotation
// ---------------------------------------------------------------------------

#[test]
fn a_password_change_rewraps_the_project_key_and_leaves_documents_alone() {
    let w = world(fast_config());
    let v1_doc = w.encrypt(&w.editor, "v1", b"before rotation").unwrap();
    w.door
        .rotate_key(&w.owner, &w.project_target(), &pw(PASSWORD))
        .unwrap();
    let v2_doc = w.encrypt(&w.editor, "v2", b"after rotation").unwrap();
    let kept = (v1_doc.clone(), v2_doc.clone());
    // The old password is now cached: the change must drop it.
    w.read(Decrypt, &w.editor, "v1", &v1_doc, PASSWORD).unwrap();
    assert_eq!(w.door.cached_keys(), 2);

    let new = "a much better passphrase";
    assert_crypto(
        w.door
            .change_password(&w.owner, &w.project_target(), &pw("not it"), &pw(new)),
    );
    w.read(Decrypt, &w.editor, "v1", &v1_doc, PASSWORD).unwrap();
    w.door
        .change_password(&w.owner, &w.project_target(), &pw(PASSWORD), &pw(new))
        .unwrap();
    assert_eq!(w.door.cached_keys(), 0);

    assert_crypto(w.read(Decrypt, &w.editor, "v1", &v1_doc, PASSWORD));
    assert_crypto(w.read(Decrypt, &w.editor, "v2", &v2_doc, PASSWORD));
    assert_crypto(w.read(Download, &w.viewer, "v1", &v1_doc, PASSWORD));
    let (plain, receipt) = w.read(Decrypt, &w.editor, "v1", &v1_doc, new).unwrap();
    assert_eq!(
        (plain.as_slice(), receipt.key_version),
        (&b"before rotation"[..], 1)
    );
    let (plain, receipt) = w.read(Decrypt, &w.editor, "v2", &v2_doc, new).unwrap();
    assert_eq!(
        (plain.as_slice(), receipt.key_version),
        (&b"after rotation"[..], 2)
    );
    assert_eq!(
        w.read(Download, &w.viewer, "v1", &v1_doc, new).unwrap().0,
        b"before rotation"
    );
    // The very same bytes were opened: no document was rewritten.
    assert_eq!((v1_doc, v2_doc), kept);
    // New documents use the new password.
    let fresh = w
        .door
        .encrypt(&w.editor, &w.doc("v3"), b"new", &Context::new(), &pw(new))
        .unwrap();
    assert_eq!(w.read(Decrypt, &w.owner, "v3", &fresh, new).unwrap().0, b"new");
}

fn body(envelope: &[u8]) -> &[u8] {
    let header = HeaderView::parse_prefix(envelope, &ReaderLimits::default()).unwrap();
    &envelope[header.len()..]
}

#[test]
fn rotation_keeps_old_documents_and_rewrap_moves_them_to_the_new_version() {
    let w = world(fast_config());
    let old = w.encrypt(&w.editor, "old", b"under version 1").unwrap();
    assert_eq!(w.last().event.key.as_ref().map(|k| k.version), Some(1));

    let version = w
        .door
        .rotate_key(&w.owner, &w.project_target(), &pw(PASSWORD))
        .unwrap();
    assert_eq!(version, 2);
    let rotated = w.last();
    assert_eq!(rotated.event.operation, Operation::RotateKey);
    assert_eq!(
        rotated.event.key.as_ref().map(|k| (k.id.as_str(), k.version)),
        Some(("project", 2))
    );

    let new = w.encrypt(&w.editor, "new", b"under version 2").unwrap();
    assert_eq!(w.last().event.key.as_ref().map(|k| k.version), Some(2));
    assert_eq!(opened_version(&w.door, &w.doc("new"), &new, PASSWORD), 2);
    let (plain, receipt) = w.read(Decrypt, &w.viewer, "old", &old, PASSWORD).unwrap();
    assert_eq!(
        (plain.as_slice(), receipt.key_version),
        (&b"under version 1"[..], 1)
    );

    // Only the Owner rewraps, and only the document's own target opens it.
    assert_denied(
        w.door
            .rewrap_document(&w.editor, &w.doc("old"), &old, &pw(PASSWORD)),
        Operation::RotateKey,
    );
    assert!(w
        .door
        .rewrap_document(&w.owner, &w.doc("new"), &old, &pw(PASSWORD))
        .is_err());
    let moved = w
        .door
        .rewrap_document(&w.owner, &w.doc("old"), &old, &pw(PASSWORD))
        .unwrap();
    assert_eq!(w.last().event.key.as_ref().map(|k| k.version), Some(2));
    assert_ne!(moved, old);
    assert_eq!(body(&moved), body(&old));
    let (plain, receipt) = w.read(Decrypt, &w.viewer, "old", &moved, PASSWORD).unwrap();
    assert_eq!(
        (plain.as_slice(), receipt.key_version),
        (&b"under version 1"[..], 2)
    );
    // A second rotation: version 3, and the rewrapped document still opens.
    assert_eq!(
        w.door
            .rotate_key(&w.owner, &w.project_target(), &pw(PASSWORD))
            .unwrap(),
        3
    );
    assert_eq!(opened_version(&w.door, &w.doc("old"), &moved, PASSWORD), 2);
}

#[test]
fn tenant_roles_are_the_operators_and_take_effect_at_once() {
    let w = world(fast_config());
    let carla = principal("acme", "carla");
    let tax = project("tax");
    assert_denied(
        w.door.create_project(&carla, &tax, &pw(PASSWORD)),
        Operation::CreateProject,
    );
    assert_eq!(
        w.door.grant_tenant_role(&ops(), &carla, Role::Owner).unwrap(),
        None
    );
    w.door.create_project(&carla, &tax, &pw(PASSWORD)).unwrap();
    assert_eq!(
        w.door.grant_tenant_role(&ops(), &carla, Role::Auditor).unwrap(),
        Some(Role::Owner)
    );
    assert_denied(
        w.door.create_project(&carla, &project("vat"), &pw(PASSWORD)),
        Operation::CreateProject,
    );
    // The tenant's trail is the tenant Auditor's to read.
    w.door
        .audit_trail(&carla, &Target::for_tenant(w.acme.clone()))
        .unwrap();
    assert_eq!(
        w.door.revoke_tenant_role(&ops(), &carla).unwrap(),
        Some(Role::Auditor)
    );
    assert_eq!(w.door.revoke_tenant_role(&ops(), &carla).unwrap(), None);
    assert_denied(
        w.door.audit_trail(&carla, &Target::for_tenant(w.acme.clone())),
        Operation::ReadAudit,
    );
    // Her project role is untouched by tenant roles.
    let tax_doc = DocumentRef::new(w.acme.clone(), tax, DocumentId::new("t").unwrap());
    w.door
        .encrypt(&carla, &tax_doc, b"t", &Context::new(), &pw(PASSWORD))
        .unwrap();
}

#[test]
fn sequential_rotations_each_make_a_usable_version() {
    let w = world(fast_config());
    let target = w.project_target();
    for expected in 2..=3 {
        assert_eq!(
            w.door.rotate_key(&w.owner, &target, &pw(PASSWORD)).unwrap(),
            expected
        );
    }
    let after = w.encrypt(&w.editor, "after", b"v3").unwrap();
    assert_eq!(opened_version(&w.door, &w.doc("after"), &after, PASSWORD), 3);
}

// ---------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------

#[test]
fn the_audit_trail_of_a_project_holds_only_that_project() {
    let w = world(fast_config());
    let benefits = project("benefits");
    w.door.create_project(&w.owner, &benefits, &pw(PASSWORD)).unwrap();
    let other = DocumentRef::new(w.acme.clone(), benefits.clone(), DocumentId::new("b").unwrap());
    w.door
        .encrypt(&w.owner, &other, b"b", &Context::new(), &pw(PASSWORD))
        .unwrap();
    w.encrypt(&w.editor, "p", b"p").unwrap();
    assert_denied(w.encrypt(&w.viewer, "p2", b"p"), Operation::Encrypt);

    let all = w.records();
    let payroll_events: Vec<AuditEvent> = all
        .iter()
        .filter(|r| r.event.project.as_ref() == Some(&w.payroll))
        .map(|r| r.event.clone())
        .collect();
    assert!(all.iter().any(|r| r.event.project.as_ref() == Some(&benefits)));

    let trail = w
        .door
        .audit_trail(&w.auditor, &w.project_target().into())
        .unwrap();
    let trail: Vec<AuditEvent> = trail.into_iter().map(|r| r.event).collect();
    assert_eq!(trail, payroll_events);

    // The tenant's trail is everything of the tenant; the Auditor of
    // payroll cannot read benefits'.
    let tenant_trail = w
        .door
        .audit_trail(&w.owner, &Target::for_tenant(w.acme.clone()))
        .unwrap();
    assert_eq!(tenant_trail.len(), all.len() + 1);
    assert_denied(
        w.door
            .audit_trail(&w.auditor, &Target::for_project(w.acme.clone(), benefits)),
        Operation::ReadAudit,
    );
}

#[test]
fn the_unlock_cache_serves_only_the_right_password() {
    let w = world(fast_config());
    let envelope = w.encrypt(&w.owner, "d", b"cached").unwrap();
    assert_eq!(w.door.cached_keys(), 1);
    for _ in 0..2 {
        let (plain, _) = w.read(Download, &w.viewer, "d", &envelope, PASSWORD).unwrap();
        assert_eq!(plain, b"cached");
        assert_eq!(w.door.cached_keys(), 1);
    }
    assert_crypto(w.read(
        Download,
        &w.viewer,
        "d",
        &envelope,
        "Correct horse battery staple",
    ));
    assert_eq!(reason_of(&w.last()), "crypto.wrap-commitment");
    assert_crypto(w.read(Decrypt, &w.viewer, "d", &envelope, ""));
    assert_eq!(w.door.cached_keys(), 1);
    w.read(Download, &w.viewer, "d", &envelope, PASSWORD).unwrap();

    // Without a window nothing is kept.
    let uncached = world(FrontDoorConfig {
        unlock_cache: None,
        ..fast_config()
    });
    let envelope = uncached.encrypt(&uncached.owner, "d", b"x").unwrap();
    open(
        Decrypt,
        &uncached.door,
        &uncached.viewer,
        &uncached.doc("d"),
        &envelope,
        PASSWORD,
    )
    .unwrap();
    assert_eq!(uncached.door.cached_keys(), 0);
}

// ---------------------------------------------------------------------------
// Failing closed
// ---------------------------------------------------------------------------

/// A world on a store whose audit appends can be stopped (accepts 0) and
/// restarted (accepts `usize::MAX`).
fn breakable_world() -> (World<CountdownStore>, Arc<std::sync::atomic::AtomicUsize>) {
    let (store, accepts) = CountdownStore::new();
    (world_with(fast_config(), Policy::default(), store), accepts)
}

#[test]
fn an_unwritable_audit_trail_stops_every_operation() {
    let (w, accepts) = breakable_world();
    let envelope = w.encrypt(&w.editor, "d", b"recorded").unwrap();
    let count = w.records().len();

    accepts.store(0, Ordering::SeqCst);
    let refused = w.encrypt(&w.editor, "e", b"not recorded");
    assert!(unrecorded(&refused), "{refused:?}");
    let mut out = Vec::new();
    let refused = w.door.open_document(
        &w.editor,
        &w.doc("d"),
        Source::Envelope(&envelope[..]),
        &pw(PASSWORD),
        &mut out,
    );
    assert!(unrecorded(&refused), "{refused:?}");
    assert!(out.is_empty());
    // A denial that cannot be recorded is not reported as a plain denial.
    assert!(unrecorded(&w.encrypt(&w.viewer, "f", b"x")));
    assert_eq!(w.records().len(), count);

    // Once the trail works again, so does the door.
    accepts.store(usize::MAX, Ordering::SeqCst);
    w.encrypt(&w.editor, "e", b"recorded").unwrap();
    assert_eq!(w.records().len(), count + 1);
}

#[test]
fn a_change_whose_audit_event_fails_does_not_stand() {
    let (w, accepts) = breakable_world();
    let envelope = w.encrypt(&w.editor, "d", b"recorded").unwrap();
    let project = w.project_target();
    let newcomer = principal("acme", "nina");
    let new = "a much better passphrase";
    let version = w
        .door
        .store()
        .transaction(&mut |tx: &mut dyn Transaction| tx.version())
        .unwrap();

    accepts.store(0, Ordering::SeqCst);
    let refusals = [
        w.door.rotate_key(&w.owner, &project, &pw(PASSWORD)).map(drop),
        w.door
            .change_password(&w.owner, &project, &pw(PASSWORD), &pw(new)),
        w.door
            .add_member(&w.owner, &project, &newcomer, Role::Editor)
            .map(drop),
        w.door.remove_member(&w.owner, &project, &w.viewer).map(drop),
        w.door
            .add_member(&w.owner, &project, &w.editor, Role::Viewer)
            .map(drop),
    ];
    let created = w
        .door
        .create_project(&w.owner, &door::project("benefits"), &pw(PASSWORD));
    for refused in refusals.into_iter().chain([created]) {
        assert!(unrecorded(&refused), "{refused:?}");
    }
    accepts.store(usize::MAX, Ordering::SeqCst);
    // Nothing of any change reached the store.
    let now = w
        .door
        .store()
        .transaction(&mut |tx: &mut dyn Transaction| tx.version())
        .unwrap();
    assert_eq!(now, version);

    // No rotation: new documents still use version 1.
    w.encrypt(&w.editor, "e", b"x").unwrap();
    assert_eq!(w.last().event.key.as_ref().map(|k| k.version), Some(1));
    // No password change.
    assert_crypto(w.read(Decrypt, &w.viewer, "d", &envelope, new));
    // No membership change: the newcomer is still out, the Viewer still
    // reads, the Editor still writes.
    assert_denied(
        w.read(Decrypt, &newcomer, "d", &envelope, PASSWORD),
        Operation::Decrypt,
    );
    assert_eq!(w.last().event.decision.access, Some(AccessDenial::NotMember));
    w.read(Decrypt, &w.viewer, "d", &envelope, PASSWORD).unwrap();
    w.encrypt(&w.editor, "f", b"x").unwrap();
    // And each change works once it can be recorded.
    assert_eq!(w.door.rotate_key(&w.owner, &project, &pw(PASSWORD)).unwrap(), 2);
    assert_eq!(
        w.door.remove_member(&w.owner, &project, &w.viewer).unwrap(),
        Some(Role::Viewer)
    );
    // No project was created, so it can be now.
    let benefits = Target::for_project(w.acme.clone(), door::project("benefits"));
    assert_denied(w.door.audit_trail(&w.owner, &benefits), Operation::ReadAudit);
    assert_eq!(w.last().event.decision.access, Some(AccessDenial::UnknownProject));
    w.door
        .create_project(&w.owner, &door::project("benefits"), &pw(PASSWORD))
        .unwrap();
    w.door.audit_trail(&w.owner, &benefits).unwrap();
}
