//! Password offers: the front door issues them and redeems their session
//! messages itself, for every call that needs the project password, and
//! records a refused one as a failed authentication of its presenter.

use crate::door;

use std::io;

use coffer_door::policy::*;
use coffer_door::session::{ClientMessage, RejectReason};
use coffer_door::*;
use door::*;

/// The session message a browser posts for a password offer of `who` for
/// `project`.
fn password_message<S: Store>(w: &World<S>, who: &Principal, project: &ProjectRef) -> ClientMessage {
    let offer = w.door.issue_password_offer(who, project).unwrap();
    browser_message(&offer, PASSWORD)
}

fn assert_refused_and_recorded<S: Store, T: std::fmt::Debug>(
    w: &World<S>,
    result: Result<T, FrontDoorError>,
    reason: RejectReason,
    presenter: &Principal,
) {
    let error = result.unwrap_err();
    assert!(
        matches!(&error, FrontDoorError::SessionRejected(r) if r.reason() == reason),
        "{error:?}"
    );
    assert_eq!(error.to_string(), SESSION_REFUSED);
    let last = w.last().event;
    assert_eq!(last.operation, Operation::Authenticate);
    assert_eq!(last.principal.to_string(), presenter.to_string());
    assert_eq!(reason_of(&w.last()), format!("session.{}", reason.code()));
}

#[test]
fn calls_that_need_the_password_take_a_password_offers_message() {
    let w = world(fast_config());
    let payroll = w.project_target();
    // Create, store, open, rotate, change the password: each with a fresh
    // message, redeemed by the door.
    let benefits = ProjectRef::new(w.acme.clone(), project("benefits"));
    let message = password_message(&w, &w.owner, &benefits);
    w.door
        .create_project(&w.owner, benefits.project(), &message)
        .unwrap();
    let message = password_message(&w, &w.editor, &payroll);
    let plaintext = Plaintext::new(&b"a memo"[..], 6);
    w.door
        .store_document(&w.editor, &w.doc("memo"), plaintext, &Context::new(), &message)
        .unwrap();
    let (opened, out) = w.open_stored(&w.viewer, "memo", PASSWORD);
    opened.unwrap();
    assert_eq!(out, b"a memo");
    let message = password_message(&w, &w.owner, &payroll);
    assert_eq!(w.door.rotate_key(&w.owner, &payroll, &message).unwrap(), 2);
    let old = password_message(&w, &w.owner, &payroll);
    let offer = w.door.issue_password_offer(&w.owner, &payroll).unwrap();
    let new = browser_message(&offer, "a new password");
    w.door.change_password(&w.owner, &payroll, &old, &new).unwrap();
    w.door
        .open_document(
            &w.viewer,
            &w.doc("memo"),
            Source::stored(),
            &pw("a new password"),
            io::sink(),
        )
        .unwrap();
    // One message for two calls: redeemed once, then given as a password.
    let offer = w.door.issue_password_offer(&w.owner, &payroll).unwrap();
    let message = browser_message(&offer, "a new password");
    let password = w.door.redeem_password(&w.owner, &payroll, &message).unwrap();
    w.door.rotate_key(&w.owner, &payroll, &password).unwrap();
    let summary = w
        .door
        .rewrap_project(&w.owner, &payroll, &password, &mut |_| {})
        .unwrap();
    assert_eq!(summary.rewrapped.len(), 1);
}

#[test]
fn a_password_message_is_single_use_and_bound_to_its_principal_and_project() {
    let w = world(fast_config());
    let payroll = w.project_target();
    let message = password_message(&w, &w.owner, &payroll);
    w.door.rotate_key(&w.owner, &payroll, &message).unwrap();
    let before = w.records().len();
    // Spent.
    assert_refused_and_recorded(
        &w,
        w.door.rotate_key(&w.owner, &payroll, &message),
        RejectReason::AlreadyUsed,
        &w.owner,
    );
    // Another project's message.
    let other = ProjectRef::new(w.acme.clone(), project("other"));
    let for_other = password_message(&w, &w.owner, &other);
    assert_refused_and_recorded(
        &w,
        w.door.rotate_key(&w.owner, &payroll, &for_other),
        RejectReason::WrongBinding,
        &w.owner,
    );
    // Another principal's message, presented by the editor: refused before
    // the call is decided, and left to its owner.
    let owners = password_message(&w, &w.owner, &payroll);
    assert_refused_and_recorded(
        &w,
        w.door
            .encrypt(&w.editor, &w.doc("d"), b"x", &Context::new(), &owners),
        RejectReason::WrongIssuer,
        &w.editor,
    );
    w.door.rotate_key(&w.owner, &payroll, &owners).unwrap();
    // A download offer's message is no password offer's.
    let envelope = w.encrypt(&w.editor, "d", b"x").unwrap();
    let offer = w
        .door
        .issue_download(&w.owner, &w.doc("d"), Source::Envelope(&envelope[..]))
        .unwrap();
    let download = browser_message(&offer, PASSWORD);
    let refused = w.door.rotate_key(&w.owner, &payroll, &download);
    assert!(
        matches!(refused, Err(FrontDoorError::SessionRejected(_))),
        "{refused:?}"
    );
    assert_eq!(w.last().event.operation, Operation::Authenticate);
    // Each refusal is one record of its own: no call was decided.
    let refusals = w.records()[before..]
        .iter()
        .filter(|r| r.event.operation == Operation::Authenticate)
        .count();
    assert_eq!(refusals, 4);
}
