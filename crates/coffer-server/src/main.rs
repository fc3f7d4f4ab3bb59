//! `coffer-server`: serve the API and the page, or administer API keys and
//! tenant roles without HTTP. See `coffer-server --help`.
#![allow(clippy::print_stdout, reason = "the output is this program's report")]

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use coffer_server::listen::serve as serve_connections;
use coffer_server::tls::Tls;
use coffer_server::{app, AppState, Cli, Command, KeysCommand, ServeArgs, StoreArgs};
use coffer_store::door::FrontDoorConfig;
use coffer_store::policy::OperatorId;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Structured logs (JSON lines) on stderr; `RUST_LOG` filters them.
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,postgres=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("coffer-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Opening the store and the administration commands block (the
/// PostgreSQL client drives a runtime of its own, which cannot start
/// inside tokio's): they run before the service's runtime exists, and the
/// state is dropped after it ends.
fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Serve(serve) => {
            serve.check_transport()?;
            let tls = serve.tls_options().map(Tls::new).transpose()?;
            let tag = coffer_server::instance::tag(serve.instance_tag)?;
            let claim = cli.store.claim_instance(tag)?;
            tracing::info!(instance = serve.instance_tag, prefix = %tag.prefix(), "instance tag claimed");
            let service = cli.store.open_as(serve.front_door_config(), tag)?;
            let state = AppState::new(service.door, service.keys, serve.limits());
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let served = runtime.block_on(listen(state.clone(), &serve, tls));
            // Blocking calls whose connection was cut off end as soon as
            // their body errors; one still running after this is a store
            // transaction that then never commits.
            runtime.shutdown_timeout(Duration::from_secs(10));
            served?;
            state.door().sessions().shutdown();
            drop(claim);
            Ok(())
        }
        Command::Keys { command } => keys(&cli.store, command),
        Command::Grant {
            principal,
            role,
            operator,
        } => {
            // The grant is audited under the operator's name: an unnamed
            // grant is refused rather than recorded as nobody's.
            let operator = operator
                .or_else(|| {
                    std::env::var("USER")
                        .ok()
                        .and_then(|user| OperatorId::new(&user).ok())
                })
                .ok_or("name the operator making the grant: --operator NAME (or COFFER_OPERATOR)")?;
            let service = cli.store.open(FrontDoorConfig::default())?;
            let replaced = service.door.grant_tenant_role(&operator, &principal, role)?;
            println!(
                "{principal} is now {role} of tenant `{}` (was: {}; granted by operator `{operator}`)",
                principal.tenant,
                replaced.map_or("nothing".to_owned(), |r| r.to_string())
            );
            service.door.sessions().shutdown();
            Ok(())
        }
    }
}

/// Serves until SIGTERM or SIGINT, then stops gracefully; over TLS, the
/// certificate is reloaded meanwhile.
async fn listen(
    state: AppState,
    serve: &ServeArgs,
    tls: Option<Tls>,
) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(serve.listen).await?;
    let address = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // The e2e test and scripts read the bound address (port 0).
    println!("listening on {scheme}://{address}");
    tracing::info!(%address, scheme, "listening");
    let stop = stop_signal()?;
    let reloading = CancellationToken::new();
    let acceptor = match tls {
        Some(tls) => {
            let poll = Duration::from_secs(serve.tls_reload_poll_secs);
            let watcher = tls.certificates.watch(poll, reloading.clone());
            tokio::spawn(async move {
                if let Err(error) = watcher.await {
                    tracing::error!(%error, "no TLS reload on SIGHUP");
                }
            });
            Some(tls.acceptor)
        }
        None => None,
    };
    let stopped = serve_connections(listener, app(state), acceptor, serve.connection_limits(), stop).await;
    reloading.cancel();
    tracing::info!(cut_off = stopped.cut_off, "stopped");
    Ok(())
}

/// Resolves at the first SIGTERM or SIGINT.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        let which = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::info!(signal = which, "stop requested");
    })
}

fn keys(store: &StoreArgs, command: KeysCommand) -> Result<(), Box<dyn std::error::Error>> {
    let service = store.open(FrontDoorConfig::default())?;
    match command {
        KeysCommand::Create {
            principal,
            label,
            expires_in_days,
        } => {
            let expires_at =
                expires_in_days.map(|days| OffsetDateTime::now_utc() + time::Duration::days(days.into()));
            let (info, token) = service.keys.create(&principal, &label, expires_at)?;
            eprintln!(
                "key `{}` for {} (shown once; store it now):",
                info.key_id, info.principal
            );
            println!("{}", token.expose());
        }
        KeysCommand::List => {
            for info in service.keys.list()? {
                println!("{}", serde_json::to_string(&info)?);
            }
        }
        KeysCommand::Revoke { key_id } => {
            if service.keys.revoke(&key_id)? {
                println!("key `{key_id}` revoked");
            } else {
                return Err(format!("no live key `{key_id}`").into());
            }
        }
    }
    service.door.sessions().shutdown();
    Ok(())
}
