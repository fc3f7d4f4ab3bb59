//! Algorithm rules: what they constrain, where they apply, how hard.

mod check;

use std::fmt;

pub use check::{MissingField, RuleStatus, Violation};

use crate::id::{ProjectId, RuleId, TenantId};
use crate::named_enum;
use crate::role::{Operation, Role};
use crate::suite::{EnvelopeSuite, RecipientKem, SessionSuite};

named_enum!(
    /// How serious a rule's violation is.
    Severity, "severity" {
        /// Recorded only.
        Info = "info",
        /// Allowed with a warning.
        Warn = "warn",
        /// Denied (under `enforce`).
        Block = "block",
    }
);

named_enum!(
    /// What the policy does with a violation.
    Enforcement, "enforcement mode" {
        /// Evaluated and reported only; nothing is warned or denied.
        None = "none",
        /// A would-be block becomes a warning; the operation is allowed.
        Warn = "warn",
        /// Block severity denies.
        Enforce = "enforce",
    }
);

named_enum!(
    /// The FIPS 140 profile a [`Condition::Fips`] rule requires.
    FipsProfile, "fips profile" {
        /// No FIPS constraint.
        Disabled = "disabled",
        /// Non-approved algorithms warn.
        Preferred = "preferred",
        /// Non-approved algorithms block.
        Enabled = "enabled",
    }
);

/// Where a rule applies: global, a tenant, a project, optionally narrowed
/// to requests whose context has `key = value`.
///
/// A project scope always names its tenant, since project ids are unique
/// within a tenant only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Restrict to one tenant.
    pub tenant: Option<TenantId>,
    /// Restrict to one project of [`Scope::tenant`].
    pub project: Option<ProjectId>,
    /// Restrict to requests whose context holds this key with this value.
    pub context: Option<ContextMatch>,
}

/// A context entry a scoped rule requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextMatch {
    /// The context key.
    pub key: String,
    /// The exact value.
    pub value: String,
}

/// The scope levels, from broadest to narrowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScopeLevel {
    /// Every request.
    Global,
    /// One tenant.
    Tenant,
    /// One project.
    Project,
    /// A context match (possibly within a tenant or project).
    Context,
}

impl Scope {
    /// The global scope.
    pub fn global() -> Self {
        Self::default()
    }

    /// One tenant.
    pub fn tenant(tenant: TenantId) -> Self {
        Self {
            tenant: Some(tenant),
            ..Self::default()
        }
    }

    /// One project.
    pub fn project(tenant: TenantId, project: ProjectId) -> Self {
        Self {
            tenant: Some(tenant),
            project: Some(project),
            context: None,
        }
    }

