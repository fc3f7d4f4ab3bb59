//! What an operation acts on: a tenant, a project or a document in a project.

use serde::{Deserialize, Serialize};

use crate::id::{DocumentId, ProjectId, TenantId};

/// The object of an operation.
///
/// A document is always inside a project, and a project inside a tenant, so
/// the ids given here are exactly what the front door commits into an
/// envelope's context (`coffer.project`, `coffer.document`).
///
/// ```
/// use coffer_policy::{DocumentId, ProjectId, Target, TenantId};
/// let t = Target::for_document(
///     TenantId::new("acme")?,
///     ProjectId::new("payroll")?,
///     DocumentId::new("2026-11.pdf")?,
/// );
/// assert_eq!(t.project().map(|p| p.as_str()), Some("payroll"));
/// # Ok::<(), coffer_policy::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "TargetDoc", into = "TargetDoc")]
pub struct Target {
    tenant: TenantId,
    project: Option<ProjectId>,
    document: Option<DocumentId>,
}

impl Target {
    /// A whole tenant.
    pub fn for_tenant(tenant: TenantId) -> Self {
        Self {
            tenant,
            project: None,
            document: None,
        }
    }

    /// A project of a tenant.
    pub fn for_project(tenant: TenantId, project: ProjectId) -> Self {
        Self {
            tenant,
            project: Some(project),
            document: None,
        }
    }

    /// A document in a project of a tenant.
    pub fn for_document(tenant: TenantId, project: ProjectId, document: DocumentId) -> Self {
        Self {
            tenant,
            project: Some(project),
            document: Some(document),
        }
    }

    /// The tenant acted on.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The project acted on, if any.
    pub fn project(&self) -> Option<&ProjectId> {
        self.project.as_ref()
    }

    /// The document acted on, if any.
    pub fn document(&self) -> Option<&DocumentId> {
        self.document.as_ref()
    }
}

/// A project of a tenant: the target of the calls that act on one project
/// (listing its documents, changing its password, rotating its key,
/// managing its members), so they need no run-time check that a
/// [`Target`] names a project and no document.
///
/// ```
/// use coffer_policy::{DocumentId, ProjectId, ProjectRef, Target, TenantId};
/// let payroll = ProjectRef::new(TenantId::new("acme")?, ProjectId::new("payroll")?);
/// let march = payroll.document(DocumentId::new("march.csv")?);
/// assert_eq!(Target::from(&payroll), Target::for_project(TenantId::new("acme")?, ProjectId::new("payroll")?));
/// assert_eq!(march.project_ref(), payroll);
/// # Ok::<(), coffer_policy::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectRef {
    tenant: TenantId,
    project: ProjectId,
}

impl ProjectRef {
    /// `project` of `tenant`.
    pub fn new(tenant: TenantId, project: ProjectId) -> Self {
        Self { tenant, project }
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The project.
    pub fn project(&self) -> &ProjectId {
        &self.project
    }

    /// `document` in this project.
    pub fn document(&self, document: DocumentId) -> DocumentRef {
        DocumentRef::new(self.tenant.clone(), self.project.clone(), document)
    }
}

/// A document in a project of a tenant: the target of the calls that act
/// on one document (sealing, opening, download offers, rewrapping), so
/// they need no run-time check that a [`Target`] names a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentRef {
    tenant: TenantId,
    project: ProjectId,
    document: DocumentId,
}

impl DocumentRef {
    /// `document` in `project` of `tenant`.
    pub fn new(tenant: TenantId, project: ProjectId, document: DocumentId) -> Self {
        Self {
            tenant,
            project,
            document,
        }
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The project.
    pub fn project(&self) -> &ProjectId {
        &self.project
    }

    /// The document.
    pub fn document(&self) -> &DocumentId {
        &self.document
    }

    /// The project the document is in.
    pub fn project_ref(&self) -> ProjectRef {
        ProjectRef::new(self.tenant.clone(), self.project.clone())
    }
}

impl From<ProjectRef> for Target {
    fn from(project: ProjectRef) -> Self {
        Target::for_project(project.tenant, project.project)
    }
}

impl From<&ProjectRef> for Target {
    fn from(project: &ProjectRef) -> Self {
        Target::for_project(project.tenant.clone(), project.project.clone())
    }
}

impl From<DocumentRef> for Target {
    fn from(document: DocumentRef) -> Self {
        Target::for_document(document.tenant, document.project, document.document)
    }
}

impl From<&DocumentRef> for Target {
    fn from(document: &DocumentRef) -> Self {
        Target::for_document(
            document.tenant.clone(),
            document.project.clone(),
            document.document.clone(),
        )
    }
}

/// Serde form of [`Target`]: flat optional fields, checked on the way in.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetDoc {
    tenant: TenantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    project: Option<ProjectId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document: Option<DocumentId>,
}

/// A target naming a document without a project.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("target names document `{0}` but no project")]
pub struct DocumentWithoutProject(String);

impl TryFrom<TargetDoc> for Target {
    type Error = DocumentWithoutProject;
    fn try_from(doc: TargetDoc) -> Result<Self, Self::Error> {
        if let (None, Some(d)) = (&doc.project, &doc.document) {
            return Err(DocumentWithoutProject(d.to_string()));
        }
        Ok(Self {
            tenant: doc.tenant,
            project: doc.project,
            document: doc.document,
        })
    }
}

impl From<Target> for TargetDoc {
    fn from(t: Target) -> Self {
        Self {
            tenant: t.tenant,
            project: t.project,
            document: t.document,
        }
    }
}
