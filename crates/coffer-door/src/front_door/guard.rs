//! Authorize → act → audit: the one path every front-door call takes.
//!
//! A call decides on the cached state, acts (PBKDF2, sealing) outside any
//! transaction, then in one transaction re-checks that the store's state
//! version has not moved (if it has: reloads and decides again; a decision
//! that now denies is recorded and returned as a denial, nothing applied),
//! applies its change and appends its record, and commits. A denial is one
//! transaction that appends its record. Reads record `started` in a
//! transaction of their own, re-checked the same way, before the first
//! plaintext byte, and their outcome in another.

use std::sync::Arc;

use crate::session::keys::{self, Identity, Password, ProjectKey};

use super::state::State;
use super::unlock::{unlock_grant, UnlockCache};
use super::{FrontDoor, FrontDoorError};
use crate::audit::{AuditEvent, KeyRef, Outcome, Timestamp};
use crate::policy::Attributes;
use crate::policy::Operation;
use crate::policy::Target;
use crate::policy::{Decision, RequestDenial};
use crate::policy::{Principal, PrincipalId, ProjectId, ReasonCode, TenantId};
use crate::store::{Change, Store, StoreError, Transaction};

/// What a transaction returns when it commits either way: the call's
/// result (a recorded refusal is an `Ok(Err(_))`, committed), or the
/// failure that rolled it back.
type Checked<T> = Result<Result<T, FrontDoorError>, FrontDoorError>;

/// An act run inside the call's transaction, on the state of that
/// transaction: its value and the one change it makes, if any.
pub(super) type InTransaction<'a, T> =
    dyn FnMut(&mut dyn Transaction, &State) -> Result<(T, Option<Change>), FrontDoorError> + 'a;

/// A project key version a call unlocked: from the project's record
/// (`None`) or from the named member's grant.
type Unlocked = (TenantId, ProjectId, u32, Option<PrincipalId>);

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
    key: Option<KeyRef>,
    access_first: bool,
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
            key: None,
            access_first: false,
        }
    }

    /// Decides access (membership) before anything else: a caller refused
    /// access is refused on it alone, its record and explanation naming
    /// the access decision only and none of the attributes (a document's
    /// header: its suite, context and size are for those who may read it).
    pub(super) fn access_first(mut self) -> Self {
        self.access_first = true;
        self
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

    /// Names `key` in the call's records, denials included (the public key
    /// a registration or grant is about).
    pub(super) fn key(mut self, key: Option<KeyRef>) -> Self {
        self.key = key;
        self
    }

    /// Denies the request whatever the rules say, because it cannot be
    /// evaluated.
    pub(super) fn refuse(mut self, refusal: Option<RequestDenial>) -> Self {
        self.refusal = refusal;
        self
    }

    /// The denial of access on membership alone in `state`, if access is
    /// refused, and its audit event (no attributes).
    fn access_denial(&self, state: &State) -> Option<(Decision, AuditEvent)> {
        let decision = state
            .authorizer
            .authorize_access(self.actor, self.operation, self.decide_on);
        if decision.is_allowed() {
            return None;
        }
        let mut event = AuditEvent::for_decision(
            Timestamp::now(),
            self.actor,
            self.operation,
            self.record_as,
            &Attributes::default(),
            &decision,
            Outcome::Succeeded,
        );
        event.key.clone_from(&self.key);
        Some((decision, event))
    }

    /// The decision on this request in `state`, and the audit event it
    /// starts.
    fn decide(&self, state: &State) -> (Decision, AuditEvent) {
        if self.access_first {
            if let Some(denied) = self.access_denial(state) {
                return denied;
            }
        }
        let mut decision =
            state
                .authorizer
                .authorize(self.actor, self.operation, self.decide_on, &self.attributes);
        if let Some(refusal) = self.refusal {
            decision = decision.deny_request(refusal);
        }
        let mut event = AuditEvent::for_decision(
            Timestamp::now(),
            self.actor,
            self.operation,
            self.record_as,
            &self.attributes,
            &decision,
            Outcome::Succeeded,
        );
        event.key.clone_from(&self.key);
        (decision, event)
    }

    fn denied(&self, decision: &Decision) -> FrontDoorError {
        FrontDoorError::Denied {
            operation: self.operation,
            explanation: decision.explain(),
        }
    }
}

