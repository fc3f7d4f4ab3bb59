//! The connection limits on real sockets: a half-sent request head and an
//! idle connection are closed when their timer runs out (and not before),
//! a request in flight is not, and connections over the caps overall and
//! per source are closed at once while the slots come back when
//! connections end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "it/harness.rs"]
mod harness;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use coffer_server::listen::{serve, ConnectionLimits, Stopped};
use harness::harness;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A service on a localhost port; stop it by sending on the sender.
struct Running {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Stopped>,
}

async fn start(router: Router, limits: ConnectionLimits) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, None, limits, async {
        let _ = stopped.await;
    }));
    Running {
        address,
        stop: Some(stop),
        task,
    }
}

impl Running {
    async fn stop(mut self) -> Stopped {
        self.stop.take().unwrap().send(()).unwrap();
        self.task.await.unwrap()
    }
}

/// A router answering `/fast` at once and `/slow` after `slow`.
fn timed_router(slow: Duration) -> Router {
    Router::new().route("/fast", get(|| async { "fast" })).route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(slow).await;
            "slow"
        }),
    )
}

fn limits(header_read: u64, idle: u64) -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_millis(header_read),
        idle_timeout: Duration::from_millis(idle),
        ..ConnectionLimits::default()
    }
}

/// Whether the server has closed `stream` within `wait` (reads end or
/// fail) rather than keeping it open; panics if it answered bytes.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    match tokio::time::timeout(wait, stream.read(&mut buf)).await {
        Err(_) => false,
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(n)) => panic!("unexpected answer: {}", String::from_utf8_lossy(&buf[..n])),
    }
}

/// Sends a GET for `path` with keep-alive and reads the whole answer.
async fn get_on(stream: &mut TcpStream, path: &str, token: Option<&str>) -> String {
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nhost: test\r\n{auth}\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(n > 0, "closed before the answer ended");
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .expect("a content-length")
                .trim()
                .parse()
                .unwrap();
            if answer.len() >= end + 4 + length {
                return text.into_owned();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_head_is_cut_off_after_the_header_read_timeout() {
    let running = start(timed_router(Duration::ZERO), limits(1000, 30_000)).await;
    let mut stream = TcpStream::connect(running.address).await.unwrap();
    stream.write_all(b"GET /fast HTTP/1.1\r\nhost: te").await.unwrap();
    let sent = Instant::now();
    assert!(
        !closed_within(&mut stream, Duration::from_millis(500)).await,
        "open while the timeout runs"
    );
    assert!(
        closed_within(&mut stream, Duration::from_secs(10)).await,
        "closed after the header-read timeout"
    );
    assert!(sent.elapsed() >= Duration::from_millis(1000));
    // A whole head in time is served, on a new connection.
    let mut stream = TcpStream::connect(running.address).await.unwrap();
    assert!(get_on(&mut stream, "/fast", None).await.ends_with("fast"));
    assert_eq!(running.stop().await.cut_off, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_trickled_for_longer_than_the_idle_timeout_still_meets_the_header_timeout() {
    // The idle timer does not run while a head is coming in; the header
    // timer does.
    let running = start(timed_router(Duration::ZERO), limits(1500, 300)).await;
    let mut stream = TcpStream::connect(running.address).await.unwrap();
    for piece in [&b"GET /fa"[..], b"st HTTP/1.1\r\n", b"host: test\r\n"] {
        stream.write_all(piece).await.unwrap();
        assert!(!closed_within(&mut stream, Duration::from_millis(400)).await);
    }
    assert!(closed_within(&mut stream, Duration::from_secs(10)).await);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_idle_timeout_and_busy_ones_are_not() {
    let running = start(timed_router(Duration::from_millis(2500)), limits(10_000, 1000)).await;

    // Silent from the start.
    let mut silent = TcpStream::connect(running.address).await.unwrap();
    let opened = Instant::now();
    assert!(!closed_within(&mut silent, Duration::from_millis(500)).await);
    assert!(closed_within(&mut silent, Duration::from_secs(10)).await);
    assert!(opened.elapsed() >= Duration::from_millis(1000));

    // Kept alive after an answer.
    let mut kept = TcpStream::connect(running.address).await.unwrap();
    assert!(get_on(&mut kept, "/fast", None).await.ends_with("fast"));
    let answered = Instant::now();
    assert!(!closed_within(&mut kept, Duration::from_millis(500)).await);
    assert!(closed_within(&mut kept, Duration::from_secs(10)).await);
    assert!(answered.elapsed() >= Duration::from_millis(1000));

    // A call running longer than the idle timeout is answered, and the
    // connection serves the next one.
    let mut busy = TcpStream::connect(running.address).await.unwrap();
    assert!(get_on(&mut busy, "/slow", None).await.ends_with("slow"));
    assert!(get_on(&mut busy, "/fast", None).await.ends_with("fast"));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_source_cap_are_closed_and_slots_come_back() {
    let h = harness();
    let limits = ConnectionLimits {
        max_connections: 100,
        max_connections_per_source: 2,
        ..ConnectionLimits::default()
    };
    let running = start(h.app.clone(), limits).await;
    let mut first = TcpStream::connect(running.address).await.unwrap();
    let _second = TcpStream::connect(running.address).await.unwrap();
    let mut third = TcpStream::connect(running.address).await.unwrap();
    assert!(
        closed_within(&mut third, Duration::from_secs(5)).await,
        "the third connection from one address is closed"
    );
    // The admitted ones are served (the peer address reaches the handlers).
    let me = get_on(&mut first, "/api/v1/me", Some(&h.alice)).await;
    assert!(me.starts_with("HTTP/1.1 200"), "{me}");
    drop(first);
    // The slot comes back once the server has seen the close.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut next = TcpStream::connect(running.address).await.unwrap();
        if !closed_within(&mut next, Duration::from_millis(200)).await {
            let me = get_on(&mut next, "/api/v1/me", Some(&h.alice)).await;
            assert!(me.starts_with("HTTP/1.1 200"), "{me}");
            break;
        }
        assert!(Instant::now() < deadline, "the slot never came back");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_overall_cap_are_closed() {
    let limits = ConnectionLimits {
        max_connections: 3,
        max_connections_per_source: 0,
        ..ConnectionLimits::default()
    };
    let running = start(timed_router(Duration::ZERO), limits).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(running.address).await.unwrap());
    }
    let mut over = TcpStream::connect(running.address).await.unwrap();
    assert!(closed_within(&mut over, Duration::from_secs(5)).await);
    for stream in &mut held {
        assert!(get_on(stream, "/fast", None).await.ends_with("fast"));
    }
    running.stop().await;
}
