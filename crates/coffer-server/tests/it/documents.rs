//! Documents through the API: upload, list, offers and downloads, with
//! every refusal; rotation moves stored documents.

use crate::harness;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use harness::{harness, harness_with, request, upload_body, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn upload_list_download_and_refusals() {
    let h = harness();
    h.create_project("payroll").await;
    h.add_bob("payroll", "viewer").await;
    harness::story_with_documents(&h, "the new password", "not the password").await;

    let listed = h.list(&h.bob, "payroll").await.json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "bob's refused upload stored nothing");
    assert_eq!(listed[0]["document"], "april");
    assert_eq!(listed[0]["plaintext_size"], 24_000);
    assert_eq!(
        listed[0]["created_by"],
        json!({ "tenant": "acme", "id": "alice" })
    );

    // No such document: 404 before any password is asked for.
    let answer = h
        .call(
            Method::POST,
            "/api/v1/projects/payroll/documents/may/offer",
            Some(&h.bob),
            None,
        )
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    // Another document's session: refused.
    let message = h
        .download_message(&h.bob, "payroll", "april", "the new password")
        .await;
    let answer = h.download(&h.bob, "payroll", "may", &message).await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
}

#[tokio::test]
async fn uploads_need_a_length_a_session_line_and_a_size_within_the_limit() {
    let h = harness_with(coffer_server::Limits {
        max_upload: 1000,
        ..coffer_server::Limits::default()
    });
    h.create_project("payroll").await;
    let path = "/api/v1/projects/payroll/documents/a";

    // No Content-Length (a streamed body of unknown size): 411.
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x"))]);
    let answer = h
        .send(request(
            Method::PUT,
            path,
            Some(&h.alice),
            Body::from_stream(stream),
        ))
        .await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::LENGTH_REQUIRED, "length_required")
    );

    let put = |body: Vec<u8>, length: usize| {
        let mut r = request(Method::PUT, path, Some(&h.alice), Body::from(body));
        r.headers_mut()
            .insert("content-length", length.to_string().parse().unwrap());
        r
    };
    // Larger than the limit: 413, before anything is read.
    let answer = h.send(put(Vec::new(), 1_000_000)).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    let message = h.password(&h.alice, "payroll", PASSWORD).await;
    let body = upload_body(&message, &[7; 1001]);
    let answer = h.send(put(body.clone(), body.len())).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "one byte over, after the line"
    );
    // No session line.
    let answer = h.send(put(b"just bytes".to_vec(), 10)).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    // A line that is not a session message.
    let answer = h.send(put(b"{}\nbytes".to_vec(), 8)).await;
    assert_eq!(answer.code(), "session_rejected");
    // Exactly at the limit: stored.
    let message = h.password(&h.alice, "payroll", PASSWORD).await;
    let body = upload_body(&message, &[7; 1000]);
    let answer = h.send(put(body.clone(), body.len())).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json());
    assert_eq!(answer.json()["plaintext_size"], 1000);
}

#[tokio::test]
async fn rotation_moves_stored_documents_to_the_new_key() {
    let h = harness();
    h.create_project("payroll").await;
    for name in ["a", "b"] {
        let answer = h
            .upload(&h.alice, "payroll", name, PASSWORD, name.as_bytes())
            .await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
    let rotated = h.rotate(&h.alice, "payroll", PASSWORD).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.json());
    let rotated = rotated.json();
    assert_eq!(rotated["key_version"], 2);
    assert_eq!(rotated["rewrapped"], json!(["a", "b"]));
    assert_eq!(rotated["failed"], json!([]));
    let listed = h.list(&h.alice, "payroll").await.json();
    assert!(listed.as_array().unwrap().iter().all(|d| d["key_version"] == 2));
    let message = h.download_message(&h.alice, "payroll", "b", PASSWORD).await;
    assert_eq!(h.download(&h.alice, "payroll", "b", &message).await.body, b"b");
}
