//! TLS to PostgreSQL with libpq's `sslmode=verify-full`: a store opens over
//! a verified connection and works; a certificate from another CA, one for
//! another host name, and a server that answers without TLS are all
//! refused. The test cluster (`.ci/postgres.sh start`) listens with TLS on
//! 127.0.0.1 (`COFFER_TEST_POSTGRES_TLS_URL`, its certificate for
//! `localhost` and `127.0.0.1`) and on a unix socket, where PostgreSQL
//! never speaks TLS (`COFFER_TEST_POSTGRES_URL`). Without them the tests
//! skip loudly, except under CI, where they fail.
use std::io::{Read, Write};

use crate::test_db;
use coffer_door::audit::AuditKey;
use coffer_door::store::Store;
use coffer_store::{OpenError, PostgresConnect, PostgresStore};
use rustls::CertificateError;

/// The connection string over TLS to the test cluster.
const TLS_URL: &str = "COFFER_TEST_POSTGRES_TLS_URL";
/// The path of a CA that issued nothing the test cluster presents.
const OTHER_CA: &str = "COFFER_TEST_POSTGRES_OTHER_CA";

fn key() -> AuditKey {
    AuditKey::from_bytes([7; 32])
}

/// `url` with `name=value` appended to its query.
fn with(url: &str, name: &str, value: &str) -> String {
    format!("{url}&{name}={value}")
}

/// The TLS URL with its host replaced by `host`, connecting to the same
/// address (libpq's `hostaddr`).
fn other_host(url: &str, host: &str) -> String {
    assert!(url.contains("@localhost:"), "the TLS URL names `localhost`");
    let replaced = url.replacen("@localhost:", &format!("@{host}:"), 1);
    with(&replaced, "hostaddr", "127.0.0.1")
}

#[test]
fn a_store_opens_over_verified_tls_and_works() {
    let Some(url) = test_db::setting(TLS_URL) else {
        return;
    };
    // The connection really is TLS, as the server sees it.
    let mut client = PostgresConnect::parse(&url).unwrap().connect().unwrap();
    let ssl: bool = client
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    assert!(ssl, "the connection is encrypted");
    drop(client);

    let schema = test_db::fresh_schema();
    let store = PostgresStore::open_in_schema(&url, &schema, key()).unwrap();
    let mut staged = store.stage_envelope().unwrap();
    staged.write_all(b"sealed bytes over tls").unwrap();
    staged.finish().unwrap();
    let id = staged.id();
    drop(staged);
    let mut read = Vec::new();
    store.read_envelope(&id).unwrap().read_to_end(&mut read).unwrap();
    assert_eq!(read, b"sealed bytes over tls");
    drop(store);
    // Reopened through the pool's connections, the chain is the same.
    let again = PostgresStore::open_in_schema(&url, &schema, key()).unwrap();
    assert!(again.release_envelope(&id).unwrap());
    drop(again);
    let plain = test_db::url().unwrap();
    test_db::drop_schema(&plain, &schema);
}

#[test]
fn a_server_certificate_from_another_ca_is_refused() {
    let Some(url) = test_db::setting(TLS_URL) else {
        return;
    };
    let Some(other) = test_db::setting(OTHER_CA) else {
        return;
    };
    let (base, _) = url.split_once("&sslrootcert=").unwrap();
    let url = with(base, "sslrootcert", &other.replace('/', "%2F"));
    let error = PostgresStore::open(&url, key()).unwrap_err();
    assert!(
        matches!(
            error,
            OpenError::ServerCertificate {
                reason: CertificateError::UnknownIssuer
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("certificate is refused"), "{error}");
}

#[test]
fn a_certificate_for_another_host_name_is_refused() {
    let Some(url) = test_db::setting(TLS_URL) else {
        return;
    };
    // Same server, same CA, but the name asked for is not on the
    // certificate.
    let error = PostgresStore::open(&other_host(&url, "db.example"), key()).unwrap_err();
    assert!(
        matches!(
            error,
            OpenError::ServerCertificate {
                reason: CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            }
        ),
        "{error:?}"
    );
    // The names it does hold pass: the host name is what was refused.
    drop(
        PostgresConnect::parse(&other_host(&url, "localhost"))
            .unwrap()
            .connect()
            .unwrap(),
    );
    drop(
        PostgresConnect::parse(&other_host(&url, "127.0.0.1"))
            .unwrap()
            .connect()
            .unwrap(),
    );
}

#[test]
fn a_server_without_tls_is_refused_when_verify_full_is_asked() {
    let Some(tls_url) = test_db::setting(TLS_URL) else {
        return;
    };
    let Some(plain) = test_db::url() else { return };
    // The unix socket: the same cluster, never TLS there.
    let (_, query) = tls_url.split_once('?').unwrap();
    let url = format!("{plain}?{query}");
    // Without `sslmode` the socket works, so the refusal below is TLS's.
    drop(PostgresConnect::parse(&plain).unwrap().connect().unwrap());
    let error = PostgresStore::open(&url, key()).unwrap_err();
    let OpenError::Postgres { source } = &error else {
        panic!("{error:?}")
    };
    let cause = std::error::Error::source(source).map(ToString::to_string);
    assert_eq!(
        cause.as_deref(),
        Some("server does not support TLS"),
        "{source:?}"
    );
}
