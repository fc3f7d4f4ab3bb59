//! Checking a policy's references against the projects and tenants that
//! exist, when the policy is installed into a front door.

use std::fmt;

use crate::policy::CompiledPolicy;
use crate::policy::Membership;
use crate::policy::{ProjectId, RuleId, TenantId};

/// A rule whose scope names a tenant or project that does not exist, so
/// it never applies (a misspelt `payrol`, or a project not created yet).
///
/// Serde: `{"rule", "tenant", "project"}` (`project` absent or null when the
/// rule names none), validated on read, unknown fields refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnknownScope {
    /// The rule.
    pub rule: RuleId,
    /// The tenant it is scoped to.
    pub tenant: TenantId,
    /// The project it is scoped to, when the rule names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectId>,
}

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.project {
            Some(project) => write!(
                f,
                "rule `{}` is scoped to project `{project}` of tenant `{}`, which does not exist",
                self.rule, self.tenant
            ),
            None => write!(
                f,
                "rule `{}` is scoped to tenant `{}`, which has no members or projects",
                self.rule, self.tenant
            ),
        }
    }
}

/// What an installed policy references that does not exist. Empty when
/// every scoped rule names a known tenant and project.
///
/// Serde: `{"unknown_scopes": [ … ]}`, unknown fields refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use = "a rule scoped to a tenant or project that does not exist never applies"]
pub struct PolicyReport {
    /// Rules scoped to a tenant or project that does not exist.
    pub unknown_scopes: Vec<UnknownScope>,
}

impl PolicyReport {
    /// Checks every rule's scope of `policy` against `membership`.
    pub(super) fn check(policy: &CompiledPolicy, membership: &Membership) -> Self {
        let unknown_scopes = policy
            .rules()
            .iter()
            .filter_map(|rule| {
                let tenant = rule.scope.tenant.as_ref()?;
                let known = match &rule.scope.project {
                    Some(project) => membership.has_project(tenant, project),
                    None => membership.has_tenant(tenant),
                };
                (!known).then(|| UnknownScope {
                    rule: rule.id.clone(),
                    tenant: tenant.clone(),
                    project: rule.scope.project.clone(),
                })
            })
            .collect();
        PolicyReport { unknown_scopes }
    }

    /// Whether every scoped rule names something that exists.
    pub fn is_clean(&self) -> bool {
        self.unknown_scopes.is_empty()
    }
}
