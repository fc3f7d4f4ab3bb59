//! Fixtures shared by coffer's tests and benches, so that each exists once.
//!
//! Dev-only (`publish = false`): a crate names it under
//! `[dev-dependencies]`. It sits on `coffer-door`, the lowest layer its
//! fixtures need, and serves the door's, the store's and the service's
//! tests and the workspace benches. (An integration test of `coffer-door`
//! links the same `coffer-door` this crate does, so the cycle through
//! dev-dependencies is harmless there.)
//!
//! ```
//! use coffer_testkit::{bench_door, fast_config, sessions};
//! use coffer_door::audit::AuditKey;
//! use coffer_door::MemoryStore;
//!
//! let door = bench_door(MemoryStore::new(AuditKey::from_bytes([9; 32])).unwrap());
//! assert_eq!(door.target.document().as_str(), "payslip");
//! # let _ = (fast_config(), sessions());
//! ```
#![forbid(unsafe_code)]

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use coffer_door::audit::ChainId;

use coffer_door::keys::Password;
use coffer_door::policy::{DocumentId, DocumentRef, Principal, PrincipalId, ProjectId, Role, TenantId};
use coffer_door::session::{OnEmpty, PoolConfig, SessionConfig, SessionService, Suite};
use coffer_door::store::{EnvelopeId, StagedEnvelope};
use coffer_door::{FrontDoor, FrontDoorConfig, Store, StoreError, Transaction};

/// The project password the fixtures use.
pub const PASSWORD: &str = "correct horse battery staple";

/// A session service for tests: no background RSA generation (it would
/// compete with the test for the cores), and an RSA key made inline when
/// an RSA offer is asked for.
///
/// # Panics
///
/// When the session service cannot be built, which the default
/// configuration never causes.
#[allow(
    clippy::expect_used,
    reason = "a fixture has no caller to report a setup failure to"
)]
pub fn sessions() -> SessionService {
    SessionService::new(SessionConfig {
        pool: PoolConfig {
            workers: 0,
            on_empty: OnEmpty::GenerateInline,
            ..PoolConfig::default()
        },
        ..SessionConfig::default()
    })
    .expect("the default session configuration builds")
}

/// ECDH download offers and a one-minute unlock cache: fast, and what the
/// cache is for (many operations with the same password).
pub fn fast_config() -> FrontDoorConfig {
    FrontDoorConfig {
        download_suite: Suite::EcdhP256,
        unlock_cache: Some(Duration::from_secs(60)),
        ..FrontDoorConfig::default()
    }
}

/// A front door for benches, with what one measured call needs.
#[derive(Debug)]
pub struct BenchDoor<S: Store> {
    /// The door.
    pub door: FrontDoor<S>,
    /// Tenant `acme`'s Owner `olga`.
    pub owner: Principal,
    /// The document `payroll/payslip`.
    pub target: DocumentRef,
    /// The project password ([`PASSWORD`]).
    pub password: Password,
}

/// Tenant `acme`, its Owner `olga`, project `payroll` created, downloads
/// over ECDH, the unlock cache on for an hour (a bench measures the call,
/// not PBKDF2), no background RSA generation competing with the
/// measurement.
///
/// # Panics
///
/// When the store cannot be set up or the project not created: a bench
/// has no caller to report that to.
#[allow(
    clippy::expect_used,
    reason = "a fixture has no caller to report a setup failure to"
)]
pub fn bench_door<S: Store>(store: S) -> BenchDoor<S> {
    let acme = TenantId::new("acme").expect("a valid tenant id");
    let owner = Principal::new(
        acme.clone(),
        PrincipalId::new("olga").expect("a valid principal id"),
    );
    let config = FrontDoorConfig {
        unlock_cache: Some(Duration::from_secs(3600)),
        ..fast_config()
    };
    let door = FrontDoor::setup(config, store, sessions())
        .tenant_role(&owner, Role::Owner)
        .open()
        .expect("the bench store opens");
    let payroll = ProjectId::new("payroll").expect("a valid project id");
    let password = Password::new(PASSWORD);
    door.create_project(&owner, &payroll, &password)
        .expect("the bench project is created");
    BenchDoor {
        door,
        owner,
        target: DocumentRef::new(
            acme,
            payroll,
            DocumentId::new("payslip").expect("a valid document id"),
        ),
        password,
    }
}

/// What [`Hooked`] runs before its chosen transaction.
type Hook = Box<dyn FnOnce() + Send>;

/// A handle on a store that runs a hook just before a chosen transaction of
/// its own: another instance's call, made to land between a call's decision
/// and its commit (the races of several front doors on one store).
pub struct Hooked<S: Store> {
    inner: S,
    countdown: AtomicUsize,
    hook: Mutex<Option<Hook>>,
}

impl<S: Store> std::fmt::Debug for Hooked<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooked").finish_non_exhaustive()
    }
}

impl<S: Store> Hooked<S> {
    /// `inner`, with no hook set.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            countdown: AtomicUsize::new(usize::MAX),
            hook: Mutex::new(None),
        }
    }

    /// Runs `hook` before the `n`th transaction from now (1: the next).
    pub fn before(&self, n: usize, hook: impl FnOnce() + Send + 'static) {
        *self.hook.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(hook));
        self.countdown.store(n, Ordering::SeqCst);
    }
}

impl<S: Store> Store for Hooked<S> {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.countdown.fetch_sub(1, Ordering::SeqCst) == 1 {
            if let Some(hook) = self.hook.lock().unwrap_or_else(PoisonError::into_inner).take() {
                hook();
            }
        }
        self.inner.transaction(work)
    }

    fn chain_id(&self) -> ChainId {
        self.inner.chain_id()
    }

    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError> {
        self.inner.stage_envelope()
    }

    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn Read + '_>, StoreError> {
        self.inner.read_envelope(id)
    }

    fn release_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        self.inner.release_envelope(id)
    }

    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        self.inner.sweep_envelopes()
    }
}
