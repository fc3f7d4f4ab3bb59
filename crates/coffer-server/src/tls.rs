//! TLS in the service: rustls (on `ring`, the workspace's crypto), TLS 1.3
//! only unless TLS 1.2 is asked for, ALPN `h2` and `http/1.1`, and a
//! certificate that can be replaced while the service runs.
//!
//! The certificate chain and key are read from PEM files. Every handshake
//! asks [`Certificates`] for the current pair, so a reload swaps it for the
//! next handshakes while connections already open keep theirs. A reload
//! happens on SIGHUP and when either file changes; changes are found by
//! polling the files' modification time, size and inode every few
//! seconds rather than with inotify: a poll is a stat of two files, needs
//! no extra dependency, sees the rename-over and symlink swaps that
//! certificate tools and Kubernetes secret mounts make (which inotify on
//! the file misses once the watched inode is replaced), and a reload a few
//! seconds late is harmless. A reload that fails (a key that does not
//! match, a file half-written) keeps the pair in use and is logged; the
//! next change tries again.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// Why the certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read or is not PEM of the expected kind.
    #[error("`{path}`: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The certificate file holds no certificate.
    #[error("`{path}` holds no certificate")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key is not the certificate's.
    #[error("the key in `{key}` does not match the certificate in `{cert}`")]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Where the certificate and key are and which versions to speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// The certificate chain, PEM, leaf first.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, SEC1 or PKCS#1).
    pub key: PathBuf,
    /// Also accept TLS 1.2 (TLS 1.3 only otherwise).
    pub allow_tls12: bool,
}

/// What identifies a file's version without reading it.
type Stamp = Option<(SystemTime, u64, u64)>;

fn stamp(path: &Path) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len(), meta.ino()))
}

/// The certificate and key in use, and where they come from.
pub struct Certificates {
    options: TlsOptions,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    seen: Mutex<(Stamp, Stamp)>,
}

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificates")
            .field("cert", &self.options.cert)
            .field("key", &self.options.key)
            .finish_non_exhaustive()
    }
}

impl Certificates {
    fn load(options: &TlsOptions, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
        let file_error = |path: &Path, e: &dyn fmt::Display| TlsError::File {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let chain = CertificateDer::pem_file_iter(&options.cert)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| file_error(&options.cert, &e))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                path: options.cert.clone(),
            });
        }
        let key = PrivateKeyDer::from_pem_file(&options.key).map_err(|e| file_error(&options.key, &e))?;
        let key = provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| file_error(&options.key, &e))?;
        let pair = CertifiedKey::new(chain, key);
        pair.keys_match().map_err(|_| TlsError::Mismatch {
            cert: options.cert.clone(),
            key: options.key.clone(),
        })?;
        Ok(pair)
    }

    /// Reads the files again and, if they hold a usable pair, serves it
    /// from the next handshake on. Blocks (file reads).
    ///
    /// # Errors
    ///
    /// [`TlsError`]: the pair in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) =
            (stamp(&self.options.cert), stamp(&self.options.key));
        let pair = Self::load(&self.options, &self.provider)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(pair);
        Ok(())
    }

    /// Whether either file changed since the last load. Blocks (a stat).
    fn changed(&self) -> bool {
        let now = (stamp(&self.options.cert), stamp(&self.options.key));
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) != now
    }

    /// Reloads on SIGHUP and whenever either file changed at a `poll` (zero:
    /// on SIGHUP only), until `stop`.
    ///
    /// # Errors
    ///
    /// The SIGHUP handler could not be installed.
    pub async fn watch(self: Arc<Self>, poll: Duration, stop: CancellationToken) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangup = signal(SignalKind::hangup())?;
        let polling = !poll.is_zero();
        let mut ticks = tokio::time::interval(poll.max(Duration::from_millis(100)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            let why = tokio::select! {
                () = stop.cancelled() => return Ok(()),
                _ = hangup.recv() => "SIGHUP",
                _ = ticks.tick(), if polling => "file change",
            };
            let this = Arc::clone(&self);
            let reloaded = tokio::task::spawn_blocking(move || {
                (why == "SIGHUP" || this.changed()).then(|| this.reload())
            })
            .await;
            match reloaded {
                Ok(Some(Ok(()))) => tracing::info!(why, "TLS certificate reloaded"),
                Ok(Some(Err(error))) => {
                    tracing::error!(why, %error, "TLS certificate not reloaded; the old one stays")
                }
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "TLS reload task failed"),
            }
        }
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

/// A TLS acceptor and the certificates it serves.
#[derive(Clone)]
pub struct Tls {
    /// Accepts connections (TLS 1.3, or 1.2 and 1.3; ALPN `h2`, `http/1.1`).
    pub acceptor: TlsAcceptor,
    /// The certificate and key in use; [`Certificates::reload`] replaces them.
    pub certificates: Arc<Certificates>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("certificates", &self.certificates)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Loads the certificate and key and builds the acceptor. Blocks (file
    /// reads).
    ///
    /// # Errors
    ///
    /// [`TlsError`] when a file cannot be read or the pair is unusable.
    pub fn new(options: TlsOptions) -> Result<Self, TlsError> {
        #[allow(
            deprecated,
            reason = "rustls deprecates its ring provider for want of a post-quantum key exchange \
                      (X25519MLKEM768); the only provider with one is aws-lc-rs, a C build under a \
                      licence deny.toml does not admit; key exchange is X25519 or the NIST curves \
                      until ring gains ML-KEM"
        )]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = if options.allow_tls12 {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13]
        };
        let seen = (stamp(&options.cert), stamp(&options.key));
        let pair = Certificates::load(&options, &provider)?;
        let certificates = Arc::new(Certificates {
            options,
            provider: Arc::clone(&provider),
            current: RwLock::new(Arc::new(pair)),
            seen: Mutex::new(seen),
        });
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&certificates) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certificates,
        })
    }
}
