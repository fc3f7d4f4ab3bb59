//! Authorize → act → audit: the one path every front-door call takes.

use std::sync::{PoisonError, RwLockReadGuard, RwLockWriteGuard};

use coffer_session::keys;

use super::{FrontDoor, FrontDoorError};
use crate::audit::{AuditEvent, AuditSink, ChainHead, KeyRef, Outcome, Timestamp};
use crate::authorizer::Authorizer;
use crate::decision::{Decision, RequestDenial};
use crate::id::{Principal, ReasonCode};
use crate::request::Attributes;
use crate::role::Operation;
use crate::target::Target;

/// What an act reports for the audit event.
#[derive(Debug, Default, Clone)]
pub(super) struct Effects {
    pub(super) key: Option<KeyRef>,
    pub(super) plaintext: Option<u64>,
    pub(super) ciphertext: Option<u64>,
}

impl Effects {
    fn apply(&self, event: &mut AuditEvent) {
        event.key = self.key.clone().or(event.key.take());
        event.sizes.plaintext = self.plaintext.or(event.sizes.plaintext);
        event.sizes.ciphertext = self.ciphertext;
    }
}

/// A request to decide: who asks to do what, where, with which attributes.
#[derive(Debug)]
pub(super) struct Ask<'t> {
    actor: &'t Principal,
    operation: Operation,
    decide_on: &'t Target,
    record_as: &'t Target,
    attributes: Attributes,
    refusal: Option<RequestDenial>,
}

impl<'t> Ask<'t> {
    pub(super) fn new(actor: &'t Principal, operation: Operation, target: &'t Target) -> Self {
        Ask {
            actor,
            operation,
            decide_on: target,
            record_as: target,
            attributes: Attributes::default(),
            refusal: None,
        }
    }

    pub(super) fn attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// Records the event against `target` while deciding on the one given
    /// to [`Ask::new`] (creating a project is decided on the tenant and
    /// recorded on the new project).
    pub(super) fn record_as(mut self, target: &'t Target) -> Self {
        self.record_as = target;
        self
    }

    /// Denies the request whatever the rules say, because it cannot be
    /// evaluated.
    pub(super) fn refuse(mut self, refusal: Option<RequestDenial>) -> Self {
        self.refusal = refusal;
        self
    }
}

/// An allowed call being served: its audit event, and the authorizer state
/// it was decided on, read-locked until the call's act is recorded.
pub(super) struct Call<'a, S: AuditSink> {
    door: &'a FrontDoor<S>,
    event: AuditEvent,
    decided_on: Option<RwLockReadGuard<'a, Authorizer>>,
}

impl<S: AuditSink> Call<'_, S> {
    /// Writes the `started` record of a call about to release plaintext and
    /// lets go of the state it was decided on. Nothing may be released
    /// before this returns `Ok`.
    pub(super) fn release(&mut self, effects: &Effects) -> Result<(), FrontDoorError> {
        let mut event = self.event.clone();
        effects.apply(&mut event);
        event.outcome = Outcome::Started;
        self.door.append(event)?;
        self.decided_on = None;
        Ok(())
    }
}

/// The public reason code of a failure, for the audit trail: precise where
/// the caller only sees an opaque error.
pub(super) fn reason_code(error: &FrontDoorError) -> ReasonCode {
    let code = match error {
        // The key layer's stable codes; the opaque crypto failure's reason
        // reaches the audit trail through its explicit accessor.
        FrontDoorError::Keys(keys::Error::Crypto(failure)) => format!("crypto.{}", failure.reason().code()),
        FrontDoorError::Keys(e @ keys::Error::Format(_)) => e.code().to_owned(),
        FrontDoorError::Keys(other) => format!("keys.{}", other.code()),
        FrontDoorError::SessionRejected(rejection) => format!("session.{}", rejection.reason().code()),
        other => format!("front-door.{}", variant_name(&format!("{other:?}"))),
    };
    ReasonCode::sanitized(&code)
}

/// The leading identifier of a Debug rendering (the variant name).
fn variant_name(debug: &str) -> &str {
    let end = debug
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(debug.len());
    &debug[..end.min(48)]
}

impl<S: AuditSink> FrontDoor<S> {
    pub(super) fn append(&self, event: AuditEvent) -> Result<ChainHead, FrontDoorError> {
        Ok(self.sink().append(event)?)
    }

    /// The decision on `ask` and the audit event it starts.
    fn decide(&self, authorizer: &Authorizer, ask: &Ask<'_>) -> (Decision, AuditEvent) {
        let mut decision = authorizer.authorize(ask.actor, ask.operation, ask.decide_on, &ask.attributes);
        if let Some(refusal) = ask.refusal {
            decision = decision.deny_request(refusal);
        }
        let event = AuditEvent::for_decision(
            Timestamp::now(),
            ask.actor,
            ask.operation,
            ask.record_as,
            &ask.attributes,
            &decision,
            Outcome::Succeeded,
        );
        (decision, event)
    }

    /// Records a denial and returns it as the error.
    fn deny(&self, operation: Operation, decision: &Decision, event: AuditEvent) -> FrontDoorError {
        match self.append(event) {
            Ok(_) => FrontDoorError::Denied {
                operation,
                explanation: decision.explain(),
            },
            Err(error) => error,
        }
    }

    /// Records how an allowed act ended; only a recorded result is returned.
    fn conclude<T>(
        &self,
        mut event: AuditEvent,
        result: Result<(T, Effects), FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        match &result {
            Ok((_, effects)) => effects.apply(&mut event),
            Err(error) => {
                event.outcome = Outcome::Failed {
                    reason: reason_code(error),
                }
            }
        }
        self.append(event)?;
        result.map(|(value, _)| value)
    }

    /// Authorize → act → audit, with the membership and policy read-locked
    /// from the decision until the act is recorded (or, for a read, until
    /// [`Call::release`]), so the act never runs on a role that was changed
    /// after the decision. `act` runs only when allowed.
    pub(super) fn guard<T>(
        &self,
        ask: Ask<'_>,
        act: impl FnOnce(&mut Call<'_, S>) -> Result<(T, Effects), FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        let authorizer = self.authorizer.read().unwrap_or_else(PoisonError::into_inner);
        let (decision, event) = self.decide(&authorizer, &ask);
        if !decision.is_allowed() {
            return Err(self.deny(ask.operation, &decision, event));
        }
        let mut call = Call {
            door: self,
            event,
            decided_on: Some(authorizer),
        };
        let result = act(&mut call);
        let Call {
            event, decided_on, ..
        } = call;
        let concluded = self.conclude(event, result);
        drop(decided_on);
        concluded
    }

    /// [`FrontDoor::guard`] for calls that change the membership: decided
    /// under the write lock, which `act` receives and keeps (typically in a
    /// [`Staged`](super::staged::Staged) change) until the result is
    /// recorded.
    pub(super) fn guard_write<'a, T>(
        &'a self,
        ask: Ask<'_>,
        act: impl FnOnce(RwLockWriteGuard<'a, Authorizer>) -> Result<(T, Effects), FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        let authorizer = self.authorizer.write().unwrap_or_else(PoisonError::into_inner);
        let (decision, event) = self.decide(&authorizer, &ask);
        if !decision.is_allowed() {
            return Err(self.deny(ask.operation, &decision, event));
        }
        let result = act(authorizer);
        self.conclude(event, result)
    }
}
