//! Project members: granting and revoking roles.

use super::guard::Ask;
use super::projects::project_of;
use super::{FrontDoor, FrontDoorError};
use crate::policy::Target;
use crate::policy::{Operation, Role};
use crate::policy::{Principal, ProjectId, TenantId};
use crate::store::{Change, Store, Transaction};

impl<S: Store> FrontDoor<S> {
    /// Gives `member` (of the project's tenant) `role` in the project of
    /// `target`. Owner only. Returns the role it had before.
    ///
    /// The role alone opens documents with the project password; to let
    /// the member open them with its own identity instead, an Owner seals
    /// the project key to the member's registered key with
    /// [`FrontDoor::grant_member_key`] (which needs the password, so it is
    /// a call of its own).
    pub fn add_member(
        &self,
        actor: &Principal,
        target: &Target,
        member: &Principal,
        role: Role,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.change_member(actor, target, Operation::AddMember, member, &|tenant, project| {
            Change::SetMember {
                tenant: tenant.clone(),
                project: project.clone(),
                member: member.clone(),
                role,
            }
        })
    }

    /// Removes `member` from the project of `target`, deleting every grant
    /// sealed to it there in the same transaction. Owner only. Returns the
    /// role it had.
    ///
    /// Removal cannot take back a project key the member opened before
    /// (from a grant or the password): rotate the key
    /// ([`FrontDoor::rotate_key`], which reseals grants for the remaining
    /// members only) and move stored documents to the new version
    /// ([`FrontDoor::rewrap_project`]). A call of the member's decided before the removal
    /// and not yet recorded is decided again when it is (for a read, at its
    /// `started` record), so no act follows the removal in the trail on the
    /// role removed.
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
            &|tenant, project| Change::RemoveMember {
                tenant: tenant.clone(),
                project: project.clone(),
                member: member.clone(),
            },
        )
    }

    /// A membership change of `member` in the project of `target`, decided,
    /// applied and recorded in one transaction; returns the role the member
    /// had before.
    fn change_member(
        &self,
        actor: &Principal,
        target: &Target,
        operation: Operation,
        member: &Principal,
        change: &dyn Fn(&TenantId, &ProjectId) -> Change,
    ) -> Result<Option<Role>, FrontDoorError> {
        let ask = Ask::new(actor, operation, target);
        self.guard_in_transaction(ask, &mut |_: &mut dyn Transaction, state| {
            let project = project_of(target, operation)?;
            let tenant = target.tenant();
            let on_project = Target::for_project(tenant.clone(), project.clone());
            let previous = state.authorizer.membership().role(member, &on_project);
            Ok((previous, Some(change(tenant, project))))
        })
    }
}
