//! Policies: a validated set of rules, and its compiled, indexed form.

mod digest;
mod document;
mod index;

use std::collections::HashSet;
use std::sync::Arc;

use crate::context::{check_entry, ContextError};
use crate::decision::{Effect, PolicyDecision, RuleResult};
use crate::request::{Attributes, Request};
use crate::role::{Operation, Role};
use crate::rule::{Condition, Enforcement, Rule};
use crate::target::Target;
use document::PolicyDocument;
pub use document::PolicyDocumentError;

use index::Index;

pub use document::{MAX_POLICY_DOCUMENT_BYTES, POLICY_DOCUMENT_VERSION};

/// Most rules a policy may hold.
pub const MAX_RULES: usize = 100_000;

/// Why a rule is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A scope names a project without its tenant.
    #[error("scope names project `{0}` without a tenant")]
    ProjectWithoutTenant(String),
    /// A scope's context match breaks the envelope's context limits.
    #[error("scope context: {0}")]
    Context(#[from] ContextError),
    /// A suite list is empty (an empty allow-list would block everything,
    /// an empty deny-list nothing; both are mistakes).
    #[error("condition `{0}` lists no suites")]
    EmptySuiteList(&'static str),
    /// An explicit operation list is empty.
    #[error("operation list is empty")]
    NoOperations,
    /// An explicit role list is empty.
    #[error("role list is empty")]
    NoRoles,
    /// The rule lists an operation its condition cannot be evaluated on.
    #[error("condition `{condition}` does not apply to operation `{operation}`")]
    OperationNotApplicable {
        /// The condition's name.
        condition: &'static str,
        /// The operation.
        operation: Operation,
    },
    /// `min_key_bits` of zero.
    #[error("minimum key size must be positive")]
    ZeroKeyBits,
    /// A document names a suite, role, operation, severity, mode or profile
    /// that does not exist.
    #[error(transparent)]
    UnknownName(#[from] crate::name::UnknownName),
    /// A document holds a malformed id (rule, tenant or project).
    #[error(transparent)]
    Id(#[from] crate::id::IdError),
    /// A document sets `severity` on a `fips` rule, whose profile decides it.
    #[error("`severity` cannot be set on a `fips` rule: its profile sets it")]
    SeverityOnFips,
}

/// A policy that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The document does not parse or names something unknown.
    #[error(transparent)]
    Document(#[from] PolicyDocumentError),
    /// A rule is inconsistent.
    #[error("rule `{rule}`: {source}")]
    Rule {
        /// The rule's id.
        rule: String,
        /// What is wrong.
        source: RuleError,
    },
    /// Two rules share an id.
    #[error("rule id `{0}` is used twice")]
    DuplicateRuleId(String),
    /// More than [`MAX_RULES`] rules.
    #[error("policy has {count} rules, the maximum is {max}")]
    TooManyRules {
        /// How many.
        count: usize,
        /// The maximum.
        max: usize,
    },
}

/// A validated policy: a default enforcement mode and rules.
///
/// ```
/// use coffer_policy::*;
/// let policy = Policy::from_json(r#"{
///   "version": 1,
///   "enforcement": "enforce",
///   "rules": [{
///     "id": "rsa-3072",
///     "condition": { "min_key_bits": { "suite": "RSA-OAEP-256", "bits": 3072 } }
///   }]
/// }"#)?;
/// let compiled = policy.compile();
/// let request = Request {
///     operation: Operation::Download,
///     target: Target::for_project(TenantId::new("acme")?, ProjectId::new("p")?),
///     role: Some(Role::Viewer),
///     attributes: Attributes::session(SessionSpec::rsa_oaep_256(2048)),
/// };
/// assert_eq!(compiled.evaluate(&request).verdict(), Verdict::Deny);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    enforcement: Enforcement,
    rules: Vec<Rule>,
}

impl Default for Policy {
    /// No rules, enforcing (membership alone decides).
    fn default() -> Self {
        Self {
            enforcement: Enforcement::Enforce,
            rules: Vec::new(),
        }
    }
}

impl Policy {
    /// Validates rules: unique ids, consistent scopes, operations the
    /// conditions apply to.
    pub fn new(enforcement: Enforcement, rules: Vec<Rule>) -> Result<Self, PolicyError> {
        if rules.len() > MAX_RULES {
            return Err(PolicyError::TooManyRules {
                count: rules.len(),
                max: MAX_RULES,
            });
        }
        let mut ids = HashSet::with_capacity(rules.len());
        for rule in &rules {
            if !ids.insert(&rule.id) {
                return Err(PolicyError::DuplicateRuleId(rule.id.to_string()));
            }
            validate_rule(rule).map_err(|source| PolicyError::Rule {
                rule: rule.id.to_string(),
                source,
            })?;
        }
        Ok(Self { enforcement, rules })
    }

    /// Loads a JSON policy document (unknown fields refused).
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        PolicyDocument::from_json(text)?.into_policy()
    }

    /// Loads a TOML policy document (unknown fields refused).
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        PolicyDocument::from_toml(text)?.into_policy()
    }

    /// The policy as a JSON document that [`Policy::from_json`] reads back
    /// to an equal policy (how a store keeps a policy built in code). A
    /// `fips` rule is written without a severity, which its profile sets.
    pub fn to_json(&self) -> String {
        PolicyDocument::from(self).to_json()
    }

    /// The default enforcement mode.
    pub fn enforcement(&self) -> Enforcement {
        self.enforcement
    }

    /// The rules in document order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// SHA-256 over the policy's canonical encoding: equal for equal
    /// policies however they were written (JSON, TOML or code), recorded in
    /// every decision's audit event.
    pub fn digest(&self) -> [u8; 32] {
        digest::digest(self.enforcement, &self.rules)
    }

    /// Builds the indexed form used for decisions.
    pub fn compile(&self) -> CompiledPolicy {
        let rules: Arc<[Rule]> = self.rules.clone().into();
        let meta = rules
            .iter()
            .map(|r| RuleMeta {
                roles: r.roles.as_ref().map(|roles| role_mask(roles)),
                enforcement: r.enforcement.unwrap_or(self.enforcement),
            })
            .collect();
        CompiledPolicy {
            digest: self.digest(),
            index: Index::build(&rules),
            rules,
            meta,
        }
    }
}

