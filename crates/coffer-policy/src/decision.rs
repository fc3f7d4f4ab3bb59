//! Decisions: every applicable rule with its outcome, and the verdict.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::id::RuleId;
use crate::membership::Access;
use crate::named_enum;
use crate::rule::{Enforcement, Rule, RuleStatus, Severity};

named_enum!(
    /// What one rule's outcome does to the request.
    Effect, "effect" {
        /// The rule is satisfied.
        Satisfied = "satisfied",
        /// Failed under enforcement `none`: reported only.
        Reported = "reported",
        /// Failed with severity `info`: recorded.
        Info = "info",
        /// Failed with severity `warn`, or `block` under enforcement `warn`:
        /// allowed with a warning.
        Warn = "warn",
        /// Failed with severity `block` under `enforce`: denied.
        Deny = "deny",
    }
);

impl Effect {
    /// The effect of `status` for a rule of `severity` under `enforcement`.
    pub const fn of(status: &RuleStatus, severity: Severity, enforcement: Enforcement) -> Self {
        if !status.is_failure() {
            return Effect::Satisfied;
        }
        match (enforcement, severity) {
            (Enforcement::None, _) => Effect::Reported,
            (_, Severity::Info) => Effect::Info,
            (_, Severity::Warn) | (Enforcement::Warn, Severity::Block) => Effect::Warn,
            (Enforcement::Enforce, Severity::Block) => Effect::Deny,
        }
    }
}

named_enum!(
    /// The overall answer.
    Verdict, "verdict" {
        /// Allowed, nothing to report.
        Allow = "allow",
        /// Allowed, with at least one warning.
        AllowWithWarnings = "allow_with_warnings",
        /// Denied.
        Deny = "deny",
    }
);

impl Verdict {
    /// Whether the operation may proceed.
    pub const fn is_allowed(self) -> bool {
        !matches!(self, Verdict::Deny)
    }
}

/// One applicable rule's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleResult {
    pub(crate) index: u32,
    /// What the condition found.
    pub status: RuleStatus,
    /// The severity applied.
    pub severity: Severity,
    /// The enforcement mode applied.
    pub enforcement: Enforcement,
    /// What the outcome does.
    pub effect: Effect,
}

impl RuleResult {
    /// Position of the rule in its policy (document order).
    pub fn rule_index(&self) -> usize {
        self.index as usize
    }
}

/// One line of an explanation, owned and printable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The rule.
    pub rule: RuleId,
    /// Its scope in words.
    pub scope: String,
    /// Severity applied.
    pub severity: Severity,
    /// Enforcement applied.
    pub enforcement: Enforcement,
    /// What the outcome does.
    pub effect: Effect,
    /// The rule and its outcome in words.
    pub reason: String,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rule `{}` ({}; {} under {}): {} -> {}",
            self.rule, self.scope, self.severity, self.enforcement, self.reason, self.effect
        )
    }
}

/// The algorithm-rule part of a decision: every applicable rule, deny
/// overriding.
#[derive(Clone)]
pub struct PolicyDecision {
    rules: Arc<[Rule]>,
    digest: [u8; 32],
    results: Vec<RuleResult>,
    verdict: Verdict,
}

impl PolicyDecision {
    pub(crate) fn new(rules: Arc<[Rule]>, digest: [u8; 32], results: Vec<RuleResult>) -> Self {
        let verdict = verdict_of(results.iter().map(|r| r.effect));
        Self {
            rules,
            digest,
            results,
            verdict,
        }
    }

    /// Digest of the policy that made this decision.
    pub fn policy_digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The verdict of the rules alone.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Each applicable rule with its result, broadest scope first.
    pub fn results(&self) -> impl Iterator<Item = (&Rule, &RuleResult)> {
        self.results
            .iter()
            .filter_map(|r| self.rules.get(r.rule_index()).map(|rule| (rule, r)))
    }