/// An allowed call being served: the state it was decided on, its audit
/// event, and the one state change it makes, if any.
pub(super) struct Call<'a, S: Store> {
    door: &'a FrontDoor<S>,
    ask: &'a Ask<'a>,
    state: Arc<State>,
    event: AuditEvent,
    /// The changes, applied in order, all or none.
    changes: Vec<Change>,
    /// The project key versions the act unlocked, from the project record
    /// or a member's grant.
    unlocked: Vec<Unlocked>,
    released: bool,
    /// The call was refused on a re-check, and the refusal recorded.
    refusal_recorded: bool,
}

/// Re-checks a call in transaction `tx` on the latest state `now`, when
/// that moved from the state `then` it was decided and acted on: the
/// decision is taken again (a denial is recorded and returned), and a
/// project key version unlocked from a sealed key that changed since (a
/// password change won meanwhile: the password the call presented may no
/// longer be the project's) makes it a conflict. A version only added
/// meanwhile (a rotation) is no conflict: the key unlocked is still the
/// project's. A version unlocked from a member's grant that changed or
/// went since (the member's key was revoked or replaced) is a conflict too,
/// so nothing is released after the grant is gone. Returns the event to
/// record.
fn recheck(
    tx: &mut dyn Transaction,
    ask: &Ask<'_>,
    then: &State,
    now: &State,
    unlocked: &[Unlocked],
    event: &AuditEvent,
) -> Checked<AuditEvent> {
    if now.version == then.version {
        return Ok(Ok(event.clone()));
    }
    let (decision, redecided) = ask.decide(now);
    if !decision.is_allowed() {
        tx.append(redecided)?;
        return Ok(Err(ask.denied(&decision)));
    }
    for (tenant, project, version, member) in unlocked {
        let sealed = |state: &State| match member {
            None => state
                .project(tenant, project)
                .ok()
                .and_then(|r| r.sealed(*version))
                .map(<[u8]>::to_vec),
            Some(member) => state
                .grants
                .get(&(tenant.clone(), project.clone(), member.clone(), *version))
                .map(|grant| grant.sealed.clone()),
        };
        if sealed(then) != sealed(now) {
            let conflict = FrontDoorError::Conflict {
                project: project.to_string(),
            };
            let mut failed = redecided;
            failed.outcome = Outcome::Failed {
                reason: reason_code(&conflict),
            };
            tx.append(failed)?;
            return Ok(Err(conflict));
        }
    }
    Ok(Ok(redecided))
}

