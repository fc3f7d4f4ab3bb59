//! Project members: granting and revoking roles.

use super::guard::Ask;
use super::{FrontDoor, FrontDoorError};
use crate::policy::{Operation, Role};
use crate::policy::{Principal, ProjectId, TenantId};
use crate::policy::{ProjectRef, Target};
use crate::store::{Change, Store, Transaction};

impl<S: Store> FrontDoor<S> {
    /// Gives `member` (of the project's tenant) `role` in `project`. Owner only. Returns the role it had before.
    ///
    /// The role alone opens documents with the project password; to let
    /// the member open them with its own identity instead, an Owner seals
    /// the project key to the member's registered key with
    /// [`FrontDoor::grant_member_key`] (which needs the password, so it is
    /// a call of its own).
    pub fn add_member(
        &self,
        actor: &Principal,
        project: &ProjectRef,
        member: &Principal,
        role: Role,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.change_member(
            actor,
            project,
            Operation::AddMember,
            member,
            &|tenant, project| Change::SetMember {
                tenant: tenant.clone(),
                project: project.clone(),
                member: member.clone(),
                role,
            },
        )
    }

    /// Removes `member` from `project`, deleting every grant
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
        project: &ProjectRef,
        member: &Principal,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.change_member(
            actor,
            project,
            Operation::RemoveMember,
            member,
            &|tenant, project| Change::RemoveMember {
                tenant: tenant.clone(),
                project: project.clone(),
                member: member.clone(),
            },
        )
    }

    /// A membership change of `member` in `project`, decided,
    /// applied and recorded in one transaction; returns the role the member
    /// had before.
    fn change_member(
        &self,
        actor: &Principal,
        project: &ProjectRef,
        operation: Operation,
        member: &Principal,
        change: &dyn Fn(&TenantId, &ProjectId) -> Change,
    ) -> Result<Option<Role>, FrontDoorError> {
        let target = Target::from(project);
        let ask = Ask::new(actor, operation, &target);
        self.guard_in_transaction(ask, &mut |_: &mut dyn Transaction, state| {
            let previous = state.authorizer.membership().role(member, &target);
            Ok((previous, Some(change(project.tenant(), project.project()))))
        })
    }
}
