#![allow(dead_code, reason = "each test binary uses a different subset")]
//! Shared test fixtures: a clock, the standard request, and services whose
//! RSA keys are generated once per test binary and handed out as clones, so
//! tests do not pay ~0.3 s of key generation per session. Every session
//! still has its own key id and the single-use logic is unchanged; only the
//! "never the same key twice" promise of a real generator is waived.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use coffer_session::{
    Clock, Expected, IssueRequest, KeyGenError, ManualClock, OsRsaKeyGenerator, RsaBits, RsaKeyGenerator,
    SessionConfig, SessionService, SessionServiceBuilder, StoreLimits, StoreStats, Suite,
};
use rsa::PrivateKey;

static KEYS_2048: OnceLock<Vec<PrivateKey>> = OnceLock::new();
static KEYS_3072: OnceLock<Vec<PrivateKey>> = OnceLock::new();

fn keys(bits: RsaBits) -> &'static [PrivateKey] {
    let (cell, count) = match bits {
        RsaBits::B2048 => (&KEYS_2048, 2),
        RsaBits::B3072 => (&KEYS_3072, 1),
    };
    cell.get_or_init(|| {
        (0..count)
            .map(|_| OsRsaKeyGenerator.generate(bits).expect("rsa keygen"))
            .collect()
    })
}

/// Hands out clones of a few cached keys, counting calls.
#[derive(Debug, Default)]
pub(crate) struct CachedKeys {
    pub(crate) calls: AtomicUsize,
}

impl RsaKeyGenerator for CachedKeys {
    fn generate(&self, bits: RsaBits) -> Result<PrivateKey, KeyGenError> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let keys = keys(bits);
        Ok(keys[n % keys.len()].clone())
    }
}

/// Where [`manual_clock`] starts: a fixed, recent, whole second.
pub(crate) fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

/// A clock at [`start`].
pub(crate) fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(start()))
}

/// A builder with `clock` and cached RSA keys generated inline (no pool
/// threads), for tests that add a signer or their own generator.
pub(crate) fn builder(mut config: SessionConfig, clock: Arc<dyn Clock>) -> SessionServiceBuilder {
    config.pool.workers = 0;
    SessionService::builder(config)
        .clock(clock)
        .key_generator(Arc::new(CachedKeys::default()))
}

/// A service with cached RSA keys generated inline (no pool threads).
pub(crate) fn service_with(config: SessionConfig, clock: Arc<dyn Clock>) -> SessionService {
    builder(config, clock).build().expect("service")
}

/// Moves `clock` past every expiry and tombstone retention, sweeps, and
/// checks that the store holds nothing at all.
pub(crate) fn assert_store_forgets_everything(service: &SessionService, clock: &ManualClock) {
    clock.advance(service.config().ttl + service.config().store.remember_for);
    service.sweep();
    assert_eq!(service.stats(), StoreStats::default());
}

/// The purpose every test session is issued for.
pub(crate) const PURPOSE: &str = "unlock-project";
/// The binding every test session is issued for.
pub(crate) const BINDING: &str = "project-7";

/// A request from `alice` for [`PURPOSE`] and [`BINDING`].
pub(crate) fn request(suite: Suite) -> IssueRequest {
    IssueRequest::new(suite, PURPOSE, BINDING, "alice")
}

/// What a redeem of a [`request`] session expects.
pub(crate) fn expected() -> Expected<'static> {
    Expected::new(PURPOSE, BINDING)
}

/// A service that signs its offers with `signer` and may issue unlabeled
/// RSA offers.
pub(crate) fn signing_service(signer: coffer_session::OfferSigner) -> SessionService {
    let config = SessionConfig {
        allow_unlabeled_rsa: true,
        ..SessionConfig::default()
    };
    builder(config, manual_clock())
        .signer(signer)
        .build()
        .expect("service")
}

/// [`service_with`] the default configuration but `limits`.
pub(crate) fn service_with_limits(limits: StoreLimits, clock: Arc<dyn Clock>) -> SessionService {
    service_with(
        SessionConfig {
            store: limits,
            ..SessionConfig::default()
        },
        clock,
    )
}
