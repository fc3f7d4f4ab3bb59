//! Projects and their keys: creation, password change, rotation, and
//! moving a document to the current key version.

use std::sync::{Arc, PoisonError};

use coffer_session::keys::envelope::HeaderView;
use coffer_session::keys::{
    self, change_password_with, rewrap, seal_project_key, KeyId as KeyLayerId, OpenOptions, Password,
    ProjectKey, Recipient, Rewrap, SealOptions,
};

use super::guard::{Ask, Effects};
use super::header::project_key_version;
use super::staged::Staged;
use super::unlock::{ProjectRecord, PROJECT_KEY_NAME};
use super::{FrontDoor, FrontDoorError, Projects, PROJECT_CONTEXT, TENANT_CONTEXT};
use crate::audit::{AuditSink, KeyRef};
use crate::id::{DocumentId, KeyId, Principal, ProjectId, TenantId};
use crate::request::Attributes;
use crate::role::{Operation, Role};
use crate::suite::EnvelopeSuite;
use crate::target::Target;

pub(super) fn key_ref(id: &KeyLayerId) -> Option<KeyRef> {
    Some(KeyRef {
        id: KeyId::new(id.name()).ok()?,
        version: id.version(),
    })
}

/// The value of a staged change, which is kept.
pub(super) fn kept<T, G>((value, staged): (T, Staged<'_, G>)) -> T {
    staged.keep();
    value
}

pub(super) fn project_of(target: &Target, operation: Operation) -> Result<&ProjectId, FrontDoorError> {
    target.project().ok_or(FrontDoorError::WrongTarget {
        operation,
        needs: "project",
    })
}

pub(super) fn document_of(
    target: &Target,
    operation: Operation,
) -> Result<(&ProjectId, &DocumentId), FrontDoorError> {
    match (target.project(), target.document()) {
        (Some(p), Some(d)) => Ok((p, d)),
        _ => Err(FrontDoorError::WrongTarget {
            operation,
            needs: "document",
        }),
    }
}

fn unknown_project(slot: &(TenantId, ProjectId)) -> FrontDoorError {
    FrontDoorError::UnknownProject(slot.1.to_string())
}

fn record_mut<'p>(
    projects: &'p mut Projects,
    slot: &(TenantId, ProjectId),
) -> Result<&'p mut ProjectRecord, FrontDoorError> {
    projects.get_mut(slot).ok_or_else(|| unknown_project(slot))
}

