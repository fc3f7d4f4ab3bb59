//! The test database: its URL from `COFFER_TEST_POSTGRES_URL`, required in
//! CI and skipped loudly elsewhere, and a fresh schema per use.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The variable that holds the test database's connection string.
pub(crate) const URL_VARIABLE: &str = "COFFER_TEST_POSTGRES_URL";

/// The test database's connection string, or `None` (after saying so on
/// stderr) on a developer's machine without one. Under CI (`CI=true`) a
/// missing URL fails the test: the PostgreSQL tests never skip there.
pub(crate) fn url() -> Option<String> {
    setting(URL_VARIABLE)
}

/// The variable `name` (see [`url`]: required under CI, a loud skip
/// elsewhere).
pub(crate) fn setting(name: &str) -> Option<String> {
    if let Some(url) = std::env::var(name).ok().filter(|u| !u.is_empty()) {
        return Some(url);
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a PostgreSQL test")
        .to_owned();
    assert!(
        std::env::var("CI").map_or(true, |ci| ci != "true"),
        "{test}: `{name}` is not set, and under CI the PostgreSQL tests must run \
         (`.ci/run` starts a cluster with `.ci/postgres.sh start`)"
    );
    // Straight to the process's stderr, past the test harness's capture,
    // so the skip shows in a passing run.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: `{name}` is not set. To run the PostgreSQL tests, start a \
         throwaway cluster: `eval \"$(.ci/postgres.sh start)\"` (stop it with `.ci/postgres.sh stop`)."
    );
    None
}

/// A schema name no other test (in this process or another) uses.
pub(crate) fn fresh_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "t_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A connection to the test database, for what the store's API does not
/// do (dropping a schema, editing rows behind the store's back).
pub(crate) fn client(url: &str, schema: &str) -> postgres::Client {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .unwrap();
    client
}

/// Drops `schema` and everything in it.
pub(crate) fn drop_schema(url: &str, schema: &str) {
    if let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls) {
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
}
