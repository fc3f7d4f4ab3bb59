//! A tampered stored document is never delivered as a complete success:
//! damage found before the first plaintext byte is a JSON error, damage
//! found deep in the document aborts the response (the body stream ends in
//! an error; on the wire the chunked encoding never gets its final empty
//! chunk and the connection closes), and the failure is in the audit
//! trail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "a test fails by panicking; test sizes and byte values are small and fixed"
)]

use crate::harness;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use coffer_store::audit::Outcome;
use harness::{harness, request, Harness, PASSWORD};
use http_body_util::BodyExt;
use tower::ServiceExt;

const SIZE: usize = 1 << 20;

/// alice stores a 1 MiB document `doc` and flips one byte of its stored
/// envelope at `offset` (negative: from the end).
async fn tampered(offset: i64) -> Harness {
    let h = harness();
    h.create_project("payroll").await;
    let content: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        h.upload(&h.alice, "payroll", "doc", PASSWORD, &content)
            .await
            .status,
        StatusCode::CREATED
    );
    let files: Vec<PathBuf> = std::fs::read_dir(h.dir.path().join("state/envelopes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let at = if offset < 0 {
        bytes.len() - offset.unsigned_abs() as usize
    } else {
        offset as usize
    };
    bytes[at] ^= 0x01;
    std::fs::write(&files[0], bytes).unwrap();
    h
}

fn download_request(
    h: &Harness,
    message: &coffer_store::session::ClientMessage,
) -> axum::http::Request<Body> {
    let mut r = request(
        Method::POST,
        "/api/v1/projects/payroll/documents/doc/download",
        Some(&h.alice),
        Body::from(serde_json::to_vec(message).unwrap()),
    );
    r.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    r
}

fn last_download_outcome(h: &Harness) -> Outcome {
    let records = h.state.door().audit_records().unwrap();
    records
        .iter()
        .rev()
        .find(|r| r.event.operation.to_string() == "download")
        .unwrap()
        .event
        .outcome
        .clone()
}

#[tokio::test]
async fn damage_in_the_first_chunk_is_an_error_response() {
    let h = tampered(3000).await;
    let message = h.download_message(&h.alice, "payroll", "doc", PASSWORD).await;
    let answer = h.download(&h.alice, "payroll", "doc", &message).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unlock_failed")
    );
    assert!(matches!(last_download_outcome(&h), Outcome::Failed { .. }));
}

#[tokio::test]
async fn damage_deep_in_the_document_aborts_the_body() {
    let h = tampered(-100).await;
    let message = h.download_message(&h.alice, "payroll", "doc", PASSWORD).await;
    let response = h
        .app
        .clone()
        .oneshot(download_request(&h, &message))
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the first chunks verified and were sent"
    );
    let mut body = response.into_body();
    let mut received = 0;
    let error = loop {
        match body.frame().await {
            Some(Ok(frame)) => received += frame.into_data().map_or(0, |d| d.len()),
            Some(Err(error)) => break error,
            None => panic!("the body ended normally after {received} bytes"),
        }
    };
    assert!(
        received > 0 && received < SIZE,
        "{received} bytes before the abort ({error})"
    );
    assert!(matches!(last_download_outcome(&h), Outcome::Failed { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_wire_an_aborted_download_has_no_final_chunk() {
    let h = tampered(-100).await;
    let message = h.download_message(&h.alice, "payroll", "doc", PASSWORD).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = h.app.clone().into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });

    let body = serde_json::to_vec(&message).unwrap();
    let alice = h.alice.clone();
    let raw = tokio::task::spawn_blocking(move || {
        let mut socket = TcpStream::connect(address).unwrap();
        write!(
            socket,
            "POST /api/v1/projects/payroll/documents/doc/download HTTP/1.1\r\nhost: x\r\n\
             authorization: Bearer {alice}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        socket.write_all(&body).unwrap();
        let mut raw = Vec::new();
        // Reads until the server closes the connection.
        socket.read_to_end(&mut raw).unwrap();
        raw
    })
    .await
    .unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(raw.len() < SIZE, "{} bytes on the wire", raw.len());
    assert!(
        !raw.ends_with(b"0\r\n\r\n"),
        "the response must not look complete"
    );
}
