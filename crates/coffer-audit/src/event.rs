//! Audit events: what happened, to what, decided how.
//!
//! Every field is an id, an enum, a number or a validated public token;
//! there is no field of a secret type and no free-text field, so no key,
//! password or plaintext can be put into an event.

use serde::{Deserialize, Serialize};

use super::actor::Actor;
use coffer_policy::named_enum;
use coffer_policy::Attributes;
use coffer_policy::{Access, AccessDenial};
use coffer_policy::{Decision, Effect, RequestDenial, Verdict};
use coffer_policy::{DocumentId, KeyName, OperatorId, Principal, ProjectId, ReasonCode, RuleId, TenantId};
use coffer_policy::{Enforcement, RuleStatus, Severity};
use coffer_policy::{EnvelopeSuite, SessionSpec};
use coffer_policy::{Operation, Role};
use coffer_policy::{Target, Timestamp};

/// A key and version an operation used (names only, never key bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRef {
    /// The key's name.
    pub id: KeyName,
    /// The key's version.
    pub version: u32,
}

named_enum!(
    /// A rule's outcome as recorded.
    StatusCode, "rule status" {
        /// Satisfied.
        Satisfied = "satisfied",
        /// Violated.
        Violated = "violated",
        /// Could not be evaluated.
        Error = "error",
    }
);

/// One rule of a recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRecord {
    /// The rule.
    pub rule: RuleId,
    /// Severity applied.
    pub severity: Severity,
    /// Enforcement applied.
    pub enforcement: Enforcement,
    /// What the condition found.
    pub status: StatusCode,
    /// What that did.
    pub effect: Effect,
}

/// A decision as recorded: verdict, membership denial if any, every
/// applicable rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRecord {
    /// Digest of the policy that decided ([`crate::policy::CompiledPolicy::digest`]).
    #[serde(with = "super::hex32")]
    pub policy: [u8; 32],
    /// The verdict.
    pub verdict: Verdict,
    /// Why membership refused, if it did.
    pub access: Option<AccessDenial>,
    /// Why the request itself was refused before the rules, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestDenial>,
    /// Every applicable rule.
    pub rules: Vec<RuleRecord>,
}

impl From<&Decision> for DecisionRecord {
    fn from(d: &Decision) -> Self {
        Self {
            policy: d.policy().policy_digest(),
            verdict: d.verdict(),
            access: match d.access() {
                Access::Granted(_) => None,
                Access::Denied { denial, .. } => Some(denial),
            },
            request: d.request_denial(),
            rules: d
                .policy()
                .results()
                .map(|(rule, r)| RuleRecord {
                    rule: rule.id.clone(),
                    severity: r.severity,
                    enforcement: r.enforcement,
                    status: match r.status {
                        RuleStatus::Satisfied => StatusCode::Satisfied,
                        RuleStatus::Violated(_) => StatusCode::Violated,
                        RuleStatus::Error(_) => StatusCode::Error,
                    },
                    effect: r.effect,
                })
                .collect(),
        }
    }
}

/// How the operation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// Allowed and done.
    Succeeded,
    /// Allowed, and about to release plaintext: written before the first
    /// plaintext byte leaves, so no read goes unrecorded. A later record of
    /// the same call gives its final outcome; a `started` record with no
    /// such record after it is a read that was cut short (a crash, or the
    /// final record could not be written).
    Started,
    /// Refused by the decision; nothing was done.
    Denied,
    /// Allowed but failed while acting.
    Failed {
        /// A public reason code.
        reason: ReasonCode,
    },
}

/// Sizes involved, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sizes {
    /// Plaintext size.
    pub plaintext: Option<u64>,
    /// Envelope (ciphertext) size.
    pub ciphertext: Option<u64>,
}

/// One audited operation, allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// When.
    pub time: Timestamp,
    /// The target's tenant; none for an operator's call that spans
    /// tenants (installing the policy).
    pub tenant: Option<TenantId>,
    /// Who: a principal (with its own tenant, which differs from
    /// [`AuditEvent::tenant`] only in refused cross-tenant attempts) or an
    /// operator.
    pub principal: Actor,
    /// The principal's role on the target, if any; for an operator's call
    /// on a tenant role, the role granted or removed.
    pub role: Option<Role>,
    /// What.
    pub operation: Operation,
    /// The target project.
    pub project: Option<ProjectId>,
    /// The target document.
    pub document: Option<DocumentId>,
    /// The envelope suite used or found.
    pub envelope_suite: Option<EnvelopeSuite>,
    /// The session suite and key size.
    pub session: Option<SessionSpec>,
    /// The key and version used.
    pub key: Option<KeyRef>,
    /// The decision.
    pub decision: DecisionRecord,
    /// How it ended.
    pub outcome: Outcome,
    /// Sizes.
    pub sizes: Sizes,
    /// The principal an operator's call changed (a tenant role granted or
    /// removed); absent from the JSON form when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Principal>,
}

impl AuditEvent {
    /// The event for an authorization decision: target, attributes and the
    /// decision filled in; `outcome` is [`Outcome::Denied`] when the decision
    /// denies, whatever is passed. Set [`AuditEvent::key`] and
    /// [`AuditEvent::sizes`] after acting.
    pub fn for_decision(
        time: Timestamp,
        principal: &Principal,
        operation: Operation,
        target: &Target,
        attributes: &Attributes,
        decision: &Decision,
        outcome: Outcome,
    ) -> Self {
        Self {
            time,
            tenant: Some(target.tenant().clone()),
            principal: Actor::Principal(principal.clone()),
            role: decision.access().role(),
            operation,
            project: target.project().cloned(),
            document: target.document().cloned(),
            envelope_suite: attributes.envelope_suite,
            session: attributes.session,
            key: None,
            decision: DecisionRecord::from(decision),
            outcome: if decision.is_allowed() {
                outcome
            } else {
                Outcome::Denied
            },
            sizes: Sizes {
                plaintext: attributes.message_size,
                ciphertext: None,
            },
            subject: None,
        }
    }

    /// The event for an operator's call, which no membership or rule
    /// decides: `operator` acted, on `tenant` (none for a call that spans
    /// tenants), under the policy of digest `policy` (for an installation,
    /// the policy installed); the decision is recorded as an allow with no
    /// rules, the outcome as a success. Set [`AuditEvent::subject`] and
    /// [`AuditEvent::role`] for a call on a principal's role.
    pub fn for_operator(
        time: Timestamp,
        operator: &OperatorId,
        operation: Operation,
        tenant: Option<&TenantId>,
        policy: [u8; 32],
    ) -> Self {
        Self {
            time,
            tenant: tenant.cloned(),
            principal: Actor::Operator(operator.clone()),
            role: None,
            operation,
            project: None,
            document: None,
            envelope_suite: None,
            session: None,
            key: None,
            decision: DecisionRecord {
                policy,
                verdict: Verdict::Allow,
                access: None,
                request: None,
                rules: Vec::new(),
            },
            outcome: Outcome::Succeeded,
            sizes: Sizes::default(),
            subject: None,
        }
    }
}
