//! Stalled clients on real sockets: uploads whose body never comes or
//! stops, a download never read. None of them holds the service up:
//! authentication and small calls stay prompt, transfers are capped
//! overall and per principal, a stopped body ends its call with nothing
//! stored, and an unread download is ended and its response aborted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "a test fails by panicking; test sizes and byte values are small and fixed"
)]

#[path = "it/harness.rs"]
mod harness;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use coffer_server::{Limits, TransferLimits};
use coffer_store::audit::Outcome;
use harness::{harness_with, principal, upload_body, Harness, PASSWORD};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A response read off the wire: status, head, JSON body if any.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: Value,
}

impl Raw {
    fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// Connects and sends `head` and `body`, and nothing more.
async fn send(address: SocketAddr, head: &str, body: &[u8]) -> TcpStream {
    let mut socket = TcpStream::connect(address).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body).await.unwrap();
    socket
}

fn head(method: &str, path: &str, token: &str, length: usize, json: bool) -> String {
    let content_type = if json {
        "content-type: application/json\r\n"
    } else {
        ""
    };
    format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         {content_type}content-length: {length}\r\n\r\n"
    )
}

/// Reads one response (a `content-length` body) within `within`.
async fn answer(socket: &mut TcpStream, within: Duration) -> Raw {
    let read = async {
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let end = loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed without an answer");
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .map_or(0, |v| v.trim().parse().unwrap());
        while raw.len() < end + 4 + length {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed mid-answer");
            raw.extend_from_slice(&buf[..n]);
        }
        let status = head[9..12].parse().unwrap();
        let body = serde_json::from_slice(&raw[end + 4..end + 4 + length]).unwrap_or(Value::Null);
        Raw { status, head, body }
    };
    tokio::time::timeout(within, read)
        .await
        .expect("no answer in time")
}

