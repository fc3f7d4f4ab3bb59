//! The embedded store: a mutex around maps, with an expiry index.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use super::{SessionStore, SessionStoreError, StoreLimits, StoreStats, Taken};
use crate::key_id::SessionKeyId;
use crate::pending::PendingSession;
use crate::redeem::Expected;

/// An issuer within its tenant: the unit of the per-issuer quota.
type IssuerKey = (Option<String>, String);

fn issuer_key(issuer: &str, tenant: Option<&str>) -> IssuerKey {
    (tenant.map(str::to_owned), issuer.to_owned())
}

/// What a remembered key id ended as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Used,
    Expired,
}

#[derive(Debug, Default)]
struct Inner {
    live: HashMap<SessionKeyId, PendingSession>,
    live_by_expiry: BTreeSet<(SystemTime, SessionKeyId)>,
    per_issuer: HashMap<IssuerKey, usize>,
    per_tenant: HashMap<String, usize>,
    tombstones: HashMap<SessionKeyId, Fate>,
    /// Forget time, then insertion order (ties under a coarse or manual
    /// clock must still evict the oldest first).
    tombstones_by_forget: BTreeSet<(SystemTime, u64, SessionKeyId)>,
    tombstone_seq: u64,
}

/// The in-memory [`SessionStore`]: capacity, per-tenant capacity, per-issuer
/// quota, expiry index, and tombstones that tell a replay from an unknown
/// key.
///
/// Sweeping is amortised: every insert first destroys the sessions that have
/// expired, so the store never fills with dead keys even if nobody calls
/// [`SessionStore::sweep`].
#[derive(Debug)]
pub struct MemorySessionStore {
    limits: StoreLimits,
    inner: Mutex<Inner>,
}

