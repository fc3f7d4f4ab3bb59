//! The single authorization call: membership, then algorithm rules.

use std::sync::Arc;

use crate::decision::Decision;
use crate::id::Principal;
use crate::membership::Membership;
use crate::policy::CompiledPolicy;
use crate::request::Attributes;
use crate::role::Operation;
use crate::target::Target;

/// Membership table plus compiled policy: answers "may this principal do
/// this, here, with these algorithms?".
///
/// Authorizing has no side effects, so [`Authorizer::authorize`] is also
/// the dry run: the caller acts only if the decision allows.
///
/// ```
/// use coffer_policy::*;
/// let acme = TenantId::new("acme")?;
/// let payroll = ProjectId::new("payroll")?;
/// let bob = Principal::new(acme.clone(), PrincipalId::new("bob")?);
/// let mut members = Membership::new();
/// members.create_project(&acme, &payroll)?;
/// members.assign(&acme, &payroll, &bob, Role::Viewer)?;
/// let policy = Policy::from_json(r#"{"version": 1, "rules": [
///   {"id": "fips", "condition": {"fips": "enabled"}}
/// ]}"#)?;
/// let authz = Authorizer::new(members, policy.compile());
/// let target = Target::for_project(acme, payroll);
/// let chacha = Attributes::envelope(EnvelopeSuite::ChaCha20Poly1305HkdfSha256, 100);
/// let d = authz.authorize(&bob, Operation::Decrypt, &target, &chacha);
/// assert!(!d.is_allowed());
/// let aes = Attributes::envelope(EnvelopeSuite::Aes256GcmHkdfSha256, 100);
/// assert!(authz.authorize(&bob, Operation::Decrypt, &target, &aes).is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Authorizer {
    membership: Membership,
    policy: Arc<CompiledPolicy>,
}

impl Authorizer {
    /// Combines a membership table and a compiled policy.
    pub fn new(membership: Membership, policy: CompiledPolicy) -> Self {
        Self {
            membership,
            policy: Arc::new(policy),
        }
    }

    /// Decides `operation` by `principal` on `target` with `attributes`:
    /// tenant isolation and role first, then every applicable rule. Deny
    /// overrides; the decision carries everything the audit event needs.
    pub fn authorize(
        &self,
        principal: &Principal,
        operation: Operation,
        target: &Target,
        attributes: &Attributes,
    ) -> Decision {
        let access = self.membership.check(principal, operation, target);
        let policy = self
            .policy
            .evaluate_parts(operation, target, access.role(), attributes);
        Decision::new(access, policy)
    }

    /// Decides `operation` by `principal` on `target` on membership alone
    /// (tenant isolation and role), evaluating no rule: the gate a caller
    /// passes before anything about the object is read that the rules
    /// would need (a stored document's header). A denial here is final,
    /// and its explanation names the access decision only; an allowed one
    /// is not a permission to act: [`Authorizer::authorize`] decides the
    /// call in full once the attributes are known.
    pub fn authorize_access(&self, principal: &Principal, operation: Operation, target: &Target) -> Decision {
        let access = self.membership.check(principal, operation, target);
        Decision::new(access, self.policy.no_rules())
    }

    /// The decision's lines in words (see [`Decision::explain`]).
    pub fn explain(
        &self,
        principal: &Principal,
        operation: Operation,
        target: &Target,
        attributes: &Attributes,
    ) -> Vec<String> {
        self.authorize(principal, operation, target, attributes).explain()
    }

    /// The membership table.
    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// The membership table, for adding and removing members (the caller
    /// authorizes `AddMember`/`RemoveMember` first).
    pub fn membership_mut(&mut self) -> &mut Membership {
        &mut self.membership
    }

    /// The current compiled policy.
    pub fn policy(&self) -> &Arc<CompiledPolicy> {
        &self.policy
    }

    /// Replaces the policy (the caller authorizes `ManagePolicy` first).
    pub fn set_policy(&mut self, policy: CompiledPolicy) {
        self.policy = Arc::new(policy);
    }
}
