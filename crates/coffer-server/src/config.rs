//! Configuration: the command line (`coffer-server serve`, `keys`,
//! `grant`), where the store and the key files are, and opening it all.
//!
//! Every option also reads an environment variable (`COFFER_…`), so a
//! container or a unit file configures the service without arguments.
//! Key files (created on first start, mode `0600`) live in `--key-dir`,
//! by default the data directory, beside the database as in the
//! quickstart; a deployment points `--key-dir` elsewhere (see
//! `coffer_store`'s docs on keeping the audit key away from the database):
//!
//! - `audit.key`: the audit chain's MAC key (or `COFFER_AUDIT_KEY`, 64 hex
//!   digits, which takes precedence);
//! - `api-keys.key`: the key API keys are hashed under;
//! - `offer-signing.key`: the Ed25519 key download offers are signed with
//!   (its public half is what the page pins).
//!
//! With `--postgres URL` every instance must be given the same three keys.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use coffer_store::door::{FrontDoor, FrontDoorConfig, FrontDoorError};
use coffer_store::policy::{OperatorId, Principal, Role};
use coffer_store::session::{InstanceTag, OfferSigner, SessionConfig, SessionService, Suite};
use coffer_store::{
    load_key_env, load_or_create_key_file, load_or_create_secret_file, random_secret, AnyStore, KeyError,
    OpenError, PostgresStore, SqliteStore,
};

use crate::api_keys::{ApiKeyError, ApiKeys};
use crate::instance::{InstanceClaim, InstanceError};
use crate::listen::ConnectionLimits;
use crate::source::{Cidr, ClientAddress, ForwardedHeader};
use crate::state::Limits;
use crate::tls::{TlsError, TlsOptions};
use crate::transfers::TransferLimits;

/// The environment variable that holds the audit key instead of a file.
pub const AUDIT_KEY_ENV: &str = "COFFER_AUDIT_KEY";

/// `coffer-server`: the reference HTTP service for coffer.
#[derive(Debug, Parser)]
#[command(name = "coffer-server", version, about)]
pub struct Cli {
    /// Where the state is.
    #[command(flatten)]
    pub store: StoreArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the state and the keys are.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The data directory: the SQLite database (in `state/`) and, unless
    /// `--key-dir` says otherwise, the key files. Created if missing.
    #[arg(long, global = true, env = "COFFER_DATA_DIR", default_value = "coffer-data")]
    pub data_dir: PathBuf,
    /// Keep the state in this PostgreSQL database instead of SQLite
    /// (`postgresql://user@host/db`; unix sockets as `%2Frun%2Fpostgresql`;
    /// TLS with the server verified: `?sslmode=verify-full&sslrootcert=CA-FILE`).
    #[arg(long, global = true, env = "COFFER_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// Where the key files are (default: the data directory).
    #[arg(long, global = true, env = "COFFER_KEY_DIR")]
    pub key_dir: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// Manage API keys (without HTTP).
    Keys {
        /// What to do with them.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Give a principal a role over its tenant (`owner` to create projects).
    Grant {
        /// The principal, `tenant/principal`.
        principal: Principal,
        /// The role: owner, editor, viewer or auditor.
        role: Role,
        /// Who grants it, as the audit trail names the operator (default:
        /// the login name in `USER`).
        #[arg(long, env = "COFFER_OPERATOR")]
        operator: Option<OperatorId>,
    },
}

/// API-key administration.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a key; its token is printed once.
    Create {
        /// The principal it authenticates as, `tenant/principal`.
        principal: Principal,
        /// A note for listings.
        #[arg(long, default_value = "")]
        label: String,
        /// Expire it after this many days, at least 1 (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        expires_in_days: Option<u32>,
    },
    /// List every key (ids, principals, times; never secrets).
    List,
    /// Revoke a key by its id.
    Revoke {
        /// The key id (16 hex digits, the part after `coffer_`).
        key_id: String,
    },
}

