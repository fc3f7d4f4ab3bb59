//! A 64 MiB document goes up and comes back through the API in constant
//! memory: the upload body is generated as it is read, the download body
//! is hashed as it arrives, and the process's peak resident memory grows
//! by far less than the document's size.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "a test fails by panicking; test sizes and byte values are small and fixed"
)]

#[path = "it/harness.rs"]
mod harness;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use bytes::Bytes;
use futures_util::stream;
use harness::{harness, request, PASSWORD};
use http_body_util::BodyExt;
use ring::digest::{Context, SHA256};
use tower::ServiceExt;

const SIZE: u64 = 64 << 20;
const PIECE: usize = 256 * 1024;

/// Piece `n` of the document: a cheap deterministic pattern.
fn piece(n: u64) -> Bytes {
    let seed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    Bytes::from(
        (0..PIECE)
            .map(|i| (seed >> (i % 8 * 8)) as u8 ^ i as u8)
            .collect::<Vec<u8>>(),
    )
}

/// The peak resident set size so far, in bytes (Linux).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_document_streams_both_ways_in_constant_memory() {
    let h = harness();
    h.create_project("payroll").await;
    // Warm up every path once with a small document.
    assert_eq!(
        h.upload(&h.alice, "payroll", "small", PASSWORD, b"warm")
            .await
            .status,
        StatusCode::CREATED
    );
    let message = h.download_message(&h.alice, "payroll", "small", PASSWORD).await;
    assert_eq!(
        h.download(&h.alice, "payroll", "small", &message).await.body,
        b"warm"
    );
    let before = peak_rss();

    // Upload: the session line, then 64 MiB generated piece by piece.
    let message = h.password(&h.alice, "payroll", PASSWORD).await;
    let mut line = serde_json::to_vec(&message).unwrap();
    line.push(b'\n');
    let length = line.len() as u64 + SIZE;
    let mut expected = Context::new(&SHA256);
    for n in 0..SIZE / PIECE as u64 {
        expected.update(&piece(n));
    }
    let expected = expected.finish();
    let pieces = stream::iter(
        std::iter::once(Bytes::from(line))
            .chain((0..SIZE / PIECE as u64).map(piece))
            .map(Ok::<_, std::io::Error>),
    );
    let mut upload = request(
        Method::PUT,
        "/api/v1/projects/payroll/documents/big",
        Some(&h.alice),
        Body::from_stream(pieces),
    );
    upload
        .headers_mut()
        .insert("content-length", length.to_string().parse().unwrap());
    let stored = h.send(upload).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.json());
    assert_eq!(stored.json()["plaintext_size"], SIZE);

    // Download: hashed frame by frame as it arrives.
    let message = h.download_message(&h.alice, "payroll", "big", PASSWORD).await;
    let mut download = request(
        Method::POST,
        "/api/v1/projects/payroll/documents/big/download",
        Some(&h.alice),
        Body::from(serde_json::to_vec(&message).unwrap()),
    );
    download
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    let response = h.app.clone().oneshot(download).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let (mut received, mut hash, mut largest) = (0u64, Context::new(&SHA256), 0usize);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            received += data.len() as u64;
            largest = largest.max(data.len());
            hash.update(&data);
        }
    }
    assert_eq!(received, SIZE);
    assert_eq!(
        hash.finish().as_ref(),
        expected.as_ref(),
        "the bytes come back unchanged"
    );
    assert!(
        largest <= coffer_server::streaming::CHUNK,
        "pieces of at most one chunk"
    );

    let grown = peak_rss().saturating_sub(before);
    eprintln!(
        "peak resident memory grew by {} KiB for {} MiB up and down",
        grown >> 10,
        SIZE >> 20
    );
    assert!(
        grown < SIZE / 4,
        "peak memory grew by {} MiB for a {} MiB document",
        grown >> 20,
        SIZE >> 20
    );
}
