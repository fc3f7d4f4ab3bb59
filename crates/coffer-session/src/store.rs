//! Where pending sessions wait: the [`SessionStore`] trait and its limits.

mod memory;

use std::fmt;
use std::time::{Duration, SystemTime};

pub use self::memory::MemoryStore;
use crate::key_id::KeyId;
use crate::pending::PendingSession;

/// Holds pending sessions in this process (private keys never leave it).
///
/// Implementations must be safe to share between threads and must make
/// [`SessionStore::take`] atomic: of any number of concurrent takes of one
/// key id, at most one gets [`Taken::Live`].
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Checks, without reserving, that a session for `issuer` would fit now,
    /// so an issuer over quota does not consume a pooled key.
    ///
    /// # Errors
    /// [`StoreError::Full`] or [`StoreError::QuotaExceeded`].
    fn admit(&self, issuer: &str, now: SystemTime) -> Result<(), StoreError>;

    /// Stores `session` until it is taken or expires.
    ///
    /// # Errors
    /// [`StoreError`] when over capacity or quota, or the key id is in use;
    /// the session (and its key) is then dropped.
    fn insert(&self, session: PendingSession, now: SystemTime) -> Result<(), StoreError>;

    /// Removes the session named `key_id` and hands it over, or says why
    /// there is none. Expiry is the caller's check (the session is returned
    /// so it is destroyed either way).
    fn take(&self, key_id: &KeyId, now: SystemTime) -> Taken;

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
pub enum StoreError {
    /// The store holds `capacity` live sessions already.
    #[error("the session store is full ({capacity} sessions)")]
    Full {
        /// The configured capacity.
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
    DuplicateKeyId(KeyId),
}

/// Limits of the [`MemoryStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Most live sessions at once (default 10 000).
    pub capacity: usize,
    /// Most live sessions per issuer (default 32).
    pub per_issuer: usize,
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
            remembered: 10_000,
            remember_for: Duration::from_secs(300),
        }
    }
}
