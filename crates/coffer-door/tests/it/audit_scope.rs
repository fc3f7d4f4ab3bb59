//! What a principal learns from the audit trail: its own target only.

use crate::door;

use coffer_door::policy::*;
use door::*;

#[test]
fn an_auditor_of_one_project_learns_nothing_about_others() {
    let w = world(fast_config());
    w.encrypt(&w.editor, "p", b"payroll").unwrap();
    let report = w
        .door
        .verify_audit(&w.auditor, &w.project_target().into())
        .unwrap();

    // Much activity elsewhere: another project, another tenant.
    let benefits = ProjectId::new("benefits").unwrap();
    w.door.create_project(&w.owner, &benefits, &pw(PASSWORD)).unwrap();
    let gus = &w.globex_owner;
    w.door
        .create_project(gus, &ProjectId::new("tax").unwrap(), &pw(PASSWORD))
        .unwrap();
    for i in 0..5 {
        let doc = DocumentRef::new(
            w.acme.clone(),
            benefits.clone(),
            DocumentId::new(format!("b{i}")).unwrap(),
        );
        w.door
            .encrypt(&w.owner, &doc, b"b", &Context::new(), &pw(PASSWORD))
            .unwrap();
    }

    // The Auditor's report moved by its own verification's record only.
    let again = w
        .door
        .verify_audit(&w.auditor, &w.project_target().into())
        .unwrap();
    assert_eq!(again.records, report.records + 1);
    assert_eq!(again.target, Target::from(w.project_target()));
    let about_payroll = w
        .records()
        .iter()
        .filter(|r| r.event.project.as_ref() == Some(&w.payroll))
        .count() as u64;
    assert_eq!(again.records + 1, about_payroll);
    // The operator's head counts everyone's records: the two projects
    // created and five documents sealed elsewhere too.
    let head = w.door.verify_chain(None).unwrap();
    assert_eq!(head.count, w.records().len() as u64);
    assert_eq!(head.count, about_payroll + 7);
}
