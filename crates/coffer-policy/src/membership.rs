//! Who holds which role where: the membership table and the access check.

// Keys are inserted by administrators only; requests just look up.
use foldhash::HashMap;

use crate::id::{Principal, PrincipalId, ProjectId, TenantId};
use crate::named_enum;
use crate::role::{Operation, Role, TargetLevel};
use crate::target::Target;

named_enum!(
    /// Why the membership check refused an operation.
    AccessDenial, "access denial" {
        /// The principal belongs to another tenant than the target.
        TenantMismatch = "tenant_mismatch",
        /// The target project does not exist in the target tenant.
        UnknownProject = "unknown_project",
        /// The principal holds no role on the target.
        NotMember = "not_member",
        /// The principal's role does not include the operation.
        RoleForbids = "role_forbids",
        /// The operation needs a project and got a tenant, or the reverse.
        WrongTarget = "wrong_target",
    }
);

impl AccessDenial {
    /// The denial in words.
    pub const fn reason(self) -> &'static str {
        match self {
            AccessDenial::TenantMismatch => "principal belongs to another tenant than the target",
            AccessDenial::UnknownProject => "target project does not exist",
            AccessDenial::NotMember => "principal holds no role on the target",
            AccessDenial::RoleForbids => "principal's role does not permit the operation",
            AccessDenial::WrongTarget => "operation does not apply to this kind of target",
        }
    }
}

/// The outcome of the membership check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The principal holds `Role`, which permits the operation.
    Granted(Role),
    /// Refused; the role is known when the principal is a member whose role
    /// does not permit the operation.
    Denied {
        /// Why.
        denial: AccessDenial,
        /// The principal's role on the target, if any.
        role: Option<Role>,
    },
}

impl Access {
    /// The principal's role on the target, granted or not.
    pub const fn role(&self) -> Option<Role> {
        match *self {
            Access::Granted(role) => Some(role),
            Access::Denied { role, .. } => role,
        }
    }

    /// Whether access was granted.
    pub const fn is_granted(&self) -> bool {
        matches!(self, Access::Granted(_))
    }
}

/// An error changing the membership table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    /// [`Membership::create_project`] for a project that already exists.
    #[error("project `{project}` already exists in tenant `{tenant}`")]
    ProjectExists {
        /// The tenant.
        tenant: String,
        /// The project.
        project: String,
    },
    /// An assignment or unassignment names a project that was never created.
    #[error("project `{project}` does not exist in tenant `{tenant}`")]
    UnknownProject {
        /// The tenant.
        tenant: String,
        /// The project.
        project: String,
    },
    /// An assignment would give a principal of one tenant a role in another.
    #[error(
        "principal `{principal}` of tenant `{principal_tenant}` cannot hold a role in tenant `{tenant}`"
    )]
    CrossTenant {
        /// The principal's id.
        principal: String,
        /// The principal's tenant.
        principal_tenant: String,
        /// The tenant of the project.
        tenant: String,
    },
}

#[derive(Debug, Default, Clone)]
struct TenantMembers {
    /// Roles over the tenant as a whole (tenant-level operations only).
    tenant_roles: HashMap<PrincipalId, Role>,
    projects: HashMap<ProjectId, HashMap<PrincipalId, Role>>,
}

/// The membership table: tenant → project → principal → role, plus
/// tenant-level roles for operations on a tenant as a whole.
///
/// Members are stored under their project's tenant by principal id alone, so
/// a principal of another tenant cannot be represented in a project, and
/// [`Membership::check`] compares tenants before looking anything up.
///
/// ```
/// use coffer_policy::*;
/// let acme = TenantId::new("acme")?;
/// let payroll = ProjectId::new("payroll")?;
/// let alice = Principal::new(acme.clone(), PrincipalId::new("alice")?);
/// let mut m = Membership::new();
/// m.create_project(&acme, &payroll)?;
/// m.assign(&acme, &payroll, &alice, Role::Editor)?;
/// let target = Target::for_project(acme.clone(), payroll.clone());
/// assert_eq!(m.check(&alice, Operation::Encrypt, &target), Access::Granted(Role::Editor));
/// assert!(!m.check(&alice, Operation::RotateKey, &target).is_granted());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Membership {
    tenants: HashMap<TenantId, TenantMembers>,
}

impl Membership {
    /// An empty table: every check is denied.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a project (with no members) in a tenant.
    pub fn create_project(&mut self, tenant: &TenantId, project: &ProjectId) -> Result<(), MembershipError> {
        let members = self.tenants.entry(tenant.clone()).or_default();
        if members.projects.contains_key(project) {
            return Err(MembershipError::ProjectExists {
                tenant: tenant.to_string(),
                project: project.to_string(),
            });
        }
        members.projects.insert(project.clone(), HashMap::default());
        Ok(())
    }

    /// Whether `tenant` is known: it has a project or a tenant-level role.
    pub fn has_tenant(&self, tenant: &TenantId) -> bool {
        self.tenants
            .get(tenant)
            .is_some_and(|t| !t.projects.is_empty() || !t.tenant_roles.is_empty())
    }

    /// Whether `project` exists in `tenant`.
    pub fn has_project(&self, tenant: &TenantId, project: &ProjectId) -> bool {
        self.tenants
            .get(tenant)
            .is_some_and(|t| t.projects.contains_key(project))
    }

    /// Gives `principal` `role` in a project, returning the role it replaced.
    pub fn assign(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        principal: &Principal,
        role: Role,
    ) -> Result<Option<Role>, MembershipError> {
        check_same_tenant(tenant, principal)?;
        let members = self.project_members_mut(tenant, project)?;
        Ok(members.insert(principal.id.clone(), role))
    }

