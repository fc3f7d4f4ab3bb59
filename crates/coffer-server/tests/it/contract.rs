//! The error contract of docs/SERVER.md: every refusal is JSON with its
//! documented status and code (405, 413, 415 and 422 included), ids a
//! browser would rewrite are refused, and a project that does not exist
//! is 403, as one the caller has no role in.

use crate::harness;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use harness::{harness, request};
use serde_json::json;

#[tokio::test]
async fn every_refusal_has_its_documented_status_and_code() {
    let h = harness();
    h.create_project("payroll").await;

    // 405, as JSON, with the methods the path takes.
    for (method, path) in [(Method::PATCH, "/api/v1/me"), (Method::POST, "/")] {
        let answer = h.call(method, path, Some(&h.alice), None).await;
        answer.expect(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        assert!(answer.headers.contains_key("allow"), "{path}");
    }
    // 413 with its own code.
    let big = json!({ "project": "x".repeat(100 * 1024) });
    h.call(Method::POST, "/api/v1/password-offers", Some(&h.alice), Some(big))
        .await
        .expect(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    // 415 without a JSON content type.
    let plain = request(
        Method::POST,
        "/api/v1/password-offers",
        Some(&h.alice),
        Body::from(r#"{"project": "payroll"}"#),
    );
    h.send(plain)
        .await
        .expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // 400 for JSON that does not parse, 422 for JSON of the wrong shape.
    let mut broken = request(
        Method::POST,
        "/api/v1/password-offers",
        Some(&h.alice),
        Body::from("{"),
    );
    broken
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    h.send(broken)
        .await
        .expect(StatusCode::BAD_REQUEST, "bad_request");
    h.call(
        Method::POST,
        "/api/v1/password-offers",
        Some(&h.alice),
        Some(json!({ "project": 7 })),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY, "bad_request");
    // 404 for an endpoint that does not exist.
    h.call(Method::GET, "/api/v1/nowhere", Some(&h.alice), None)
        .await
        .expect(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn ids_a_browser_would_rewrite_are_refused() {
    let h = harness();
    h.create_project("payroll").await;
    for document in [".", "..", "%2e", "%2E%2e"] {
        let answer = h
            .upload(&h.alice, "payroll", document, harness::PASSWORD, b"unreachable")
            .await;
        answer.expect(StatusCode::BAD_REQUEST, "bad_request");
    }
    for project in [".", ".."] {
        let password = h.password(&h.alice, "payroll", harness::PASSWORD).await;
        // In a JSON body: well-formed JSON of the wrong shape.
        h.create_as(&h.alice, project, &password)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY, "bad_request");
    }
    assert_eq!(h.list(&h.alice, "payroll").await.json(), json!([]));
    // Names with dots that are no dot segment stay fine.
    let stored = h
        .upload(&h.alice, "payroll", "...", harness::PASSWORD, b"fine")
        .await;
    assert_eq!(stored.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_missing_project_is_403_like_one_without_a_role() {
    let h = harness();
    h.create_project("payroll").await;
    // bob has no role: an existing and a missing project look the same.
    let existing = h.list(&h.bob, "payroll").await;
    let missing = h.list(&h.bob, "no-such-project").await;
    existing.expect(StatusCode::FORBIDDEN, "denied");
    missing.expect(StatusCode::FORBIDDEN, "denied");
    // A tenant Owner too: access is decided first, and nothing is allowed
    // on a project that does not exist.
    let owner = h.list(&h.alice, "no-such-project").await;
    owner.expect(StatusCode::FORBIDDEN, "denied");
    assert!(owner.json()["message"]
        .as_str()
        .unwrap()
        .contains("does not exist"));
}
