//! A policy installed into a front door is checked against the tenants and
//! projects that exist.

use crate::door;

use coffer_door::policy::*;
use coffer_door::*;
use door::*;

fn scoped(id: &str, tenant: &str, project: Option<&str>) -> Rule {
    let scope = match project {
        Some(p) => Scope::project(TenantId::new(tenant).unwrap(), ProjectId::new(p).unwrap()),
        None => Scope::tenant(TenantId::new(tenant).unwrap()),
    };
    Rule::new(RuleId::new(id).unwrap(), Condition::MaxMessageSize(1 << 20)).in_scope(scope)
}

#[test]
fn rules_scoped_to_what_does_not_exist_are_reported() {
    let w = world(fast_config());
    let policy = Policy::new(
        Enforcement::Enforce,
        vec![
            scoped("payroll-ok", "acme", Some("payroll")),
            scoped("typo", "acme", Some("payrol")),
            scoped("acme-ok", "acme", None),
            scoped("no-such-tenant", "acme-corp", None),
        ],
    )
    .unwrap();
    let report = w.door.install_policy(&policy, &ops()).unwrap();
    assert!(!report.is_clean());
    let named: Vec<(&str, &str, Option<&str>)> = report
        .unknown_scopes
        .iter()
        .map(|u| {
            (
                u.rule.as_str(),
                u.tenant.as_str(),
                u.project.as_ref().map(ProjectId::as_str),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("typo", "acme", Some("payrol")),
            ("no-such-tenant", "acme-corp", None)
        ]
    );
    assert_eq!(w.door.policy_report().unwrap(), report);
    // The install is in the policy history.
    let history = w.door.policy_history().unwrap();
    let installed = history.last().unwrap();
    assert_eq!(installed.digest, policy.digest());
    assert_eq!(installed.installed_by, store::Installer::Operator("ops".into()));
    assert_eq!(Policy::from_json(&installed.document).unwrap(), policy);
    assert_eq!(
        report.unknown_scopes[0].to_string(),
        "rule `typo` is scoped to project `payrol` of tenant `acme`, which does not exist"
    );

    // A policy installed at construction is checked too.
    let w = world_with(
        fast_config(),
        Policy::new(Enforcement::Enforce, vec![scoped("typo", "acme", Some("payrol"))]).unwrap(),
        memory_store(),
    );
    assert_eq!(w.door.policy_report().unwrap().unknown_scopes.len(), 1);
    // Once the project exists, the installed policy names nothing missing,
    // and reinstalling it reports nothing.
    w.door
        .create_project(&w.owner, &ProjectId::new("payrol").unwrap(), &pw(PASSWORD))
        .unwrap();
    assert!(w.door.policy_report().unwrap().is_clean());
    let again = Policy::new(Enforcement::Enforce, vec![scoped("typo", "acme", Some("payrol"))]).unwrap();
    assert!(w.door.install_policy(&again, &ops()).unwrap().is_clean());
    assert_eq!(w.door.policy_history().unwrap().len(), 2);
}
