//! The graceful stop, with the built binary: at SIGTERM or SIGINT the
//! service stops accepting, lets a call in flight finish, closes idle
//! connections, and exits 0; a transfer still running at the deadline is
//! cut off and leaves no document and no envelope behind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "support/process.rs"]
mod process;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use coffer_store::session::{client, ClientMessage, Offer};
use process::{alice_and_bob, call, head, read_reply, Server};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

fn password_message(address: SocketAddr, token: &str, project: &str) -> ClientMessage {
    let reply = call(
        address,
        "POST",
        "/api/v1/password-offers",
        Some(token),
        Some(&json!({ "project": project })),
    );
    assert_eq!(reply.status, 200, "{}", reply.head);
    let offer: Offer = serde_json::from_slice(&reply.body).unwrap();
    client::encrypt(&offer, PASSWORD.as_bytes()).unwrap()
}

fn create_project(address: SocketAddr, alice: &str, project: &str) {
    let password = password_message(address, alice, project);
    let reply = call(
        address,
        "POST",
        "/api/v1/projects",
        Some(alice),
        Some(&json!({ "project": project, "password": password })),
    );
    assert_eq!(reply.status, 201, "{}", reply.head);
}

/// Starts an upload of a `size`-byte document and sends its head, its
/// session line and the first `sent` bytes of the document.
fn start_upload(address: SocketAddr, token: &str, document: &str, size: usize, sent: usize) -> TcpStream {
    let message = password_message(address, token, "payroll");
    let mut line = serde_json::to_vec(&message).unwrap();
    line.push(b'\n');
    let path = format!("/api/v1/projects/payroll/documents/{document}");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream
        .write_all(head("PUT", &path, Some(token), line.len() + size, false).as_bytes())
        .unwrap();
    stream.write_all(&line).unwrap();
    stream.write_all(&vec![b'x'; sent]).unwrap();
    stream
}

fn documents(address: SocketAddr, token: &str) -> Vec<String> {
    let reply = call(
        address,
        "GET",
        "/api/v1/projects/payroll/documents",
        Some(token),
        None,
    );
    assert_eq!(reply.status, 200);
    reply
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until connecting to `address` is refused.
fn refused_soon(address: SocketAddr) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(address).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn envelope_files(data: &Path) -> usize {
    std::fs::read_dir(data.join("state/envelopes")).unwrap().count()
}

#[test]
fn sigterm_lets_a_call_in_flight_finish_then_exits_0() {
    let data = tempfile::tempdir().unwrap();
    let (alice, _) = alice_and_bob(data.path());
    let mut server = Server::start(data.path(), &["--shutdown-grace-secs", "60"]);
    let address = server.address();
    create_project(address, &alice, "payroll");

    let mut idle = TcpStream::connect(address).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let size = 256 * 1024;
    let mut upload = start_upload(address, &alice, "april", size, size / 2);
    std::thread::sleep(Duration::from_millis(300));

    server.signal("TERM");
    assert!(refused_soon(address), "no new connection after the stop");
    let mut buf = [0u8; 64];
    assert!(
        matches!(idle.read(&mut buf), Ok(0) | Err(_)),
        "an idle connection is closed at the stop"
    );
    assert!(
        server.wait_exit(Duration::from_millis(500)).is_none(),
        "the upload is waited for"
    );

    upload.write_all(&vec![b'x'; size - size / 2]).unwrap();
    let reply = read_reply(&mut upload);
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    assert!(reply.head.to_ascii_lowercase().contains("connection: close"));
    // Well before the 60 s grace: nothing is left to wait for.
    let status = server
        .wait_exit(Duration::from_secs(20))
        .expect("exits once the call is done");
    assert!(status.success(), "{status}");

    let server = Server::start(data.path(), &[]);
    assert_eq!(documents(server.address(), &alice), ["april"]);
}

#[test]
fn sigint_cuts_off_a_transfer_at_the_deadline_leaving_nothing_half_written() {
    let data = tempfile::tempdir().unwrap();
    let (alice, _) = alice_and_bob(data.path());
    let mut server = Server::start(data.path(), &["--shutdown-grace-secs", "1"]);
    let address = server.address();
    create_project(address, &alice, "payroll");
    let mut whole = start_upload(address, &alice, "whole", 1000, 1000);
    assert_eq!(read_reply(&mut whole).status, 201);
    assert_eq!(envelope_files(data.path()), 1);

    let size = 4 << 20;
    let mut cut = start_upload(address, &alice, "cut", size, size / 4);
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    server.signal("INT");
    let status = server
        .wait_exit(Duration::from_secs(30))
        .expect("exits after the deadline");
    assert!(status.success(), "{status}");
    assert!(
        signalled.elapsed() >= Duration::from_secs(1),
        "the grace was given"
    );
    let mut rest = Vec::new();
    let _ = cut.read_to_end(&mut rest);
    assert!(
        !String::from_utf8_lossy(&rest).contains("201"),
        "the cut upload was not stored: {}",
        String::from_utf8_lossy(&rest)
    );

    let server = Server::start(data.path(), &[]);
    assert_eq!(documents(server.address(), &alice), ["whole"]);
    assert_eq!(envelope_files(data.path()), 1, "no staged envelope is left");
}