impl<S: Store> Call<'_, S> {
    /// Unlocks version `version` of a project's key with `password` (from
    /// the unlock cache when it may), from the state the call was decided
    /// on, and remembers it, so the call conflicts if that version is
    /// rewrapped (a password change) before the call is recorded.
    pub(super) fn unlock(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        version: u32,
        password: &Password,
    ) -> Result<Arc<ProjectKey>, FrontDoorError> {
        let cache = &self.door.cache;
        self.unlock_with(cache, tenant, project, version, password)
    }

    /// The project key `version` from `actor`'s grant, opened with
    /// `identity` (no password, no cache: the grant is the actor's own).
    pub(super) fn unlock_granted(
        &mut self,
        actor: &Principal,
        tenant: &TenantId,
        project: &ProjectId,
        version: u32,
        identity: &Identity,
    ) -> Result<Arc<ProjectKey>, FrontDoorError> {
        let key = unlock_grant(&self.state, actor, (tenant, project), version, identity)?;
        let member = Some(actor.id.clone());
        self.unlocked
            .push((tenant.clone(), project.clone(), version, member));
        Ok(Arc::new(key))
    }

    /// [`Call::unlock`] through `cache` instead of the front door's own (a
    /// batch of calls keeps the keys it unlocked for its length).
    pub(super) fn unlock_with(
        &mut self,
        cache: &UnlockCache,
        tenant: &TenantId,
        project: &ProjectId,
        version: u32,
        password: &Password,
    ) -> Result<Arc<ProjectKey>, FrontDoorError> {
        let record = self.state.project(tenant, project)?;
        let key = cache.unlock(tenant, project, record, version, password)?;
        self.unlocked
            .push((tenant.clone(), project.clone(), version, None));
        Ok(key)
    }

    /// The state the call was decided on.
    pub(super) fn state(&self) -> &State {
        &self.state
    }

    /// A state change the call makes: applied, if its decision still
    /// stands, in the transaction that records it, after the changes staged
    /// before it; if one is refused, none applies.
    pub(super) fn change(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// Writes the `started` record of a call about to release plaintext,
    /// after re-checking its decision on the latest state. Nothing may be
    /// released before this returns `Ok`.
    pub(super) fn release(&mut self, effects: &Effects) -> Result<(), FrontDoorError> {
        let (door, ask) = (self.door, self.ask);
        let (state, event, unlocked) = (&self.state, &self.event, &self.unlocked);
        let checked = door
            .store
            .transaction(&mut |tx: &mut dyn Transaction| -> Checked<_> {
                let now = door.current(tx, state)?;
                let event = match recheck(tx, ask, state, &now, unlocked, event)? {
                    Ok(event) => event,
                    Err(refused) => return Ok(Err(refused)),
                };
                let mut started = event.clone();
                effects.apply(&mut started);
                started.outcome = Outcome::Started;
                tx.append(started)?;
                Ok(Ok((now, event)))
            })?;
        let (now, mut event) = match checked {
            Ok(started) => started,
            Err(refused) => {
                // Recorded already, as a denial or conflict: the call ends
                // with it and records nothing more.
                self.refusal_recorded = true;
                return Err(refused);
            }
        };
        effects.apply(&mut event);
        self.state = now;
        self.event = event;
        self.released = true;
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
        other => format!("front-door.{}", other.code()),
    };
    ReasonCode::sanitized(&code)
}

