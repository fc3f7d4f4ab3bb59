//! The audit trail as principals see it: the records about their target,
//! and whether the chain verifies, without a word about anyone else.

use super::guard::Ask;
use super::{FrontDoor, FrontDoorError};
use crate::audit::{AuditError, AuditRecord};
use crate::policy::Operation;
use crate::policy::Principal;
use crate::policy::Target;
use crate::store::{Store, StoreError, Transaction};

/// What verifying the audit trail tells a principal: the whole chain
/// verifies (against the store's own head), and how many of its records
/// concern the target. The chain's head is not included: its count and
/// hash reveal other projects' and tenants' activity (operators read it
/// with [`FrontDoor::verify_chain`]).
///
/// Serde: `{"target": {…}, "records": 12}`, unknown fields refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TrailReport {
    /// The tenant or project verified.
    pub target: Target,
    /// Records about the target (a tenant: all of its records; a project:
    /// that project's).
    pub records: u64,
}

/// Whether `record` is about `target` (an operator's call on a tenant role
/// is about that tenant; an installed policy, which spans tenants, is
/// about none).
fn is_about(record: &AuditRecord, target: &Target) -> bool {
    record.event.tenant.as_ref() == Some(target.tenant())
        && target
            .project()
            .is_none_or(|p| record.event.project.as_ref() == Some(p))
}

/// The audit trail is kept per tenant and per project: a document target
/// (which the decision judges on its project) would report the whole
/// project's records under the document's name, so it is refused. The one
/// run-time shape check left in the front door: the trail's calls take a
/// [`Target`] because a tenant and a project are both theirs.
fn tenant_or_project(target: &Target, operation: Operation) -> Result<(), FrontDoorError> {
    match target.document() {
        None => Ok(()),
        Some(_) => Err(FrontDoorError::WrongTarget {
            operation,
            needs: "tenant or project",
        }),
    }
}

/// A broken chain is one opaque error for principals: the position of the
/// first bad record would tell them the chain's length. A record that does
/// not read back is a broken chain too.
fn scoped(error: StoreError) -> FrontDoorError {
    match error {
        StoreError::Audit(AuditError::Verify(_)) | StoreError::Corrupt(_) => FrontDoorError::TrailBroken,
        other => FrontDoorError::from(other),
    }
}

impl<S: Store> FrontDoor<S> {
    /// The audit records about `target` (a tenant: all of its records; a
    /// project: that project's). Owners and Auditors.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Denied`]; [`FrontDoorError::WrongTarget`]
    /// (recorded) for a document target; [`FrontDoorError::Store`].
    pub fn audit_trail(
        &self,
        actor: &Principal,
        target: &Target,
    ) -> Result<Vec<AuditRecord>, FrontDoorError> {
        let ask = Ask::new(actor, Operation::ReadAudit, target);
        self.guard_in_transaction(ask, &mut |tx: &mut dyn Transaction, _| {
            tenant_or_project(target, Operation::ReadAudit)?;
            let records = tx.audit_records()?;
            let about = records.into_iter().filter(|r| is_about(r, target)).collect();
            Ok((about, None))
        })
    }

    /// Verifies the whole audit chain, every record and against the store's
    /// own head, and reports on the records about `target`. Owners and
    /// Auditors. A chain that does not verify is
    /// [`FrontDoorError::TrailBroken`], whoever asks: the operator locates
    /// the break with [`FrontDoor::verify_chain`].
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::TrailBroken`]; [`FrontDoorError::Denied`];
    /// [`FrontDoorError::WrongTarget`] (recorded) for a document target;
    /// [`FrontDoorError::Store`].
    pub fn verify_audit(&self, actor: &Principal, target: &Target) -> Result<TrailReport, FrontDoorError> {
        let ask = Ask::new(actor, Operation::VerifyAudit, target);
        self.guard_in_transaction(ask, &mut |tx: &mut dyn Transaction, _| {
            tenant_or_project(target, Operation::VerifyAudit)?;
            tx.verify_audit(None).map_err(scoped)?;
            let records = tx.audit_records().map_err(scoped)?;
            let report = TrailReport {
                target: target.clone(),
                records: records.iter().filter(|r| is_about(r, target)).count() as u64,
            };
            Ok((report, None))
        })
    }
}
