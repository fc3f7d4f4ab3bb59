//! The public-key cases of the conformance suite: registered keys and the
//! grants sealed to them, kept, replaced and deleted with their member.

use coffer_door::audit::Timestamp;
use coffer_door::policy::*;
use coffer_door::store::{Change, KeyGrant, RegisteredKey, Snapshot, Store, StoreError, Transaction};

use super::backends::{principal, project, tenant, Backend};
use super::suite::{apply, commit, create};

pub(crate) fn key(algorithm: RecipientKem, byte: u8) -> RegisteredKey {
    RegisteredKey {
        algorithm,
        fingerprint: [byte; 16],
        key: vec![byte; 32],
        registered_at: Timestamp::from_unix_millis(u64::from(byte)),
    }
}

pub(crate) fn grant(member: &str, version: u32, byte: u8) -> KeyGrant {
    KeyGrant {
        member: PrincipalId::new(member).unwrap(),
        version,
        fingerprint: [byte; 16],
        sealed: format!("grant {member} v{version}").into_bytes(),
    }
}

pub(crate) fn put_grants(expected_generation: u64, grants: Vec<KeyGrant>) -> Change {
    Change::PutGrants {
        tenant: tenant("acme"),
        project: project("payroll"),
        expected_generation,
        grants,
    }
}

fn register(who: &str, key: RegisteredKey) -> Change {
    Change::RegisterPublicKey {
        principal: principal("acme", who),
        key,
    }
}

fn member(who: &str) -> Change {
    Change::SetMember {
        tenant: tenant("acme"),
        project: project("payroll"),
        member: principal("acme", who),
        role: Role::Viewer,
    }
}

fn snapshot<S: Store>(store: &S) -> Snapshot {
    commit(store, |tx: &mut dyn Transaction| tx.snapshot()).unwrap()
}

/// Keys and grants follow the reference semantics: a grant needs a member
/// with the key it is sealed to and the project generation it was sealed
/// at; removing the member, replacing or revoking its key deletes its
/// grants; all of it survives a reopen.
pub(crate) fn keys_and_grants<B: Backend>(backend: &B) {
    let store = backend.open();
    let mut reference = Snapshot::default();
    let step = |reference: &mut Snapshot, change: Change| {
        apply(&store, &change).unwrap();
        reference.apply(&change).unwrap();
        assert_eq!(snapshot(&store), *reference, "after {change:?}");
    };
    step(&mut reference, create("payroll"));
    step(&mut reference, create("benefits"));
    step(&mut reference, member("ed"));
    step(&mut reference, member("vera"));
    step(&mut reference, register("ed", key(RecipientKem::X25519, 1)));
    step(&mut reference, register("vera", key(RecipientKem::XWing, 2)));
    step(
        &mut reference,
        put_grants(0, vec![grant("ed", 1, 1), grant("vera", 1, 2)]),
    );
    let refused = |change: Change, what: &str| {
        let before = snapshot(&store);
        let error = apply(&store, &change).unwrap_err();
        assert!(error.is_refusal(), "{what}: {error:?}");
        let mut reference = before.clone();
        assert_eq!(
            reference.apply(&change).unwrap_err().to_string(),
            error.to_string()
        );
        assert_eq!(snapshot(&store), before, "{what} applied something");
        error
    };
    // A principal that is no member, a fingerprint that is not the
    // member's key, a stale generation, a project that does not exist.
    let stranger = refused(put_grants(0, vec![grant("olga", 1, 3)]), "no member");
    assert!(matches!(stranger, StoreError::StaleGrant { .. }));
    refused(put_grants(0, vec![grant("ed", 1, 9)]), "another key");
    refused(
        put_grants(0, vec![grant("vera", 1, 2), grant("ed", 1, 9)]),
        "one stale of two",
    );
    let stale = refused(put_grants(4, vec![grant("ed", 1, 1)]), "stale generation");
    assert!(matches!(stale, StoreError::Conflict { .. }));
    let missing = Change::PutGrants {
        tenant: tenant("acme"),
        project: project("missing"),
        expected_generation: 0,
        grants: vec![grant("ed", 1, 1)],
    };
    refused(missing, "unknown project");
    // Removing a member deletes its grants there; replacing a key
    // deletes the grants sealed to the old one; re-registering the same
    // key keeps them.
    step(&mut reference, register("ed", key(RecipientKem::X25519, 1)));
    assert_eq!(reference.grants.len(), 2);
    step(
        &mut reference,
        Change::RemoveMember {
            tenant: tenant("acme"),
            project: project("payroll"),
            member: principal("acme", "ed"),
        },
    );
    assert!(reference.grants.keys().all(|(_, _, m, _)| m.as_str() != "ed"));
    step(&mut reference, register("vera", key(RecipientKem::XWing, 5)));
    assert!(reference.grants.is_empty());
    step(&mut reference, put_grants(0, vec![grant("vera", 1, 5)]));
    step(
        &mut reference,
        Change::RevokePublicKey {
            principal: principal("acme", "vera"),
        },
    );
    assert!(reference.grants.is_empty() && reference.public_key(&principal("acme", "vera")).is_none());
    step(&mut reference, register("vera", key(RecipientKem::XWing, 6)));
    step(&mut reference, put_grants(0, vec![grant("vera", 1, 6)]));
    drop(store);
    assert_eq!(snapshot(&backend.open()), reference);
}
