//! The state as one value, and the reference semantics of every change.

use std::collections::BTreeMap;

use super::change::{Change, Installer};
use super::error::StoreError;
use super::keys::{GrantSlot, KeyGrant, RegisteredKey};
use crate::audit::Timestamp;
use crate::policy::Role;
use crate::policy::Target;
use crate::policy::{Membership, MembershipError};
use crate::policy::{Principal, PrincipalId, ProjectId, TenantId};

/// A project's sealed key versions, oldest first (index = version - 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectRecord {
    /// Each version's sealed project key (an envelope, never key bytes).
    pub sealed: Vec<Vec<u8>>,
    /// Counts changes to [`ProjectRecord::sealed`] (rotations and password
    /// changes), so a change prepared outside a transaction can tell
    /// whether it still applies.
    pub generation: u64,
}

impl ProjectRecord {
    /// The newest version (versions count from 1).
    pub fn current_version(&self) -> u32 {
        u32::try_from(self.sealed.len()).unwrap_or(u32::MAX)
    }

    /// The sealed key of `version`, if there is one.
    pub fn sealed(&self, version: u32) -> Option<&[u8]> {
        let index = usize::try_from(version.checked_sub(1)?).ok()?;
        self.sealed.get(index).map(Vec::as_slice)
    }
}

/// One installed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// 1 for the first policy installed, then consecutive.
    pub version: u64,
    /// The document's JSON text.
    pub document: String,
    /// The policy's digest.
    pub digest: [u8; 32],
    /// Who installed it.
    pub installed_by: Installer,
    /// When.
    pub installed_at: Timestamp,
}

/// The whole state a front door decides and acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The state version it was read at.
    pub version: u64,
    /// Tenant-level roles, projects and members.
    pub membership: Membership,
    /// The installed policy (none: no rules, membership alone decides).
    pub policy: Option<PolicyVersion>,
    /// Every project's record.
    pub projects: BTreeMap<(TenantId, ProjectId), ProjectRecord>,
    /// Every registered public key, by tenant and principal.
    pub public_keys: BTreeMap<(TenantId, PrincipalId), RegisteredKey>,
    /// Every grant, by tenant, project, member and key version.
    pub grants: BTreeMap<GrantSlot, KeyGrant>,
}

fn slot_error(tenant: &TenantId, project: &ProjectId) -> (String, String) {
    (tenant.to_string(), project.to_string())
}

impl Snapshot {
    /// The record of a project.
    pub fn project(&self, tenant: &TenantId, project: &ProjectId) -> Option<&ProjectRecord> {
        self.projects.get(&(tenant.clone(), project.clone()))
    }

