//! The service's own PostgreSQL connection (the instance lock; the API-key
//! table is on the store's pool) follows `sslmode=verify-full` as the store
//! does: over the test cluster's TLS port (`COFFER_TEST_POSTGRES_TLS_URL`)
//! it works, and with a CA that did not issue the server's certificate
//! (`COFFER_TEST_POSTGRES_OTHER_CA`) it is refused, saying why. Without
//! those variables the test skips loudly, except under CI, where it fails.
use coffer_server::instance::{tag, InstanceClaim, InstanceError};
use coffer_store::OpenError;

fn setting(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{name} is required under CI"
            );
            eprintln!("SKIPPED the PostgreSQL TLS test: {name} is not set");
            None
        }
    }
}

#[test]
fn the_instance_lock_verifies_the_server() {
    let Some(url) = setting("COFFER_TEST_POSTGRES_TLS_URL") else {
        return;
    };
    let Some(other) = setting("COFFER_TEST_POSTGRES_OTHER_CA") else {
        return;
    };
    let tag = tag(0x00_7e57).unwrap();
    drop(InstanceClaim::postgres(&url, tag).unwrap());

    let (base, _) = url.split_once("&sslrootcert=").unwrap();
    let foreign = format!("{base}&sslrootcert={}", other.replace('/', "%2F"));
    let error = InstanceClaim::postgres(&foreign, tag).unwrap_err();
    assert!(
        matches!(
            error,
            InstanceError::Postgres(OpenError::ServerCertificate { .. })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("certificate is refused"), "{error}");
}
