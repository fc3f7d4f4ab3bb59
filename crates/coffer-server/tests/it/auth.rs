//! Authentication: missing, malformed, unknown, wrong, expired and revoked
//! keys are refused with 401 and each refusal is in the audit trail; the
//! security headers on every kind of response. The failure limits are in
//! `limits.rs`.

use crate::harness;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use harness::{harness, principal, request};
use time::OffsetDateTime;

#[tokio::test]
async fn every_refused_key_is_401_and_audited() {
    let h = harness();
    let keys = h.state.keys();
    let alice = principal("acme/alice");
    let past = OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let expired = keys.create(&alice, "expired", Some(past)).unwrap().1;
    let expired = expired.expose();
    let (info, revoked) = keys.create(&alice, "revoked", None).unwrap();
    assert!(keys.revoke(&info.key_id).unwrap());
    assert!(!keys.revoke(&info.key_id).unwrap(), "revoked once");
    let revoked = revoked.expose();
    // Listing shows every key, never a secret.
    let listed = keys.list().unwrap();
    assert_eq!(listed.len(), 4);
    assert!(listed
        .iter()
        .any(|k| k.key_id == info.key_id && k.revoked_at.is_some()));
    assert!(!format!("{listed:?}").contains(&revoked["coffer_".len() + 17..]));
    // alice's key id with another secret.
    let wrong = format!("{}_{}", &h.alice[..h.alice.rfind('_').unwrap()], "0".repeat(64));
    let unknown = format!("coffer_{}_{}", "1".repeat(16), "2".repeat(64));
    let cases: [(Option<&str>, &str, &str); 6] = [
        (None, "coffer-server/anonymous", "api-key.missing"),
        (Some("not-a-key"), "coffer-server/anonymous", "api-key.malformed"),
        (Some(&unknown), "coffer-server/anonymous", "api-key.unknown"),
        (Some(&wrong), "acme/alice", "api-key.wrong-secret"),
        (Some(expired), "acme/alice", "api-key.expired"),
        (Some(revoked), "acme/alice", "api-key.revoked"),
    ];
    for (token, _, reason) in &cases {
        let answer = h.call(Method::GET, "/api/v1/me", *token, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{reason}");
        assert_eq!(answer.code(), "unauthorized");
        assert_eq!(answer.headers["www-authenticate"], "Bearer");
    }
    let recorded = h.authentication_failures();
    let expected: Vec<(String, String)> = cases
        .iter()
        .map(|(_, who, reason)| ((*who).to_owned(), (*reason).to_owned()))
        .collect();
    assert_eq!(recorded, expected);
    // The right key works, and is not recorded as a failure.
    let me = h.call(Method::GET, "/api/v1/me", Some(&h.alice), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["principal"]["id"], "alice");
    assert_eq!(h.authentication_failures().len(), cases.len());
    // The trail still verifies with the refusals in it.
    h.state.door().verify_chain(None).unwrap();
}

const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", "default-src 'self'"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
];

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let h = harness();
    let bad_json = {
        let mut r = request(Method::POST, "/api/v1/projects", Some(&h.alice), Body::from("{"));
        r.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        h.send(r).await
    };
    let oversized = {
        let big = format!("{{\"project\": \"{}\"}}", "x".repeat(100 * 1024));
        let mut r = request(
            Method::POST,
            "/api/v1/password-offers",
            Some(&h.alice),
            Body::from(big),
        );
        r.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        h.send(r).await
    };
    let answers = [
        ("page", h.call(Method::GET, "/", None, None).await, StatusCode::OK),
        (
            "module",
            h.call(Method::GET, "/static/app.mjs", None, None).await,
            StatusCode::OK,
        ),
        (
            "config",
            h.call(Method::GET, "/config.json", None, None).await,
            StatusCode::OK,
        ),
        (
            "no key",
            h.call(Method::GET, "/api/v1/me", None, None).await,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "me",
            h.call(Method::GET, "/api/v1/me", Some(&h.alice), None).await,
            StatusCode::OK,
        ),
        (
            "no page",
            h.call(Method::GET, "/nowhere", None, None).await,
            StatusCode::NOT_FOUND,
        ),
        (
            "no endpoint",
            h.call(Method::GET, "/api/v1/nowhere", Some(&h.alice), None).await,
            StatusCode::NOT_FOUND,
        ),
        ("bad json", bad_json, StatusCode::BAD_REQUEST),
        ("too large", oversized, StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for (what, answer, status) in answers {
        assert_eq!(answer.status, status, "{what}");
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(
                answer.headers.get(name).map(|v| v.to_str().unwrap()),
                Some(value),
                "{what}: {name}"
            );
        }
        // HSTS comes from a TLS connection only (tests/tls.rs).
        assert!(
            answer.headers.get("strict-transport-security").is_none(),
            "{what}"
        );
        if status.is_client_error() {
            assert!(!answer.code().is_empty(), "{what}: errors are JSON");
        }
    }
}

#[tokio::test]
async fn the_offer_key_is_published_for_pinning() {
    let h = harness();
    let config = h.call(Method::GET, "/config.json", None, None).await.json();
    let well_known = h
        .call(Method::GET, "/.well-known/coffer-offer-key", None, None)
        .await
        .json();
    let key = config["offer_key"].as_str().unwrap();
    assert_eq!(key.len(), 43, "32 bytes of base64url");
    assert_eq!(well_known["offer_key"], key);
    // Every offer carries a signature by it.
    let offer = h
        .call(
            Method::POST,
            "/api/v1/password-offers",
            Some(&h.alice),
            Some(serde_json::json!({ "project": "payroll" })),
        )
        .await
        .json();
    let offer: coffer_store::session::Offer = serde_json::from_value(offer).unwrap();
    use base64::Engine as _;
    let pinned: [u8; 32] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key)
        .unwrap()
        .try_into()
        .unwrap();
    assert!(offer.verify(&pinned).is_ok());
}
