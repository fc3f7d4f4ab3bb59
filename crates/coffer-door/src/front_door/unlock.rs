//! Unlocking project keys: with the password, through the optional cache
//! of unlocked keys, or from a member's grant with its identity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::session::keys::{unlock_project_key, Identity, OpenOptions, Password, ProjectKey};
use ring::hmac;
use ring::rand::SystemRandom;
use subtle::ConstantTimeEq;

use super::state::State;
use super::{MEMBER_CONTEXT, PROJECT_CONTEXT, TENANT_CONTEXT};
use crate::front_door::FrontDoorError;
use crate::policy::{Principal, PrincipalId, ProjectId, TenantId};
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

/// Opening options of a grant of `member` in `project`.
fn grant_options<'a>(
    identity: &'a Identity,
    tenant: &TenantId,
    project: &ProjectId,
    member: &PrincipalId,
) -> OpenOptions<'a> {
    OpenOptions::new()
        .identity(identity)
        .require_context(TENANT_CONTEXT, tenant.as_str().as_bytes())
        .require_context(PROJECT_CONTEXT, project.as_str().as_bytes())
        .require_context(MEMBER_CONTEXT, member.as_str().as_bytes())
}

/// The project key `version` of `project`, from the grant `state` holds
/// for `actor`, opened with `identity`. The grant must be sealed to the
/// actor's registered key and that key must be the identity's.
pub(super) fn unlock_grant(
    state: &State,
    actor: &Principal,
    (tenant, project): (&TenantId, &ProjectId),
    version: u32,
    identity: &Identity,
) -> Result<ProjectKey, FrontDoorError> {
    let no_grant = || FrontDoorError::NoGrant {
        member: actor.id.to_string(),
        version,
    };
    let registered = state.public_key(actor)?;
    let slot = (tenant.clone(), project.clone(), actor.id.clone(), version);
    let grant = state.grants.get(&slot).ok_or_else(no_grant)?;
    let fingerprint = identity.public_key().fingerprint();
    if grant.fingerprint != *fingerprint || registered.fingerprint != *fingerprint {
        return Err(no_grant());
    }
    let options = grant_options(identity, tenant, project, &actor.id);
    Ok(unlock_project_key(&grant.sealed, &options)?)
}
