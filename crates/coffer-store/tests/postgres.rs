//! What is particular to the PostgreSQL store: schema versions, the audit
//! key it belongs to, racing rotations on two front doors, and two
//! processes extending one chain. Each test uses a fresh schema of the
//! test database (`COFFER_TEST_POSTGRES_URL`); without one they skip
//! loudly, except under CI, where they fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "it/backends.rs"]
#[allow(dead_code, reason = "each test module uses part of the shared fixtures")]
mod backends;
#[path = "it/door.rs"]
#[allow(dead_code, reason = "each test module uses part of the shared fixtures")]
mod door;
#[path = "it/test_db.rs"]
mod test_db;

use std::process::Command;
use std::sync::{Arc, Mutex};

use backends::{Backend, Postgres};
use coffer_door::audit::{AuditKey, Outcome};
use coffer_door::keys::Password;
use coffer_door::policy::*;
use coffer_door::store::{Store, Transaction};
use coffer_door::*;
use coffer_store::{OpenError, PostgresStore, SCHEMA_VERSION};
use coffer_testkit::Hooked;
use door::*;

/// Set in a child process to `schema/index`: the schema to work in and
/// the child's number.
const CHILD: &str = "COFFER_PG_CHILD";

/// Calls each child makes: membership changes (no PBKDF2), then key
/// rotations (each one password derivation).
const MEMBER_CALLS: usize = 25;
const ROTATIONS: usize = 2;

#[test]
fn the_schema_is_versioned_and_a_database_of_newer_code_is_refused() {
    let Some(db) = Postgres::new() else { return };
    drop(db.open());
    drop(db.open());
    let mut client = test_db::client(&db.url, &db.schema);
    let rows = client
        .query("SELECT version FROM schema_version ORDER BY version", &[])
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    // Opening twice applied each migration once.
    assert_eq!(
        versions,
        (1..=i32::try_from(SCHEMA_VERSION).unwrap()).collect::<Vec<_>>()
    );
    let newer = i32::try_from(SCHEMA_VERSION + 1).unwrap();
    client
        .execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, 0)",
            &[&newer],
        )
        .unwrap();
    let refused = PostgresStore::open_in_schema(&db.url, &db.schema, AuditKey::from_bytes(backends::KEY));
    assert!(
        matches!(
            refused,
            Err(OpenError::SchemaTooNew { found, supported }) if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ),
        "{refused:?}"
    );
}

#[test]
fn a_database_of_another_audit_key_or_a_bad_schema_name_is_refused() {
    let Some(db) = Postgres::new() else { return };
    drop(db.open());
    let refused = PostgresStore::open_in_schema(&db.url, &db.schema, AuditKey::from_bytes([2; 32]));
    assert!(matches!(refused, Err(OpenError::ForeignAuditKey)), "{refused:?}");
    drop(db.open());
    let named = PostgresStore::open_in_schema(&db.url, "x; DROP TABLE state", AuditKey::from_bytes([2; 32]));
    assert!(matches!(named, Err(OpenError::SchemaName(_))), "{named:?}");
    let url = PostgresStore::open(
        "postgresql://localhost:notaport/coffer",
        AuditKey::from_bytes([2; 32]),
    );
    assert!(matches!(url, Err(OpenError::Url { .. })), "{url:?}");
}

#[test]
fn only_sealed_keys_are_stored() {
    let Some(db) = Postgres::new() else { return };
    let door = door(&db);
    door.create_project(
        &principal("olga"),
        &id(ProjectId::new, "payroll"),
        &Password::new(FIRST),
    )
    .unwrap();
    door.sessions().shutdown();
    let mut client = test_db::client(&db.url, &db.schema);
    let sealed: Vec<u8> = client
        .query_one("SELECT sealed FROM project_keys", &[])
        .unwrap()
        .get(0);
    // An envelope (its magic), never 32 raw key bytes.
    assert_eq!(&sealed[..4], b"\x89CFR");
    let tables: String = client
        .query_one(
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables
             WHERE table_schema = $1",
            &[&db.schema],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        tables,
        "audit_records,coffer_server_api_keys,documents,envelope_chunks,envelopes,key_grants,policies,project_keys,project_members,projects,public_keys,schema_version,state,tenant_roles"
    );
}

