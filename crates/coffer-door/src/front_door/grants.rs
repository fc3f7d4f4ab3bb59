//! Public-key members: registering keys, sealing project key versions to
//! them (grants), and opening documents with an identity instead of the
//! project password.
//!
//! A grant is the project key of one version sealed to one member's
//! registered public key, with the tenant, project and member as reserved
//! context entries, which opening requires: a grant copied to another
//! member's or project's slot does not open there. Grants are sealed where
//! the project key is unlocked: [`FrontDoor::grant_member_key`] (every
//! version, for one member) and [`FrontDoor::rotate_key`] (the new
//! version, for every member holding grants). A password change leaves
//! them as they are: they seal the project key, not the password.

use crate::session::keys::{seal_project_key, Password, ProjectKey, PublicKey, Recipient};
use std::collections::BTreeSet;

use super::guard::{Ask, Effects};
use super::sessions::PasswordCredential;
use super::state::State;
use super::{FrontDoor, FrontDoorError, MEMBER_CONTEXT};
use crate::audit::{KeyRef, Timestamp};
use crate::policy::Attributes;
use crate::policy::Operation;
use crate::policy::RecipientKem;
use crate::policy::{KeyId, Principal, PrincipalId, ProjectId, TenantId};
use crate::policy::{ProjectRef, Target};
use crate::store::{Change, KeyGrant, RegisteredKey, Store, Transaction};

/// How the audit trail names a public key: `x25519:<fingerprint hex>` or
/// `xwing:<fingerprint hex>`, version 1 (public keys have no versions).
fn public_key_ref(key: &RegisteredKey) -> Option<KeyRef> {
    Some(KeyRef {
        id: KeyId::new(key.key_id()).ok()?,
        version: 1,
    })
}

fn registered(key: &PublicKey) -> RegisteredKey {
    RegisteredKey {
        algorithm: RecipientKem::from(key.algorithm()),
        fingerprint: *key.fingerprint(),
        key: key.to_bytes(),
        registered_at: Timestamp::now(),
    }
}

impl<S: Store> FrontDoor<S> {
    /// Registers `key` as the actor's own public key, replacing the one it
    /// had (the grants sealed to that one are deleted with it). Decided as
    /// [`Operation::RegisterKey`] on `target`, a tenant or project where
    /// the actor holds a role (every role may), with the key's algorithm as
    /// [`Attributes::recipient`] (so recipient-algorithm and FIPS rules
    /// judge it), and recorded there naming the key
    /// (`x25519:<fingerprint hex>` or `xwing:…`).
    ///
    /// Registering opens nothing: an Owner then seals the project key to
    /// it with [`FrontDoor::grant_member_key`], and rotations keep sealing
    /// new versions to it.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Denied`] (no role on `target`, a rule refusing the
    /// algorithm), [`FrontDoorError::Store`].
    pub fn register_public_key(
        &self,
        actor: &Principal,
        target: &Target,
        key: &PublicKey,
    ) -> Result<(), FrontDoorError> {
        let record = registered(key);
        let attributes = Attributes::recipient(record.algorithm);
        let ask = Ask::new(actor, Operation::RegisterKey, target)
            .attributes(attributes)
            .key(public_key_ref(&record));
        self.guard_in_transaction(ask, &mut |_: &mut dyn Transaction, _| {
            let change = Change::RegisterPublicKey {
                principal: actor.clone(),
                key: record.clone(),
            };
            Ok(((), Some(change)))
        })
    }

    /// Revokes the actor's own public key and deletes every grant sealed
    /// to it: its identity opens nothing after this returns. Decided as
    /// [`Operation::RegisterKey`] on `target`, like
    /// [`FrontDoor::register_public_key`]. Revoking when no key is
    /// registered is not an error.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Denied`], [`FrontDoorError::Store`].
    pub fn revoke_public_key(&self, actor: &Principal, target: &Target) -> Result<(), FrontDoorError> {
        let ask = Ask::new(actor, Operation::RegisterKey, target);
        self.guard_in_transaction(ask, &mut |_: &mut dyn Transaction, _| {
            let change = Change::RevokePublicKey {
                principal: actor.clone(),
            };
            Ok(((), Some(change)))
        })
    }

