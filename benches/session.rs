//! Session benches: issue with a warm pool, RSA redeem beside a raw `rsa`
//! OAEP decryption, ECDH issue and redeem, the sustained per-core session
//! rate with key generation counted, and pool refill beside raw RSA key
//! generation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a bench has no caller to report a setup failure to; bench functions are not an API"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use coffer::session::{
    client, Expected, IssueRequest, KeyGenError, KeyPool, ManualClock, OnEmpty, OsRsaKeyGenerator,
    PoolConfig, RsaBits, RsaKeyGenerator, SessionConfig, SessionService, StoreLimits, Suite,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use getrandom::SysRng;
use rsa::sha2::Sha256;
use rsa::{Oaep, PrivateKey};

const PURPOSE: &str = "unlock-project";
const BINDING: &str = "project-7";
/// Sessions issued between two untimed sweeps.
const BATCH: u64 = 1024;

/// Clones one pre-generated key, so the pool refills instantly and issue is
/// measured with a warm pool, never waiting on key generation.
#[derive(Debug)]
struct ClonedKey(PrivateKey);

impl RsaKeyGenerator for ClonedKey {
    fn generate(&self, _bits: RsaBits) -> Result<PrivateKey, KeyGenError> {
        Ok(self.0.clone())
    }
}

fn service(clock: Arc<ManualClock>, key: &PrivateKey) -> SessionService {
    let config = SessionConfig {
        store: StoreLimits {
            per_issuer: 1 << 20,
            capacity: 1 << 20,
            remembered: 0,
            ..StoreLimits::default()
        },
        pool: PoolConfig {
            depth_2048: usize::try_from(BATCH).unwrap(),
            depth_3072: 0,
            workers: 1,
            on_empty: OnEmpty::Busy,
        },
        ..SessionConfig::default()
    };
    SessionService::builder(config)
        .clock(clock)
        .key_generator(Arc::new(ClonedKey(key.clone())))
        .build()
        .unwrap()
}

/// Times `iters` issues in batches, sweeping (untimed) between batches.
fn time_issues(service: &SessionService, clock: &ManualClock, suite: Suite, iters: u64) -> Duration {
    let request = IssueRequest::new(suite, PURPOSE, BINDING, "bench");
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH);
        assert!(service.pool().wait_until_full(Duration::from_secs(60)));
        let start = Instant::now();
        for _ in 0..n {
            black_box(service.issue(&request).unwrap());
        }
        total += start.elapsed();
        clock.advance(service.config().ttl);
        service.sweep();
        left -= n;
    }
    total
}

fn benches(c: &mut Criterion) {
    let key = PrivateKey::new(&mut SysRng, 2048).unwrap();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let service = service(clock.clone(), &key);
    let expected = Expected::new(PURPOSE, BINDING);

    let mut issue = c.benchmark_group("issue");
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        issue.bench_function(suite.id(), |b| {
            b.iter_custom(|iters| time_issues(&service, &clock, suite, iters))
        });
    }
    issue.finish();

    let mut redeem = c.benchmark_group("redeem");
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        let request = IssueRequest::new(suite, PURPOSE, BINDING, "bench");
        redeem.bench_function(suite.id(), |b| {
            b.iter_batched(
                || {
                    service.pool().wait_until_full(Duration::from_secs(60));
                    client::encrypt(&service.issue(&request).unwrap(), b"correct horse battery staple")
                        .unwrap()
                },
                |message| black_box(service.redeem(&message, &expected).unwrap()),
                BatchSize::SmallInput,
            )
        });
    }
    let label = "coffer-session/v1|AAAAAAAAAAAAAAAAAAAAAA|unlock-project|project-7";
    let ciphertext = key
        .to_public_key()
        .encrypt(
            &mut SysRng,
            Oaep::<Sha256>::new_with_label(label.as_bytes()),
            b"correct horse battery staple",
        )
        .unwrap();
    redeem.bench_function("raw rsa 2048 oaep-sha256 decrypt (blinded)", |b| {
        b.iter(|| {
            black_box(
                key.decrypt_blinded(
                    &mut SysRng,
                    Oaep::<Sha256>::new_with_label(label.as_bytes()),
                    &ciphertext,
                )
                .unwrap(),
            )
        })
    });
    let round_trip = IssueRequest::new(Suite::EcdhP256, PURPOSE, BINDING, "bench");
    redeem.bench_function("ECDH-P256 issue + client + redeem", |b| {
        b.iter(|| {
            let offer = service.issue(&round_trip).unwrap();
            let message = client::encrypt(&offer, b"correct horse battery staple").unwrap();
            black_box(service.redeem(&message, &expected).unwrap())
        })
    });
    redeem.finish();

    sustained(c);

    let mut keygen = c.benchmark_group("keygen");
    keygen.sample_size(10);
    keygen.bench_function("pool refill rsa 2048 (1 worker), per key", |b| {
        b.iter_custom(|iters| {
            let depth = usize::try_from(iters).unwrap();
            let config = PoolConfig {
                depth_2048: depth,
                depth_3072: 0,
                workers: 1,
                on_empty: OnEmpty::Busy,
            };
            let start = Instant::now();
            let pool = KeyPool::start(config, Arc::new(OsRsaKeyGenerator)).unwrap();
            assert!(pool.wait_until_full(Duration::from_secs(3600)));
            start.elapsed()
        })
    });
    keygen.bench_function("raw rsa 2048 keygen", |b| {
        b.iter(|| black_box(PrivateKey::new(&mut SysRng, 2048).unwrap()))
    });
    keygen.finish();
}

/// The sustained RSA-2048 rate on one core: every session gets a freshly
/// generated key (no pool to draw on: the default generator runs inline in
/// issue, which is the work a pool worker would do), then the server
/// redeems. One iteration is the server's whole work for one session (issue
/// with key generation, redeem; the client's encryption is made untimed), so
/// 1 / time is sessions per second per core with pool refill counted. Uses
/// only the coffer API, so the same code measures any `rsa` version behind
/// it.
fn sustained(c: &mut Criterion) {
    let config = SessionConfig {
        pool: PoolConfig {
            depth_2048: 0,
            depth_3072: 0,
            workers: 0,
            on_empty: OnEmpty::GenerateInline,
        },
        ..SessionConfig::default()
    };
    let service = SessionService::new(config).unwrap();
    let expected = Expected::new(PURPOSE, BINDING);
    let mut group = c.benchmark_group("sustained");
    group.sample_size(10);
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        let request = IssueRequest::new(suite, PURPOSE, BINDING, "bench");
        group.bench_function(format!("{} session, key generation counted", suite.id()), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let offer = service.issue(&request).unwrap();
                    total += start.elapsed();
                    let message = client::encrypt(&offer, b"correct horse battery staple").unwrap();
                    let start = Instant::now();
                    black_box(service.redeem(&message, &expected).unwrap());
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(session, benches);
criterion_main!(session);
