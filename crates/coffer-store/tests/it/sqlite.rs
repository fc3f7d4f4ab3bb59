//! What is particular to the SQLite store: the file's settings, schema
//! versions, the audit key it belongs to, and key files.

use coffer_door::audit::AuditKey;
use coffer_store::*;
use rusqlite::Connection;

fn database(dir: &tempfile::TempDir) -> Connection {
    Connection::open(dir.path().join(DATABASE_FILE)).unwrap()
}

#[test]
fn the_database_is_wal_with_full_sync_at_the_current_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("data"), AuditKey::from_bytes([1; 32])).unwrap();
    assert_eq!(store.path(), dir.path().join("data").join(DATABASE_FILE));
    let conn = Connection::open(store.path()).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let version: u32 = conn
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // Opening again applies no migration twice.
    drop(SqliteStore::open(dir.path().join("data"), AuditKey::from_bytes([1; 32])).unwrap());
    let rows: u32 = conn
        .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, SCHEMA_VERSION);
}

#[test]
fn a_database_of_newer_code_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path(), AuditKey::from_bytes([1; 32])).unwrap());
    database(&dir)
        .execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, 0)",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    let refused = SqliteStore::open(dir.path(), AuditKey::from_bytes([1; 32]));
    assert!(
        matches!(
            refused,
            Err(OpenError::SchemaTooNew { found, supported }) if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ),
        "{refused:?}"
    );
}

#[test]
fn a_database_of_another_audit_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path(), AuditKey::from_bytes([1; 32])).unwrap());
    let refused = SqliteStore::open(dir.path(), AuditKey::from_bytes([2; 32]));
    assert!(matches!(refused, Err(OpenError::ForeignAuditKey)), "{refused:?}");
    // The right key still opens it.
    SqliteStore::open(dir.path(), AuditKey::from_bytes([1; 32])).unwrap();
}

#[test]
fn no_plaintext_key_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path(), AuditKey::from_bytes([0x77; 32])).unwrap());
    let bytes = std::fs::read(dir.path().join(DATABASE_FILE)).unwrap();
    let wal = std::fs::read(dir.path().join(format!("{DATABASE_FILE}-wal"))).unwrap_or_default();
    for file in [bytes, wal] {
        assert!(!file.windows(32).any(|w| w == [0x77; 32]));
    }
}

#[cfg(unix)]
#[test]
fn key_files_are_private_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.key");
    let created = create_key_file(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(matches!(create_key_file(&path), Err(KeyError::Io { .. })));
    // The same key comes back: a store made with one opens with the other.
    drop(SqliteStore::open(dir.path().join("data"), created).unwrap());
    SqliteStore::open(dir.path().join("data"), load_key_file(&path).unwrap()).unwrap();
    SqliteStore::open(dir.path().join("data"), load_or_create_key_file(&path).unwrap()).unwrap();
    // Readable by the group: refused.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(matches!(
        load_key_file(&path),
        Err(KeyError::Permissions { mode: 0o640, .. })
    ));
    // Not a key.
    let bad = dir.path().join("bad.key");
    create_key_file(&bad).unwrap();
    std::fs::write(&bad, "not hex\n").unwrap();
    assert!(matches!(load_key_file(&bad), Err(KeyError::Malformed { .. })));
}

#[cfg(unix)]
#[test]
fn secret_files_are_made_once_and_a_failed_making_leaves_no_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.key");
    // The secret could not be made: no empty file is left to be read as a
    // key on the next start.
    let failed = load_or_create_secret_file(&path, || Err(KeyError::Random));
    assert!(matches!(failed, Err(KeyError::Random)));
    assert!(!path.exists());
    let made = load_or_create_secret_file(&path, || Ok(zeroize::Zeroizing::new(vec![0xab; 83]))).unwrap();
    assert_eq!(made.as_slice(), [0xab; 83]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{}\n", "ab".repeat(83))
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Made once: a second start loads it and never calls `make`.
    let loaded = load_or_create_secret_file(&path, || panic!("made twice")).unwrap();
    assert_eq!(loaded.as_slice(), made.as_slice());
    assert_eq!(load_secret_file(&path).unwrap().as_slice(), made.as_slice());
    // Not an audit key (83 bytes).
    assert!(matches!(load_key_file(&path), Err(KeyError::Malformed { .. })));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
    assert!(matches!(
        load_or_create_secret_file(&path, random_secret),
        Err(KeyError::Permissions { mode: 0o604, .. })
    ));
}

#[test]
fn an_unset_key_variable_is_named() {
    let refused = load_key_env("COFFER_TEST_AUDIT_KEY_THAT_IS_NOT_SET");
    assert!(
        matches!(&refused, Err(KeyError::NotSet(name)) if name == "COFFER_TEST_AUDIT_KEY_THAT_IS_NOT_SET"),
        "{:?}",
        refused.map(drop)
    );
}

#[test]
fn a_schema_1_database_is_upgraded_in_place_keeping_its_state() {
    use coffer_door::audit::Timestamp;
    use coffer_door::envelope::Suite;
    use coffer_door::policy::{DocumentId, Principal, PrincipalId, ProjectId, TenantId};
    use coffer_door::store::{Change, DocumentRecord, Store, StoreError, Transaction};

    let dir = tempfile::tempdir().unwrap();
    let key = || AuditKey::from_bytes([1; 32]);
    let (acme, payroll) = (TenantId::new("acme").unwrap(), ProjectId::new("payroll").unwrap());
    let olga = Principal::new(acme.clone(), PrincipalId::new("olga").unwrap());
    let store = SqliteStore::open(dir.path(), key()).unwrap();
    let create = Change::CreateProject {
        tenant: acme.clone(),
        project: payroll.clone(),
        owner: olga.clone(),
        sealed: b"sealed".to_vec(),
    };
    store
        .transaction(&mut |tx: &mut dyn Transaction| tx.apply(&create))
        .unwrap();
    drop(store);
    // What version 1 code left: no documents table, no checkpoint
    // columns, no public keys or grants, one migration applied.
    database(&dir)
        .execute_batch(
            "DROP TABLE key_grants; DROP TABLE public_keys;
             DROP TABLE documents; ALTER TABLE state DROP COLUMN checkpoint_count;
             ALTER TABLE state DROP COLUMN checkpoint_hash; ALTER TABLE state DROP COLUMN checkpoint_mac;
             DELETE FROM schema_version WHERE version >= 2;",
        )
        .unwrap();

    let store = SqliteStore::open(dir.path(), key()).unwrap();
    let version: u32 = database(&dir)
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!((version, SCHEMA_VERSION), (6, 6));
    let record = DocumentRecord {
        tenant: acme.clone(),
        project: payroll.clone(),
        document: DocumentId::new("memo").unwrap(),
        plaintext_size: 5,
        envelope_size: 200,
        suite: Suite::Aes256GcmHkdfSha256,
        key_version: 1,
        created_by: olga,
        created_at: Timestamp::from_unix_millis(1),
        envelope: None,
    };
    let listed = store
        .transaction(&mut |tx: &mut dyn Transaction| -> Result<_, StoreError> {
            assert!(tx.snapshot()?.membership.has_project(&acme, &payroll));
            // No checkpoint yet: the first start-up verifies everything.
            assert_eq!(tx.audit_checkpoint()?, None);
            let head = tx.verify_audit_tail()?;
            assert_eq!(tx.audit_checkpoint()?.map(|c| c.count()), Some(head.count));
            tx.apply(&Change::PutDocument(record.clone()))?;
            tx.documents(&acme, &payroll)
        })
        .unwrap();
    assert_eq!(listed, [record]);
}
