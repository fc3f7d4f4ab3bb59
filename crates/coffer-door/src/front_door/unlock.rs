//! The optional cache of unlocked project keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::session::keys::{unlock_project_key, Password, ProjectKey};
use ring::hmac;
use ring::rand::SystemRandom;
use subtle::ConstantTimeEq;

use crate::front_door::FrontDoorError;
use crate::policy::{ProjectId, TenantId};
use crate::store::ProjectRecord;

/// The name every project key carries; versions count rotations.
pub(crate) const PROJECT_KEY_NAME: &str = "project";

/// Tenant, project, the generation of its key versions, and the version.
/// A password change moves the generation, so a key cached under the old
/// password is never served after it.
type CacheKey = (TenantId, ProjectId, u64, u32);

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
            .map_err(|_| FrontDoorError::Keys(crate::session::keys::Error::Random))?;
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
        ctx.update(&key.3.to_be_bytes());
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
        let cache_key = (tenant.clone(), project.clone(), record.generation, version);
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
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // Keys of the project's other generations can never be served
        // again (or only to calls still on an older state): wipe them.
        entries.retain(|(t, p, g, _), _| !(t == tenant && p == project && *g != record.generation));
        entries.insert(cache_key, cached);
        Ok(key)
    }

    /// Forgets every cached key of a project (after a password change or
    /// rotation).
    pub(crate) fn forget(&self, tenant: &TenantId, project: &ProjectId) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(t, p, _, _), _| !(t == tenant && p == project));
    }

    /// Number of live entries.
    pub(crate) fn len(&self) -> usize {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, cached| cached.expires > now);
        entries.len()
    }
}
