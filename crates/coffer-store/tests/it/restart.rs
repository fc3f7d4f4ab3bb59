//! The front door on SQLite and on PostgreSQL: every operation survives a
//! restart with the same answers and the same audit chain; two front doors
//! on one store see each other's changes at once; a tampered record stops
//! the start.

use crate::backends;
use crate::door;

use backends::{Backend, Postgres, Sqlite};
use coffer_door::audit::{Outcome, VerifyFailure};
use coffer_door::keys::Password;
use coffer_door::policy::*;
use coffer_door::store::{Store, Transaction};
use coffer_door::*;
use coffer_store::DATABASE_FILE;
use door::*;

#[test]
fn every_operation_survives_a_restart_with_the_same_answers_and_chain() {
    every_operation_survives_a_restart(&Sqlite::new());
}

#[test]
fn on_postgres_every_operation_survives_a_restart_with_the_same_answers_and_chain() {
    let Some(backend) = Postgres::new() else { return };
    every_operation_survives_a_restart(&backend);
}

fn every_operation_survives_a_restart<B: Backend>(backend: &B) {
    let (olga, ed, vera, audrey, sam) = (
        principal("olga"),
        principal("ed"),
        principal("vera"),
        principal("audrey"),
        principal("sam"),
    );
    let gus = Principal::new(id(TenantId::new, "globex"), id(PrincipalId::new, "gus"));
    let (v1_doc, v2_doc, rewrapped, head, chain);
    {
        let door = door(backend);
        door.create_project(&olga, &id(ProjectId::new, "payroll"), &Password::new(FIRST))
            .unwrap();
        door.add_member(&olga, &project(), &ed, Role::Editor).unwrap();
        door.add_member(&olga, &project(), &vera, Role::Viewer).unwrap();
        door.add_member(&olga, &project(), &audrey, Role::Auditor)
            .unwrap();
        door.add_member(&olga, &project(), &sam, Role::Viewer).unwrap();
        door.remove_member(&olga, &project(), &sam).unwrap();
        door.grant_tenant_role(&id(OperatorId::new, "ops"), &gus, Role::Owner)
            .unwrap();
        v1_doc = door
            .encrypt(
                &ed,
                &doc("v1"),
                b"under version 1",
                &Context::new(),
                &Password::new(FIRST),
            )
            .unwrap();
        assert_eq!(
            door.rotate_key(&olga, &project(), &Password::new(FIRST)).unwrap(),
            2
        );
        v2_doc = door
            .encrypt(
                &ed,
                &doc("v2"),
                b"under version 2",
                &Context::new(),
                &Password::new(FIRST),
            )
            .unwrap();
        rewrapped = door
            .rewrap_document(&olga, &doc("v1"), &v1_doc, &Password::new(FIRST))
            .unwrap();
        door.change_password(&olga, &project(), &Password::new(FIRST), &Password::new(SECOND))
            .unwrap();
        assert_eq!(
            download(&door, &vera, "v1", &v1_doc, SECOND).unwrap(),
            b"under version 1"
        );
        assert!(denied(door.encrypt(
            &vera,
            &doc("x"),
            b"x",
            &Context::new(),
            &Password::new(SECOND)
        )));
        door.verify_audit(&audrey, &project().into()).unwrap();
        head = door.verify_chain(None).unwrap();
        chain = door.store().chain_id();
        door.sessions().shutdown();
    }
    // The restart: a new process would do exactly this.
    let door = door(backend);
    assert_eq!(door.store().chain_id(), chain);
    // The same chain, verified at start-up and against the head kept from
    // before the restart.
    assert_eq!(door.verify_chain(Some(head)).unwrap(), head);
    // Documents sealed before the restart open after it, with the password
    // changed before it, at the versions they were sealed or moved to.
    assert_eq!(
        read(&door, &vera, "v1", &v1_doc, SECOND).unwrap(),
        (b"under version 1".to_vec(), 1)
    );
    assert_eq!(
        read(&door, &vera, "v2", &v2_doc, SECOND).unwrap(),
        (b"under version 2".to_vec(), 2)
    );
    assert_eq!(
        read(&door, &ed, "v1", &rewrapped, SECOND).unwrap(),
        (b"under version 1".to_vec(), 2)
    );
    assert_eq!(
        download(&door, &vera, "v2", &v2_doc, SECOND).unwrap(),
        b"under version 2"
    );
    assert!(crypto(read(&door, &vera, "v1", &v1_doc, FIRST)));
    // Their metadata, recorded when they were sealed, is listed after it.
    let listed = door.list_documents(&vera, &project()).unwrap();
    let listed: Vec<_> = listed
        .iter()
        .map(|d| {
            (
                d.document.as_str(),
                d.key_version,
                d.plaintext_size,
                d.envelope_size,
                &d.created_by,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("v1", 1, 15, v1_doc.len() as u64, &ed),
            ("v2", 2, 15, v2_doc.len() as u64, &ed)
        ]
    );
    // Members hold their roles; the removed one and the auditor do not read.
    assert!(denied(read(&door, &sam, "v1", &v1_doc, SECOND)));
    assert!(denied(read(&door, &audrey, "v1", &v1_doc, SECOND)));
    assert!(denied(door.encrypt(
        &vera,
        &doc("x"),
        b"x",
        &Context::new(),
        &Password::new(SECOND)
    )));
    let fresh = door
        .encrypt(
            &ed,
            &doc("v3"),
            b"after the restart",
            &Context::new(),
            &Password::new(SECOND),
        )
        .unwrap();
    assert_eq!(read(&door, &vera, "v3", &fresh, SECOND).unwrap().1, 2);
    // The tenant role granted by the operator, and the policy, persisted.
    door.create_project(&gus, &id(ProjectId::new, "tax"), &Password::new(FIRST))
        .unwrap();
    let history = door.policy_history().unwrap();
    assert_eq!(history.len(), 1);
    let explained = door
        .explain(
            &ed,
            Operation::Encrypt,
            &doc("c").into(),
            &Attributes::envelope(EnvelopeSuite::ChaCha20Poly1305HkdfSha256, 1),
        )
        .unwrap();
    assert!(
        explained.iter().any(|line| line.contains("fips")),
        "{explained:?}"
    );
    // The rotation persisted: a second rotation makes version 3.
    assert_eq!(
        door.rotate_key(&olga, &project(), &Password::new(SECOND))
            .unwrap(),
        3
    );
    // One chain, continued: the records before the restart are its prefix.
    let records = door.audit_records().unwrap();
    assert_eq!(records[usize::try_from(head.count).unwrap()].prev, head.hash);
    let now = door.verify_chain(Some(head)).unwrap();
    assert!(now.count > head.count);
    let report = door.verify_audit(&audrey, &project().into()).unwrap();
    assert!(report.records > 0);
    door.sessions().shutdown();
}

#[test]
fn two_front_doors_on_one_file_see_each_others_changes_at_once() {
    two_front_doors_see_each_others_changes_at_once(&Sqlite::new());
}

#[test]
fn two_front_doors_on_one_postgres_database_see_each_others_changes_at_once() {
    let Some(backend) = Postgres::new() else { return };
    two_front_doors_see_each_others_changes_at_once(&backend);
}

fn two_front_doors_see_each_others_changes_at_once<B: Backend>(backend: &B) {
    let (olga, nina) = (principal("olga"), principal("nina"));
    let first = door(backend);
    let second = FrontDoor::open(config(), backend.open(), sessions()).unwrap();
    first
        .create_project(&olga, &id(ProjectId::new, "payroll"), &Password::new(FIRST))
        .unwrap();
    // Created on the first, used on the second.
    let envelope = second
        .encrypt(
            &olga,
            &doc("d"),
            b"shared",
            &Context::new(),
            &Password::new(FIRST),
        )
        .unwrap();
    assert!(denied(read(&second, &nina, "d", &envelope, FIRST)));
    first.add_member(&olga, &project(), &nina, Role::Viewer).unwrap();
    assert_eq!(read(&second, &nina, "d", &envelope, FIRST).unwrap().0, b"shared");
    second.remove_member(&olga, &project(), &nina).unwrap();
    assert!(denied(read(&first, &nina, "d", &envelope, FIRST)));
    // A password change on one is the password on the other.
    second
        .change_password(&olga, &project(), &Password::new(FIRST), &Password::new(SECOND))
        .unwrap();
    assert!(crypto(read(&first, &olga, "d", &envelope, FIRST)));
    assert_eq!(read(&first, &olga, "d", &envelope, SECOND).unwrap().0, b"shared");
    // Both extended one chain, which verifies from either.
    let head = first.verify_chain(None).unwrap();
    assert_eq!(second.verify_chain(Some(head)).unwrap(), head);
    let outcomes: Vec<Outcome> = first
        .audit_records()
        .unwrap()
        .into_iter()
        .map(|r| r.event.outcome)
        .collect();
    assert_eq!(outcomes.len() as u64, head.count);
    first.sessions().shutdown();
    second.sessions().shutdown();
}

#[test]
fn a_tampered_record_is_found_and_the_front_door_refuses_to_start() {
    let backend = &Sqlite::new();
    let dir = &backend.0;
    let (olga, vera) = (principal("olga"), principal("vera"));
    let (head, position) = {
        let door = door(backend);
        door.create_project(&olga, &id(ProjectId::new, "payroll"), &Password::new(FIRST))
            .unwrap();
        door.add_member(&olga, &project(), &vera, Role::Viewer).unwrap();
        assert!(denied(door.encrypt(
            &vera,
            &doc("d"),
            b"x",
            &Context::new(),
            &Password::new(FIRST)
        )));
        door.verify_audit(&olga, &project().into()).unwrap();
        let head = door.verify_chain(None).unwrap();
        // Make the denied attempt look like a success, behind the door's
        // back.
        let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        let edited = conn
            .execute(
                r#"UPDATE audit_records SET record = replace(record, '"outcome":"denied"', '"outcome":"succeeded"')
                   WHERE record LIKE '%"outcome":"denied"%'"#,
                [],
            )
            .unwrap();
        assert_eq!(edited, 1);
        let position: i64 = conn
            .query_row(
                r#"SELECT seq FROM audit_records WHERE record LIKE '%"operation":"encrypt"%'"#,
                [],
                |row| row.get(0),
            )
            .unwrap();
        // Principals learn that the trail is broken, not where.
        let refused = door.verify_audit(&olga, &project().into());
        assert!(matches!(refused, Err(FrontDoorError::TrailBroken)), "{refused:?}");
        // The operator learns where.
        let broken = door.verify_chain(None).unwrap_err();
        assert!(
            broken.to_string().contains(&format!("position {position}")),
            "{broken}"
        );
        // The failed verification is on file, as a failure.
        let last = door.audit_records().unwrap().pop().unwrap();
        assert_eq!(last.event.operation, Operation::VerifyAudit);
        assert!(matches!(last.event.outcome, Outcome::Failed { .. }));
        door.sessions().shutdown();
        (head, position)
    };
    let refused = FrontDoor::open(config(), backend.open(), sessions());
    match refused {
        Err(FrontDoorError::BrokenChain(e)) => {
            assert_eq!(e.failure, VerifyFailure::BadMac);
            assert!(e.position < head.count);
            assert_eq!(i64::try_from(e.position).unwrap(), position);
        }
        other => panic!("a broken chain must not start, got {other:?}"),
    }
    // Nothing was destroyed: every record is still there for the repair.
    let records = backend
        .open()
        .transaction(&mut |tx: &mut dyn Transaction| tx.audit_records())
        .unwrap();
    assert_eq!(records.len() as u64, head.count + 1);
}
