//! The API-key table in the store's database, on SQLite and PostgreSQL:
//! keys written, read back, listed and revoked, seen by a second table on
//! the same database; and a database whose keys the service kept in its
//! own table with its own migrations table (before schema version 6) keeps
//! them when the store upgrades it.

use crate::backends;
use crate::test_db;

use backends::{Backend, Postgres, KEY};
use coffer_door::audit::AuditKey;
use coffer_store::{AnyStore, ApiKeyRow, ApiKeyTable, SqliteStore, DATABASE_FILE, SCHEMA_VERSION};

fn row(key_id: &str, created_at: i64) -> ApiKeyRow {
    ApiKeyRow {
        key_id: key_id.to_owned(),
        principal: "acme/alice".to_owned(),
        verifier: vec![7; 32],
        label: format!("key {key_id}"),
        created_at,
        expires_at: Some(created_at + 3600),
        revoked_at: None,
    }
}

/// Writes, reads, lists and revokes keys through `table`; `other` is a
/// second table on the same database, which sees every change.
fn keys_round_trip(table: &ApiKeyTable, other: &ApiKeyTable) {
    let (older, newer) = (row("00000000000000bb", 10), row("00000000000000aa", 20));
    table.insert(&newer).unwrap();
    table.insert(&older).unwrap();
    assert!(table.insert(&older).is_err(), "a key id is unique");
    assert_eq!(other.get(&newer.key_id).unwrap(), Some(newer.clone()));
    assert_eq!(other.get("0000000000000000").unwrap(), None);
    assert_eq!(other.list().unwrap(), [older.clone(), newer.clone()]);
    assert!(table.revoke(&newer.key_id, 30).unwrap());
    assert!(!other.revoke(&newer.key_id, 40).unwrap(), "revoked already");
    assert!(!other.revoke("0000000000000000", 40).unwrap());
    let revoked = other.get(&newer.key_id).unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(30));
    assert_eq!(other.get(&older.key_id).unwrap().unwrap().revoked_at, None);
}

#[test]
fn sqlite_keeps_api_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), AuditKey::from_bytes(KEY)).unwrap();
    let other = SqliteStore::open(dir.path(), AuditKey::from_bytes(KEY)).unwrap();
    keys_round_trip(&store.api_key_table().unwrap(), &other.api_key_table().unwrap());
}

#[test]
fn postgres_keeps_api_keys() {
    let Some(db) = Postgres::new() else { return };
    let (store, other) = (AnyStore::Postgres(db.open()), AnyStore::Postgres(db.open()));
    keys_round_trip(&store.api_key_table().unwrap(), &other.api_key_table().unwrap());
}

/// The key the service's own table held before the upgrade.
fn kept() -> ApiKeyRow {
    ApiKeyRow {
        key_id: "0123456789abcdef".to_owned(),
        principal: "acme/alice".to_owned(),
        verifier: vec![1, 2, 3],
        label: "ci".to_owned(),
        created_at: 1_700_000_000,
        expires_at: None,
        revoked_at: None,
    }
}

/// What a schema version 5 store beside the service's own migrations left
/// (in an engine's types): the tables as the service created them.
fn old_layout(bytes: &str, int: &str) -> String {
    format!(
        "DROP TABLE coffer_server_api_keys; DELETE FROM schema_version WHERE version = 6;
         CREATE TABLE coffer_server_migrations (version {int} PRIMARY KEY);
         INSERT INTO coffer_server_migrations (version) VALUES (1);
         CREATE TABLE coffer_server_api_keys (
             key_id TEXT PRIMARY KEY, principal TEXT NOT NULL, verifier {bytes} NOT NULL,
             label TEXT NOT NULL, created_at {int} NOT NULL, expires_at {int}, revoked_at {int})"
    )
}

/// The one key of the old table, [`kept`].
const INSERT_KEPT: &str = "INSERT INTO coffer_server_api_keys VALUES ($1, $2, $3, $4, $5, NULL, NULL)";

#[test]
fn sqlite_upgrade_keeps_the_service_key_table() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path(), AuditKey::from_bytes(KEY)).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.execute_batch(&old_layout("BLOB", "INTEGER")).unwrap();
    let old = kept();
    let row = (
        &old.key_id,
        &old.principal,
        &old.verifier,
        &old.label,
        old.created_at,
    );
    conn.execute(INSERT_KEPT, row).unwrap();

    let store = SqliteStore::open(dir.path(), AuditKey::from_bytes(KEY)).unwrap();
    assert_eq!(store.api_key_table().unwrap().list().unwrap(), [old]);
    let version: u32 = conn
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let leftovers: u32 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'coffer_server_migrations'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leftovers, 0);
}

#[test]
fn postgres_upgrade_keeps_the_service_key_table() {
    let Some(db) = Postgres::new() else { return };
    drop(db.open());
    let mut client = test_db::client(&db.url, &db.schema);
    client.batch_execute(&old_layout("BYTEA", "BIGINT")).unwrap();
    let old = kept();
    let row: [&(dyn postgres::types::ToSql + Sync); 5] = [
        &old.key_id,
        &old.principal,
        &old.verifier,
        &old.label,
        &old.created_at,
    ];
    client.execute(INSERT_KEPT, &row).unwrap();

    let store = db.open();
    assert_eq!(store.api_key_table().list().unwrap(), [old]);
    let version: i32 = client
        .query_one("SELECT max(version) FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, i32::try_from(SCHEMA_VERSION).unwrap());
    let leftovers: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables
             WHERE table_schema = $1 AND table_name = 'coffer_server_migrations'",
            &[&db.schema],
        )
        .unwrap()
        .get(0);
    assert_eq!(leftovers, 0);
}
