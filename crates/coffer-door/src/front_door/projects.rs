//! Projects and their keys: creation, password change, rotation, and
//! moving a document to the current key version.

use std::sync::Arc;

use crate::session::keys::envelope::HeaderView;
use crate::session::keys::{
    self, change_password_with, rewrap, seal_project_key, KeyId as KeyLayerId, OpenOptions, Password,
    ProjectKey, Recipient, Rewrap, SealOptions,
};

use super::guard::{Ask, Call, Effects};
use super::header::project_key_version;
use super::sessions::PasswordCredential;
use super::unlock::{UnlockCache, PROJECT_KEY_NAME};
use super::{FrontDoor, FrontDoorError, PROJECT_CONTEXT, TENANT_CONTEXT};
use crate::audit::KeyRef;
use crate::policy::Attributes;
use crate::policy::EnvelopeSuite;
use crate::policy::Operation;
use crate::policy::{DocumentRef, KeyId, Principal, ProjectId, ProjectRef, Target, TenantId};
use crate::store::{Change, Store};

pub(super) fn key_ref(id: &KeyLayerId) -> Option<KeyRef> {
    Some(KeyRef {
        id: KeyId::new(id.name()).ok()?,
        version: id.version(),
    })
}

impl<S: Store> FrontDoor<S> {
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