impl<S: Store> FrontDoor<S> {
    /// Authorize → act → audit. `act` runs only when the call is allowed,
    /// outside any transaction, on the state decided on ([`Call::state`]);
    /// the change it stages ([`Call::change`]) is applied with the call's
    /// record in one transaction that first re-checks the decision.
    pub(super) fn guard<T>(
        &self,
        ask: Ask<'_>,
        act: impl FnOnce(&mut Call<'_, S>) -> Result<(T, Effects), FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        let known = self.cached();
        // The decision transaction: on the latest state; a denial is
        // recorded in it, an allowed call writes nothing yet.
        let (state, event) = self
            .store
            .transaction(&mut |tx: &mut dyn Transaction| -> Checked<_> {
                let state = self.current(tx, &known)?;
                let (decision, event) = ask.decide(&state);
                if !decision.is_allowed() {
                    tx.append(event)?;
                    return Ok(Err(ask.denied(&decision)));
                }
                Ok(Ok((state, event)))
            })??;
        let mut call = Call {
            door: self,
            ask: &ask,
            state,
            event,
            changes: Vec::new(),
            unlocked: Vec::new(),
            released: false,
            refusal_recorded: false,
        };
        let result = act(&mut call);
        self.conclude(call, result)
    }

    /// Records how an allowed act ended, applying its change when it
    /// succeeded and its decision still stands; only a recorded result is
    /// returned.
    fn conclude<T>(
        &self,
        call: Call<'_, S>,
        result: Result<(T, Effects), FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        let Call {
            ask,
            state,
            event,
            changes,
            unlocked,
            released,
            refusal_recorded,
            ..
        } = call;
        let (value, effects) = match result {
            Ok(done) => done,
            Err(error) if refusal_recorded => return Err(error),
            Err(error) => {
                let mut failed = event;
                failed.outcome = Outcome::Failed {
                    reason: reason_code(&error),
                };
                self.store
                    .transaction(&mut |tx: &mut dyn Transaction| tx.append(failed.clone()))?;
                return Err(error);
            }
        };
        // A refusal of a change after the first leaves the earlier ones
        // applied in the transaction: it is rolled back, and the refusal
        // recorded in a transaction of its own.
        let mut late_refusal: Option<AuditEvent> = None;
        let concluded = self
            .store
            .transaction(&mut |tx: &mut dyn Transaction| -> Checked<()> {
                late_refusal = None;
                // A read that released plaintext was re-checked then; only
                // its outcome is left to record.
                let mut event = if released {
                    event.clone()
                } else {
                    let now = self.current(tx, &state)?;
                    match recheck(tx, ask, &state, &now, &unlocked, &event)? {
                        Ok(event) => event,
                        Err(refused) => return Ok(Err(refused)),
                    }
                };
                for (index, change) in changes.iter().enumerate() {
                    if let Err(refused) = tx.apply(change) {
                        if !refused.is_refusal() {
                            return Err(refused.into());
                        }
                        let error = FrontDoorError::from(refused);
                        event.outcome = Outcome::Failed {
                            reason: reason_code(&error),
                        };
                        if index > 0 {
                            late_refusal = Some(event);
                            return Err(error);
                        }
                        tx.append(event)?;
                        return Ok(Err(error));
                    }
                }
                effects.apply(&mut event);
                tx.append(event)?;
                Ok(Ok(()))
            });
        match (concluded, late_refusal) {
            (Err(error), Some(failed)) => {
                self.store
                    .transaction(&mut |tx: &mut dyn Transaction| tx.append(failed.clone()))?;
                Err(error)
            }
            (concluded, _) => {
                concluded??;
                Ok(value)
            }
        }
    }

    /// The first transaction of a call on a stored document: access is
    /// decided on the latest state before anything about the document is
    /// read (a denial is recorded, on the access decision alone, and
    /// returned); once access is granted, `lookup` reads what the call
    /// needs in the same transaction. The call, with the attributes it
    /// then reads (the envelope's header), is decided in full by
    /// [`FrontDoor::guard`].
    pub(super) fn admit<T>(
        &self,
        ask: &Ask<'_>,
        lookup: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, StoreError>,
    ) -> Result<T, FrontDoorError> {
        let known = self.cached();
        self.store
            .transaction(&mut |tx: &mut dyn Transaction| -> Checked<T> {
                let state = self.current(tx, &known)?;
                if let Some((decision, event)) = ask.access_denial(&state) {
                    tx.append(event)?;
                    return Ok(Err(ask.denied(&decision)));
                }
                Ok(Ok(lookup(tx)?))
            })?
    }

    /// Authorize → act → audit in one transaction, for calls whose act is
    /// cheap and reads or changes the state itself (members, the audit
    /// trail): decided on the state of that transaction, acted on, the
    /// change applied and the record appended together. An act's error is
    /// recorded as the call's failure, except a store failure, which
    /// rolls everything back.
    pub(super) fn guard_in_transaction<T>(
        &self,
        ask: Ask<'_>,
        act: &mut InTransaction<'_, T>,
    ) -> Result<T, FrontDoorError> {
        let known = self.cached();
        self.store
            .transaction(&mut |tx: &mut dyn Transaction| -> Checked<T> {
                let state = self.current(tx, &known)?;
                let (decision, mut event) = ask.decide(&state);
                if !decision.is_allowed() {
                    tx.append(event)?;
                    return Ok(Err(ask.denied(&decision)));
                }
                let failure = match act(tx, &state) {
                    Ok((value, change)) => match change.map(|c| tx.apply(&c)).transpose() {
                        Ok(_) => {
                            tx.append(event)?;
                            return Ok(Ok(value));
                        }
                        Err(refused) if refused.is_refusal() => FrontDoorError::from(refused),
                        Err(failed) => return Err(failed.into()),
                    },
                    Err(FrontDoorError::Store(failed)) => return Err(FrontDoorError::Store(failed)),
                    Err(error) => error,
                };
                event.outcome = Outcome::Failed {
                    reason: reason_code(&failure),
                };
                tx.append(event)?;
                Ok(Err(failure))
            })?
    }
}
