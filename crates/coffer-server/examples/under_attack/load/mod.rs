//! The load tool of `docs/PERFORMANCE.md`, "Under attack": legitimate
//! clients alone, then the same clients under attack, against the built
//! `coffer-server` on loopback.
// A directory module: `tests/under_attack.rs` includes it by this path.
#![allow(clippy::mod_module_files, reason = "one path for the example and its test")]

pub mod attack;
pub mod http;
pub mod legit;
pub mod report;
pub mod service;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use self::attack::Tally;
use self::http::Client;
use self::report::{Report, Run};
use self::service::{owner_with_key, Service};

/// The address the service trusts as a reverse proxy; the failures come
/// through it.
pub const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 254));

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `coffer-server` binary.
    pub server: PathBuf,
    /// Legitimate clients, each from its own 127.0.0.x.
    pub clients: usize,
    /// Length of each run.
    pub duration: Duration,
    /// Most operations per client and run.
    pub max_operations: usize,
    /// Idle connections held in run 2.
    pub idle: usize,
    /// Stalled uploads in run 2.
    pub stalled_uploads: usize,
    /// Unread downloads in run 2.
    pub unread_downloads: usize,
    /// Failed authentications (each from its own IPv6 /64) in run 2.
    pub failures: usize,
    /// Connections the failures are sent on.
    pub failure_connections: usize,
    /// Principals the stalled uploads use, and as many for the downloads.
    pub attack_principals: usize,
    /// The service's `--max-connections`.
    pub max_connections: usize,
    /// Size of the document the unread downloads ask for.
    pub unread_size: usize,
}

/// Runs both runs on one service.
///
/// # Errors
///
/// A step of the set-up that failed, described.
pub async fn run(config: &Config) -> Result<Report, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = dir.path().join("data");
    let server = &config.server;
    let mut legit_keys = Vec::new();
    for i in 0..config.clients {
        legit_keys.push(owner_with_key(server, &data, &format!("acme-{i}/client"))?);
    }
    let mut upload_keys = Vec::new();
    let mut download_keys = Vec::new();
    for j in 0..config.attack_principals {
        upload_keys.push(owner_with_key(server, &data, &format!("evil/uploader-{j}"))?);
        download_keys.push(owner_with_key(server, &data, &format!("evil/downloader-{j}"))?);
    }
    let flags = service_flags(config);
    let service = Service::start(server, &data, &flags, &dir.path().join("service.log"))?;
    let to = service.address;

    // Projects, and the documents the clients download first.
    let mut clients = Vec::new();
    for (i, key) in legit_keys.iter().enumerate() {
        let mut c = Client::new(legit_source(i), to, key);
        let project = format!("p{i}");
        legit::create_project(&mut c, &project).await?;
        for (size, bytes) in legit::SIZES.iter().enumerate() {
            let content = legit::content(*bytes, i);
            legit::upload(&mut c, &project, &format!("doc-{size}"), &content).await?;
        }
        clients.push((c, project));
    }
    let big = legit::content(config.unread_size, 7);
    for (j, key) in download_keys.iter().enumerate() {
        let mut c = Client::new(attack::source(4, j, 1), to, key);
        let project = format!("d{j}");
        legit::create_project(&mut c, &project).await?;
        legit::upload(&mut c, &project, "big", &big).await?;
    }
    for (j, key) in upload_keys.iter().enumerate() {
        let mut c = Client::new(attack::source(4, 100 + j, 1), to, key);
        legit::create_project(&mut c, &format!("u{j}")).await?;
    }

    let alone = legitimate(config, &legit_keys, to, &service).await;
    drop(clients);

    // Run 2: the attack first, then the same clients.
    let started = Instant::now();
    let (held, idle_failed) = attack::idle(to, config.idle, 50).await;
    let idle_seconds = started.elapsed().as_secs_f64();
    let settle = Duration::from_secs(2);
    let until = Instant::now() + settle + config.duration + Duration::from_secs(1);
    let tally = Arc::new(Tally::default());
    let mut tasks = Vec::new();
    for slot in 0..config.stalled_uploads {
        let j = slot % config.attack_principals.max(1);
        if let Some(token) = upload_keys.get(j) {
            tasks.push(tokio::spawn(attack::stalled_upload(
                to,
                slot,
                token.clone(),
                format!("u{j}"),
                until,
                Arc::clone(&tally),
            )));
        }
    }
    for slot in 0..config.unread_downloads {
        let j = slot % config.attack_principals.max(1);
        if let Some(token) = download_keys.get(j) {
            tasks.push(tokio::spawn(attack::unread_download(
                to,
                slot,
                token.clone(),
                format!("d{j}"),
                until,
                Arc::clone(&tally),
            )));
        }
    }
    let next = Arc::new(AtomicUsize::new(0));
    let failures_started = Instant::now();
    for _ in 0..config.failure_connections {
        tasks.push(tokio::spawn(attack::failures(
            to,
            PROXY,
            Arc::clone(&next),
            config.failures,
            until,
            Arc::clone(&tally),
        )));
    }
    tokio::time::sleep(settle).await;
    let under_attack = legitimate(config, &legit_keys, to, &service).await;
    let attack_memory = service.memory();
    for task in tasks {
        let _ = task.await;
    }
    let failures_seconds = failures_started.elapsed().as_secs_f64();
    drop(held);
    Ok(Report {
        flags,
        alone,
        under_attack,
        idle_held: config.idle - idle_failed,
        idle_seconds,
        attack: tally.counts(),
        failures_sent: next
            .load(std::sync::atomic::Ordering::Relaxed)
            .min(config.failures),
        failures_seconds,
        memory_after: attack_memory,
    })
}

/// The `i`-th legitimate client's address (127.0.0.10 onwards).
fn legit_source(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, u8::try_from(10 + i % 200).unwrap_or(10)))
}

/// The service's flags: ECDH sessions and the unlock cache (so a call
/// costs the service's own work, not PBKDF2), the tool's proxy trusted,
/// room for the idle connections.
fn service_flags(config: &Config) -> Vec<String> {
    [
        "--session-suite",
        "ECDH-P256",
        "--unlock-cache-secs",
        "300",
        "--trusted-proxy",
        "127.0.0.254/32",
        "--max-connections",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([config.max_connections.to_string()])
    .collect()
}

/// The legitimate clients for one run.
async fn legitimate(config: &Config, keys: &[String], to: std::net::SocketAddr, service: &Service) -> Run {
    let started = Instant::now();
    let until = started + config.duration;
    let tasks: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let c = Client::new(legit_source(i), to, key);
            tokio::spawn(legit::run(c, format!("p{i}"), i, until, config.max_operations))
        })
        .collect();
    let mut run = Run::default();
    for task in tasks {
        match task.await {
            Ok(outcome) => {
                run.samples.extend(outcome.samples);
                run.refused.extend(outcome.refused);
            }
            Err(e) => run.refused.push(format!("client task: {e}")),
        }
    }
    run.seconds = started.elapsed().as_secs_f64();
    run.memory = service.memory();
    run
}