/// `serve`'s options.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "COFFER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Largest document accepted for upload, in bytes (larger: 413).
    #[arg(long, env = "COFFER_MAX_UPLOAD", default_value_t = 1 << 30)]
    pub max_upload: u64,
    /// Keep unlocked project keys this many seconds (0: no cache), so a
    /// batch of downloads does not run PBKDF2 for each.
    #[arg(long, env = "COFFER_UNLOCK_CACHE_SECS", default_value_t = 0)]
    pub unlock_cache_secs: u64,
    /// The session suite download offers use: `RSA-OAEP-256-2048` (what
    /// every browser speaks) or `ECDH-P256`.
    #[arg(long, env = "COFFER_SESSION_SUITE", default_value = "RSA-OAEP-256-2048")]
    pub session_suite: Suite,
    /// Seconds a client has to send a whole request head once it started
    /// (and to finish the TLS handshake).
    #[arg(long, env = "COFFER_HEADER_READ_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may stay open without a request.
    #[arg(long, env = "COFFER_IDLE_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub idle_timeout_secs: u64,
    /// Connections open at once (keep it under the process's open-file
    /// limit, `ulimit -n`).
    #[arg(long, env = "COFFER_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Connections open at once from one IPv4 address or IPv6 /64 (0: no
    /// cap, for a service that only its proxies reach).
    #[arg(long, env = "COFFER_MAX_CONNECTIONS_PER_SOURCE", default_value_t = 64)]
    pub max_connections_per_source: u32,
    /// At SIGTERM or SIGINT, seconds to let calls in flight finish before
    /// they are cut off.
    #[arg(long, env = "COFFER_SHUTDOWN_GRACE_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_secs: u64,
    /// This instance's tag (below 2^24, e.g. a replica ordinal): the
    /// first four characters of every session key id it issues. Two live
    /// instances on one store must have different tags.
    #[arg(long, env = "COFFER_INSTANCE_TAG", default_value_t = 0)]
    pub instance_tag: u32,
    /// Serve HTTPS with this certificate chain (PEM, leaf first);
    /// reloaded on SIGHUP and when the file changes.
    #[arg(long, env = "COFFER_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "COFFER_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Also accept TLS 1.2 (by default only TLS 1.3).
    #[arg(long, env = "COFFER_TLS12", requires = "tls_cert")]
    pub tls12: bool,
    /// Look for a changed certificate or key every N seconds (0: reload
    /// on SIGHUP only).
    #[arg(long, env = "COFFER_TLS_RELOAD_POLL_SECS", default_value_t = 10)]
    pub tls_reload_poll_secs: u64,
    /// Serve plain HTTP on an address other than loopback (behind a
    /// proxy that terminates TLS).
    #[arg(long, env = "COFFER_INSECURE_HTTP", conflicts_with = "tls_cert")]
    pub insecure_http: bool,
    /// Request-level limits.
    #[command(flatten)]
    pub requests: RequestArgs,
}

