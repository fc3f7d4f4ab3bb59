//! A client that goes away mid-upload is no server error: the call ends
//! with nothing stored, and the log says so at INFO, with no ERROR line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "it/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{harness, upload_body, Captured, PASSWORD};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_leaving_mid_upload_is_logged_at_info() {
    let captured = Captured::install(tracing::Level::INFO);

    let h = harness();
    h.create_project("payroll").await;
    let address = h.serve().await;
    let message = h.password(&h.alice, "payroll", PASSWORD).await;
    let body = upload_body(&message, &[5u8; 64 * 1024]);
    let declared = body.len() + (10 << 20);
    let mut socket = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "PUT /api/v1/projects/payroll/documents/gone HTTP/1.1\r\nhost: x\r\n\
         authorization: Bearer {}\r\ncontent-length: {declared}\r\n\r\n",
        h.alice
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body).await.unwrap();
    // Wait until the sealing runs, then leave.
    let start = Instant::now();
    while h.state.transfers_running() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the upload never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(socket);

    while !captured.text().contains("the client went away") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no log line about the client leaving: {}",
            captured.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let start = Instant::now();
    while h.state.transfers_running() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the upload never ended"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let logs = captured.text();
    let line = logs.lines().find(|l| l.contains("the client went away")).unwrap();
    assert!(line.contains(" INFO "), "{line}");
    assert!(!logs.contains("ERROR"), "an error was logged: {logs}");
    assert_eq!(h.list(&h.alice, "payroll").await.json(), serde_json::json!([]));
}