    /// The applicable rules and their outcomes in words.
    pub fn explain(&self) -> Vec<Explanation> {
        self.results()
            .map(|(rule, r)| Explanation {
                rule: rule.id.clone(),
                scope: rule.scope.to_string(),
                severity: r.severity,
                enforcement: r.enforcement,
                effect: r.effect,
                reason: format!("{}; {}", rule.condition, r.status),
            })
            .collect()
    }
}

impl fmt::Debug for PolicyDecision {
    // The applicable rules by id, not the whole policy the decision points into.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyDecision")
            .field("verdict", &self.verdict)
            .field(
                "results",
                &self.results().map(|(rule, r)| (&rule.id, r)).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Deny overrides warnings, warnings override a plain allow.
pub(crate) fn verdict_of(effects: impl Iterator<Item = Effect>) -> Verdict {
    let mut verdict = Verdict::Allow;
    for effect in effects {
        match effect {
            Effect::Deny => return Verdict::Deny,
            Effect::Warn => verdict = Verdict::AllowWithWarnings,
            Effect::Satisfied | Effect::Reported | Effect::Info => {}
        }
    }
    verdict
}

named_enum!(
    /// Why a request was denied before its rules could judge it: the
    /// request itself cannot be evaluated, and the front door fails closed.
    RequestDenial, "request denial" {
        /// The envelope's context cannot be turned into policy context (more
        /// than [`crate::MAX_CONTEXT_ENTRIES`] entries, or an entry that is
        /// not UTF-8), so context-scoped rules could not be applied.
        UnreadableContext = "unreadable_context",
    }
);

impl RequestDenial {
    /// The denial in words.
    pub const fn reason(self) -> &'static str {
        match self {
            RequestDenial::UnreadableContext => {
                "the envelope's context cannot be evaluated by policy (too many entries or not UTF-8)"
            }
        }
    }
}

/// A full decision: the membership check and the algorithm rules.
///
/// The front door enforces [`Decision::is_allowed`] and records the whole
/// decision in the audit event.
#[derive(Debug, Clone)]
pub struct Decision {
    access: Access,
    policy: PolicyDecision,
    request: Option<RequestDenial>,
}

impl Decision {
    pub(crate) fn new(access: Access, policy: PolicyDecision) -> Self {
        Self {
            access,
            policy,
            request: None,
        }
    }

    /// The same decision, denied because the request cannot be evaluated
    /// (the front door's refusal of a call whose target or envelope it
    /// cannot read), whatever access and policy said.
    #[must_use]
    pub fn deny_request(mut self, denial: RequestDenial) -> Self {
        self.request = Some(denial);
        self
    }

    /// Why the request itself was refused, if it was.
    pub fn request_denial(&self) -> Option<RequestDenial> {
        self.request
    }

    /// The membership check.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The algorithm rules' part.
    pub fn policy(&self) -> &PolicyDecision {
        &self.policy
    }

    /// Deny if membership refused, the request cannot be evaluated, or any
    /// rule denies.
    pub fn verdict(&self) -> Verdict {
        if self.access.is_granted() && self.request.is_none() {
            self.policy.verdict()
        } else {
            Verdict::Deny
        }
    }

    /// Whether the operation may proceed.
    pub fn is_allowed(&self) -> bool {
        self.verdict().is_allowed()
    }

    /// The membership outcome in words followed by each rule's line.
    pub fn explain(&self) -> Vec<String> {
        let access = match self.access {
            Access::Granted(role) => format!("access: granted to role `{role}`"),
            Access::Denied {
                denial,
                role: Some(role),
            } => format!("access: denied to role `{role}`: {}", denial.reason()),
            Access::Denied { denial, role: None } => {
                format!("access: denied: {}", denial.reason())
            }
        };
        let request = self
            .request
            .map(|denial| format!("request: denied: {}", denial.reason()));
        std::iter::once(access)
            .chain(request)
            .chain(self.policy.explain().iter().map(ToString::to_string))
            .chain(std::iter::once(format!("verdict: {}", self.verdict())))
            .collect()
    }
}
