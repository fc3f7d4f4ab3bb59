//! The session service: configuration, clock, store and key pool together.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ring::rand::SystemRandom;

use crate::clock::{Clock, SystemClock};
use crate::key_id::InstanceTag;
use crate::offer::OfferSigner;
use crate::pool::{KeyPool, OsRsaKeyGenerator, PoolConfig, PoolError, RsaKeyGenerator};
use crate::store::{MemorySessionStore, SessionStore, StoreLimits, StoreStats};
use crate::suite::Suite;

/// Service configuration. `SessionConfig::default()` is the recommended
/// setting; change what the deployment needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// How long an offer stays redeemable (default 300 s).
    pub ttl: Duration,
    /// This process's tag inside every key id it issues (default `[0, 0, 0]`).
    pub instance: InstanceTag,
    /// Longest secret accepted, in bytes (default 190, what RSA-2048 can
    /// carry); capped per suite by [`Suite::capacity`].
    pub max_secret_len: usize,
    /// Whether RSA offers may be issued without an OAEP label, for clients
    /// that send none (default `false`). Such sessions are still bound to
    /// their purpose and binding on the server side, but a ciphertext is not
    /// cryptographically tied to them.
    pub allow_unlabeled_rsa: bool,
    /// Limits of the embedded [`MemorySessionStore`] (ignored when another store
    /// is supplied to the builder).
    pub store: StoreLimits,
    /// RSA key pool configuration.
    pub pool: PoolConfig,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            instance: InstanceTag::default(),
            max_secret_len: Suite::RsaOaep2048.capacity(),
            allow_unlabeled_rsa: false,
            store: StoreLimits::default(),
            pool: PoolConfig::default(),
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The TTL is zero or longer than a day.
    #[error("the session ttl must be between 1 s and 24 h, not {0:?}")]
    Ttl(Duration),
    /// The secret limit is zero.
    #[error("the maximum secret length must be at least 1 byte")]
    MaxSecretLen,
    /// The key pool could not start.
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// Issues offers and redeems them: the entry point of this crate.
///
/// ```
/// use coffer_session::{client, ClientMessage, Expected, IssueRequest, SessionConfig, SessionService, Suite};
///
/// let mut config = SessionConfig::default();
/// config.pool.workers = 0; // this example only uses ECDH
/// let service = SessionService::new(config)?;
/// let offer = service.issue(&IssueRequest::new(Suite::EcdhP256, "unlock-project", "project-7", "alice"))?;
///
/// // The browser does this with Web Crypto; `client` is the Rust equivalent.
/// let message: ClientMessage = client::encrypt(&offer, b"correct horse")?;
///
/// let redeemed = service.redeem(&message, &Expected::new("unlock-project", "project-7"))?;
/// assert!(redeemed.secret().ct_eq(b"correct horse"));
/// // Single use: the same message is refused now.
/// assert!(service.redeem(&message, &Expected::new("unlock-project", "project-7")).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SessionService {
    pub(crate) config: SessionConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) pool: KeyPool,
    pub(crate) signer: Option<OfferSigner>,
    pub(crate) rng: SystemRandom,
}

impl SessionService {
    /// A service with the system clock, the in-memory store and the default
    /// RSA key generator; the pool starts filling at once.
    ///
    /// # Errors
    /// [`ConfigError`] for an unusable configuration.
    pub fn new(config: SessionConfig) -> Result<Self, ConfigError> {
        SessionServiceBuilder::new(config).build()
    }

    /// A builder to supply a clock, store, key generator or offer signer.
    pub fn builder(config: SessionConfig) -> SessionServiceBuilder {
        SessionServiceBuilder::new(config)
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The key pool (for warm-up and statistics).
    pub fn pool(&self) -> &KeyPool {
        &self.pool
    }

    /// The offer signer's public key, when offers are signed.
    pub fn signer_public_key(&self) -> Option<[u8; 32]> {
        self.signer.as_ref().map(OfferSigner::public_key)
    }

    /// Destroys expired sessions now; returns how many.
    pub fn sweep(&self) -> usize {
        self.store.sweep(self.clock.now())
    }

    /// Store occupancy.
    pub fn stats(&self) -> StoreStats {
        self.store.stats()
    }

    /// Stops the key pool, joining its threads and zeroizing pooled keys.
    /// Issuing RSA sessions fails afterwards; pending sessions can still be
    /// redeemed until the store is dropped (which destroys their keys).
    /// Dropping the service does the same.
    pub fn shutdown(&self) {
        self.pool.shutdown();
    }
}

impl fmt::Debug for SessionService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("config", &self.config)
            .field("store", &self.store)
            .field("pool", &self.pool)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SessionService`] with non-default parts.
#[derive(Debug)]
pub struct SessionServiceBuilder {
    config: SessionConfig,
    clock: Arc<dyn Clock>,
    store: Option<Arc<dyn SessionStore>>,
    generator: Arc<dyn RsaKeyGenerator>,
    signer: Option<OfferSigner>,
}

impl SessionServiceBuilder {
    fn new(config: SessionConfig) -> Self {
        Self {
            config,
            clock: Arc::new(SystemClock),
            store: None,
            generator: Arc::new(OsRsaKeyGenerator),
            signer: None,
        }
    }

    /// Uses `clock` instead of the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `store` instead of a [`MemorySessionStore`] with the configured limits.
    pub fn store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Uses `generator` for RSA keys (pool workers and inline generation).
    pub fn key_generator(mut self, generator: Arc<dyn RsaKeyGenerator>) -> Self {
        self.generator = generator;
        self
    }

    /// Signs every offer with `signer`.
    pub fn signer(mut self, signer: OfferSigner) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Checks the configuration and starts the key pool.
    ///
    /// # Errors
    /// [`ConfigError`] for an unusable configuration.
    pub fn build(self) -> Result<SessionService, ConfigError> {
        let config = self.config;
        if config.ttl.is_zero() || config.ttl > Duration::from_secs(86_400) {
            return Err(ConfigError::Ttl(config.ttl));
        }
        if config.max_secret_len == 0 {
            return Err(ConfigError::MaxSecretLen);
        }
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemorySessionStore::new(config.store)));
        let pool = KeyPool::start(config.pool, self.generator)?;
        Ok(SessionService {
            config,
            clock: self.clock,
            store,
            pool,
            signer: self.signer,
            rng: SystemRandom::new(),
        })
    }
}
