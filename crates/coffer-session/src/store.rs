//! Where pending sessions wait: the [`SessionStore`] trait and its limits.

mod memory;

use std::fmt;
use std::time::{Duration, SystemTime};

pub use self::memory::MemorySessionStore;
use crate::key_id::SessionKeyId;
use crate::pending::PendingSession;
use crate::redeem::Expected;

/// Holds pending sessions in this process (private keys never leave it).
///
/// Implementations must be safe to share between threads and must make
/// [`SessionStore::take`] atomic: of any number of concurrent takes of one
/// key id, at most one gets [`Taken::Live`]; the issuer check and the
/// removal happen under the same lock (or transaction).
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Checks, without reserving, that a session for `issuer` of `tenant`
    /// would fit now, so an issuer or tenant over its share does not consume
    /// a pooled key.
    ///
    /// # Errors
    /// [`SessionStoreError::Full`], [`SessionStoreError::TenantFull`] or
    /// [`SessionStoreError::QuotaExceeded`].
    fn admit(&self, issuer: &str, tenant: Option<&str>, now: SystemTime) -> Result<(), SessionStoreError>;

    /// Stores `session` until it is taken or expires.
    ///
    /// # Errors
    /// [`SessionStoreError`] when over capacity or quota, or the key id is in use;
    /// the session (and its key) is then dropped.
    fn insert(&self, session: PendingSession, now: SystemTime) -> Result<(), SessionStoreError>;

    /// Removes the session named `key_id` and hands it over, or says why
    /// there is none. Expiry is the caller's check (the session is returned
    /// so it is destroyed either way).
    ///
    /// A live session that `expected` does not [own](Expected::owns)
    /// (another issuer or tenant) is neither removed nor returned: the
    /// answer is [`Taken::WrongIssuer`] and the session stays live for its
    /// own issuer.
    fn take(&self, key_id: &SessionKeyId, expected: &Expected<'_>, now: SystemTime) -> Taken;

    /// Destroys expired sessions and forgets old tombstones; returns how
    /// many sessions were destroyed.
    fn sweep(&self, now: SystemTime) -> usize;

    /// Current occupancy.
    fn stats(&self) -> StoreStats;
}

/// The outcome of [`SessionStore::take`].
#[derive(Debug)]
pub enum Taken {
    /// The session, now removed from the store.
    Live(Box<PendingSession>),
    /// The session is live but was issued to another issuer (or tenant)
    /// than expected; it was left in the store.
    WrongIssuer,
    /// The key was redeemed before.
    Used,
    /// The key expired and was swept before this request.
    Expired,
    /// No such key id.
    Unknown,
}

/// Store occupancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStats {
    /// Sessions holding a private key.
    pub live: usize,
    /// Remembered redeemed or expired key ids (no key material).
    pub tombstones: usize,
}

/// Why a session could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionStoreError {
    /// The store holds `capacity` live sessions already.
    #[error("the session store is full ({capacity} sessions)")]
    Full {
        /// The configured capacity.
        capacity: usize,
    },
    /// The tenant's issuers hold `capacity` live sessions already
    /// ([`StoreLimits::per_tenant`]).
    #[error("tenant `{tenant}` already holds {capacity} sessions")]
    TenantFull {
        /// The tenant.
        tenant: String,
        /// The configured per-tenant capacity.
        capacity: usize,
    },
    /// The issuer holds `quota` live sessions already.
    #[error("issuer `{issuer}` already holds {quota} sessions")]
    QuotaExceeded {
        /// The issuer.
        issuer: String,
        /// The configured per-issuer quota.
        quota: usize,
    },
    /// The key id is already live or remembered (a random collision).
    #[error("key id `{0}` is already in use")]
    DuplicateKeyId(SessionKeyId),
}

/// Limits of the [`MemorySessionStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Most live sessions at once (default 10 000).
    pub capacity: usize,
    /// Most live sessions per issuer (default 32); an issuer is counted
    /// within its tenant, so the same name in two tenants is two issuers.
    pub per_issuer: usize,
    /// Most live sessions of one tenant, all its issuers together (default
    /// 1 000, a tenth of the default capacity): however many principals one
    /// tenant has, it cannot take more than this share of the store, so
    /// other tenants can still issue. Sessions issued without a tenant
    /// ([`crate::IssueRequest::tenant`]) count only against `capacity` and
    /// `per_issuer`.
    pub per_tenant: usize,
    /// Most redeemed or expired key ids remembered to tell a replay from an
    /// unknown key (default 10 000; the oldest are forgotten first).
    pub remembered: usize,
    /// How long after its expiry a used or expired key id is remembered
    /// (default 300 s).
    pub remember_for: Duration,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            per_issuer: 32,
            per_tenant: 1_000,
            remembered: 10_000,
            remember_for: Duration::from_secs(300),
        }
    }
}