    /// This scope narrowed to requests with context `key = value`.
    #[must_use]
    pub fn with_context(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context = Some(ContextMatch {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// The narrowest level this scope names.
    pub fn level(&self) -> ScopeLevel {
        match (&self.tenant, &self.project, &self.context) {
            (_, _, Some(_)) => ScopeLevel::Context,
            (_, Some(_), None) => ScopeLevel::Project,
            (Some(_), None, None) => ScopeLevel::Tenant,
            (None, None, None) => ScopeLevel::Global,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(t) = &self.tenant {
            parts.push(format!("tenant `{t}`"));
        }
        if let Some(p) = &self.project {
            parts.push(format!("project `{p}`"));
        }
        if let Some(c) = &self.context {
            parts.push(format!("context `{}` = `{}`", c.key, c.value));
        }
        if parts.is_empty() {
            f.write_str("global")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// What a rule requires of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Condition {
    /// The envelope suite must be one of these.
    AllowEnvelopeSuites(Vec<EnvelopeSuite>),
    /// The envelope suite must not be one of these.
    DenyEnvelopeSuites(Vec<EnvelopeSuite>),
    /// The session suite must be one of these.
    AllowSessionSuites(Vec<SessionSuite>),
    /// The session suite must not be one of these.
    DenySessionSuites(Vec<SessionSuite>),
    /// Sessions of `suite` must have keys of at least `bits` bits; sessions
    /// of other suites are not constrained.
    MinKeyBits {
        /// The session suite constrained.
        suite: SessionSuite,
        /// The minimum key size.
        bits: u32,
    },
    /// Every suite in the request must be FIPS-approved; the profile sets
    /// the severity (`enabled`: block, `preferred`: warn).
    Fips(FipsProfile),
    /// The message must be at most this many bytes.
    MaxMessageSize(u64),
    /// New public-key recipients (keys registered, grants sealed) must use
    /// one of these algorithms: `[XWing]` requires the post-quantum
    /// hybrid.
    AllowRecipientAlgorithms(Vec<RecipientKem>),
}

impl Condition {
    /// The condition's name in policy documents.
    pub const fn name(&self) -> &'static str {
        match self {
            Condition::AllowEnvelopeSuites(_) => "allow_envelope_suites",
            Condition::DenyEnvelopeSuites(_) => "deny_envelope_suites",
            Condition::AllowSessionSuites(_) => "allow_session_suites",
            Condition::DenySessionSuites(_) => "deny_session_suites",
            Condition::MinKeyBits { .. } => "min_key_bits",
            Condition::Fips(_) => "fips",
            Condition::MaxMessageSize(_) => "max_message_size",
            Condition::AllowRecipientAlgorithms(_) => "allow_recipient_algorithms",
        }
    }

    /// The operations the condition can be evaluated on, which are also
    /// the operations a rule applies to when it lists none.
    ///
    /// Envelope conditions apply to downloads too: a download releases the
    /// plaintext of an envelope, so it is decided on the suite and size
    /// found in that envelope like a decryption.
    pub const fn operations(&self) -> &'static [Operation] {
        use Operation as Op;
        match self {
            Condition::AllowEnvelopeSuites(_)
            | Condition::DenyEnvelopeSuites(_)
            | Condition::MaxMessageSize(_) => &[Op::Encrypt, Op::Decrypt, Op::Download],
            Condition::AllowSessionSuites(_)
            | Condition::DenySessionSuites(_)
            | Condition::MinKeyBits { .. } => &[Op::Download, Op::ChangePassword],
            Condition::Fips(_) => &[
                Op::Encrypt,
                Op::Decrypt,
                Op::Download,
                Op::ChangePassword,
                Op::RegisterKey,
                Op::GrantKey,
            ],
            Condition::AllowRecipientAlgorithms(_) => &[Op::RegisterKey, Op::GrantKey],
        }
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::AllowEnvelopeSuites(s) => {
                write!(f, "envelope suite must be one of {}", join(s))
            }
            Condition::DenyEnvelopeSuites(s) => {
                write!(f, "envelope suite must not be one of {}", join(s))
            }
            Condition::AllowSessionSuites(s) => {
                write!(f, "session suite must be one of {}", join(s))
            }
            Condition::DenySessionSuites(s) => {
                write!(f, "session suite must not be one of {}", join(s))
            }
            Condition::MinKeyBits { suite, bits } => {
                write!(f, "`{suite}` session keys must have at least {bits} bits")
            }
            Condition::Fips(p) => write!(f, "FIPS profile `{p}`: suites must be FIPS-approved"),
            Condition::MaxMessageSize(max) => write!(f, "messages must be at most {max} bytes"),
            Condition::AllowRecipientAlgorithms(k) => {
                write!(f, "new recipients' algorithm must be one of {}", join(k))
            }
        }
    }
}

/// One algorithm rule.
///
/// ```
/// use coffer_policy::*;
/// let rule = Rule::new(
///     RuleId::new("no-chacha")?,
///     Condition::DenyEnvelopeSuites(vec![EnvelopeSuite::ChaCha20Poly1305HkdfSha256]),
/// )
/// .in_scope(Scope::tenant(TenantId::new("acme")?))
/// .with_severity(Severity::Block);
/// assert_eq!(rule.scope.level(), ScopeLevel::Tenant);
/// # Ok::<(), coffer_policy::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Unique within a policy.
    pub id: RuleId,
    /// Free text for people reading explanations.
    pub description: Option<String>,
    /// Where it applies.
    pub scope: Scope,
    /// Which operations it applies to; `None` means
    /// [`Condition::operations`].
    pub operations: Option<Vec<Operation>>,
    /// Which roles it applies to; `None` means every requester.
    pub roles: Option<Vec<Role>>,
    /// Severity of a violation (ignored by FIPS rules, whose profile sets it).
    pub severity: Severity,
    /// Overrides the policy's enforcement mode for this rule.
    pub enforcement: Option<Enforcement>,
    /// What it requires.
    pub condition: Condition,
}

impl Rule {
    /// A global, blocking rule on the condition's default operations.
    pub fn new(id: RuleId, condition: Condition) -> Self {
        Self {
            id,
            description: None,
            scope: Scope::global(),
            operations: None,
            roles: None,
            severity: Severity::Block,
            enforcement: None,
            condition,
        }
    }

    /// The rule with `scope`.
    #[must_use]
    pub fn in_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The rule with `severity`.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The rule restricted to `operations`.
    #[must_use]
    pub fn on(mut self, operations: Vec<Operation>) -> Self {
        self.operations = Some(operations);
        self
    }

    /// The rule restricted to requesters holding one of `roles`.
    #[must_use]
    pub fn for_roles(mut self, roles: Vec<Role>) -> Self {
        self.roles = Some(roles);
        self
    }

    /// The rule with its own enforcement mode.
    #[must_use]
    pub fn with_enforcement(mut self, enforcement: Enforcement) -> Self {
        self.enforcement = Some(enforcement);
        self
    }

    /// The operations the rule applies to, defaults resolved.
    pub fn applies_to(&self) -> &[Operation] {
        self.operations
            .as_deref()
            .unwrap_or_else(|| self.condition.operations())
    }

    /// Whether the rule applies to `operation`. A download is a decryption:
    /// a rule that applies to [`Operation::Decrypt`] applies to
    /// [`Operation::Download`] as well, so a rule that stops opening a
    /// document also stops downloading it.
    ///
    /// ```
    /// use coffer_policy::*;
    /// let rule = Rule::new(RuleId::new("small")?, Condition::MaxMessageSize(1024))
    ///     .on(vec![Operation::Decrypt]);
    /// assert!(rule.applies_on(Operation::Download));
    /// assert!(!rule.applies_on(Operation::Encrypt));
    /// # Ok::<(), coffer_policy::IdError>(())
    /// ```
    pub fn applies_on(&self, operation: Operation) -> bool {
        let ops = self.applies_to();
        ops.contains(&operation) || (operation == Operation::Download && ops.contains(&Operation::Decrypt))
    }

    /// The severity a violation of this rule has.
    pub fn effective_severity(&self) -> Severity {
        match self.condition {
            Condition::Fips(FipsProfile::Enabled) => Severity::Block,
            Condition::Fips(FipsProfile::Preferred) => Severity::Warn,
            Condition::Fips(FipsProfile::Disabled) => Severity::Info,
            _ => self.severity,
        }
    }
}
