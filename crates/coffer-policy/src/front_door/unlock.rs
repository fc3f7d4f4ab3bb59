//! Project records and the optional cache of unlocked project keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use coffer_session::keys::{unlock_project_key, Password, ProjectKey};
use ring::hmac;
use ring::rand::SystemRandom;
use subtle::ConstantTimeEq;

use crate::front_door::FrontDoorError;
use crate::id::{ProjectId, TenantId};

/// The name every project key carries; versions count rotations.
pub(crate) const PROJECT_KEY_NAME: &str = "project";

/// A project's sealed key versions, oldest first (index = version - 1).
#[derive(Debug, Default)]
pub(crate) struct ProjectRecord {
    pub(crate) sealed: Vec<Vec<u8>>,
    /// Counts changes to `sealed` (rotations and password changes), so a
    /// change prepared without the lock can tell whether it still applies.
    pub(crate) generation: u64,
}

impl ProjectRecord {
    pub(crate) fn current_version(&self) -> u32 {
        u32::try_from(self.sealed.len()).unwrap_or(u32::MAX)
    }

    pub(crate) fn sealed(&self, version: u32) -> Option<&[u8]> {
        let index = usize::try_from(version.checked_sub(1)?).ok()?;
        self.sealed.get(index).map(Vec::as_slice)
    }
}

type CacheKey = (TenantId, ProjectId, u32);

struct Cached {
    password_tag: [u8; 32],
    key: Arc<ProjectKey>,
    expires: Instant,
}

/// Unlocked project keys, each kept for a window and usable only with the
/// same password that unlocked it.
///
/// The cache never answers without the password: it stores an HMAC of the
/// password under a key that lives only in this process, and a hit needs
/// the presented password to give the same tag (compared in constant time).
/// A wrong password therefore still fails, while the right one skips
/// PBKDF2. Expired entries are dropped, and their keys zeroized, on every
/// access.
pub(crate) struct UnlockCache {
    window: Option<Duration>,
    tag_key: hmac::Key,
    entries: Mutex<HashMap<CacheKey, Cached>>,
}

impl core::fmt::Debug for UnlockCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnlockCache")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl UnlockCache {
    pub(crate) fn new(window: Option<Duration>) -> Result<Self, FrontDoorError> {
        let tag_key = hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())
            .map_err(|_| FrontDoorError::Keys(coffer_session::keys::Error::Random))?;
        Ok(UnlockCache {
            window,
            tag_key,
            entries: Mutex::new(HashMap::new()),
        })
    }

    fn tag(&self, key: &CacheKey, password: &Password) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.tag_key);
        for part in [key.0.as_str().as_bytes(), key.1.as_str().as_bytes()] {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
        ctx.update(&key.2.to_be_bytes());
        ctx.update(password.expose_secret());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }

    /// The project key `version` of `record`, from the cache when the same
    /// password unlocked it within the window, else by unlocking it.
    pub(crate) fn unlock(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        record: &ProjectRecord,
        version: u32,
        password: &Password,
    ) -> Result<Arc<ProjectKey>, FrontDoorError> {
        let sealed = record
            .sealed(version)
            .ok_or_else(|| FrontDoorError::UnknownKeyVersion(format!("{PROJECT_KEY_NAME}:{version}")))?;
        let Some(window) = self.window else {
            return Ok(Arc::new(unlock_project_key(sealed, password)?));
        };
        let cache_key = (tenant.clone(), project.clone(), version);
        let tag = self.tag(&cache_key, password);
        let now = Instant::now();
        {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            entries.retain(|_, cached| cached.expires > now);
            if let Some(cached) = entries.get(&cache_key) {
                if bool::from(cached.password_tag.ct_eq(&tag)) {
                    return Ok(Arc::clone(&cached.key));
                }
            }
        }
        let key = Arc::new(unlock_project_key(sealed, password)?);
        let cached = Cached {
            password_tag: tag,
            key: Arc::clone(&key),
            expires: now + window,
        };
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(cache_key, cached);
        Ok(key)
    }

    /// Forgets every cached key of a project (after a password change or
    /// rotation).
    pub(crate) fn forget(&self, tenant: &TenantId, project: &ProjectId) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(t, p, _), _| !(t == tenant && p == project));
    }

    /// Number of live entries.
    pub(crate) fn len(&self) -> usize {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, cached| cached.expires > now);
        entries.len()
    }
}