/// Two front doors on the database with a project: the first plain, the
/// second on a [`Hooked`] handle.
fn two_doors(db: &Postgres) -> (Arc<FrontDoor<PostgresStore>>, FrontDoor<Hooked<PostgresStore>>) {
    let first = door(db);
    first
        .create_project(
            &principal("olga"),
            &id(ProjectId::new, "payroll"),
            &Password::new(FIRST),
        )
        .unwrap();
    let hooked = Hooked::new(db.open());
    let second = FrontDoor::open(fast_config(), hooked, sessions()).unwrap();
    (Arc::new(first), second)
}

#[test]
fn a_password_change_racing_a_rotation_on_another_front_door_conflicts_and_changes_nothing() {
    let Some(db) = Postgres::new() else { return };
    let olga = principal("olga");
    let (first, second) = two_doors(&db);
    let before = first
        .encrypt(
            &olga,
            &doc("before"),
            b"v1",
            &Context::new(),
            &Password::new(FIRST),
        )
        .unwrap();
    let (winner, owner) = (Arc::clone(&first), olga.clone());
    second.store().before(2, move || {
        assert_eq!(
            winner
                .rotate_key(&owner, &project(), &Password::new(FIRST))
                .unwrap(),
            2
        );
    });
    let changed = second.change_password(&olga, &project(), &Password::new(FIRST), &Password::new(SECOND));
    assert!(
        matches!(changed, Err(FrontDoorError::Conflict { .. })),
        "{changed:?}"
    );
    // Both versions are still under the old password, on either door.
    assert_eq!(read(&second, &olga, "before", &before, FIRST).unwrap().1, 1);
    assert!(crypto(read(&first, &olga, "before", &before, SECOND)));
    first.verify_chain(None).unwrap();
    first.sessions().shutdown();
    second.sessions().shutdown();
}

#[test]
fn of_two_racing_rotations_on_two_front_doors_one_wins_and_the_other_conflicts() {
    let Some(db) = Postgres::new() else { return };
    let olga = principal("olga");
    let (first, second) = two_doors(&db);
    // The first front door's rotation lands between the second's decision
    // (its transaction 1) and its commit (transaction 2).
    let won = Arc::new(Mutex::new(None));
    let (winner, result, owner) = (Arc::clone(&first), Arc::clone(&won), olga.clone());
    second.store().before(2, move || {
        *result.lock().unwrap() = Some(winner.rotate_key(&owner, &project(), &Password::new(FIRST)));
    });
    let lost = second.rotate_key(&olga, &project(), &Password::new(FIRST));
    assert_eq!(won.lock().unwrap().take().unwrap().unwrap(), 2);
    assert!(
        matches!(&lost, Err(FrontDoorError::Conflict { project }) if project == "payroll"),
        "{lost:?}"
    );
    // Both front doors recorded their outcome in one chain, the winner's
    // first.
    let head = first.verify_chain(None).unwrap();
    assert_eq!(second.verify_chain(Some(head)).unwrap(), head);
    let rotations: Vec<Outcome> = second
        .audit_records()
        .unwrap()
        .into_iter()
        .filter(|r| r.event.operation == Operation::RotateKey)
        .map(|r| r.event.outcome)
        .collect();
    assert_eq!(rotations.len(), 2);
    assert_eq!(rotations[0], Outcome::Succeeded);
    assert!(matches!(&rotations[1], Outcome::Failed { reason } if reason.as_str() == "front-door.Conflict"));
    // Exactly one version was added; retried, the loser's rotation makes
    // version 3.
    assert_eq!(
        second
            .rotate_key(&olga, &project(), &Password::new(FIRST))
            .unwrap(),
        3
    );
    first.sessions().shutdown();
    second.sessions().shutdown();
}

/// Runs this test binary again as a child process, only
/// `child_makes_calls`, working in `schema` as child `index`.
fn spawn_child(url: &str, schema: &str, index: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child_makes_calls", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{schema}/{index}"))
        .env(test_db::URL_VARIABLE, url)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// What a child reported: `(members added, rotations won, rotations lost
/// to a conflict)`, each acknowledged to the child.
fn report(child: std::process::Child) -> (usize, usize, usize) {
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("child: ").map(|(_, report)| report))
        .unwrap_or_else(|| panic!("the child reported nothing: {stdout}"));
    let counts: Vec<usize> = line.split(' ').map(|n| n.parse().unwrap()).collect();
    (counts[0], counts[1], counts[2])
}

/// Member `n` added by child `index`.
fn member(index: impl std::fmt::Display, n: usize) -> Principal {
    Principal::new(
        id(TenantId::new, "acme"),
        PrincipalId::new(format!("c{index}-m{n}")).unwrap(),
    )
}