    /// Applies `change` and bumps the version: the reference semantics
    /// every backend implements. On error nothing changed.
    ///
    /// # Errors
    ///
    /// As [`Transaction::apply`](super::Transaction::apply).
    pub fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        match change {
            Change::CreateProject {
                tenant,
                project,
                owner,
                sealed,
            } => {
                let slot = (tenant.clone(), project.clone());
                if self.projects.contains_key(&slot) || self.membership.has_project(tenant, project) {
                    let (tenant, project) = slot_error(tenant, project);
                    return Err(StoreError::ProjectExists { tenant, project });
                }
                let mut membership = self.membership.clone();
                membership.create_project(tenant, project)?;
                membership.assign(tenant, project, owner, Role::Owner)?;
                self.membership = membership;
                self.projects.insert(
                    slot,
                    ProjectRecord {
                        sealed: vec![sealed.clone()],
                        generation: 0,
                    },
                );
            }
            Change::ReplaceVersions {
                tenant,
                project,
                expected_generation,
                sealed,
            } => {
                if sealed.is_empty() {
                    let (tenant, project) = slot_error(tenant, project);
                    return Err(StoreError::NoKeyVersions { tenant, project });
                }
                let record = self.record_at(tenant, project, *expected_generation)?;
                record.sealed.clone_from(sealed);
                record.generation += 1;
            }
            Change::AddVersion {
                tenant,
                project,
                expected_generation,
                sealed,
            } => {
                let record = self.record_at(tenant, project, *expected_generation)?;
                record.sealed.push(sealed.clone());
                record.generation += 1;
            }
            Change::SetMember {
                tenant,
                project,
                member,
                role,
            } => {
                self.membership
                    .assign(tenant, project, member, *role)
                    .map_err(unknown_project)?;
            }
            Change::RemoveMember {
                tenant,
                project,
                member,
            } => {
                self.membership
                    .unassign(tenant, project, member)
                    .map_err(unknown_project)?;
                if member.tenant == *tenant {
                    self.delete_grants(member, Some(project));
                }
            }
            Change::RegisterPublicKey { principal, key } => {
                let slot = (principal.tenant.clone(), principal.id.clone());
                if self.public_keys.get(&slot).map(|k| k.fingerprint) != Some(key.fingerprint) {
                    self.delete_grants(principal, None);
                }
                self.public_keys.insert(slot, key.clone());
            }
            Change::RevokePublicKey { principal } => {
                self.public_keys
                    .remove(&(principal.tenant.clone(), principal.id.clone()));
                self.delete_grants(principal, None);
            }
            Change::PutGrants {
                tenant,
                project,
                expected_generation,
                grants,
            } => {
                self.record_at(tenant, project, *expected_generation)?;
                for grant in grants {
                    self.require_grantable(tenant, project, grant)?;
                }
                for grant in grants {
                    let slot = (
                        tenant.clone(),
                        project.clone(),
                        grant.member.clone(),
                        grant.version,
                    );
                    self.grants.insert(slot, grant.clone());
                }
            }
            Change::SetTenantRole { principal, role } => {
                self.membership.assign_tenant(principal, *role);
            }
            Change::RemoveTenantRole { principal } => {
                self.membership.unassign_tenant(principal);
            }
            Change::InstallPolicy(new) => {
                let version = self.policy.as_ref().map_or(1, |p| p.version + 1);
                self.policy = Some(PolicyVersion {
                    version,
                    document: new.document.clone(),
                    digest: new.digest,
                    installed_by: new.installed_by.clone(),
                    installed_at: new.installed_at,
                });
            }
            Change::PutDocument(record) | Change::ReplaceEnvelope { record, .. } => {
                // Documents are not part of the snapshot: only the project
                // is checked, and the version does not move.
                self.require_project(&record.tenant, &record.project)?;
                if record.created_by.tenant != record.tenant {
                    return Err(StoreError::Membership(MembershipError::CrossTenant {
                        principal: record.created_by.id.to_string(),
                        principal_tenant: record.created_by.tenant.to_string(),
                        tenant: record.tenant.to_string(),
                    }));
                }
                return Ok(());
            }
        }
        self.version += 1;
        Ok(())
    }

    /// The registered key of a principal.
    pub fn public_key(&self, principal: &Principal) -> Option<&RegisteredKey> {
        self.public_keys
            .get(&(principal.tenant.clone(), principal.id.clone()))
    }

    /// Deletes a principal's grants, in one project or everywhere.
    fn delete_grants(&mut self, principal: &Principal, project: Option<&ProjectId>) {
        self.grants.retain(|(t, p, m, _), _| {
            !(t == &principal.tenant && m == &principal.id && project.is_none_or(|only| only == p))
        });
    }

    /// Refuses a grant whose member is not a member of the project or no
    /// longer has the key it was sealed to.
    fn require_grantable(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        grant: &KeyGrant,
    ) -> Result<(), StoreError> {
        let member = Principal::new(tenant.clone(), grant.member.clone());
        let target = Target::for_project(tenant.clone(), project.clone());
        let member_of = self.membership.role(&member, &target).is_some();
        let keyed = self.public_key(&member).map(|k| k.fingerprint) == Some(grant.fingerprint);
        if member_of && keyed {
            return Ok(());
        }
        Err(StoreError::StaleGrant {
            project: project.to_string(),
            member: grant.member.to_string(),
        })
    }

    /// Refuses a project that does not exist.
    pub(crate) fn require_project(&self, tenant: &TenantId, project: &ProjectId) -> Result<(), StoreError> {
        if self.projects.contains_key(&(tenant.clone(), project.clone())) {
            return Ok(());
        }
        let (tenant, project) = slot_error(tenant, project);
        Err(StoreError::UnknownProject { tenant, project })
    }

    /// The record of a project whose generation is `expected`.
    fn record_at(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        expected: u64,
    ) -> Result<&mut ProjectRecord, StoreError> {
        let Some(record) = self.projects.get_mut(&(tenant.clone(), project.clone())) else {
            let (tenant, project) = slot_error(tenant, project);
            return Err(StoreError::UnknownProject { tenant, project });
        };
        if record.generation != expected {
            let (tenant, project) = slot_error(tenant, project);
            return Err(StoreError::Conflict {
                tenant,
                project,
                expected,
                found: record.generation,
            });
        }
        Ok(record)
    }
}

/// A membership change naming a missing project is the store's
/// [`StoreError::UnknownProject`]; other refusals stay membership errors.
fn unknown_project(error: MembershipError) -> StoreError {
    match error {
        MembershipError::UnknownProject { tenant, project } => StoreError::UnknownProject { tenant, project },
        other => StoreError::Membership(other),
    }
}