impl<S: AuditSink> FrontDoor<S> {
    pub(super) fn seal_options(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<SealOptions, FrontDoorError> {
        Ok(SealOptions::new()
            .suite(self.config.suite)
            .chunk_log2(self.config.chunk_log2)
            .reader_limits(self.config.limits.clone())
            .password_iterations(self.config.password_iterations)?
            .reserved_context(TENANT_CONTEXT, tenant.as_str().as_bytes())?
            .reserved_context(PROJECT_CONTEXT, project.as_str().as_bytes())?)
    }

    fn seal_project(
        &self,
        key: &ProjectKey,
        tenant: &TenantId,
        project: &ProjectId,
        password: &Password,
    ) -> Result<Vec<u8>, FrontDoorError> {
        Ok(seal_project_key(
            key,
            &[Recipient::password(password)],
            &self.seal_options(tenant, project)?,
        )?)
    }

    /// Runs `f` on a project's record.
    fn with_project<T>(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        f: impl FnOnce(&ProjectRecord) -> Result<T, FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        let projects = self.projects.read().unwrap_or_else(PoisonError::into_inner);
        let slot = (tenant.clone(), project.clone());
        f(projects.get(&slot).ok_or_else(|| unknown_project(&slot))?)
    }

    pub(super) fn unlock(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        version: u32,
        password: &Password,
    ) -> Result<Arc<ProjectKey>, FrontDoorError> {
        // The read lock is held through PBKDF2 on purpose: a password change
        // takes the write lock to rewrap and forget cached keys, so no
        // unlock with the old password can finish, and be cached, after it.
        self.with_project(tenant, project, |record| {
            self.cache.unlock(tenant, project, record, version, password)
        })
    }

    pub(super) fn current_version(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<u32, FrontDoorError> {
        self.with_project(tenant, project, |record| Ok(record.current_version()))
    }

    /// Creates a project in the actor's tenant, protected by `password`,
    /// and makes the actor its Owner. Needs the Owner role on the tenant.
    pub fn create_project(
        &self,
        actor: &Principal,
        project: &ProjectId,
        password: &Password,
    ) -> Result<(), FrontDoorError> {
        let tenant = &actor.tenant;
        let decide_on = Target::for_tenant(tenant.clone());
        let record_as = Target::for_project(tenant.clone(), project.clone());
        let ask = Ask::new(actor, Operation::CreateProject, &decide_on).record_as(&record_as);
        self.guard_write(ask, |mut authorizer| {
            let key = ProjectKey::generate(PROJECT_KEY_NAME)?;
            let sealed = self.seal_project(&key, tenant, project, password)?;
            let mut projects = self.projects.write().unwrap_or_else(PoisonError::into_inner);
            let slot = (tenant.clone(), project.clone());
            if projects.contains_key(&slot) {
                return Err(FrontDoorError::ProjectExists(project.to_string()));
            }
            // Membership changes on a copy, swapped in whole, so a failure
            // leaves it as it was and undoing restores it.
            let mut membership = authorizer.membership().clone();
            membership.create_project(tenant, project)?;
            membership.grant(tenant, project, actor, Role::Owner)?;
            let before = std::mem::replace(authorizer.membership_mut(), membership);
            let ciphertext = sealed.len() as u64;
            projects.insert(
                slot.clone(),
                ProjectRecord {
                    sealed: vec![sealed],
                    generation: 0,
                },
            );
            let staged = Staged::new((projects, authorizer), move |(projects, authorizer)| {
                projects.remove(&slot);
                *authorizer.membership_mut() = before;
            });
            let effects = Effects {
                key: key_ref(key.id()),
                ciphertext: Some(ciphertext),
                ..Effects::default()
            };
            Ok((staged, effects))
        })
        .map(Staged::keep)
    }

    /// Changes a project's password: every key version is rewrapped (key
    /// section and header tag only); no document is touched. Owner only.
    pub fn change_password(
        &self,
        actor: &Principal,
        target: &Target,
        old: &Password,
        new: &Password,
    ) -> Result<(), FrontDoorError> {
        // Project keys are sealed with the configured suite; suite rules
        // (FIPS) judge the change against it.
        let attributes = Attributes {
            envelope_suite: EnvelopeSuite::try_from(self.config.suite).ok(),
            ..Attributes::default()
        };
        let ask = Ask::new(actor, Operation::ChangePassword, target).attributes(attributes);
        self.guard(ask, |_| {
            let project = project_of(target, Operation::ChangePassword)?;
            let tenant = target.tenant();
            let slot = (tenant.clone(), project.clone());
            let mut projects = self.projects.write().unwrap_or_else(PoisonError::into_inner);
            let record = record_mut(&mut projects, &slot)?;
            let options = OpenOptions::new()
                .password(old)
                .require_context(TENANT_CONTEXT, tenant.as_str().as_bytes())
                .require_context(PROJECT_CONTEXT, project.as_str().as_bytes());
            // All versions are rewrapped before any is replaced, so a failure
            // leaves the project as it was.
            let rewrapped = record
                .sealed
                .iter()
                .map(|sealed| {
                    let settings = Rewrap::new().password_iterations(self.config.password_iterations)?;
                    change_password_with(sealed, &options, new, settings)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let previous = std::mem::replace(&mut record.sealed, rewrapped);
            let generation = record.generation;
            record.generation += 1;
            self.cache.forget(tenant, project);
            let staged = Staged::new(projects, move |projects| {
                if let Some(record) = projects.get_mut(&slot) {
                    record.sealed = previous;
                    record.generation = generation;
                }
            });
            Ok((staged, Effects::default()))
        })
        .map(Staged::keep)
    }

    /// Rotates a project key: a new version becomes current for new
    /// documents; older versions still open older documents, which
    /// [`FrontDoor::rewrap_document`] moves to the current version. Owner
    /// only. Returns the new version.
    pub fn rotate_key(
        &self,
        actor: &Principal,
        target: &Target,
        password: &Password,
    ) -> Result<u32, FrontDoorError> {
        let ask = Ask::new(actor, Operation::RotateKey, target);
        self.guard(ask, |_| {
            let project = project_of(target, Operation::RotateKey)?;
            let tenant = target.tenant();
            // PBKDF2 runs without the projects lock, so another rotation or
            // a password change may land meanwhile; the new version is only
            // added to the state it was made from, else the work is redone
            // from the new state (whose password may no longer be this
            // one). Each retry follows a change that completed, so this
            // cannot spin forever.
            loop {
                let (version, generation) =
                    self.with_project(tenant, project, |r| Ok((r.current_version(), r.generation)))?;
                let current = self.unlock(tenant, project, version, password)?;
                let next = current.rotate()?;
                let sealed = self.seal_project(&next, tenant, project, password)?;
                let slot = (tenant.clone(), project.clone());
                let mut projects = self.projects.write().unwrap_or_else(PoisonError::into_inner);
                let record = record_mut(&mut projects, &slot)?;
                if record.generation != generation {
                    continue;
                }
                record.sealed.push(sealed);
                record.generation += 1;
                let version = record.current_version();
                let staged = Staged::new(projects, move |projects| {
                    if let Some(record) = projects.get_mut(&slot) {
                        record.sealed.pop();
                        record.generation = generation;
                    }
                });
                let effects = Effects {
                    key: key_ref(next.id()),
                    ..Effects::default()
                };
                return Ok(((version, staged), effects));
            }
        })
        .map(kept)
    }

    /// Moves a document envelope to the project's current key version,
    /// rewriting only its key section and header tag (the body bytes are
    /// unchanged). Needs the RotateKey permission.
    pub fn rewrap_document(
        &self,
        actor: &Principal,
        target: &Target,
        envelope: &[u8],
        password: &Password,
    ) -> Result<Vec<u8>, FrontDoorError> {
        let ask = Ask::new(actor, Operation::RotateKey, target);
        self.guard(ask, |_| {
            let (project, document) = document_of(target, Operation::RotateKey)?;
            let tenant = target.tenant();
            let view = HeaderView::parse_prefix(envelope, &self.config.limits).map_err(keys::Error::from)?;
            let version = project_key_version(&view)
                .ok_or_else(|| FrontDoorError::UnknownKeyVersion(PROJECT_KEY_NAME.to_owned()))?;
            let old = self.unlock(tenant, project, version, password)?;
            let new = self.unlock(tenant, project, self.current_version(tenant, project)?, password)?;
            let options = self.document_options(&old, tenant, project, document);
            let change = Rewrap::new()
                .remove_key(old.id())
                .add_recipient(Recipient::project_key(&new));
            let rewrapped = rewrap(envelope, &options, &change)?;
            let effects = Effects {
                key: key_ref(new.id()),
                ciphertext: Some(rewrapped.len() as u64),
                ..Effects::default()
            };
            Ok((rewrapped, effects))
        })
    }
}