/// The child's side of `two_processes_extend_one_chain_and_every_call_is_on_file`;
/// does nothing unless run as its child.
#[test]
fn child_makes_calls() {
    let Some(spec) = std::env::var(CHILD).ok() else {
        return;
    };
    let (schema, index) = spec.split_once('/').unwrap();
    let url = std::env::var(test_db::URL_VARIABLE).unwrap();
    let store = PostgresStore::open_in_schema(&url, schema, AuditKey::from_bytes(backends::KEY)).unwrap();
    let door = FrontDoor::open(fast_config(), store, sessions()).unwrap();
    let olga = principal("olga");
    let mut added = 0;
    for n in 0..MEMBER_CALLS {
        door.add_member(&olga, &project(), &member(index, n), Role::Viewer)
            .unwrap();
        added += 1;
    }
    let (mut won, mut lost) = (0, 0);
    for _ in 0..ROTATIONS {
        match door.rotate_key(&olga, &project(), &Password::new(FIRST)) {
            Ok(_) => won += 1,
            Err(FrontDoorError::Conflict { .. }) => lost += 1,
            Err(other) => panic!("rotation failed: {other}"),
        }
    }
    door.sessions().shutdown();
    println!("child: {added} {won} {lost}");
}

#[test]
fn two_processes_extend_one_chain_and_every_call_is_on_file() {
    let Some(db) = Postgres::new() else { return };
    let olga = principal("olga");
    let first = door(&db);
    first
        .create_project(&olga, &id(ProjectId::new, "payroll"), &Password::new(FIRST))
        .unwrap();
    let before = first.verify_chain(None).unwrap();
    first.sessions().shutdown();
    drop(first);
    let children: Vec<_> = (0..2).map(|i| spawn_child(&db.url, &db.schema, i)).collect();
    let reports: Vec<_> = children.into_iter().map(report).collect();
    let added: usize = reports.iter().map(|r| r.0).sum();
    let won: usize = reports.iter().map(|r| r.1).sum();
    let lost: usize = reports.iter().map(|r| r.2).sum();
    assert_eq!(added, 2 * MEMBER_CALLS);
    assert_eq!(won + lost, 2 * ROTATIONS);
    // A new front door verifies the whole chain at start-up, and the
    // records before the children are its prefix.
    let door = FrontDoor::open(fast_config(), db.open(), sessions()).unwrap();
    let head = door.verify_chain(Some(before)).unwrap();
    let records = door.audit_records().unwrap();
    assert_eq!(records.len() as u64, head.count);
    assert!(records
        .windows(2)
        .all(|w| w[1].seq == w[0].seq + 1 && w[1].prev == w[0].hash()));
    // Every acknowledged call has exactly its record, nothing more.
    let after = &records[usize::try_from(before.count).unwrap()..];
    let count = |operation: Operation, succeeded: bool| {
        after
            .iter()
            .filter(|r| {
                r.event.operation == operation && (r.event.outcome == Outcome::Succeeded) == succeeded
            })
            .count()
    };
    assert_eq!(count(Operation::AddMember, true), added);
    assert_eq!(count(Operation::RotateKey, true), won);
    assert_eq!(count(Operation::RotateKey, false), lost);
    assert_eq!(after.len(), added + won + lost);
    // And the state: every member, and one key version per rotation won.
    let envelope = door
        .encrypt(&olga, &doc("d"), b"after", &Context::new(), &Password::new(FIRST))
        .unwrap();
    let (_, version) = read(&door, &olga, "d", &envelope, FIRST).unwrap();
    assert_eq!(version, u32::try_from(1 + won).unwrap());
    for index in 0..2 {
        let member = member(index, MEMBER_CALLS - 1);
        let (plain, _) = read(&door, &member, "d", &envelope, FIRST).unwrap();
        assert_eq!(plain, b"after");
    }
    door.sessions().shutdown();
    eprintln!("two processes: {added} members added, {won} rotations won, {lost} lost to a conflict");
}

