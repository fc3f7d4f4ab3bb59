//! Failed authentications at a service in front of the front door (an
//! HTTP service checking API keys), recorded in the same audit chain as
//! every decision, so an auditor sees credential guessing next to what
//! the credentials were used for.

use super::{FrontDoor, FrontDoorError};
use crate::audit::{AuditEvent, Outcome, Timestamp};
use crate::policy::Attributes;
use crate::policy::Operation;
use crate::policy::Target;
use crate::policy::Verdict;
use crate::policy::{Principal, ReasonCode};
use crate::store::{Store, Transaction};

impl<S: Store> FrontDoor<S> {
    /// Records that a credential presented for `claimed` was refused, for
    /// the public reason `reason` (for example `api-key.revoked`), as an
    /// [`Operation::Authenticate`] event on `claimed`'s tenant with outcome
    /// [`Outcome::Failed`]. `claimed` is the principal the credential
    /// names, or a service's own placeholder principal when it names none
    /// (a missing or unknown credential). Never decided by membership: the
    /// record carries a deny verdict with no membership or rule results.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`] when the record cannot be written.
    pub fn record_failed_authentication(
        &self,
        claimed: &Principal,
        reason: &ReasonCode,
    ) -> Result<(), FrontDoorError> {
        let target = Target::for_tenant(claimed.tenant.clone());
        let state = self.cached();
        // The authorizer supplies the policy digest; its membership verdict
        // does not apply to an authentication and is cleared.
        let decision =
            state
                .authorizer
                .authorize(claimed, Operation::Authenticate, &target, &Attributes::default());
        let mut event = AuditEvent::for_decision(
            Timestamp::now(),
            claimed,
            Operation::Authenticate,
            &target,
            &Attributes::default(),
            &decision,
            Outcome::Denied,
        );
        event.role = None;
        event.decision.verdict = Verdict::Deny;
        event.decision.access = None;
        event.decision.rules.clear();
        event.outcome = Outcome::Failed {
            reason: reason.clone(),
        };
        self.store
            .transaction(&mut |tx: &mut dyn Transaction| -> Result<(), FrontDoorError> {
                tx.append(event.clone())?;
                Ok(())
            })
    }
}
