//! The operator's calls: tenant-level roles, the policy, and the whole
//! audit chain. Operators run the service; they are not principals, so
//! these calls are not decided by membership (the embedding service puts
//! them behind its own administration).

use super::policy_report::PolicyReport;
use super::{FrontDoor, FrontDoorError};
use crate::audit::{AuditRecord, ChainHead, Timestamp};
use crate::id::Principal;
use crate::policy::Policy;
use crate::role::Role;
use crate::store::{Change, Installer, NewPolicy, PolicyVersion, Store, StoreError, Transaction};

impl<S: Store> FrontDoor<S> {
    /// Applies one operator change in a transaction of its own, returning
    /// what `before` read from the state it applied to.
    fn operate<T>(
        &self,
        change: &Change,
        mut before: impl FnMut(&super::State) -> T,
    ) -> Result<T, FrontDoorError> {
        let known = self.cached();
        self.store
            .transaction(&mut |tx: &mut dyn Transaction| -> Result<T, FrontDoorError> {
                let state = self.current(tx, &known)?;
                let value = before(&state);
                tx.apply(change)?;
                Ok(value)
            })
    }

    /// Gives `principal` a role over its own tenant as a whole (Owner:
    /// creating projects, the tenant's trail). Returns the role it
    /// replaced. Takes effect on every front door on the store at once.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`].
    pub fn grant_tenant_role(
        &self,
        principal: &Principal,
        role: Role,
    ) -> Result<Option<Role>, FrontDoorError> {
        let change = Change::SetTenantRole {
            principal: principal.clone(),
            role,
        };
        self.operate(&change, |state| tenant_role(state, principal))
    }

    /// Removes `principal`'s tenant-level role; returns it.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`].
    pub fn revoke_tenant_role(&self, principal: &Principal) -> Result<Option<Role>, FrontDoorError> {
        let change = Change::RemoveTenantRole {
            principal: principal.clone(),
        };
        self.operate(&change, |state| tenant_role(state, principal))
    }

    /// Installs `policy` as the next version of the store's policy,
    /// recorded in the policy history as installed by the operator named
    /// `operator`, and returns what it references that does not exist (a
    /// rule scoped to a misspelt tenant or project never applies: check
    /// the report). The policy spans tenants (rules carry their own
    /// scopes), which is why this is the operator's call. Every later
    /// decision records the policy's digest.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`].
    pub fn install_policy(&self, policy: &Policy, operator: &str) -> Result<PolicyReport, FrontDoorError> {
        let change = Change::InstallPolicy(NewPolicy {
            document: policy.to_json(),
            digest: policy.digest(),
            installed_by: Installer::Operator(operator.to_owned()),
            installed_at: Timestamp::now(),
        });
        let compiled = policy.compile();
        self.operate(&change, |state| {
            PolicyReport::check(&compiled, state.authorizer.membership())
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
        &crate::target::Target::for_tenant(principal.tenant.clone()),
    )
}