    /// Removes `principal` from a project, returning the role it held.
    pub fn unassign(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        principal: &Principal,
    ) -> Result<Option<Role>, MembershipError> {
        if principal.tenant != *tenant {
            return Ok(None);
        }
        let members = self.project_members_mut(tenant, project)?;
        Ok(members.remove(&principal.id))
    }

    /// Gives `principal` a role over its own tenant as a whole, used for
    /// tenant-level operations (creating projects, tenant-wide audit and
    /// policy). It grants nothing inside projects.
    pub fn assign_tenant(&mut self, principal: &Principal, role: Role) -> Option<Role> {
        self.tenants
            .entry(principal.tenant.clone())
            .or_default()
            .tenant_roles
            .insert(principal.id.clone(), role)
    }

    /// Removes a tenant-level role.
    pub fn unassign_tenant(&mut self, principal: &Principal) -> Option<Role> {
        self.tenants
            .get_mut(&principal.tenant)
            .and_then(|t| t.tenant_roles.remove(&principal.id))
    }

    /// Every tenant-level role, sorted by tenant and principal (for
    /// storing and comparing tables).
    pub fn tenant_roles(&self) -> Vec<(Principal, Role)> {
        let mut roles: Vec<(Principal, Role)> = self
            .tenants
            .iter()
            .flat_map(|(tenant, members)| {
                members
                    .tenant_roles
                    .iter()
                    .map(|(id, role)| (Principal::new(tenant.clone(), id.clone()), *role))
            })
            .collect();
        roles.sort_by(|a, b| (&a.0.tenant, &a.0.id).cmp(&(&b.0.tenant, &b.0.id)));
        roles
    }

    /// Every project with its members, sorted by tenant, project and
    /// principal (for storing and comparing tables).
    pub fn projects(&self) -> Vec<ProjectMembers> {
        let mut projects: Vec<ProjectMembers> = self
            .tenants
            .iter()
            .flat_map(|(tenant, members)| {
                members.projects.iter().map(|(project, roles)| {
                    let mut members: Vec<(PrincipalId, Role)> =
                        roles.iter().map(|(id, role)| (id.clone(), *role)).collect();
                    members.sort_by(|a, b| a.0.cmp(&b.0));
                    ProjectMembers {
                        tenant: tenant.clone(),
                        project: project.clone(),
                        members,
                    }
                })
            })
            .collect();
        projects.sort_by(|a, b| (&a.tenant, &a.project).cmp(&(&b.tenant, &b.project)));
        projects
    }

    /// The role `principal` holds on `target` (project role for project
    /// targets, tenant role for tenant targets), without checking an
    /// operation.
    pub fn role(&self, principal: &Principal, target: &Target) -> Option<Role> {
        self.lookup(principal, target).ok()
    }

    /// Decides whether `principal` may perform `operation` on `target` by
    /// membership alone. Default deny: anything not granted is refused.
    pub fn check(&self, principal: &Principal, operation: Operation, target: &Target) -> Access {
        let role = match self.lookup(principal, target) {
            Ok(role) => role,
            Err(denial) => return Access::Denied { denial, role: None },
        };
        let level_ok = !matches!(
            (operation.target_level(), target.project()),
            (TargetLevel::Tenant, Some(_)) | (TargetLevel::Project, None)
        );
        let denial = if !level_ok {
            AccessDenial::WrongTarget
        } else if role.permits(operation) {
            return Access::Granted(role);
        } else {
            AccessDenial::RoleForbids
        };
        Access::Denied {
            denial,
            role: Some(role),
        }
    }

    /// Tenant isolation first, then the project, then the member.
    fn lookup(&self, principal: &Principal, target: &Target) -> Result<Role, AccessDenial> {
        if principal.tenant != *target.tenant() {
            return Err(AccessDenial::TenantMismatch);
        }
        let tenant = self.tenants.get(target.tenant());
        let role = match target.project() {
            Some(project) => tenant
                .and_then(|t| t.projects.get(project))
                .ok_or(AccessDenial::UnknownProject)?
                .get(&principal.id),
            None => tenant.and_then(|t| t.tenant_roles.get(&principal.id)),
        };
        role.copied().ok_or(AccessDenial::NotMember)
    }

    fn project_members_mut(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<&mut HashMap<PrincipalId, Role>, MembershipError> {
        self.tenants
            .get_mut(tenant)
            .and_then(|t| t.projects.get_mut(project))
            .ok_or_else(|| MembershipError::UnknownProject {
                tenant: tenant.to_string(),
                project: project.to_string(),
            })
    }
}

/// Two tables are equal when they hold the same roles, however they were
/// built (a tenant whose last role was revoked equals one never seen).
impl PartialEq for Membership {
    fn eq(&self, other: &Self) -> bool {
        self.tenant_roles() == other.tenant_roles() && self.projects() == other.projects()
    }
}

impl Eq for Membership {}

/// A project and its members, as [`Membership::projects`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectMembers {
    /// The project's tenant.
    pub tenant: TenantId,
    /// The project.
    pub project: ProjectId,
    /// Its members (principals of the tenant) and their roles, sorted.
    pub members: Vec<(PrincipalId, Role)>,
}

fn check_same_tenant(tenant: &TenantId, principal: &Principal) -> Result<(), MembershipError> {
    if principal.tenant == *tenant {
        Ok(())
    } else {
        Err(MembershipError::CrossTenant {
            principal: principal.id.to_string(),
            principal_tenant: principal.tenant.to_string(),
            tenant: tenant.to_string(),
        })
    }
}
