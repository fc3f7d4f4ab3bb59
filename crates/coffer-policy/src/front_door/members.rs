//! Project members: granting and revoking roles.

use std::sync::RwLockWriteGuard;

use super::guard::{Ask, Effects};
use super::projects::{kept, project_of};
use super::staged::Staged;
use super::{FrontDoor, FrontDoorError};
use crate::audit::AuditSink;
use crate::authorizer::Authorizer;
use crate::id::{Principal, ProjectId, TenantId};
use crate::membership::{Membership, MembershipError};
use crate::role::{Operation, Role};
use crate::target::Target;

impl<S: AuditSink> FrontDoor<S> {
    /// Gives `member` (of the project's tenant) `role` in the project of
    /// `target`. Owner only. Returns the role it had before.
    pub fn add_member(
        &self,
        actor: &Principal,
        target: &Target,
        member: &Principal,
        role: Role,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.change_member(
            actor,
            target,
            Operation::AddMember,
            member,
            |members, tenant, project| members.grant(tenant, project, member, role),
        )
    }

    /// Removes `member` from the project of `target`. Owner only. Returns
    /// the role it had. A call of the member's that is still acting on its
    /// decision delays the removal until its act is recorded (for a read,
    /// its `started` record), so no act follows the removal in the trail
    /// on the role removed.
    pub fn remove_member(
        &self,
        actor: &Principal,
        target: &Target,
        member: &Principal,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.change_member(
            actor,
            target,
            Operation::RemoveMember,
            member,
            |members, tenant, project| members.revoke(tenant, project, member),
        )
    }

    /// A guarded, staged membership change of `member` in the project of
    /// `target`; `change` returns the role the member had before.
    fn change_member(
        &self,
        actor: &Principal,
        target: &Target,
        operation: Operation,
        member: &Principal,
        change: impl FnOnce(&mut Membership, &TenantId, &ProjectId) -> Result<Option<Role>, MembershipError>,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.guard_write(Ask::new(actor, operation, target), |mut authorizer| {
            let project = project_of(target, operation)?;
            let previous = change(authorizer.membership_mut(), target.tenant(), project)?;
            Ok((
                stage_membership(authorizer, target, member, previous),
                Effects::default(),
            ))
        })
        .map(kept)
    }
}

/// Stages a membership change of `member` in the project of `target`;
/// undoing it gives back the role it had before (`previous`).
fn stage_membership<'a>(
    authorizer: RwLockWriteGuard<'a, Authorizer>,
    target: &Target,
    member: &Principal,
    previous: Option<Role>,
) -> (Option<Role>, Staged<'a, RwLockWriteGuard<'a, Authorizer>>) {
    let (target, member) = (target.clone(), member.clone());
    let staged = Staged::new(authorizer, move |authorizer| {
        let (tenant, members) = (target.tenant(), authorizer.membership_mut());
        let Some(project) = target.project() else {
            return;
        };
        // The change just succeeded on this project and member, so putting
        // the old role back cannot fail.
        let _ = match previous {
            Some(role) => members.grant(tenant, project, &member, role),
            None => members.revoke(tenant, project, &member),
        };
    });
    (previous, staged)
}
