#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]
//! The test database: `COFFER_TEST_POSTGRES_URL` (`.ci/postgres.sh start`
//! sets it); with `CI=true` a missing URL fails the test, elsewhere it
//! skips loudly.

/// The test database's URL with a fresh schema `<schema>_<pid>_<nanos>`
/// first on its search path, or `None` (having said so) when there is
/// none; `what` names the test in the message.
#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a skipped test says so where the test runner shows it"
)]
pub(crate) fn database(schema: &str, what: &str) -> Option<String> {
    let Ok(url) = std::env::var("COFFER_TEST_POSTGRES_URL") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("COFFER_TEST_POSTGRES_URL is required under CI");
        }
        println!("SKIPPED the PostgreSQL {what} test: COFFER_TEST_POSTGRES_URL is not set");
        eprintln!("SKIPPED the PostgreSQL {what} test: COFFER_TEST_POSTGRES_URL is not set");
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("{schema}_{}_{nanos}", std::process::id());
    coffer_store::PostgresStore::create_schema(&url, &schema).unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{separator}options=-c%20search_path%3D{schema}"))
}