/// `serve`'s request-level limits (see `docs/SERVER.md`).
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// Believe `X-Forwarded-For` / `Forwarded` only from peers in these
    /// networks (`10.0.0.0/8`, `2001:db8::/32`, a bare address); repeat or
    /// separate with commas. Without it those headers are ignored.
    #[arg(long, env = "COFFER_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<Cidr>,
    /// The header the trusted proxies write the client address in.
    #[arg(
        long,
        env = "COFFER_FORWARDED_HEADER",
        value_enum,
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: ForwardedHeader,
    /// Seconds a request body may stop before its call ends with 408 (also
    /// the time an upload's session line must arrive in).
    #[arg(long, env = "COFFER_BODY_IDLE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_idle_secs: u64,
    /// Seconds a download waits for its client to read before it is ended.
    #[arg(long, env = "COFFER_RESPONSE_STALL_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub response_stall_secs: u64,
    /// Uploads and downloads running at once (more: 503 `busy`).
    #[arg(long, env = "COFFER_MAX_TRANSFERS", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=128))]
    pub max_transfers: u64,
    /// Uploads and downloads running at once per principal (more: 429
    /// `too_many_transfers`).
    #[arg(long, env = "COFFER_MAX_TRANSFERS_PER_PRINCIPAL", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=128))]
    pub max_transfers_per_principal: u64,
    /// Small blocking calls (authentication, offers, listings) running at
    /// once; more wait up to 10 s, then 503 `busy`.
    #[arg(long, env = "COFFER_MAX_BLOCKING_CALLS", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub max_blocking_calls: u64,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A key file or variable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The store did not open.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The front door did not open (a broken audit chain, a bad policy).
    #[error(transparent)]
    FrontDoor(#[from] FrontDoorError),
    /// The API-key table did not open.
    #[error(transparent)]
    ApiKeys(#[from] ApiKeyError),
    /// The offer signing key or the session service.
    #[error("session service: {0}")]
    Sessions(String),
    /// Plain HTTP was asked for on an address other than loopback.
    #[error(
        "plain HTTP on `{0}`, which is not a loopback address: give --tls-cert and --tls-key, \
         or --insecure-http behind a proxy that terminates TLS"
    )]
    PlainHttp(SocketAddr),
    /// The instance tag is taken or could not be claimed.
    #[error(transparent)]
    Instance(#[from] InstanceError),
    /// The TLS certificate or key.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The data directory could not be created.
    #[error("data directory `{path}`: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What the service runs on: the front door and the API keys, opened on
/// one store.
#[derive(Debug)]
pub struct Service {
    /// The front door.
    pub door: Arc<FrontDoor<AnyStore>>,
    /// The API keys.
    pub keys: ApiKeys,
}

impl StoreArgs {
    /// A SQLite data directory with the key files in it.
    pub fn sqlite(data_dir: impl Into<PathBuf>) -> Self {
        StoreArgs {
            data_dir: data_dir.into(),
            postgres: None,
            key_dir: None,
        }
    }

    /// The directory of the key files.
    pub fn key_dir(&self) -> PathBuf {
        self.key_dir.clone().unwrap_or_else(|| self.data_dir.clone())
    }

    /// Opens the store, the front door on it (which verifies the audit
    /// chain) with `config`, and the API-key table, creating the data
    /// directory and the key files on first start.
    ///
    /// # Errors
    ///
    /// [`StartError`].
    pub fn open(&self, config: FrontDoorConfig) -> Result<Service, StartError> {
        self.open_as(config, InstanceTag::default())
    }

    /// Claims `tag` on this store for as long as the claim is held (see
    /// [`crate::instance`]); call it before [`StoreArgs::open_as`].
    ///
    /// # Errors
    ///
    /// [`StartError::Instance`]: another live instance holds the tag.
    pub fn claim_instance(&self, tag: InstanceTag) -> Result<InstanceClaim, StartError> {
        Ok(match &self.postgres {
            Some(url) => InstanceClaim::postgres(url, tag)?,
            None => InstanceClaim::sqlite(self.data_dir.join("state"), tag)?,
        })
    }

    /// [`StoreArgs::open`] for the instance tagged `instance`: its session
    /// key ids start with the tag.
    ///
    /// # Errors
    ///
    /// [`StartError`].
    pub fn open_as(&self, config: FrontDoorConfig, instance: InstanceTag) -> Result<Service, StartError> {
        for dir in [self.data_dir.clone(), self.key_dir()] {
            std::fs::create_dir_all(&dir).map_err(|source| StartError::DataDir { path: dir, source })?;
        }
        let keys_at = self.key_dir();
        let audit_key = match std::env::var_os(AUDIT_KEY_ENV) {
            Some(_) => load_key_env(AUDIT_KEY_ENV)?,
            None => load_or_create_key_file(keys_at.join("audit.key"))?,
        };
        let store = match &self.postgres {
            Some(url) => AnyStore::Postgres(PostgresStore::open(url, audit_key)?),
            None => AnyStore::Sqlite(SqliteStore::open(self.data_dir.join("state"), audit_key)?),
        };
        let table = store.api_key_table()?;
        let hashing = load_or_create_secret_file(keys_at.join("api-keys.key"), random_secret)?;
        let signing = load_or_create_secret_file(keys_at.join("offer-signing.key"), || {
            OfferSigner::generate_pkcs8().map_err(|_| KeyError::Random)
        })?;
        let signer = OfferSigner::from_pkcs8(&signing).map_err(|e| StartError::Sessions(e.to_string()))?;
        let sessions = SessionService::builder(SessionConfig {
            instance,
            ..SessionConfig::default()
        })
        .signer(signer)
        .build()
        .map_err(|e| StartError::Sessions(e.to_string()))?;
        let door = FrontDoor::open(config, store, sessions)?;
        Ok(Service {
            door: Arc::new(door),
            keys: ApiKeys::new(table, &hashing),
        })
    }
}

impl ServeArgs {
    /// The request limits these options ask for.
    pub fn limits(&self) -> Limits {
        let requests = &self.requests;
        // Clap-bounded (transfers to 128, small calls to 256, together
        // below tokio's 512 blocking threads): the conversions are lossless.
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Limits {
            max_upload: self.max_upload,
            session_suite: self.session_suite,
            client_address: ClientAddress {
                trusted_proxies: requests.trusted_proxy.clone(),
                header: requests.forwarded_header,
            },
            body_idle: Duration::from_secs(requests.body_idle_secs),
            response_stall: Duration::from_secs(requests.response_stall_secs),
            transfers: TransferLimits {
                overall: count(requests.max_transfers),
                per_principal: count(requests.max_transfers_per_principal),
            },
            max_blocking_calls: count(requests.max_blocking_calls),
            ..Limits::default()
        }
    }

    /// The TLS options, when `--tls-cert` and `--tls-key` are given.
    pub fn tls_options(&self) -> Option<TlsOptions> {
        Some(TlsOptions {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            allow_tls12: self.tls12,
        })
    }

    /// Refuses plain HTTP on an address other than loopback unless
    /// `--insecure-http` says it is meant.
    ///
    /// # Errors
    ///
    /// [`StartError::PlainHttp`].
    pub fn check_transport(&self) -> Result<(), StartError> {
        if self.tls_cert.is_none() && !self.insecure_http && !self.listen.ip().is_loopback() {
            return Err(StartError::PlainHttp(self.listen));
        }
        Ok(())
    }

    /// The connection limits these options ask for.
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            max_connections_per_source: usize::try_from(self.max_connections_per_source)
                .unwrap_or(usize::MAX),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        }
    }

    /// The front door's configuration these options ask for.
    pub fn front_door_config(&self) -> FrontDoorConfig {
        FrontDoorConfig {
            unlock_cache: (self.unlock_cache_secs > 0).then(|| Duration::from_secs(self.unlock_cache_secs)),
            download_suite: self.session_suite,
            ..FrontDoorConfig::default()
        }
    }
}

