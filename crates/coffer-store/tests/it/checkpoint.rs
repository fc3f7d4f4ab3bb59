//! Start-up from the MACed checkpoint kept in the store, on SQLite and on
//! PostgreSQL: a front door verifies the checkpoint, the record it names
//! and every record after it; tampering with any of them, or with the
//! checkpoint itself, stops the start; an edit before the checkpoint is
//! left to the operator's full verification.

use crate::backends;
use crate::door;
use crate::test_db;

use backends::{Backend, Postgres, Sqlite};
use coffer_door::audit::{AuditError, VerifyError, VerifyFailure};
use coffer_door::keys::Password;
use coffer_door::policy::*;
use coffer_door::store::{Store, StoreError, Transaction};
use coffer_door::*;
use coffer_store::DATABASE_FILE;
use door::*;

/// A backend whose rows the tests edit behind the store's back, in SQL
/// both engines read the same way.
trait Raw: Backend {
    fn sql(&self, sql: &str);
}

impl Raw for Sqlite {
    fn sql(&self, sql: &str) {
        let conn = rusqlite::Connection::open(self.0.path().join(DATABASE_FILE)).unwrap();
        conn.execute_batch(sql).unwrap();
    }
}

impl Raw for Postgres {
    fn sql(&self, sql: &str) {
        test_db::client(&self.url, &self.schema)
            .batch_execute(sql)
            .unwrap();
    }
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&super::Sqlite::new());
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                let Some(backend) = super::Postgres::new() else { return };
                super::$name(&backend);
            })*
        }
    };
}

on_both!(
    a_record_edited_after_the_checkpoint_stops_the_start,
    the_record_the_checkpoint_names_is_checked,
    a_record_edited_before_the_checkpoint_is_found_by_the_full_verification,
    a_tampered_checkpoint_stops_the_start,
    an_earlier_genuine_checkpoint_verifies_more_of_the_chain,
    a_head_rolled_back_behind_the_checkpoint_stops_the_start,
);

fn start<B: Backend>(backend: &B) -> Result<FrontDoor<B::S>, FrontDoorError> {
    let door = FrontDoor::open(config(), backend.open(), sessions())?;
    door.sessions().shutdown();
    Ok(door)
}

/// Why the start was refused.
fn refused<S: Store>(result: Result<FrontDoor<S>, FrontDoorError>) -> VerifyError {
    match result {
        Err(FrontDoorError::BrokenChain(e)) => e,
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("a broken chain or checkpoint must not start"),
    }
}

/// `n` calls of olga's, each one audit record.
fn calls<S: Store>(door: &FrontDoor<S>, n: usize) {
    for _ in 0..n {
        door.add_member(&principal("olga"), &project(), &principal("ed"), Role::Editor)
            .unwrap();
    }
}

/// A store whose front door was started twice: the checkpoint is at the
/// head of the first run, and 4 records follow it. Returns the
/// checkpoint's count and the head's.
fn populated<B: Raw>(backend: &B) -> (u64, u64) {
    let door = door(backend);
    door.create_project(&olga(), &id(ProjectId::new, "payroll"), &Password::new(FIRST))
        .unwrap();
    calls(&door, 5);
    door.sessions().shutdown();
    drop(door);
    let door = start(backend).unwrap();
    let checkpoint = checkpoint_count(&door);
    assert_eq!(checkpoint, 6);
    calls(&door, 4);
    let head = door.verify_chain(None).unwrap();
    assert_eq!(head.count, checkpoint + 4);
    (checkpoint, head.count)
}

fn olga() -> Principal {
    principal("olga")
}

fn checkpoint_count<S: Store>(door: &FrontDoor<S>) -> u64 {
    door.store()
        .transaction(&mut |tx: &mut dyn Transaction| tx.audit_checkpoint())
        .unwrap()
        .unwrap()
        .count()
}

/// An edit of record `seq` that still parses: olga's call made to look
/// like someone else's.
fn edit_record(seq: u64) -> String {
    format!(
        r#"UPDATE audit_records SET record = replace(record, '"id":"olga"', '"id":"eve"') WHERE seq = {seq}"#
    )
}

fn a_record_edited_after_the_checkpoint_stops_the_start<B: Raw>(backend: &B) {
    let (checkpoint, head) = populated(backend);
    let seq = checkpoint + 1;
    assert!(seq < head);
    backend.sql(&edit_record(seq));
    let e = refused(start(backend));
    assert_eq!((e.position, e.failure), (seq, VerifyFailure::BadMac));
}

fn the_record_the_checkpoint_names_is_checked<B: Raw>(backend: &B) {
    let (checkpoint, _) = populated(backend);
    backend.sql(&edit_record(checkpoint - 1));
    let e = refused(start(backend));
    assert_eq!((e.position, e.failure), (checkpoint - 1, VerifyFailure::BadMac));
    // Removed, it is missed as well.
    backend.sql(&format!(
        "DELETE FROM audit_records WHERE seq = {}",
        checkpoint - 1
    ));
    let e = refused(start(backend));
    assert_eq!(e.position, checkpoint - 1);
    assert!(matches!(e.failure, VerifyFailure::Sequence { .. }), "{e}");
}

