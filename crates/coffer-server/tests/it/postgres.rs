//! The service on PostgreSQL: two instances on one database (each with its
//! own front door, connection pool and session service) see each other's
//! projects, documents and key revocations at once.
//!
//! Needs `COFFER_TEST_POSTGRES_URL` (`.ci/postgres.sh start` sets it); with
//! `CI=true` a missing URL fails the test, elsewhere it skips loudly. Each
//! run works in a schema of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "a test fails by panicking; the output is this program's report"
)]

use crate::harness;
use crate::pg;

use axum::http::{Method, StatusCode};
use coffer_server::{app, AppState, Limits, StoreArgs};
use coffer_store::door::FrontDoorConfig;
use coffer_store::policy::{OperatorId, Role};
use harness::{principal, Harness, PASSWORD};

/// One instance: its own key files directory, the shared database.
fn instance(url: &str, keys: &std::path::Path) -> Harness {
    let store = StoreArgs {
        data_dir: keys.to_owned(),
        postgres: Some(url.to_owned()),
        key_dir: None,
    };
    let opened = store.open(FrontDoorConfig::default()).unwrap();
    let state = AppState::new(opened.door, opened.keys, Limits::default());
    Harness {
        app: app(state.clone()),
        state,
        dir: tempfile::tempdir().unwrap(),
        alice: String::new(),
        bob: String::new(),
    }
}

/// Runs blocking set-up and tear-down off the runtime: the PostgreSQL
/// client starts and drops a runtime of its own.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_projects_documents_and_keys() {
    let Some(url) = off_runtime(|| pg::database("coffer_server", "service")).await else {
        return;
    };
    // Both instances share the key files (as a deployment must).
    let keys = tempfile::tempdir().unwrap();
    let path = keys.path().to_owned();
    let (mut one, mut two, alice, token, bob) = off_runtime(move || {
        let one = instance(&url, &path);
        let two = instance(&url, &path);
        one.state
            .door()
            .grant_tenant_role(
                &OperatorId::new("ops").unwrap(),
                &principal("acme/alice"),
                Role::Owner,
            )
            .unwrap();
        let (alice, token) = one
            .state
            .keys()
            .create(&principal("acme/alice"), "pg", None)
            .unwrap();
        let (_, bob) = two
            .state
            .keys()
            .create(&principal("acme/bob"), "pg", None)
            .unwrap();
        (one, two, alice, token, bob)
    })
    .await;
    for h in [&mut one, &mut two] {
        h.alice = token.expose().to_owned();
        h.bob = bob.expose().to_owned();
    }

    // Created and stored on one, read on two.
    one.create_project("payroll").await;
    one.add_bob("payroll", "viewer").await;
    let content = vec![42u8; 200_000];
    assert_eq!(
        one.upload(&one.alice, "payroll", "doc", PASSWORD, &content)
            .await
            .status,
        StatusCode::CREATED
    );
    let message = two.download_message(&two.bob, "payroll", "doc", PASSWORD).await;
    let answer = two.download(&two.bob, "payroll", "doc", &message).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, content);

    // A key revoked through one instance is refused by the other at once.
    assert_eq!(
        two.call(Method::GET, "/api/v1/me", Some(&two.alice), None)
            .await
            .status,
        StatusCode::OK
    );
    let (one, revoked) = off_runtime(move || {
        let revoked = one.state.keys().revoke(&alice.key_id).unwrap();
        (one, revoked)
    })
    .await;
    assert!(revoked);
    assert_eq!(
        two.call(Method::GET, "/api/v1/me", Some(&two.alice), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    off_runtime(move || {
        assert!(two
            .authentication_failures()
            .contains(&("acme/alice".to_owned(), "api-key.revoked".to_owned())));
        one.state.door().verify_chain(None).unwrap();
        drop((one, two));
    })
    .await;
}
