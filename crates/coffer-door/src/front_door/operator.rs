//! The operator's calls: tenant-level roles, the policy, and the whole
//! audit chain. Operators run the service; they are not principals, so
//! these calls are not decided by membership (the embedding service puts
//! them behind its own administration). Each change is recorded in the
//! audit chain, in its transaction, with the operator as the actor.

use super::policy_report::PolicyReport;
use super::{FrontDoor, FrontDoorError};
use crate::audit::{AuditEvent, AuditRecord, ChainHead, Timestamp};
use crate::policy::Policy;
use crate::policy::{Operation, Role};
use crate::policy::{OperatorId, Principal};
use crate::store::{Change, Installer, NewPolicy, PolicyVersion, Store, StoreError, Transaction};

impl<S: Store> FrontDoor<S> {
    /// Applies one operator change and appends its record in one
    /// transaction (both or neither), returning what `record` read from
    /// the state it applied to with the event to record.
    fn operate<T>(
        &self,
        change: &Change,
        mut record: impl FnMut(&super::State) -> (T, AuditEvent),
    ) -> Result<T, FrontDoorError> {
        let known = self.cached();
        self.store
            .transaction(&mut |tx: &mut dyn Transaction| -> Result<T, FrontDoorError> {
                let state = self.current(tx, &known)?;
                let (value, event) = record(&state);
                tx.apply(change)?;
                tx.append(event)?;
                Ok(value)
            })
    }

    /// A tenant-role change of `principal` by `operator`, recorded as
    /// `operation` on the principal's tenant with the principal as the
    /// subject and `role` (granted or removed); returns the role held
    /// before.
    fn change_tenant_role(
        &self,
        operator: &OperatorId,
        operation: Operation,
        principal: &Principal,
        change: &Change,
        role: Option<Role>,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.operate(change, |state| {
            let previous = tenant_role(state, principal);
            let policy = state.authorizer.policy().digest();
            let mut event = AuditEvent::for_operator(
                Timestamp::now(),
                operator,
                operation,
                Some(&principal.tenant),
                policy,
            );
            event.subject = Some(principal.clone());
            event.role = role.or(previous);
            (previous, event)
        })
    }

    /// Gives `principal` a role over its own tenant as a whole (Owner:
    /// creating projects, the tenant's trail), as the operator `operator`.
    /// Returns the role it replaced. Takes effect on every front door on
    /// the store at once. Recorded, in the same transaction, as an
    /// `add_member` on the principal's tenant by the operator, with the
    /// principal as its subject and the role granted: in the operator's
    /// [`FrontDoor::audit_records`] and in the tenant's trail.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`] (then neither the role nor its record
    /// changed).
    pub fn grant_tenant_role(
        &self,
        operator: &OperatorId,
        principal: &Principal,
        role: Role,
    ) -> Result<Option<Role>, FrontDoorError> {
        let change = Change::SetTenantRole {
            principal: principal.clone(),
            role,
        };
        self.change_tenant_role(operator, Operation::AddMember, principal, &change, Some(role))
    }

    /// Removes `principal`'s tenant-level role, as the operator `operator`;
    /// returns it. Recorded, in the same transaction, as a
    /// `remove_member` on the principal's tenant by the operator, with the
    /// principal as its subject and the role removed (none if it held
    /// none).
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`] (then neither the role nor its record
    /// changed).
    pub fn revoke_tenant_role(
        &self,
        operator: &OperatorId,
        principal: &Principal,
    ) -> Result<Option<Role>, FrontDoorError> {
        let change = Change::RemoveTenantRole {
            principal: principal.clone(),
        };
        self.change_tenant_role(operator, Operation::RemoveMember, principal, &change, None)
    }

    /// Installs `policy` as the next version of the store's policy,
    /// recorded in the policy history as installed by the operator
    /// `operator`, and returns what it references that does not exist (a
    /// rule scoped to a misspelt tenant or project never applies: check
    /// the report). The policy spans tenants (rules carry their own
    /// scopes), which is why this is the operator's call. Every later
    /// decision records the policy's digest. Recorded, in the same
    /// transaction, as a `manage_policy` by the operator on no tenant,
    /// with the new policy's digest as the decision's policy.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`] (then neither the policy nor its record
    /// was stored).
    pub fn install_policy(
        &self,
        policy: &Policy,
        operator: &OperatorId,
    ) -> Result<PolicyReport, FrontDoorError> {
        let now = Timestamp::now();
        let change = Change::InstallPolicy(NewPolicy {
            document: policy.to_json(),
            digest: policy.digest(),
            installed_by: Installer::Operator(operator.to_string()),
            installed_at: now,
        });
        let compiled = policy.compile();
        self.operate(&change, |state| {
            let report = PolicyReport::check(&compiled, state.authorizer.membership());
            let event =
                AuditEvent::for_operator(now, operator, Operation::ManagePolicy, None, policy.digest());
            (report, event)
        })
    }

    /// Every policy installed, oldest first: version, document, digest,
    /// who installed it and when.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`].
    pub fn policy_history(&self) -> Result<Vec<PolicyVersion>, FrontDoorError> {
        Ok(self
            .store
            .transaction(&mut |tx: &mut dyn Transaction| tx.policy_history())?)
    }

    /// What the installed policy references that does not exist now (see
    /// [`FrontDoor::install_policy`]).
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`].
    pub fn policy_report(&self) -> Result<PolicyReport, FrontDoorError> {
        Ok(self.refreshed()?.report.clone())
    }

    /// Verifies the whole audit chain against the store's own head and
    /// against `checkpoint`, a head kept elsewhere, when given; returns the
    /// chain's head. This is the operator's call: the head counts every
    /// tenant's records, so principals get a
    /// [`TrailReport`](super::TrailReport) from
    /// [`FrontDoor::verify_audit`] instead. A broken chain is a
    /// [`StoreError::Audit`] naming the first bad record.
    ///
    /// # Errors
    ///
    /// As above, or the store failing.
    pub fn verify_chain(&self, checkpoint: Option<ChainHead>) -> Result<ChainHead, StoreError> {
        self.store
            .transaction(&mut |tx: &mut dyn Transaction| tx.verify_audit(checkpoint))
    }

    /// Every audit record of every tenant, oldest first, as stored (the
    /// operator's export; principals read theirs with
    /// [`FrontDoor::audit_trail`]).
    ///
    /// # Errors
    ///
    /// The store failing.
    pub fn audit_records(&self) -> Result<Vec<AuditRecord>, StoreError> {
        self.store
            .transaction(&mut |tx: &mut dyn Transaction| tx.audit_records())
    }
}

fn tenant_role(state: &super::State, principal: &Principal) -> Option<Role> {
    state.authorizer.membership().role(
        principal,
        &crate::policy::Target::for_tenant(principal.tenant.clone()),
    )
}
