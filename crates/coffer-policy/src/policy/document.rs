//! The policy document format (JSON or TOML) and its translation into a
//! checked [`Policy`].
//!
//! Every name in a document is checked while loading: an unknown field,
//! suite, role, operation, severity, mode, profile or condition is an error
//! that names it in backticks.

use serde::{Deserialize, Serialize};

use super::{Policy, PolicyError, RuleError};
use crate::id::{ProjectId, RuleId, TenantId};
use crate::role::{Operation, Role};
use crate::rule::{Condition, ContextMatch, Enforcement, FipsProfile, Rule, Scope, Severity};
use crate::suite::{EnvelopeSuite, RecipientKem, SessionSuite};

/// Largest policy document accepted, in bytes.
pub const MAX_POLICY_DOCUMENT_BYTES: usize = 16 << 20;

/// The only document version this crate reads.
pub const POLICY_DOCUMENT_VERSION: u32 = 1;

/// A policy document that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyDocumentError {
    /// Not valid JSON, or not the expected shape (unknown fields included).
    #[error("invalid policy JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Not valid TOML, or not the expected shape (unknown fields included).
    #[error("invalid policy TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// Larger than [`MAX_POLICY_DOCUMENT_BYTES`].
    #[error("policy document is {len} bytes, the maximum is {max}")]
    TooLarge {
        /// The document's size.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The top-level `enforcement` names no mode.
    #[error(transparent)]
    UnknownName(#[from] crate::name::UnknownName),
    /// A `version` other than [`POLICY_DOCUMENT_VERSION`].
    #[error("unsupported policy document version `{0}`")]
    UnsupportedVersion(u32),
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyDocument {
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enforcement: Option<String>,
    #[serde(default)]
    rules: Vec<RuleDocument>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RuleDocument {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "ScopeDocument::is_global")]
    scope: ScopeDocument,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enforcement: Option<String>,
    condition: ConditionDocument,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ScopeDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context: Option<ContextDocument>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ContextDocument {
    key: String,
    value: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum ConditionDocument {
    AllowEnvelopeSuites(Vec<String>),
    DenyEnvelopeSuites(Vec<String>),
    AllowSessionSuites(Vec<String>),
    DenySessionSuites(Vec<String>),
    MinKeyBits(MinKeyBitsDocument),
    Fips(String),
    MaxMessageSize(u64),
    AllowRecipientAlgorithms(Vec<String>),
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct MinKeyBitsDocument {
    suite: String,
    bits: u32,
}

fn check_size(text: &str) -> Result<(), PolicyDocumentError> {
    if text.len() > MAX_POLICY_DOCUMENT_BYTES {
        return Err(PolicyDocumentError::TooLarge {
            len: text.len(),
            max: MAX_POLICY_DOCUMENT_BYTES,
        });
    }
    Ok(())
}

fn names<T>(
    items: &[String],
    parse: impl Fn(&str) -> Result<T, crate::name::UnknownName>,
) -> Result<Vec<T>, RuleError> {
    items.iter().map(|s| parse(s).map_err(RuleError::from)).collect()
}

impl PolicyDocument {
    pub(crate) fn from_json(text: &str) -> Result<Self, PolicyDocumentError> {
        check_size(text)?;
        Ok(serde_json::from_str(text)?)
    }

    pub(crate) fn from_toml(text: &str) -> Result<Self, PolicyDocumentError> {
        check_size(text)?;
        Ok(toml::from_str(text)?)
    }

    pub(crate) fn to_json(&self) -> String {
        // A document of ids, names and numbers always serializes.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub(crate) fn into_policy(self) -> Result<Policy, PolicyError> {
        if self.version != POLICY_DOCUMENT_VERSION {
            return Err(PolicyDocumentError::UnsupportedVersion(self.version).into());
        }
        let enforcement = match &self.enforcement {
            None => Enforcement::Enforce,
            Some(e) => Enforcement::from_name(e).map_err(PolicyDocumentError::from)?,
        };
        let rules = self
            .rules
            .into_iter()
            .map(|doc| {
                let id = doc.id.clone();
                doc.into_rule()
                    .map_err(|source| PolicyError::Rule { rule: id, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Policy::new(enforcement, rules)
    }
}

impl RuleDocument {
    fn into_rule(self) -> Result<Rule, RuleError> {
        let condition = self.condition.into_condition()?;
        let severity = match (&self.severity, &condition) {
            (Some(_), Condition::Fips(_)) => return Err(RuleError::SeverityOnFips),
            (Some(s), _) => Severity::from_name(s)?,
            (None, _) => Severity::Block,
        };
        Ok(Rule {
            id: RuleId::new(self.id)?,
            description: self.description,
            scope: self.scope.into_scope()?,
            operations: self
                .operations
                .map(|ops| names(&ops, Operation::from_name))
                .transpose()?,
            roles: self
                .roles
                .map(|roles| names(&roles, Role::from_name))
                .transpose()?,
            severity,
            enforcement: self.enforcement.map(|e| Enforcement::from_name(&e)).transpose()?,
            condition,
        })
    }
}

impl ScopeDocument {
    fn into_scope(self) -> Result<Scope, RuleError> {
        Ok(Scope {
            tenant: self.tenant.map(TenantId::new).transpose()?,
            project: self.project.map(ProjectId::new).transpose()?,
            context: self.context.map(|c| ContextMatch {
                key: c.key,
                value: c.value,
            }),
        })
    }
}

impl ConditionDocument {
    fn into_condition(self) -> Result<Condition, RuleError> {
        Ok(match self {
            ConditionDocument::AllowEnvelopeSuites(s) => {
                Condition::AllowEnvelopeSuites(names(&s, EnvelopeSuite::from_name)?)
            }
            ConditionDocument::DenyEnvelopeSuites(s) => {
                Condition::DenyEnvelopeSuites(names(&s, EnvelopeSuite::from_name)?)
            }
            ConditionDocument::AllowSessionSuites(s) => {
                Condition::AllowSessionSuites(names(&s, SessionSuite::from_name)?)
            }
            ConditionDocument::DenySessionSuites(s) => {
                Condition::DenySessionSuites(names(&s, SessionSuite::from_name)?)
            }
            ConditionDocument::MinKeyBits(m) => Condition::MinKeyBits {
                suite: SessionSuite::from_name(&m.suite)?,
                bits: m.bits,
            },
            ConditionDocument::Fips(p) => Condition::Fips(FipsProfile::from_name(&p)?),
            ConditionDocument::MaxMessageSize(max) => Condition::MaxMessageSize(max),
            ConditionDocument::AllowRecipientAlgorithms(k) => Condition::AllowRecipientAlgorithms(
                k.iter()
                    .map(|n| RecipientKem::from_name(n))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

impl From<&Policy> for PolicyDocument {
    fn from(policy: &Policy) -> Self {
        PolicyDocument {
            version: POLICY_DOCUMENT_VERSION,
            enforcement: Some(policy.enforcement().name().to_owned()),
            rules: policy.rules().iter().map(RuleDocument::from).collect(),
        }
    }
}

fn name_list<T: Copy + Into<&'static str>>(items: &[T]) -> Vec<String> {
    items.iter().map(|i| (*i).into().to_owned()).collect()
}

impl From<&Rule> for RuleDocument {
    fn from(rule: &Rule) -> Self {
        let fips = matches!(rule.condition, Condition::Fips(_));
        RuleDocument {
            id: rule.id.to_string(),
            description: rule.description.clone(),
            scope: ScopeDocument {
                tenant: rule.scope.tenant.as_ref().map(ToString::to_string),
                project: rule.scope.project.as_ref().map(ToString::to_string),
                context: rule.scope.context.as_ref().map(|c| ContextDocument {
                    key: c.key.clone(),
                    value: c.value.clone(),
                }),
            },
            operations: rule.operations.as_deref().map(name_list),
            roles: rule.roles.as_deref().map(name_list),
            // A `fips` rule's profile sets its severity; documents refuse one.
            severity: (!fips).then(|| rule.severity.name().to_owned()),
            enforcement: rule.enforcement.map(|e| e.name().to_owned()),
            condition: ConditionDocument::from(&rule.condition),
        }
    }
}

impl ScopeDocument {
    fn is_global(&self) -> bool {
        self.tenant.is_none() && self.project.is_none() && self.context.is_none()
    }
}

impl From<&Condition> for ConditionDocument {
    fn from(condition: &Condition) -> Self {
        match condition {
            Condition::AllowEnvelopeSuites(s) => ConditionDocument::AllowEnvelopeSuites(name_list(s)),
            Condition::DenyEnvelopeSuites(s) => ConditionDocument::DenyEnvelopeSuites(name_list(s)),
            Condition::AllowSessionSuites(s) => ConditionDocument::AllowSessionSuites(name_list(s)),
            Condition::DenySessionSuites(s) => ConditionDocument::DenySessionSuites(name_list(s)),
            Condition::MinKeyBits { suite, bits } => ConditionDocument::MinKeyBits(MinKeyBitsDocument {
                suite: suite.name().to_owned(),
                bits: *bits,
            }),
            Condition::Fips(p) => ConditionDocument::Fips(p.name().to_owned()),
            Condition::MaxMessageSize(max) => ConditionDocument::MaxMessageSize(*max),
            Condition::AllowRecipientAlgorithms(k) => {
                ConditionDocument::AllowRecipientAlgorithms(k.iter().map(|k| k.name().to_owned()).collect())
            }
        }
    }
}
