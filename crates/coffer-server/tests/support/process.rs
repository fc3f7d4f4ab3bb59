#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]
//! The built `coffer-server` as a process: administration commands on a
//! data directory, a service started on a localhost port (killed when
//! dropped unless it was stopped), signals, and plain HTTP/1.1 calls on
//! real sockets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub(crate) const SERVER: &str = env!("CARGO_BIN_EXE_coffer-server");

/// Runs an administration command on `data`; its stdout, trimmed.
pub(crate) fn admin(data: &Path, args: &[&str]) -> String {
    let output = Command::new(SERVER)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("COFFER_POSTGRES_URL")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "coffer-server {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Makes alice a tenant Owner of `acme` and gives her and bob API keys.
pub(crate) fn alice_and_bob(data: &Path) -> (String, String) {
    admin(data, &["grant", "acme/alice", "owner", "--operator", "ops"]);
    let alice = admin(data, &["keys", "create", "acme/alice", "--label", "test"]);
    let bob = admin(data, &["keys", "create", "acme/bob", "--label", "test"]);
    assert!(alice.starts_with("coffer_") && bob.starts_with("coffer_"));
    (alice, bob)
}

/// A running `coffer-server serve`, killed when dropped.
pub(crate) struct Server {
    child: Option<Child>,
    /// What the first line of stdout named: `http://…` or `https://…`.
    pub(crate) url: String,
}

impl Server {
    /// Starts `serve --listen 127.0.0.1:0` on `data` with `args`.
    pub(crate) fn start(data: &Path, args: &[&str]) -> Server {
        Self::start_with(data, args, &[])
    }

    /// [`Server::start`] with environment variables.
    pub(crate) fn start_with(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(SERVER)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(args)
            .envs(env.iter().copied())
            .env_remove("COFFER_POSTGRES_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line `{line}`"))
            .to_owned();
        Server {
            child: Some(child),
            url,
        }
    }

    /// The bound address.
    pub(crate) fn address(&self) -> SocketAddr {
        let rest = self.url.split("://").nth(1).unwrap();
        rest.parse().unwrap()
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends `signal` (`TERM`, `INT`, `HUP`) with `kill`.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `within` for the process to exit; its status, or
    /// `None` if it still runs.
    pub(crate) fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An HTTP/1.1 answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("{} {}", self.head, String::from_utf8_lossy(&self.body)))
    }
}

/// The request head of a call (`Connection: close`).
pub(crate) fn head(method: &str, path: &str, token: Option<&str>, length: usize, json: bool) -> String {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-length: {length}\r\n"
    );
    if let Some(token) = token {
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    if json {
        head.push_str("content-type: application/json\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Reads an answer to its end (the server closes: `Connection: close`).
pub(crate) fn read_reply(mut stream: impl Read) -> Reply {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in `{}`", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head[9..12].parse().unwrap();
    Reply {
        status,
        head,
        body: raw[end + 4..].to_vec(),
    }
}

/// One call on a new connection to `address`, with a JSON body if any.
pub(crate) fn call(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Reply {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let request = head(method, path, token, body.len(), !body.is_empty()) + &body;
    stream.write_all(request.as_bytes()).unwrap();
    read_reply(stream)
}

/// Reads one answer with a `Content-Length` from a kept-alive connection.
pub(crate) fn read_sized_reply(stream: &mut impl Read) -> Reply {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the answer ended");
        raw.extend_from_slice(&buf[..n]);
        let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_owned())
            })
            .expect("a content-length")
            .parse()
            .unwrap();
        if raw.len() >= end + 4 + length {
            return Reply {
                status: head[9..12].parse().unwrap(),
                head,
                body: raw[end + 4..end + 4 + length].to_vec(),
            };
        }
    }
}