#[cfg(test)]
mod request_args_tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn serve_flags_become_the_request_limits() {
        let cli = Cli::try_parse_from([
            "coffer-server",
            "serve",
            "--trusted-proxy",
            "10.0.0.0/8,fd00::/8",
            "--trusted-proxy",
            "192.0.2.1",
            "--forwarded-header",
            "forwarded",
            "--body-idle-secs",
            "5",
            "--max-transfers",
            "4",
            "--max-transfers-per-principal",
            "2",
        ])
        .unwrap_or_else(|e| unreachable!("{e}"));
        let Command::Serve(serve) = cli.command else {
            unreachable!("serve was asked for")
        };
        let limits = serve.limits();
        assert_eq!(limits.client_address.trusted_proxies.len(), 3);
        assert_eq!(limits.client_address.header, ForwardedHeader::Forwarded);
        assert_eq!(limits.body_idle, Duration::from_secs(5));
        assert_eq!(
            limits.transfers,
            TransferLimits {
                overall: 4,
                per_principal: 2
            }
        );
        for refused in [
            &["serve", "--trusted-proxy", "10.0.0.0/40"][..],
            &["serve", "--max-transfers", "0"],
            &["serve", "--max-transfers", "1000"],
            &["serve", "--body-idle-secs", "0"],
        ] {
            let args = std::iter::once("coffer-server").chain(refused.iter().copied());
            assert!(Cli::try_parse_from(args).is_err(), "{refused:?}");
        }
    }
}
