//! No secret reaches the logs: every log line of every thread is captured
//! at TRACE while the whole story runs through the API (including refused
//! calls and a wrong password), and searched for the passwords and the API
//! keys' secrets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "it/harness.rs"]
mod harness;

use axum::http::{Method, StatusCode};
use harness::{harness, Captured, PASSWORD};

const NEW_PASSWORD: &str = "a new password nobody may log";
const WRONG_PASSWORD: &str = "a wrong password nobody may log";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_or_key_secret_is_ever_logged() {
    // Global, so the blocking pool's threads log into it too.
    let captured = Captured::install(tracing::Level::TRACE);

    let h = harness();
    h.create_project("payroll").await;
    h.add_bob("payroll", "viewer").await;
    harness::story_with_documents(&h, NEW_PASSWORD, WRONG_PASSWORD).await;
    let answer = h
        .change_password(&h.alice, "payroll", WRONG_PASSWORD, NEW_PASSWORD)
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_key = format!("{}_{}", &h.alice[..h.alice.rfind('_').unwrap()], "f".repeat(64));
    assert_eq!(
        h.call(Method::GET, "/api/v1/me", Some(&wrong_key), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let logs = captured.text();
    assert!(logs.contains("request"), "the capture works: {logs}");
    assert!(logs.contains("authentication refused"), "refusals are logged");
    for secret in [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD] {
        assert!(!logs.contains(secret), "a password is in the logs");
    }
    for token in [&h.alice, &h.bob, &wrong_key] {
        let secret = &token[token.rfind('_').unwrap() + 1..];
        assert!(!logs.contains(secret), "an API key's secret is in the logs");
    }
}
