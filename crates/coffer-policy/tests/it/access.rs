//! Membership: the role × operation table, default deny, tenant isolation.

use coffer_policy::*;

fn tenant(s: &str) -> TenantId {
    TenantId::new(s).unwrap()
}
fn project(s: &str) -> ProjectId {
    ProjectId::new(s).unwrap()
}
fn principal(t: &str, p: &str) -> Principal {
    Principal::new(tenant(t), PrincipalId::new(p).unwrap())
}

/// Expected permissions: owner, editor, viewer, auditor.
const TABLE: &[(Operation, [bool; 4])] = &[
    (Operation::CreateProject, [true, false, false, false]),
    (Operation::Encrypt, [true, true, false, false]),
    (Operation::Decrypt, [true, true, true, false]),
    (Operation::ListDocuments, [true, true, true, false]),
    (Operation::Download, [true, true, true, false]),
    (Operation::ChangePassword, [true, false, false, false]),
    (Operation::RotateKey, [true, false, false, false]),
    (Operation::AddMember, [true, false, false, false]),
    (Operation::RemoveMember, [true, false, false, false]),
    (Operation::ManagePolicy, [true, false, false, false]),
    (Operation::ReadAudit, [true, false, false, true]),
    (Operation::VerifyAudit, [true, false, false, true]),
    (Operation::RegisterKey, [true, true, true, true]),
    (Operation::GrantKey, [true, false, false, false]),
    (Operation::Authenticate, [false, false, false, false]),
];
const ROLES: [Role; 4] = [Role::Owner, Role::Editor, Role::Viewer, Role::Auditor];

#[test]
fn table_covers_every_operation_once() {
    let ops: Vec<_> = TABLE.iter().map(|(op, _)| *op).collect();
    assert_eq!(ops, Operation::ALL);
    assert_eq!(ROLES, Role::ALL);
}

#[test]
fn role_by_operation_matches_the_table() {
    for (op, row) in TABLE {
        for (role, expected) in ROLES.iter().zip(row) {
            assert_eq!(role.permits(*op), *expected, "{role} {op}");
        }
    }
}

/// Every role, every operation, through the membership check and the
/// authorizer, on the target level each operation takes.
#[test]
fn authorize_role_by_operation_exhaustive() {
    let acme = tenant("acme");
    let p = project("p");
    let mut m = Membership::new();
    m.create_project(&acme, &p).unwrap();
    let mut users = Vec::new();
    for role in ROLES {
        let who = principal("acme", role.name());
        m.assign(&acme, &p, &who, role).unwrap();
        m.assign_tenant(&who, role);
        users.push((role, who));
    }
    let stranger = principal("acme", "stranger");
    let authz = Authorizer::new(m, Policy::default().compile());
    let attrs = Attributes::default();
    for (op, row) in TABLE {
        let targets = match op.target_level() {
            TargetLevel::Tenant => vec![Target::for_tenant(acme.clone())],
            TargetLevel::Project => vec![Target::for_project(acme.clone(), p.clone())],
            TargetLevel::Either => vec![
                Target::for_tenant(acme.clone()),
                Target::for_project(acme.clone(), p.clone()),
            ],
        };
        for target in &targets {
            for ((role, who), expected) in users.iter().zip(row) {
                let d = authz.authorize(who, *op, target, &attrs);
                assert_eq!(d.is_allowed(), *expected, "{role} {op} {target:?}");
                assert_eq!(d.access().role(), Some(*role));
                if !expected {
                    assert_eq!(
                        d.access(),
                        Access::Denied {
                            denial: AccessDenial::RoleForbids,
                            role: Some(*role)
                        }
                    );
                }
            }
            let d = authz.authorize(&stranger, *op, target, &attrs);
            assert!(!d.is_allowed(), "non-member {op}");
            assert_eq!(
                d.access(),
                Access::Denied {
                    denial: AccessDenial::NotMember,
                    role: None
                }
            );
        }
    }
}

#[test]
fn operation_on_the_wrong_kind_of_target_is_denied() {
    let acme = tenant("acme");
    let p = project("p");
    let owner = principal("acme", "o");
    let mut m = Membership::new();
    m.create_project(&acme, &p).unwrap();
    m.assign(&acme, &p, &owner, Role::Owner).unwrap();
    m.assign_tenant(&owner, Role::Owner);
    let on_project = Target::for_project(acme.clone(), p);
    let on_tenant = Target::for_tenant(acme);
    let create = m.check(&owner, Operation::CreateProject, &on_project);
    assert_eq!(
        create,
        Access::Denied {
            denial: AccessDenial::WrongTarget,
            role: Some(Role::Owner)
        }
    );
    let enc = m.check(&owner, Operation::Encrypt, &on_tenant);
    assert!(matches!(
        enc,
        Access::Denied {
            denial: AccessDenial::WrongTarget,
            ..
        }
    ));
}