impl MemorySessionStore {
    /// An empty store with `limits`.
    pub fn new(limits: StoreLimits) -> Self {
        Self {
            limits,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The limits this store enforces.
    pub fn limits(&self) -> &StoreLimits {
        &self.limits
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated
        // in a way that grants a second use: every removal happens first.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self::new(StoreLimits::default())
    }
}

impl Inner {
    fn check_room(
        &self,
        limits: &StoreLimits,
        issuer: &str,
        tenant: Option<&str>,
    ) -> Result<(), SessionStoreError> {
        if self.live.len() >= limits.capacity {
            return Err(SessionStoreError::Full {
                capacity: limits.capacity,
            });
        }
        if let Some(tenant) = tenant {
            if self.per_tenant.get(tenant).copied().unwrap_or(0) >= limits.per_tenant {
                return Err(SessionStoreError::TenantFull {
                    tenant: tenant.to_owned(),
                    capacity: limits.per_tenant,
                });
            }
        }
        if self
            .per_issuer
            .get(&issuer_key(issuer, tenant))
            .copied()
            .unwrap_or(0)
            >= limits.per_issuer
        {
            return Err(SessionStoreError::QuotaExceeded {
                issuer: issuer.to_owned(),
                quota: limits.per_issuer,
            });
        }
        Ok(())
    }

    /// Removes a live session and its index entries.
    fn remove_live(&mut self, key_id: &SessionKeyId) -> Option<PendingSession> {
        let session = self.live.remove(key_id)?;
        let meta = session.meta();
        self.live_by_expiry.remove(&(meta.expires_at, *key_id));
        release(
            &mut self.per_issuer,
            &issuer_key(&meta.issuer, meta.tenant.as_deref()),
        );
        if let Some(tenant) = &meta.tenant {
            release(&mut self.per_tenant, tenant);
        }
        Some(session)
    }

    fn remember(&mut self, limits: &StoreLimits, key_id: SessionKeyId, fate: Fate, expires_at: SystemTime) {
        if limits.remembered == 0 {
            return;
        }
        while self.tombstones.len() >= limits.remembered {
            let Some(oldest) = self.tombstones_by_forget.pop_first() else {
                break;
            };
            self.tombstones.remove(&oldest.2);
        }
        // A retention past the end of time means "until evicted by count".
        let forget_at = expires_at.checked_add(limits.remember_for).unwrap_or(expires_at);
        self.tombstone_seq += 1;
        self.tombstones.insert(key_id, fate);
        self.tombstones_by_forget
            .insert((forget_at, self.tombstone_seq, key_id));
    }

    /// Moves expired live sessions out (to be dropped outside the lock) and
    /// forgets tombstones past their time.
    fn expire(&mut self, limits: &StoreLimits, now: SystemTime, dead: &mut Vec<PendingSession>) {
        while let Some(&(expires_at, key_id)) = self.live_by_expiry.first() {
            if expires_at > now {
                break;
            }
            if let Some(session) = self.remove_live(&key_id) {
                dead.push(session);
            }
            self.remember(limits, key_id, Fate::Expired, expires_at);
        }
        while let Some(&(forget_at, _, key_id)) = self.tombstones_by_forget.first() {
            if forget_at > now {
                break;
            }
            self.tombstones_by_forget.pop_first();
            self.tombstones.remove(&key_id);
        }
    }
}

/// Decrements a live-session count, forgetting it at zero.
fn release<K, Q>(counts: &mut HashMap<K, usize>, name: &Q)
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
{
    if let Some(count) = counts.get_mut(name) {
        *count -= 1;
        if *count == 0 {
            counts.remove(name);
        }
    }
}

impl SessionStore for MemorySessionStore {
    fn admit(&self, issuer: &str, tenant: Option<&str>, now: SystemTime) -> Result<(), SessionStoreError> {
        let mut dead = Vec::new();
        let mut inner = self.lock();
        inner.expire(&self.limits, now, &mut dead);
        inner.check_room(&self.limits, issuer, tenant)
    }

    fn insert(&self, session: PendingSession, now: SystemTime) -> Result<(), SessionStoreError> {
        let mut dead = Vec::new();
        let mut inner = self.lock();
        inner.expire(&self.limits, now, &mut dead);
        let meta = session.meta();
        inner.check_room(&self.limits, &meta.issuer, meta.tenant.as_deref())?;
        let key_id = meta.key_id;
        if inner.live.contains_key(&key_id) || inner.tombstones.contains_key(&key_id) {
            return Err(SessionStoreError::DuplicateKeyId(key_id));
        }
        inner.live_by_expiry.insert((meta.expires_at, key_id));
        *inner
            .per_issuer
            .entry(issuer_key(&meta.issuer, meta.tenant.as_deref()))
            .or_insert(0) += 1;
        if let Some(tenant) = &meta.tenant {
            *inner.per_tenant.entry(tenant.clone()).or_insert(0) += 1;
        }
        inner.live.insert(key_id, session);
        Ok(())
    }

    fn take(&self, key_id: &SessionKeyId, expected: &Expected<'_>, _now: SystemTime) -> Taken {
        let mut inner = self.lock();
        // Checked under the same lock as the removal below.
        if let Some(session) = inner.live.get(key_id) {
            if !expected.owns(session.meta()) {
                return Taken::WrongIssuer;
            }
        }
        if let Some(session) = inner.remove_live(key_id) {
            let expires_at = session.meta().expires_at;
            inner.remember(&self.limits, *key_id, Fate::Used, expires_at);
            return Taken::Live(Box::new(session));
        }
        match inner.tombstones.get(key_id) {
            Some(Fate::Used) => Taken::Used,
            Some(Fate::Expired) => Taken::Expired,
            None => Taken::Unknown,
        }
    }

    fn sweep(&self, now: SystemTime) -> usize {
        let mut dead = Vec::new();
        self.lock().expire(&self.limits, now, &mut dead);
        dead.len()
    }

    fn stats(&self) -> StoreStats {
        let inner = self.lock();
        StoreStats {
            live: inner.live.len(),
            tombstones: inner.tombstones.len(),
        }
    }
}