fn role_mask(roles: &[Role]) -> u8 {
    roles.iter().fold(0, |m, r| m | (1 << r.index()))
}

fn validate_rule(rule: &Rule) -> Result<(), RuleError> {
    if let (None, Some(p)) = (&rule.scope.tenant, &rule.scope.project) {
        return Err(RuleError::ProjectWithoutTenant(p.to_string()));
    }
    if let Some(c) = &rule.scope.context {
        check_entry(&c.key, &c.value)?;
    }
    let empty = match &rule.condition {
        Condition::AllowEnvelopeSuites(s) | Condition::DenyEnvelopeSuites(s) => s.is_empty(),
        Condition::AllowSessionSuites(s) | Condition::DenySessionSuites(s) => s.is_empty(),
        Condition::AllowRecipientAlgorithms(k) => k.is_empty(),
        Condition::MinKeyBits { bits: 0, .. } => return Err(RuleError::ZeroKeyBits),
        Condition::MinKeyBits { .. } | Condition::Fips(_) | Condition::MaxMessageSize(_) => false,
    };
    if empty {
        return Err(RuleError::EmptySuiteList(rule.condition.name()));
    }
    if let Some(ops) = &rule.operations {
        if ops.is_empty() {
            return Err(RuleError::NoOperations);
        }
        let allowed = rule.condition.operations();
        if let Some(op) = ops.iter().find(|op| !allowed.contains(op)) {
            return Err(RuleError::OperationNotApplicable {
                condition: rule.condition.name(),
                operation: *op,
            });
        }
    }
    if rule.roles.as_ref().is_some_and(Vec::is_empty) {
        return Err(RuleError::NoRoles);
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct RuleMeta {
    /// Bit per [`Role`]; `None` applies to every requester.
    roles: Option<u8>,
    enforcement: Enforcement,
}

/// A policy compiled for fast decisions.
///
/// Rules are bucketed by scope (global, tenant, project, context entry) and
/// operation, so a decision visits only the rules that apply to it: its
/// cost depends on the number of applicable rules and of context entries,
/// not on the size of the policy.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    rules: Arc<[Rule]>,
    digest: [u8; 32],
    meta: Vec<RuleMeta>,
    index: Index,
}

impl CompiledPolicy {
    /// Evaluates the algorithm rules for a request. Pure: a dry run.
    pub fn evaluate(&self, request: &Request) -> PolicyDecision {
        self.evaluate_parts(
            request.operation,
            &request.target,
            request.role,
            &request.attributes,
        )
    }

    /// Every applicable rule for `request`, its outcome and reason in words.
    pub fn explain(&self, request: &Request) -> Vec<crate::decision::Explanation> {
        self.evaluate(request).explain()
    }

    /// The rules, in document order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The digest of the policy this was compiled from ([`Policy::digest`]).
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// A decision of no rule (for a decision on membership alone).
    pub(crate) fn no_rules(&self) -> PolicyDecision {
        PolicyDecision::new(Arc::clone(&self.rules), self.digest, Vec::new())
    }

    pub(crate) fn evaluate_parts(
        &self,
        operation: Operation,
        target: &Target,
        role: Option<Role>,
        attrs: &Attributes,
    ) -> PolicyDecision {
        // Most decisions touch a handful of rules: one allocation, no regrowth.
        let mut results = Vec::with_capacity(8);
        self.index
            .for_each_applicable(operation, target, &attrs.context, |i| {
                let (Some(rule), Some(meta)) = (self.rules.get(i), self.meta.get(i)) else {
                    return;
                };
                if let Some(mask) = meta.roles {
                    if role.is_none_or(|r| mask & (1 << r.index()) == 0) {
                        return;
                    }
                }
                let status = rule.condition.check(attrs);
                let severity = rule.effective_severity();
                results.push(RuleResult {
                    index: u32::try_from(i).unwrap_or(u32::MAX),
                    status,
                    severity,
                    enforcement: meta.enforcement,
                    effect: Effect::of(&status, severity, meta.enforcement),
                });
            });
        PolicyDecision::new(Arc::clone(&self.rules), self.digest, results)
    }
}