/// Waits until `check` holds, polling, for at most `within`.
async fn eventually(within: Duration, what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn envelopes(h: &Harness) -> usize {
    std::fs::read_dir(h.dir.path().join("state/envelopes"))
        .map(Iterator::count)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_uploads_leave_authenticated_calls_prompt() {
    const PRINCIPALS: usize = 64;
    const EACH: usize = 8;
    let h = harness_with(Limits {
        body_idle: Duration::from_secs(10),
        ..Limits::default()
    });
    h.create_project("payroll").await;
    let address = h.serve().await;
    // 512 uploads that send their headers and then nothing, from 64
    // principals with valid keys and no role anywhere: as many as tokio's
    // blocking pool has threads.
    let tokens: Vec<String> = (0..PRINCIPALS)
        .map(|n| {
            let (_, token) = h
                .state
                .keys()
                .create(&principal(&format!("acme/user{n}")), "stall", None)
                .unwrap();
            token.expose().to_owned()
        })
        .collect();
    let mut stalled = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        for d in 0..EACH {
            let path = format!("/api/v1/projects/payroll/documents/stall-{n}-{d}");
            let head = head("PUT", &path, token, 100_000, false);
            stalled.push(tokio::spawn(async move {
                let mut socket = send(address, &head, b"").await;
                answer(&mut socket, Duration::from_secs(120)).await
            }));
        }
    }
    // The overall cap admits 64; every other one is refused at once.
    let overall = TransferLimits::default().overall;
    eventually(Duration::from_secs(60), "the cap fills", || {
        h.state.transfers_running() == overall
    })
    .await;

    // Meanwhile a valid key answers promptly, on the wire…
    let start = Instant::now();
    let mut socket = send(address, &head("GET", "/api/v1/me", &h.alice, 0, false), b"").await;
    let me = answer(&mut socket, Duration::from_secs(5)).await;
    assert_eq!(me.status, 200, "{me:?}");
    eprintln!(
        "GET /me answered in {:?} beside 512 stalled uploads",
        start.elapsed()
    );
    // …and an upload beyond the cap is refused with Retry-After, not held.
    let busy = h.upload(&h.alice, "payroll", "busy", PASSWORD, b"x").await;
    busy.expect(StatusCode::SERVICE_UNAVAILABLE, "busy");
    assert_eq!(busy.headers["retry-after"], "1");

    // The admitted ones end at the idle timeout with 408.
    let mut statuses = Vec::new();
    for task in stalled {
        let raw = task.await.unwrap();
        if raw.status == 503 {
            assert_eq!(raw.code(), "busy");
            assert!(raw.head.contains("retry-after: 1"), "{}", raw.head);
        }
        statuses.push(raw.status);
    }
    let count = |status| statuses.iter().filter(|s| **s == status).count();
    assert_eq!(count(408), overall, "{statuses:?}");
    assert_eq!(count(503), PRINCIPALS * EACH - overall, "{statuses:?}");
    assert_eq!(h.state.transfers_running(), 0);
    let stored = h.upload(&h.alice, "payroll", "after", PASSWORD, b"x").await;
    assert_eq!(stored.status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_principal_over_its_transfer_cap_gets_429() {
    let h = harness_with(Limits {
        transfers: TransferLimits {
            overall: 64,
            per_principal: 2,
        },
        ..Limits::default()
    });
    h.create_project("payroll").await;
    let address = h.serve().await;
    let path = "/api/v1/projects/payroll/documents/d";
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(send(address, &head("PUT", path, &h.bob, 1000, false), b"").await);
    }
    eventually(Duration::from_secs(10), "two running", || {
        h.state.transfers_running() == 2
    })
    .await;
    let mut third = send(address, &head("PUT", path, &h.bob, 1000, false), b"").await;
    let refused = answer(&mut third, Duration::from_secs(5)).await;
    assert_eq!((refused.status, refused.code()), (429, "too_many_transfers"));
    assert!(refused.head.contains("retry-after: 1"), "{}", refused.head);
    // Another principal is not held back by bob's cap.
    let mine = h.upload(&h.alice, "payroll", "mine", PASSWORD, b"x").await;
    assert_eq!(mine.status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_ends_the_call_with_nothing_stored() {
    let h = harness_with(Limits {
        body_idle: Duration::from_secs(1),
        ..Limits::default()
    });
    h.create_project("payroll").await;
    let address = h.serve().await;
    let documents = "/api/v1/projects/payroll/documents";

    // A Content-Length longer than the body: the line and 100 bytes of a
    // declared 100,000.
    let message = h.password(&h.alice, "payroll", PASSWORD).await;
    let body = upload_body(&message, &[7u8; 100]);
    let declared = body.len() - 100 + 100_000;
    let start = Instant::now();
    let path = format!("{documents}/short");
    let mut socket = send(address, &head("PUT", &path, &h.alice, declared, false), &body).await;
    let short = answer(&mut socket, Duration::from_secs(10)).await;
    assert_eq!((short.status, short.code()), (408, "body_timeout"), "{short:?}");
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());

    // No session line at all.
    let path = format!("{documents}/silent");
    let mut socket = send(address, &head("PUT", &path, &h.alice, 1000, false), b"").await;
    let silent = answer(&mut socket, Duration::from_secs(10)).await;
    assert_eq!((silent.status, silent.code()), (408, "body_timeout"));

    // A session line that never ends.
    let mut socket = send(
        address,
        &head("PUT", &path, &h.alice, 1000, false),
        b"{\"key_id\":",
    )
    .await;
    let partial = answer(&mut socket, Duration::from_secs(10)).await;
    assert_eq!((partial.status, partial.code()), (408, "body_timeout"));

    // A JSON body that stops.
    let offers = head("POST", "/api/v1/password-offers", &h.alice, 100, true);
    let mut socket = send(address, &offers, b"{\"project\":").await;
    let json = answer(&mut socket, Duration::from_secs(10)).await;
    assert_eq!((json.status, json.code()), (408, "body_timeout"));

    // Nothing was stored, nothing is left staged, nothing runs.
    assert_eq!(h.list(&h.alice, "payroll").await.json(), serde_json::json!([]));
    assert_eq!(envelopes(&h), 0);
    assert_eq!(h.state.transfers_running(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unread_download_is_ended_after_the_stall_timeout() {
    const SIZE: usize = 32 << 20;
    let h = harness_with(Limits {
        response_stall: Duration::from_secs(1),
        ..Limits::default()
    });
    h.create_project("payroll").await;
    let content: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let stored = h.upload(&h.alice, "payroll", "big", PASSWORD, &content).await;
    assert_eq!(stored.status, StatusCode::CREATED);
    let address = h.serve().await;

    let message = h.download_message(&h.alice, "payroll", "big", PASSWORD).await;
    let body = serde_json::to_vec(&message).unwrap();
    let path = "/api/v1/projects/payroll/documents/big/download";
    // A client that reads the first bytes and then nothing (a small
    // receive buffer, so the kernel does not take the document for it).
    let client = TcpSocket::new_v4().unwrap();
    client.set_recv_buffer_size(4096).unwrap();
    let mut socket = client.connect(address).await.unwrap();
    socket
        .write_all(head("POST", path, &h.alice, body.len(), true).as_bytes())
        .await
        .unwrap();
    socket.write_all(&body).await.unwrap();
    let mut first = [0u8; 1024];
    let n = socket.read(&mut first).await.unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));

    // The download's work ends at the stall timeout, recorded as failed.
    eventually(Duration::from_secs(20), "the unread download ends", || {
        h.state.transfers_running() == 0
    })
    .await;
    let records = h.state.door().audit_records().unwrap();
    let outcome = &records
        .iter()
        .rev()
        .find(|r| r.event.operation.to_string() == "download")
        .unwrap()
        .event
        .outcome;
    assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");

    // Reading on, the client gets what was buffered and then an aborted
    // body, never a complete one.
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut rest))
        .await
        .expect("the connection closes")
        .ok();
    assert!(n + rest.len() < SIZE, "{} bytes arrived", n + rest.len());
    assert!(!rest.ends_with(b"0\r\n\r\n"), "the body must not look complete");
}
