//! TLS in the service, with the built binary and certificates made here:
//! curl with `--cacert` over HTTP/2 and HTTP/1.1 (HSTS over TLS only), a
//! TLS 1.2 handshake refused unless `--tls12`, plain HTTP refused off
//! loopback without `--insecure-http`, and the certificate reloaded on
//! SIGHUP and on a file change while an open connection keeps working.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[path = "support/pki.rs"]
mod pki;
#[path = "support/process.rs"]
mod process;

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pki::{provider, Ca};
use process::{call, read_sized_reply, Server, SERVER};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned, SupportedProtocolVersion};

/// A data directory with a CA, and a leaf of it installed as
/// `cert.pem`/`key.pem`.
struct Setup {
    dir: tempfile::TempDir,
    ca: Ca,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::new("coffer test CA");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        let setup = Setup { dir, ca };
        setup.ca.leaf("first").install(&setup.cert(), &setup.key());
        setup
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cert(&self) -> PathBuf {
        self.path("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.path("key.pem")
    }

    fn data(&self) -> PathBuf {
        self.path("data")
    }

    /// `serve` over TLS with `extra` options.
    fn serve(&self, extra: &[&str]) -> Server {
        let cert = self.cert();
        let key = self.key();
        let mut args = vec![
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        Server::start(&self.data(), &args)
    }
}

fn port(server: &Server) -> u16 {
    server.address().port()
}

fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl")
}

/// A TLS client trusting `roots`, speaking only `versions`, offering h2
/// and http/1.1.
fn client(
    roots: &[CertificateDer<'static>],
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).unwrap();
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// Connects to `server` with `config` and completes the handshake.
fn handshake(server: &Server, config: Arc<ClientConfig>) -> Result<Tls, std::io::Error> {
    let connection = ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap();
    let socket = TcpStream::connect(server.address()).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = StreamOwned::new(connection, socket);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

fn leaf_of(tls: &Tls) -> CertificateDer<'static> {
    tls.conn.peer_certificates().unwrap()[0].clone().into_owned()
}

/// One HTTP/1.1 request on a kept-alive TLS connection.
fn get_config(tls: &mut Tls) -> process::Reply {
    tls.write_all(b"GET /config.json HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .unwrap();
    read_sized_reply(tls)
}

#[test]
fn curl_with_the_test_ca_speaks_http2_and_http1_and_gets_hsts() {
    let setup = Setup::new();
    let server = setup.serve(&[]);
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    let port = port(&server);
    let url = format!("https://localhost:{port}/config.json");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let ca = setup.path("ca.pem");
    let ca = ca.to_str().unwrap();
    for (version, status_line) in [("--http2", "HTTP/2 200"), ("--http1.1", "HTTP/1.1 200")] {
        let out = curl(&["--cacert", ca, "--resolve", &resolve, version, "-D", "-", &url]);
        let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.starts_with(&status_line.to_ascii_lowercase()), "{text}");
        assert!(
            text.contains("strict-transport-security: max-age=63072000; includesubdomains"),
            "{text}"
        );
        assert!(text.contains("\"offer_key\""), "{text}");
    }
    // Without the CA, curl does not trust the certificate (exit 60).
    let untrusted = curl(&["--resolve", &resolve, &url]);
    assert_eq!(
        untrusted.status.code(),
        Some(60),
        "{}",
        String::from_utf8_lossy(&untrusted.stderr)
    );
    // A TLS 1.2 client is refused (exit 35: handshake failed).
    let old = curl(&["--cacert", ca, "--resolve", &resolve, "--tls-max", "1.2", &url]);
    assert_eq!(
        old.status.code(),
        Some(35),
        "{}",
        String::from_utf8_lossy(&old.stderr)
    );
}

#[test]
fn tls12_is_refused_by_default_and_accepted_with_the_option() {
    let setup = Setup::new();
    let roots = [setup.ca.der()];
    let tls13 = client(&roots, &[&rustls::version::TLS13]);
    let tls12 = client(&roots, &[&rustls::version::TLS12]);

    let server = setup.serve(&[]);
    let mut modern = handshake(&server, tls13.clone()).unwrap();
    assert_eq!(
        modern.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    assert_eq!(
        modern.conn.alpn_protocol(),
        Some(&b"h2"[..]),
        "h2 preferred by ALPN"
    );
    drop(modern);
    let refused = handshake(&server, tls12.clone()).expect_err("a TLS 1.2 handshake fails");
    assert!(
        refused.to_string().to_lowercase().contains("version"),
        "{refused}"
    );
    drop(server);

    let server = setup.serve(&["--tls12"]);
    let mut old = handshake(&server, tls12).unwrap();
    assert_eq!(
        old.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    // An HTTP/1.1-only client gets HTTP/1.1.
    let mut config = (*client(&roots, &[&rustls::version::TLS13])).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    modern = handshake(&server, Arc::new(config)).unwrap();
    assert_eq!(modern.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(get_config(&mut modern).status, 200);
    assert_eq!(get_config(&mut old).status, 200);
}

#[test]
fn plain_http_is_for_loopback_or_explicit_and_has_no_hsts() {
    let data = tempfile::tempdir().unwrap();
    let refused = Command::new(SERVER)
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(data.path())
        .env_remove("COFFER_POSTGRES_URL")
        .env_remove("COFFER_INSECURE_HTTP")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("plain HTTP on `0.0.0.0:0`"), "{stderr}");

    let server = Server::start(data.path(), &[]);
    assert!(server.url.starts_with("http://127.0.0.1:"));
    let reply = call(server.address(), "GET", "/config.json", None, None);
    assert_eq!(reply.status, 200);
    assert!(
        !reply
            .head
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "{}",
        reply.head
    );
    drop(server);

    // Explicitly: serve on every address (nothing is sent to it here).
    let mut explicit = Command::new(SERVER)
        .args(["serve", "--listen", "0.0.0.0:0", "--insecure-http", "--data-dir"])
        .arg(data.path())
        .env_remove("COFFER_POSTGRES_URL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(explicit.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _ = explicit.kill();
    let _ = explicit.wait();
    assert!(line.starts_with("listening on http://0.0.0.0:"), "{line}");
}

/// Waits until a new handshake presents `expected`.
fn presented_soon(server: &Server, config: &Arc<ClientConfig>, expected: &CertificateDer<'_>) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if leaf_of(&handshake(server, config.clone()).unwrap()) == *expected {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn reload_keeps_connections(setup: &Setup, server: &Server, reload: impl Fn()) {
    let other = Ca::new("another test CA");
    let config = client(&[setup.ca.der(), other.der()], &[&rustls::version::TLS13]);
    let mut http1 = (*config).clone();
    http1.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut open = handshake(server, Arc::new(http1)).unwrap();
    assert_eq!(get_config(&mut open).status, 200);
    let before = leaf_of(&open);

    // A key that is not the certificate's is not taken: the old pair stays.
    let broken = other.leaf("broken");
    pki::replace(&setup.cert(), &broken.cert_pem);
    reload();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(leaf_of(&handshake(server, config.clone()).unwrap()), before);

    let next = other.leaf("next");
    next.install(&setup.cert(), &setup.key());
    reload();
    assert!(
        presented_soon(server, &config, &next.der),
        "the new certificate is served"
    );
    assert_eq!(get_config(&mut open).status, 200, "the open connection survives");
    assert_eq!(leaf_of(&open), before);
}

#[test]
fn sighup_reloads_the_certificate_without_dropping_connections() {
    let setup = Setup::new();
    let server = setup.serve(&["--tls-reload-poll-secs", "0"]);
    reload_keeps_connections(&setup, &server, || server.signal("HUP"));
}

#[test]
fn a_changed_certificate_file_is_reloaded_without_a_signal() {
    let setup = Setup::new();
    let server = setup.serve(&["--tls-reload-poll-secs", "1"]);
    reload_keeps_connections(&setup, &server, || {});
}

#[test]
fn an_unusable_certificate_at_start_is_refused() {
    let setup = Setup::new();
    std::fs::write(setup.cert(), "not a certificate").unwrap();
    let out = Command::new(SERVER)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(setup.data())
        .arg("--tls-cert")
        .arg(setup.cert())
        .arg("--tls-key")
        .arg(setup.key())
        .env_remove("COFFER_POSTGRES_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cert.pem"), "{stderr}");
}