#[test]
fn tenant_role_grants_nothing_inside_projects() {
    let acme = tenant("acme");
    let p = project("p");
    let admin = principal("acme", "admin");
    let mut m = Membership::new();
    m.create_project(&acme, &p).unwrap();
    m.assign_tenant(&admin, Role::Owner);
    let access = m.check(&admin, Operation::Decrypt, &Target::for_project(acme, p));
    assert!(!access.is_granted());
}

#[test]
fn principal_of_another_tenant_never_gets_access() {
    let (a, b) = (tenant("tenant-a"), tenant("tenant-b"));
    let shared = project("shared-name");
    let mut m = Membership::new();
    m.create_project(&a, &shared).unwrap();
    m.create_project(&b, &shared).unwrap();
    // Same principal id and same project id in both tenants.
    let alice_a = principal("tenant-a", "alice");
    let alice_b = principal("tenant-b", "alice");
    m.assign(&a, &shared, &alice_a, Role::Owner).unwrap();
    m.assign_tenant(&alice_a, Role::Owner);
    let authz = Authorizer::new(m.clone(), Policy::default().compile());
    for op in Operation::ALL {
        for target in [
            Target::for_project(a.clone(), shared.clone()),
            Target::for_tenant(a.clone()),
        ] {
            let d = authz.authorize(&alice_b, *op, &target, &Attributes::default());
            assert!(!d.is_allowed(), "{op}");
            assert_eq!(
                d.access(),
                Access::Denied {
                    denial: AccessDenial::TenantMismatch,
                    role: None
                }
            );
        }
        // alice of A has nothing in B's project of the same name.
        let d = authz.authorize(
            &alice_a,
            *op,
            &Target::for_project(b.clone(), shared.clone()),
            &Attributes::default(),
        );
        assert!(!d.is_allowed());
    }
    // The table refuses to hold a cross-tenant grant at all.
    let err = m.assign(&b, &shared, &alice_a, Role::Viewer).unwrap_err();
    assert!(matches!(err, MembershipError::CrossTenant { .. }));
    assert_eq!(
        err.to_string(),
        "principal `alice` of tenant `tenant-a` cannot hold a role in tenant `tenant-b`"
    );
    assert_eq!(m.role(&alice_a, &Target::for_project(b, shared)), None);
}

#[test]
fn unknown_project_and_revocation() {
    let acme = tenant("acme");
    let p = project("p");
    let bob = principal("acme", "bob");
    let mut m = Membership::new();
    assert!(matches!(
        m.assign(&acme, &p, &bob, Role::Editor),
        Err(MembershipError::UnknownProject { .. })
    ));
    let target = Target::for_project(acme.clone(), p.clone());
    assert_eq!(
        m.check(&bob, Operation::Decrypt, &target),
        Access::Denied {
            denial: AccessDenial::UnknownProject,
            role: None
        }
    );
    m.create_project(&acme, &p).unwrap();
    assert!(matches!(
        m.create_project(&acme, &p),
        Err(MembershipError::ProjectExists { .. })
    ));
    assert_eq!(m.assign(&acme, &p, &bob, Role::Editor).unwrap(), None);
    assert_eq!(
        m.assign(&acme, &p, &bob, Role::Viewer).unwrap(),
        Some(Role::Editor)
    );
    assert!(m.check(&bob, Operation::Decrypt, &target).is_granted());
    assert_eq!(m.unassign(&acme, &p, &bob).unwrap(), Some(Role::Viewer));
    assert!(!m.check(&bob, Operation::Decrypt, &target).is_granted());
}

#[test]
fn ids_are_validated() {
    assert!(matches!(TenantId::new(""), Err(IdError::Empty { .. })));
    assert!(matches!(
        ProjectId::new("x".repeat(65)),
        Err(IdError::TooLong { len: 65, .. })
    ));
    let err = PrincipalId::new("a/b").unwrap_err();
    assert!(err.to_string().contains("`a/b`"), "{err}");
    assert!(DocumentId::new("report-2026.11_v2:final@x").is_ok());
    let err: Result<TenantId, _> = serde_json::from_str("\"bad id\"");
    assert!(err.is_err());
}
