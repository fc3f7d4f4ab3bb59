//! Projects, members, password offers, password changes, rotation and the
//! audit trail through the API: each endpoint's success and its refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/harness.rs"]
mod harness;

use axum::http::{Method, StatusCode};
use harness::{harness, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn projects_members_passwords_and_rotation() {
    let h = harness();
    h.create_project("payroll").await;

    // A project that exists: conflict.
    let again = h.password(&h.alice, "payroll", PASSWORD).await;
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(&h.alice),
            Some(json!({ "project": "payroll", "password": again })),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::CONFLICT, "conflict")
    );

    // bob holds no tenant role: refused by policy.
    let bobs = h.password(&h.bob, "mine", PASSWORD).await;
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(&h.bob),
            Some(json!({ "project": "mine", "password": bobs })),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::FORBIDDEN, "denied")
    );

    // A session message is single use, and bound to its principal and project.
    let message = h.password(&h.alice, "other", PASSWORD).await;
    let create = |project: &str| json!({ "project": project, "password": message });
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(&h.alice),
            Some(create("elsewhere")),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::BAD_REQUEST, "session_rejected")
    );
    let stolen = h.password(&h.alice, "other", PASSWORD).await;
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(&h.bob),
            Some(json!({ "project": "other", "password": stolen })),
        )
        .await;
    assert_eq!(answer.code(), "session_rejected", "another principal's message");
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects",
            Some(&h.alice),
            Some(create("other")),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "the first try spent it");

    // Members: bob joins as a viewer; he may list but not manage.
    let documents = "/api/v1/projects/payroll/documents";
    assert_eq!(
        h.call(Method::GET, documents, Some(&h.bob), None).await.status,
        StatusCode::FORBIDDEN
    );
    h.add_bob("payroll", "viewer").await;
    let listed = h.call(Method::GET, documents, Some(&h.bob), None).await;
    assert_eq!((listed.status, listed.json()), (StatusCode::OK, json!([])));
    let answer = h
        .call(
            Method::PUT,
            "/api/v1/projects/payroll/members/carol",
            Some(&h.bob),
            Some(json!({ "role": "owner" })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = h
        .call(
            Method::PUT,
            "/api/v1/projects/payroll/members/carol",
            Some(&h.alice),
            Some(json!({ "role": "emperor" })),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "bad_request")
    );
    let answer = h
        .call(
            Method::PUT,
            "/api/v1/projects/payroll/members/a%2Fb",
            Some(&h.alice),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "not a principal id");

    // Password change: bob is refused, alice with the wrong old password
    // fails opaquely, with the right one succeeds.
    let change = |old, new| json!({ "old": old, "new": new });
    let (old, new) = (
        h.password(&h.bob, "payroll", PASSWORD).await,
        h.password(&h.bob, "payroll", "new password").await,
    );
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects/payroll/password",
            Some(&h.bob),
            Some(change(old, new)),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let (old, new) = (
        h.password(&h.alice, "payroll", "not the password").await,
        h.password(&h.alice, "payroll", "new password").await,
    );
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects/payroll/password",
            Some(&h.alice),
            Some(change(old, new)),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unlock_failed")
    );
    let (old, new) = (
        h.password(&h.alice, "payroll", PASSWORD).await,
        h.password(&h.alice, "payroll", "new password").await,
    );
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects/payroll/password",
            Some(&h.alice),
            Some(change(old, new)),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());

    // Rotation with the new password.
    let password = h.password(&h.alice, "payroll", "new password").await;
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects/payroll/rotation",
            Some(&h.alice),
            Some(json!({ "password": password })),
        )
        .await;
    assert_eq!(
        (answer.status, answer.json()["key_version"].clone()),
        (StatusCode::OK, json!(2))
    );
    let password = h.password(&h.alice, "nowhere", "new password").await;
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects/nowhere/rotation",
            Some(&h.alice),
            Some(json!({ "password": password })),
        )
        .await;
    assert!(
        matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        answer.status
    );

    // Removing bob: he is refused again.
    let answer = h
        .call(
            Method::DELETE,
            "/api/v1/projects/payroll/members/bob",
            Some(&h.alice),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        h.call(Method::GET, documents, Some(&h.bob), None).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_audit_view_lists_the_project_and_verifies() {
    let h = harness();
    h.create_project("payroll").await;
    h.add_bob("payroll", "viewer").await;
    let bob_list = h
        .call(
            Method::GET,
            "/api/v1/projects/payroll/documents",
            Some(&h.bob),
            None,
        )
        .await;
    assert_eq!(bob_list.status, StatusCode::OK);

    let trail = h
        .call(
            Method::GET,
            "/api/v1/projects/payroll/audit",
            Some(&h.alice),
            None,
        )
        .await;
    assert_eq!(trail.status, StatusCode::OK);
    let trail = trail.json();
    assert_eq!(trail["verified"], true);
    let operations: Vec<&str> = trail["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event"]["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, ["create_project", "add_member", "list_documents"]);

    // The tenant trail holds the same and more; bob may read neither.
    let tenant = h
        .call(Method::GET, "/api/v1/audit", Some(&h.alice), None)
        .await
        .json();
    assert!(tenant["records"].as_array().unwrap().len() >= 3);
    let refused = h
        .call(Method::GET, "/api/v1/projects/payroll/audit", Some(&h.bob), None)
        .await;
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (StatusCode::FORBIDDEN, "denied")
    );
}
