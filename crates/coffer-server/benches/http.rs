//! The HTTP layer's share of a download: requests per second of a whole
//! download through the service on localhost (offer request, the client's
//! ECDH encryption of the password, the redeem posted, the streamed body
//! read to its end, one connection per request) next to the same three
//! steps against the front door called directly, for 1 KiB and 1 MiB
//! documents on a SQLite data directory, with the unlock cache on (PBKDF2
//! once) and off (PBKDF2 on every download). One client, requests in
//! sequence. Criterion reports each as elements (downloads) per second;
//! the HTTP/direct ratio of each pair is printed to stderr at the end.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "bench functions are not an API; a bench has no caller to report a setup failure to; the ratio lines are its report"
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use coffer_server::{app, AppState, Limits, StoreArgs};
use coffer_store::door::*;
use coffer_store::keys::Password;
use coffer_store::policy::*;
use coffer_store::session::{client, Offer, Suite};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const PASSWORD: &str = "correct horse battery staple";
const SIZES: [(usize, &str); 2] = [(1 << 10, "1KiB"), (1 << 20, "1MiB")];

struct Service {
    state: AppState,
    address: SocketAddr,
    token: String,
    owner: Principal,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn service(cache: bool) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreArgs::sqlite(dir.path());
    let config = FrontDoorConfig {
        unlock_cache: cache.then_some(Duration::from_secs(3600)),
        download_suite: Suite::EcdhP256,
        ..FrontDoorConfig::default()
    };
    let opened = store.open(config).unwrap();
    // No RSA generation competing with the measurement.
    opened
        .door
        .sessions()
        .pool()
        .wait_until_full(Duration::from_secs(120));
    let owner: Principal = "acme/olga".parse().unwrap();
    opened
        .door
        .grant_tenant_role(&OperatorId::new("bench").unwrap(), &owner, Role::Owner)
        .unwrap();
    let password = Password::new(PASSWORD);
    let project = ProjectId::new("payroll").unwrap();
    opened.door.create_project(&owner, &project, &password).unwrap();
    for (size, name) in SIZES {
        let target = DocumentRef::new(
            owner.tenant.clone(),
            project.clone(),
            DocumentId::new(name).unwrap(),
        );
        let content = vec![7u8; size];
        let plaintext = Plaintext::new(&content[..], size as u64);
        opened
            .door
            .store_document(&owner, &target, plaintext, &Context::new(), &password)
            .unwrap();
    }
    let (_, token) = opened.keys.create(&owner, "bench", None).unwrap();
    let limits = Limits {
        session_suite: Suite::EcdhP256,
        ..Limits::default()
    };
    let state = AppState::new(opened.door, opened.keys, limits);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let router = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    runtime.spawn(async move { axum::serve(listener, router).await });
    Service {
        state,
        address,
        token: token.expose().to_owned(),
        owner,
        _dir: dir,
        _runtime: runtime,
    }
}

/// One HTTP/1.1 request on a fresh connection; the response body (chunked
/// framing included) read to the end.
fn http(service: &Service, path: &str, body: &str) -> Vec<u8> {
    let mut socket = TcpStream::connect(service.address).unwrap();
    write!(
        socket,
        "POST {path} HTTP/1.1\r\nhost: bench\r\nconnection: close\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        service.token,
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).unwrap();
    assert!(
        response.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&response[..100])
    );
    let start = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    response.split_off(start)
}

fn over_http(service: &Service, name: &str, size: usize) {
    let base = format!("/api/v1/projects/payroll/documents/{name}");
    let offer: Offer = serde_json::from_slice(&http(service, &format!("{base}/offer"), "")).unwrap();
    let message = client::encrypt(&offer, PASSWORD.as_bytes()).unwrap();
    let body = http(
        service,
        &format!("{base}/download"),
        &serde_json::to_string(&message).unwrap(),
    );
    assert!(body.len() >= size);
}

fn direct(service: &Service, name: &str, size: usize) {
    let door = service.state.door();
    let target = DocumentRef::new(
        service.owner.tenant.clone(),
        ProjectId::new("payroll").unwrap(),
        DocumentId::new(name).unwrap(),
    );
    let offer = door
        .issue_download(&service.owner, &target, Source::stored())
        .unwrap();
    let message = client::encrypt(&offer, PASSWORD.as_bytes()).unwrap();
    let mut sink = std::io::sink();
    let receipt = door
        .open_document(&service.owner, &target, Source::stored(), &message, &mut sink)
        .unwrap();
    assert_eq!(receipt.plaintext_len, size as u64);
}

fn downloads(c: &mut Criterion) {
    let mut ratios = Vec::new();
    for (cache, label) in [(true, "cache on"), (false, "cache off")] {
        let service = service(cache);
        for (size, name) in SIZES {
            let mut group = c.benchmark_group(format!("download {name}, {label}"));
            group.throughput(Throughput::Elements(1));
            if !cache {
                group.sample_size(10);
            }
            group.bench_function(BenchmarkId::from_parameter("front door"), |b| {
                b.iter(|| direct(&service, name, size));
            });
            group.bench_function(BenchmarkId::from_parameter("http"), |b| {
                b.iter(|| over_http(&service, name, size));
            });
            group.finish();
            // Interleaved batches for the ratio, in the same run.
            let rounds = if cache { 40 } else { 4 };
            let (mut d, mut h) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..rounds {
                let t = Instant::now();
                direct(&service, name, size);
                d += t.elapsed();
                let t = Instant::now();
                over_http(&service, name, size);
                h += t.elapsed();
            }
            let per_second = |total: Duration| f64::from(rounds) / total.as_secs_f64();
            ratios.push(format!(
                "{name} {label}: front door {:.1}/s, http {:.1}/s, http/front door time {:.2}",
                per_second(d),
                per_second(h),
                h.as_secs_f64() / d.as_secs_f64()
            ));
        }
        service.state.door().sessions().shutdown();
    }
    for line in ratios {
        eprintln!("ratio: {line}");
    }
}

criterion_group!(benches, downloads);
criterion_main!(benches);
