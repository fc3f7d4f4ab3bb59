//! The RSA key pool: depth, refill, empty behaviour and shutdown.

use crate::fixtures;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coffer_session::{
    IssueError, KeyGenError, KeyPool, OnEmpty, OsRsaKeyGenerator, PoolConfig, PoolError, RsaBits,
    RsaKeyGenerator, SessionConfig, SessionService, Suite,
};
use fixtures::{request, CachedKeys};
use rsa::traits::PublicKeyParts;
use rsa::PrivateKey;

const WAIT: Duration = Duration::from_secs(60);

fn config(depth_2048: usize, depth_3072: usize, workers: usize, on_empty: OnEmpty) -> PoolConfig {
    PoolConfig {
        depth_2048,
        depth_3072,
        workers,
        on_empty,
    }
}

#[test]
fn workers_fill_each_size_to_its_depth_and_refill_after_take() {
    let generator = Arc::new(CachedKeys::default());
    let pool = KeyPool::start(config(3, 1, 2, OnEmpty::Busy), generator.clone()).unwrap();
    assert!(pool.wait_until_full(WAIT));
    let stats = pool.stats();
    assert_eq!((stats.ready_2048, stats.ready_3072, stats.generated), (3, 1, 4));

    let key = pool.take(RsaBits::B3072).unwrap();
    assert_eq!(key.size(), 384);
    assert_eq!(pool.take(RsaBits::B2048).unwrap().size(), 256);
    assert!(pool.wait_until_full(WAIT));
    assert_eq!(pool.stats().generated, 6);
    // Full pools stop generating.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(generator.calls.load(Ordering::Relaxed), 6);
}

#[test]
fn an_empty_pool_is_busy_or_generates_inline_as_configured() {
    let generator = Arc::new(CachedKeys::default());
    let busy = KeyPool::start(config(2, 0, 0, OnEmpty::Busy), generator.clone()).unwrap();
    assert_eq!(
        busy.take(RsaBits::B2048).unwrap_err(),
        PoolError::Busy(RsaBits::B2048)
    );
    assert_eq!(generator.calls.load(Ordering::Relaxed), 0);

    let inline = KeyPool::start(config(2, 0, 0, OnEmpty::GenerateInline), generator.clone()).unwrap();
    assert_eq!(inline.take(RsaBits::B2048).unwrap().size(), 256);
    assert_eq!(generator.calls.load(Ordering::Relaxed), 1);

    let session_config = SessionConfig {
        pool: config(2, 0, 0, OnEmpty::Busy),
        ..SessionConfig::default()
    };
    let service = SessionService::builder(session_config)
        .key_generator(generator)
        .build()
        .unwrap();
    let refused = service.issue(&request(Suite::RsaOaep2048)).unwrap_err();
    assert_eq!(refused, IssueError::Pool(PoolError::Busy(RsaBits::B2048)));
    assert_eq!(service.stats().live, 0);
    // ECDH needs no pool.
    assert!(service.issue(&request(Suite::EcdhP256)).is_ok());
}

#[test]
fn shutdown_joins_workers_and_empties_the_pool() {
    let generator = Arc::new(CachedKeys::default());
    let pool = KeyPool::start(config(4, 0, 2, OnEmpty::GenerateInline), generator.clone()).unwrap();
    assert!(pool.wait_until_full(WAIT));
    pool.shutdown();
    let stats = pool.stats();
    assert_eq!((stats.ready_2048, stats.ready_3072), (0, 0));
    assert_eq!(pool.take(RsaBits::B2048).unwrap_err(), PoolError::ShutDown);
    let calls = generator.calls.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        generator.calls.load(Ordering::Relaxed),
        calls,
        "no worker is left running"
    );
    pool.shutdown(); // idempotent
    assert!(!pool.wait_until_full(Duration::from_millis(10)));
}

#[derive(Debug, Default)]
struct Failing {
    calls: AtomicUsize,
}

impl RsaKeyGenerator for Failing {
    fn generate(&self, _bits: RsaBits) -> Result<PrivateKey, KeyGenError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Err(KeyGenError)
    }
}

#[test]
fn a_failing_generator_is_counted_and_backed_off() {
    let generator = Arc::new(Failing::default());
    let pool = KeyPool::start(config(1, 0, 1, OnEmpty::GenerateInline), generator.clone()).unwrap();
    std::thread::sleep(Duration::from_millis(350));
    let failures = pool.stats().failures;
    assert!(
        (1..=6).contains(&failures),
        "{failures} failures in 350 ms: no back-off"
    );
    assert_eq!(
        pool.take(RsaBits::B2048).unwrap_err(),
        PoolError::Generation(KeyGenError)
    );
}

#[test]
fn the_default_generator_makes_real_keys_in_the_background() {
    let pool = KeyPool::start(config(1, 0, 1, OnEmpty::Busy), Arc::new(OsRsaKeyGenerator)).unwrap();
    assert!(pool.wait_until_full(WAIT));
    let first = pool.take(RsaBits::B2048).unwrap();
    assert_eq!(first.size(), 256);
    assert!(first.validate().is_ok());
    assert!(pool.wait_until_full(WAIT));
    let second = pool.take(RsaBits::B2048).unwrap();
    assert_ne!(first.n(), second.n());
}