    /// Seals every key version of `project` to
    /// `member`'s registered public key, unlocking them with `password`,
    /// so the member opens the project's documents with its identity
    /// ([`FrontDoor::open_document`] with a
    /// [`Credential::Identity`](super::Credential::Identity)) and never learns the
    /// password. Returns how many versions were sealed.
    ///
    /// Membership and keys stay separate calls: [`FrontDoor::add_member`]
    /// gives the role (and needs no password), this seals the key, and
    /// members who register a key later are granted the same way.
    /// Decided as [`Operation::GrantKey`] (Owners) on the project with the
    /// member key's algorithm as [`Attributes::recipient`], and recorded
    /// naming the member's key.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::NoPublicKey`] when the member has registered none
    /// (recorded), [`FrontDoorError::Denied`], [`FrontDoorError::Keys`] for a
    /// wrong password, [`FrontDoorError::StaleGrant`] when `member` is not
    /// a member of the project (or changed its key meanwhile),
    /// [`FrontDoorError::Conflict`] when the project's key versions changed
    /// meanwhile, [`FrontDoorError::Store`].
    pub fn grant_member_key<'c>(
        &self,
        actor: &Principal,
        project: &ProjectRef,
        member: &Principal,
        password: impl Into<PasswordCredential<'c>>,
    ) -> Result<u32, FrontDoorError> {
        let password = self.password(actor, project, password.into())?;
        let password: &Password = &password;
        let known = self.refreshed()?;
        let key = known.public_key(member).ok().cloned();
        let attributes = Attributes {
            recipient: key.as_ref().map(|k| k.algorithm),
            ..Attributes::default()
        };
        let target = Target::from(project);
        let ask = Ask::new(actor, Operation::GrantKey, &target)
            .attributes(attributes)
            .key(key.as_ref().and_then(public_key_ref));
        let (tenant, project) = (project.tenant(), project.project());
        self.guard(ask, |call| {
            let record = call.state().project(tenant, project)?;
            let (current, generation) = (record.current_version(), record.generation);
            let key = call.state().public_key(member)?.clone();
            let mut grants = Vec::new();
            for version in 1..=current {
                let unlocked = call.unlock(tenant, project, version, password)?;
                grants.push(self.seal_grant(&unlocked, (tenant, project), &member.id, &key)?);
            }
            call.change(Change::PutGrants {
                tenant: tenant.clone(),
                project: project.clone(),
                expected_generation: generation,
                grants,
            });
            Ok((current, Effects::default()))
        })
    }

    /// Seals project key `key` to `member`'s registered key as a grant.
    pub(super) fn seal_grant(
        &self,
        key: &ProjectKey,
        (tenant, project): (&TenantId, &ProjectId),
        member: &PrincipalId,
        registered: &RegisteredKey,
    ) -> Result<KeyGrant, FrontDoorError> {
        let public = PublicKey::from_bytes(registered.algorithm.into(), &registered.key)?;
        let options = self
            .seal_options(tenant, project)?
            .reserved_context(MEMBER_CONTEXT, member.as_str().as_bytes())?;
        Ok(KeyGrant {
            member: member.clone(),
            version: key.id().version(),
            fingerprint: registered.fingerprint,
            sealed: seal_project_key(key, &[Recipient::public_key(&public)], &options)?,
        })
    }

    /// The grants of a new key version `key` for the members of a project
    /// who hold grants now (a rotation reseals for the remaining members
    /// only: removed ones have none left), skipping those whose key
    /// algorithm the policy no longer allows `actor` to grant.
    pub(super) fn reseal_grants(
        &self,
        state: &State,
        actor: &Principal,
        project: &ProjectRef,
        key: &ProjectKey,
    ) -> Result<Vec<KeyGrant>, FrontDoorError> {
        let target = Target::from(project);
        let (tenant, project) = (project.tenant(), project.project());
        let holders: BTreeSet<&PrincipalId> = state
            .grants
            .keys()
            .filter(|(t, p, _, _)| t == tenant && p == project)
            .map(|(_, _, member, _)| member)
            .collect();
        let mut grants = Vec::new();
        for member in holders {
            let principal = Principal::new(tenant.clone(), member.clone());
            let Ok(registered) = state.public_key(&principal) else {
                continue;
            };
            let attributes = Attributes::recipient(registered.algorithm);
            let decision = state
                .authorizer
                .authorize(actor, Operation::GrantKey, &target, &attributes);
            if decision.is_allowed() {
                grants.push(self.seal_grant(key, (tenant, project), member, registered)?);
            }
        }
        Ok(grants)
    }
}
