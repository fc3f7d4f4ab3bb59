//! Offers: a caller over its cap of live offers is told to slow down (429
//! `too_many_offers` with `Retry-After`), never a server error, and can
//! cancel an offer of its own to make room; nobody else can.

use crate::harness;

use axum::http::{Method, StatusCode};
use coffer_store::session::Offer;
use harness::{harness, upload_body, Harness, PASSWORD};
use serde_json::json;

/// The default cap of live offers per principal.
const CAP: usize = 32;

async fn password_offer(h: &Harness, token: &str) -> harness::Answer {
    h.call(
        Method::POST,
        "/api/v1/password-offers",
        Some(token),
        Some(json!({ "project": "payroll" })),
    )
    .await
}

async fn cancel(h: &Harness, token: &str, key_id: &str) -> harness::Answer {
    h.call(
        Method::DELETE,
        &format!("/api/v1/offers/{key_id}"),
        Some(token),
        None,
    )
    .await
}

#[tokio::test]
async fn over_the_offer_cap_is_429_and_an_owner_can_cancel() {
    let h = harness();
    h.create_project("payroll").await;
    let stored = h.upload(&h.alice, "payroll", "doc", PASSWORD, b"content").await;
    assert_eq!(stored.status, StatusCode::CREATED);

    // alice leaves her offers unused until the cap is reached.
    let mut offers: Vec<Offer> = Vec::new();
    for _ in 0..CAP {
        let answer = password_offer(&h, &h.alice).await;
        assert_eq!(answer.status, StatusCode::OK);
        offers.push(serde_json::from_slice(&answer.body).unwrap());
    }
    let over = password_offer(&h, &h.alice).await;
    over.expect(StatusCode::TOO_MANY_REQUESTS, "too_many_offers");
    assert_eq!(over.headers["retry-after"], "10");
    // Download offers count under the same cap, and say the same.
    let path = "/api/v1/projects/payroll/documents/doc/offer";
    let download = h.call(Method::POST, path, Some(&h.alice), None).await;
    download.expect(StatusCode::TOO_MANY_REQUESTS, "too_many_offers");
    assert!(download.headers.contains_key("retry-after"));
    // bob is not affected by alice's cap.
    assert_eq!(password_offer(&h, &h.bob).await.status, StatusCode::OK);

    // Nobody else cancels alice's offer, and cannot tell it exists.
    let first = offers[0].key_id.to_string();
    cancel(&h, &h.bob, &first)
        .await
        .expect(StatusCode::NOT_FOUND, "not_found");
    cancel(&h, &h.alice, "not-a-key-id")
        .await
        .expect(StatusCode::BAD_REQUEST, "bad_request");
    // alice cancels one: her download offer fits again.
    let cancelled = cancel(&h, &h.alice, &first).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.json());
    cancel(&h, &h.alice, &first)
        .await
        .expect(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        h.call(Method::POST, path, Some(&h.alice), None).await.status,
        StatusCode::OK
    );
    // A cancelled offer's message is refused like a spent one.
    let message = coffer_store::session::client::encrypt(&offers[0], PASSWORD.as_bytes()).unwrap();
    let body = upload_body(&message, b"late");
    let mut request = harness::request(
        Method::PUT,
        "/api/v1/projects/payroll/documents/late",
        Some(&h.alice),
        axum::body::Body::from(body.clone()),
    );
    request
        .headers_mut()
        .insert("content-length", body.len().to_string().parse().unwrap());
    h.send(request)
        .await
        .expect(StatusCode::BAD_REQUEST, "session_rejected");
    // The uncancelled ones still work for alice.
    let message = coffer_store::session::client::encrypt(&offers[1], PASSWORD.as_bytes()).unwrap();
    let body = upload_body(&message, b"on time");
    let mut request = harness::request(
        Method::PUT,
        "/api/v1/projects/payroll/documents/on-time",
        Some(&h.alice),
        axum::body::Body::from(body.clone()),
    );
    request
        .headers_mut()
        .insert("content-length", body.len().to_string().parse().unwrap());
    assert_eq!(h.send(request).await.status, StatusCode::CREATED);
}