fn a_record_edited_before_the_checkpoint_is_found_by_the_full_verification<B: Raw>(backend: &B) {
    let (checkpoint, head) = populated(backend);
    let seq = 2;
    assert!(seq + 1 < checkpoint);
    backend.sql(&edit_record(seq));
    // Start-up reads only from the checkpoint on: the trade-off.
    let door = start(backend).unwrap();
    // The operator's full verification, which the repair starts with,
    // finds it.
    match door.verify_chain(None) {
        Err(StoreError::Audit(AuditError::Verify(e))) => {
            assert_eq!((e.position, e.failure), (seq, VerifyFailure::BadMac));
        }
        other => panic!("the edit must be found, got {other:?}"),
    }
    assert_eq!(door.audit_records().unwrap().len() as u64, head);
}

fn a_tampered_checkpoint_stops_the_start<B: Raw>(backend: &B) {
    populated(backend);
    backend.sql(
        "CREATE TABLE saved AS SELECT checkpoint_count AS c, checkpoint_hash AS h, checkpoint_mac AS m FROM state",
    );
    let restore = "UPDATE state SET checkpoint_count = (SELECT c FROM saved),
        checkpoint_hash = (SELECT h FROM saved), checkpoint_mac = (SELECT m FROM saved)";
    let cases = [
        ("its MAC replaced", "UPDATE state SET checkpoint_mac = head_mac"),
        ("its hash replaced", "UPDATE state SET checkpoint_hash = chain_id"),
        (
            "moved past the end",
            "UPDATE state SET checkpoint_count = head_count + 3",
        ),
        (
            "moved backwards",
            "UPDATE state SET checkpoint_count = checkpoint_count - 2",
        ),
        (
            "moved to the head, with the head's MAC",
            "UPDATE state SET checkpoint_count = head_count, checkpoint_hash = head_hash, checkpoint_mac = head_mac",
        ),
    ];
    for (what, tamper) in cases {
        backend.sql(tamper);
        let e = refused(start(backend));
        assert_eq!(e.failure, VerifyFailure::ForgedCheckpoint, "{what}");
        backend.sql(restore);
        start(backend).unwrap_or_else(|e| panic!("restored after {what}: {e}"));
    }
    // Stored in part: the store does not read it back.
    backend.sql("UPDATE state SET checkpoint_mac = NULL");
    let corrupt = start(backend);
    assert!(
        matches!(corrupt, Err(FrontDoorError::Store(StoreError::Corrupt(_)))),
        "{corrupt:?}"
    );
}

fn an_earlier_genuine_checkpoint_verifies_more_of_the_chain<B: Raw>(backend: &B) {
    let (first, _) = populated(backend);
    backend.sql(
        "CREATE TABLE saved AS SELECT checkpoint_count AS c, checkpoint_hash AS h, checkpoint_mac AS m FROM state",
    );
    // A third run moves the checkpoint on to the head.
    let later = checkpoint_count(&start(backend).unwrap());
    assert_eq!(later, first + 4);
    // An edit between the two checkpoints is before the later one...
    backend.sql(&edit_record(first + 1));
    start(backend).unwrap();
    // ...and after the earlier one: put back, the earlier checkpoint
    // starts verification there and finds it.
    backend.sql(
        "UPDATE state SET checkpoint_count = (SELECT c FROM saved),
            checkpoint_hash = (SELECT h FROM saved), checkpoint_mac = (SELECT m FROM saved)",
    );
    let e = refused(start(backend));
    assert_eq!((e.position, e.failure), (first + 1, VerifyFailure::BadMac));
}

fn a_head_rolled_back_behind_the_checkpoint_stops_the_start<B: Raw>(backend: &B) {
    let door = door(backend);
    door.create_project(&olga(), &id(ProjectId::new, "payroll"), &Password::new(FIRST))
        .unwrap();
    calls(&door, 2);
    drop(door);
    let door = start(backend).unwrap();
    let first = checkpoint_count(&door);
    // The head the checkpoint was made at, genuine.
    backend.sql("CREATE TABLE saved AS SELECT head_count AS c, head_hash AS h, head_mac AS m FROM state");
    calls(&door, 4);
    drop(door);
    let later = checkpoint_count(&start(backend).unwrap());
    assert_eq!(later, first + 4);
    // The records after the first checkpoint cut and the head put back to
    // that genuine earlier one: consistent, but behind the checkpoint.
    backend.sql(&format!(
        "DELETE FROM audit_records WHERE seq >= {first};
         UPDATE state SET head_count = (SELECT c FROM saved), head_hash = (SELECT h FROM saved),
             head_mac = (SELECT m FROM saved)"
    ));
    let e = refused(start(backend));
    assert_eq!(e.failure, VerifyFailure::CheckpointPastHead { checkpoint: later });
    // Without the checkpoint, the cut would go unseen at start-up (only
    // a head kept outside the store finds it).
    backend.sql("UPDATE state SET checkpoint_count = NULL, checkpoint_hash = NULL, checkpoint_mac = NULL");
    start(backend).unwrap();
}