#[test]
fn a_transaction_that_loses_a_deadlock_is_run_again() {
    let Some(db) = Postgres::new() else { return };
    let store = db.open();
    let (acme, payroll) = (id(TenantId::new, "acme"), id(ProjectId::new, "payroll"));
    store
        .transaction(&mut |tx: &mut dyn Transaction| {
            tx.apply(&store::Change::CreateProject {
                tenant: acme.clone(),
                project: payroll.clone(),
                owner: principal("olga"),
                sealed: b"v1".to_vec(),
            })
        })
        .unwrap();
    // Another session (an operator's, say) holds the project's row and then
    // waits for the state row, which the store's transaction holds while it
    // waits for the project's row: a deadlock, which PostgreSQL breaks by
    // failing the transaction that waited first, the store's (40P01).
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let (locked, row_held) = std::sync::mpsc::channel::<()>();
    let (url, schema) = (db.url.clone(), db.schema.clone());
    let other = std::thread::spawn(move || {
        let mut client = test_db::client(&url, &schema);
        let mut tx = client.transaction().unwrap();
        tx.execute("UPDATE projects SET generation = generation", &[])
            .unwrap();
        locked.send(()).unwrap();
        wait.recv().unwrap();
        // Let the store's transaction wait for the project's row first, so
        // PostgreSQL's deadlock check (after `deadlock_timeout`) runs in it.
        let mut watcher = test_db::client(&url, &schema);
        let waiting = (0..500).any(|_| {
            let n: i64 = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                     AND wait_event_type = 'Lock' AND query LIKE 'UPDATE projects SET generation = generation + 1%'",
                    &[],
                )
                .unwrap()
                .get(0);
            std::thread::sleep(std::time::Duration::from_millis(20));
            n > 0
        });
        assert!(waiting, "the store's transaction never waited for the row");
        let state = tx.query("SELECT version FROM state FOR UPDATE", &[]);
        // The store's transaction was the one failed: this one got the row.
        assert!(state.is_ok(), "{state:?}");
        tx.rollback().unwrap();
    });
    row_held.recv().unwrap();
    let mut attempts = 0;
    let added = store.transaction(&mut |tx: &mut dyn Transaction| {
        attempts += 1;
        if attempts == 1 {
            go.send(()).unwrap();
        }
        tx.apply(&store::Change::AddVersion {
            tenant: acme.clone(),
            project: payroll.clone(),
            expected_generation: 0,
            sealed: b"v2".to_vec(),
        })?;
        tx.version()
    });
    other.join().unwrap();
    assert_eq!(added.unwrap(), 2);
    assert_eq!(attempts, 2);
    let snapshot = store
        .transaction(&mut |tx: &mut dyn Transaction| tx.snapshot())
        .unwrap();
    let record = snapshot.project(&acme, &payroll).unwrap();
    assert_eq!((record.generation, record.sealed.len()), (1, 2));
}

#[test]
fn an_edited_record_stops_the_start_and_nothing_is_destroyed() {
    let Some(db) = Postgres::new() else { return };
    let (olga, vera) = (principal("olga"), principal("vera"));
    let first = door(&db);
    first
        .create_project(&olga, &id(ProjectId::new, "payroll"), &Password::new(FIRST))
        .unwrap();
    first.add_member(&olga, &project(), &vera, Role::Viewer).unwrap();
    let head = first.verify_chain(None).unwrap();
    first.sessions().shutdown();
    // Make the member added look removed, behind the store's back.
    let mut client = test_db::client(&db.url, &db.schema);
    let edited = client
        .execute(
            r#"UPDATE audit_records SET record = replace(record, '"operation":"add_member"', '"operation":"remove_member"')
               WHERE record LIKE '%"operation":"add_member"%'"#,
            &[],
        )
        .unwrap();
    assert_eq!(edited, 1);
    let refused = FrontDoor::open(fast_config(), db.open(), sessions());
    assert!(
        matches!(&refused, Err(FrontDoorError::BrokenChain(e)) if e.position < head.count),
        "{:?}",
        refused.map(drop)
    );
    let records = db
        .open()
        .transaction(&mut |tx: &mut dyn Transaction| tx.audit_records())
        .unwrap();
    assert_eq!(records.len() as u64, head.count);
}

#[test]
fn instances_starting_together_on_an_empty_database_start_one_chain() {
    let Some(db) = Postgres::new() else { return };
    let db = Arc::new(db);
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let starting: Vec<_> = (0..4)
        .map(|_| {
            let (db, barrier) = (Arc::clone(&db), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                db.open().chain_id()
            })
        })
        .collect();
    let chains: Vec<_> = starting.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(chains.iter().all(|c| *c == chains[0]), "{chains:?}");
    let mut client = test_db::client(&db.url, &db.schema);
    let rows: i64 = client
        .query_one("SELECT count(*) FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, i64::from(SCHEMA_VERSION));
}
