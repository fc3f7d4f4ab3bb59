//! Projects, members, password offers, password changes, rotation and the
//! audit trail through the API: each endpoint's success and its refusals.

use crate::harness;

use axum::http::{Method, StatusCode};
use harness::{harness, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn creating_projects_and_single_use_bound_sessions() {
    let h = harness();
    h.create_project("payroll").await;

    // A project that exists: conflict.
    let again = h.password(&h.alice, "payroll", PASSWORD).await;
    h.create_as(&h.alice, "payroll", &again)
        .await
        .expect(StatusCode::CONFLICT, "conflict");
    // bob holds no tenant role: refused by policy.
    let bobs = h.password(&h.bob, "mine", PASSWORD).await;
    h.create_as(&h.bob, "mine", &bobs)
        .await
        .expect(StatusCode::FORBIDDEN, "denied");

    // A session message is single use, and bound to its principal and project.
    let message = h.password(&h.alice, "other", PASSWORD).await;
    let elsewhere = h.create_as(&h.alice, "elsewhere", &message).await;
    elsewhere.expect(StatusCode::BAD_REQUEST, "session_rejected");
    let stolen = h.password(&h.alice, "other", PASSWORD).await;
    let by_bob = h.create_as(&h.bob, "other", &stolen).await;
    by_bob.expect(StatusCode::BAD_REQUEST, "session_rejected");
    let spent = h.create_as(&h.alice, "other", &message).await;
    spent.expect(StatusCode::BAD_REQUEST, "session_rejected");

    // Each refusal is in the audit chain with its reason, under the
    // principal that presented the message.
    let recorded = h.authentication_failures();
    assert_eq!(recorded.len(), 3, "{recorded:?}");
    let who: Vec<&str> = recorded.iter().map(|(principal, _)| principal.as_str()).collect();
    assert_eq!(who, ["acme/alice", "acme/bob", "acme/alice"]);
    assert!(
        recorded.iter().all(|(_, reason)| reason.starts_with("session.")),
        "{recorded:?}"
    );
}

#[tokio::test]
async fn members_passwords_and_rotation() {
    let h = harness();
    h.create_project("payroll").await;

    // Members: bob joins as a viewer; he may list but not manage.
    let carol = "/api/v1/projects/payroll/members/carol";
    let listed = h.list(&h.bob, "payroll").await;
    listed.expect(StatusCode::FORBIDDEN, "denied");
    h.add_bob("payroll", "viewer").await;
    let listed = h.list(&h.bob, "payroll").await;
    assert_eq!((listed.status, listed.json()), (StatusCode::OK, json!([])));
    let owner = Some(json!({ "role": "owner" }));
    let by_bob = h.call(Method::PUT, carol, Some(&h.bob), owner).await;
    by_bob.expect(StatusCode::FORBIDDEN, "denied");
    let emperor = Some(json!({ "role": "emperor" }));
    let no_role = h.call(Method::PUT, carol, Some(&h.alice), emperor).await;
    no_role.expect(StatusCode::UNPROCESSABLE_ENTITY, "bad_request");
    let viewer = Some(json!({ "role": "viewer" }));
    let slash = "/api/v1/projects/payroll/members/a%2Fb";
    let not_an_id = h.call(Method::PUT, slash, Some(&h.alice), viewer).await;
    not_an_id.expect(StatusCode::BAD_REQUEST, "bad_request");

    // Password change: bob is refused, alice with the wrong old password
    // fails opaquely, with the right one succeeds.
    let new = "new password";
    let by_bob = h.change_password(&h.bob, "payroll", PASSWORD, new).await;
    by_bob.expect(StatusCode::FORBIDDEN, "denied");
    let wrong = h
        .change_password(&h.alice, "payroll", "not the password", new)
        .await;
    wrong.expect(StatusCode::UNPROCESSABLE_ENTITY, "unlock_failed");
    let changed = h.change_password(&h.alice, "payroll", PASSWORD, new).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.json());

    // Rotation with the new password; the old one no longer unlocks.
    let old = h.rotate(&h.alice, "payroll", PASSWORD).await;
    old.expect(StatusCode::UNPROCESSABLE_ENTITY, "unlock_failed");
    let rotated = h.rotate(&h.alice, "payroll", new).await;
    assert_eq!(
        (rotated.status, rotated.json()["key_version"].clone()),
        (StatusCode::OK, json!(2))
    );
    let nowhere = h.rotate(&h.alice, "nowhere", new).await;
    assert!(
        matches!(nowhere.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        nowhere.status
    );

    // Removing bob: he is refused again.
    let bob = "/api/v1/projects/payroll/members/bob";
    assert_eq!(
        h.call(Method::DELETE, bob, Some(&h.alice), None).await.status,
        StatusCode::OK
    );
    let listed = h.list(&h.bob, "payroll").await;
    listed.expect(StatusCode::FORBIDDEN, "denied");
}

#[tokio::test]
async fn the_audit_view_lists_the_project_and_verifies() {
    let h = harness();
    h.create_project("payroll").await;
    h.add_bob("payroll", "viewer").await;
    let bob_list = h.list(&h.bob, "payroll").await;
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
    refused.expect(StatusCode::FORBIDDEN, "denied");
}
