//! The load tool of issue 17, "Measured under attack": legitimate clients
//! (1 KiB and 1 MiB uploads and downloads through ECDH sessions) alone,
//! then again while idle connections, stalled uploads, unread downloads
//! and failed authentications from distinct IPv6 /64s hit the same
//! service, and both runs side by side. `docs/PERFORMANCE.md`, "Under
//! attack", has the command and the figures.
//!
//! It drives the built `coffer-server` binary (the real accept loop,
//! plain HTTP on loopback) and sends traffic only to 127.0.0.0/8.
#![forbid(unsafe_code)]

#[allow(unreachable_pub, reason = "the same modules serve tests/under_attack.rs")]
mod load;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// Legitimate clients alone, then under attack, side by side.
#[derive(Debug, Parser)]
struct Args {
    /// The `coffer-server` binary (default: the one built beside this tool).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Legitimate clients, each its own principal and 127.0.0.x.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=200))]
    clients: u16,
    /// Seconds each run lasts.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
    /// Most operations per client and run.
    #[arg(long, default_value_t = 100_000)]
    max_operations: usize,
    /// Idle connections held during run 2.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(0..=60_000))]
    idle: u32,
    /// Stalled uploads during run 2.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(0..=5_000))]
    stalled_uploads: u32,
    /// Unread downloads during run 2.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(0..=5_000))]
    unread_downloads: u32,
    /// Failed authentications during run 2, each from its own IPv6 /64.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u32).range(0..=16_000_000))]
    failures: u32,
    /// Connections (from the trusted proxy) the failures are sent on.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    failure_connections: u16,
    /// Attacking principals for the stalled uploads, and as many for the
    /// unread downloads (each may hold `--max-transfers-per-principal`).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=100))]
    attack_principals: u16,
    /// The service's `--max-connections`.
    #[arg(long, default_value_t = 12_000)]
    max_connections: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let Some(server) = args.server.clone().or_else(load::service::sibling_server) else {
        eprintln!("no coffer-server beside this tool: build it (cargo build --release -p coffer-server) or pass --server");
        return ExitCode::FAILURE;
    };
    let needed =
        u64::from(args.idle) + u64::from(args.stalled_uploads) + u64::from(args.unread_downloads) + 1_000;
    if let Some(limit) = load::service::open_file_limit() {
        if limit < needed {
            eprintln!("the open-file limit is {limit}, the attack needs about {needed}: raise it (ulimit -n {needed}) or lower --idle");
            return ExitCode::FAILURE;
        }
    }
    let config = load::Config {
        server,
        clients: usize::from(args.clients),
        duration: Duration::from_secs(args.seconds),
        max_operations: args.max_operations,
        idle: args.idle as usize,
        stalled_uploads: args.stalled_uploads as usize,
        unread_downloads: args.unread_downloads as usize,
        failures: args.failures as usize,
        failure_connections: usize::from(args.failure_connections),
        attack_principals: usize::from(args.attack_principals),
        max_connections: args.max_connections,
        unread_size: 16 << 20,
    };
    match load::run(&config).await {
        Ok(report) => {
            let _ = std::io::Write::write_all(&mut std::io::stdout(), report.to_string().as_bytes());
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("under_attack: {why}");
            ExitCode::FAILURE
        }
    }
}