    /// Creates a project in the actor's tenant, protected by `password`,
    /// and makes the actor its Owner. Needs the Owner role on the tenant.
    pub fn create_project<'c>(
        &self,
        actor: &Principal,
        project: &ProjectId,
        password: impl Into<PasswordCredential<'c>>,
    ) -> Result<(), FrontDoorError> {
        let tenant = &actor.tenant;
        let created = ProjectRef::new(tenant.clone(), project.clone());
        let password = self.password(actor, &created, password.into())?;
        let decide_on = Target::for_tenant(tenant.clone());
        let record_as = Target::for_project(tenant.clone(), project.clone());
        let ask = Ask::new(actor, Operation::CreateProject, &decide_on).record_as(&record_as);
        self.guard(ask, |call| {
            if call.state().project(tenant, project).is_ok() {
                return Err(FrontDoorError::ProjectExists(project.to_string()));
            }
            let key = ProjectKey::generate(PROJECT_KEY_NAME)?;
            let sealed = self.seal_project(&key, tenant, project, &password)?;
            let effects = Effects {
                key: key_ref(key.id()),
                ciphertext: Some(sealed.len() as u64),
                ..Effects::default()
            };
            // The store refuses it if another call created it meanwhile.
            call.change(Change::CreateProject {
                tenant: tenant.clone(),
                project: project.clone(),
                owner: actor.clone(),
                sealed,
            });
            Ok(((), effects))
        })
    }

    /// Changes a project's password: every key version is rewrapped (key
    /// section and header tag only); no document is touched. Owner only.
    pub fn change_password<'o, 'n>(
        &self,
        actor: &Principal,
        project: &ProjectRef,
        old: impl Into<PasswordCredential<'o>>,
        new: impl Into<PasswordCredential<'n>>,
    ) -> Result<(), FrontDoorError> {
        let old = self.password(actor, project, old.into())?;
        let new = self.password(actor, project, new.into())?;
        let (old, new): (&Password, &Password) = (&old, &new);
        // Project keys are sealed with the configured suite; suite rules
        // (FIPS) judge the change against it.
        let attributes = Attributes {
            envelope_suite: EnvelopeSuite::try_from(self.config.suite).ok(),
            ..Attributes::default()
        };
        let target = Target::from(project);
        let ask = Ask::new(actor, Operation::ChangePassword, &target).attributes(attributes);
        let (tenant, project) = (project.tenant(), project.project());
        self.guard(ask, |call| {
            let record = call.state().project(tenant, project)?;
            let options = OpenOptions::new()
                .password(old)
                .require_context(TENANT_CONTEXT, tenant.as_str().as_bytes())
                .require_context(PROJECT_CONTEXT, project.as_str().as_bytes());
            // Every version is rewrapped before the change is staged; the
            // store applies it only to the generation they were read at.
            let rewrapped = record
                .sealed
                .iter()
                .map(|sealed| {
                    let settings = Rewrap::new().password_iterations(self.config.password_iterations)?;
                    change_password_with(sealed, &options, new, settings)
                })
                .collect::<Result<Vec<_>, _>>()?;
            call.change(Change::ReplaceVersions {
                tenant: tenant.clone(),
                project: project.clone(),
                expected_generation: record.generation,
                sealed: rewrapped,
            });
            Ok(((), Effects::default()))
        })?;
        // Keys cached under the old password belong to the old generation
        // and are never served again; this also wipes them now.
        self.cache.forget(tenant, project);
        Ok(())
    }

    /// Rotates a project key: a new version becomes current for new
    /// documents; older versions still open older documents, which
    /// [`FrontDoor::rewrap_document`] moves to the current version. Owner
    /// only. Returns the new version.
    pub fn rotate_key<'c>(
        &self,
        actor: &Principal,
        project: &ProjectRef,
        password: impl Into<PasswordCredential<'c>>,
    ) -> Result<u32, FrontDoorError> {
        let password = self.password(actor, project, password.into())?;
        let password: &Password = &password;
        let target = Target::from(project);
        let ask = Ask::new(actor, Operation::RotateKey, &target);
        let grants_of = project;
        let (tenant, project) = (project.tenant(), project.project());
        self.guard(ask, |call| {
            // PBKDF2 and sealing run outside any transaction; the new
            // version is added only to the generation it was made from, so
            // of two racing rotations (or a rotation and a password change)
            // one wins and the other is a conflict.
            let record = call.state().project(tenant, project)?;
            let (version, generation) = (record.current_version(), record.generation);
            let current = call.unlock(tenant, project, version, password)?;
            let next = current.rotate()?;
            let sealed = self.seal_project(&next, tenant, project, password)?;
            let grants = self.reseal_grants(call.state(), actor, grants_of, &next)?;
            call.change(Change::AddVersion {
                tenant: tenant.clone(),
                project: project.clone(),
                expected_generation: generation,
                sealed,
            });
            if !grants.is_empty() {
                call.change(Change::PutGrants {
                    tenant: tenant.clone(),
                    project: project.clone(),
                    expected_generation: generation + 1,
                    grants,
                });
            }
            let effects = Effects {
                key: key_ref(next.id()),
                ..Effects::default()
            };
            Ok((version + 1, effects))
        })
    }

    /// Moves a document envelope to the project's current key version,
    /// rewriting only its key section and header tag (the body bytes are
    /// unchanged). Needs the RotateKey permission. Records nothing about
    /// the document: the caller keeps the envelope (stored documents are
    /// moved by [`FrontDoor::rewrap_project`], which updates their records).
    pub fn rewrap_document<'c>(
        &self,
        actor: &Principal,
        document: &DocumentRef,
        envelope: &[u8],
        password: impl Into<PasswordCredential<'c>>,
    ) -> Result<Vec<u8>, FrontDoorError> {
        let password = self.password(actor, &document.project_ref(), password.into())?;
        let password: &Password = &password;
        let target = Target::from(document);
        let ask = Ask::new(actor, Operation::RotateKey, &target);
        self.guard(ask, |call| {
            let (tenant, project) = (document.tenant(), document.project());
            let view = HeaderView::parse_prefix(envelope, &self.config.limits).map_err(keys::Error::from)?;
            let keys = self.rewrap_keys(call, &self.cache, tenant, project, &view, password)?;
            let options = self.document_options(&keys.old, document);
            let rewrapped = rewrap(envelope, &options, &keys.change())?;
            let effects = Effects {
                key: key_ref(keys.new.id()),
                ciphertext: Some(rewrapped.len() as u64),
                ..Effects::default()
            };
            Ok((rewrapped, effects))
        })
    }

    /// The keys that move a document (its header in `view`) to the
    /// project's current version: the version wrapping it and the current
    /// one, unlocked through `cache` from the state the call was decided on.
    pub(super) fn rewrap_keys(
        &self,
        call: &mut Call<'_, S>,
        cache: &UnlockCache,
        tenant: &TenantId,
        project: &ProjectId,
        view: &HeaderView<'_>,
        password: &Password,
    ) -> Result<RewrapKeys, FrontDoorError> {
        let version = project_key_version(view)
            .ok_or_else(|| FrontDoorError::UnknownKeyVersion(PROJECT_KEY_NAME.to_owned()))?;
        let old = call.unlock_with(cache, tenant, project, version, password)?;
        let current = call.state().project(tenant, project)?.current_version();
        let new = call.unlock_with(cache, tenant, project, current, password)?;
        Ok(RewrapKeys { old, new, current })
    }
}

/// The keys of one document's rewrap.
pub(super) struct RewrapKeys {
    /// The key version wrapping the document.
    pub(super) old: Arc<ProjectKey>,
    /// The current version.
    pub(super) new: Arc<ProjectKey>,
    /// The current version's number.
    pub(super) current: u32,
}

impl RewrapKeys {
    /// The change: the old version's wrapped key out, the current one in.
    pub(super) fn change(&self) -> Rewrap<'_> {
        Rewrap::new()
            .remove_key(self.old.id())
            .add_recipient(Recipient::project_key(&self.new))
    }
}
