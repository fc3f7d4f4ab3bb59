//! The state a front door decides and acts on: a snapshot of its store,
//! cached, and reloaded inside a transaction whenever the store's state
//! version moved (a change of this front door or of another instance).

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};

use super::policy_report::PolicyReport;
use super::{FrontDoor, FrontDoorError};
use crate::policy::Authorizer;
use crate::policy::Policy;
use crate::policy::{Principal, PrincipalId, ProjectId, TenantId};
use crate::store::{GrantSlot, KeyGrant, ProjectRecord, RegisteredKey, Snapshot, Store, Transaction};

/// One version of the store's state, ready to decide on.
#[derive(Debug)]
pub(super) struct State {
    /// The store's state version it was read at.
    pub(super) version: u64,
    pub(super) authorizer: Authorizer,
    pub(super) projects: BTreeMap<(TenantId, ProjectId), ProjectRecord>,
    /// Members' registered public keys.
    pub(super) public_keys: BTreeMap<(TenantId, PrincipalId), RegisteredKey>,
    /// Project key versions sealed to them.
    pub(super) grants: BTreeMap<GrantSlot, KeyGrant>,
    /// What the installed policy references that does not exist.
    pub(super) report: PolicyReport,
}

impl State {
    /// Compiles the snapshot's policy document (none: no rules).
    pub(super) fn load(snapshot: Snapshot) -> Result<Self, FrontDoorError> {
        let policy = match &snapshot.policy {
            Some(installed) => Policy::from_json(&installed.document)?,
            None => Policy::default(),
        };
        let compiled = policy.compile();
        let report = PolicyReport::check(&compiled, &snapshot.membership);
        Ok(State {
            version: snapshot.version,
            authorizer: Authorizer::new(snapshot.membership, compiled),
            projects: snapshot.projects,
            public_keys: snapshot.public_keys,
            grants: snapshot.grants,
            report,
        })
    }

    /// A project's record.
    pub(super) fn project(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<&ProjectRecord, FrontDoorError> {
        self.projects
            .get(&(tenant.clone(), project.clone()))
            .ok_or_else(|| FrontDoorError::UnknownProject(project.to_string()))
    }

    /// A principal's registered public key.
    pub(super) fn public_key(&self, principal: &Principal) -> Result<&RegisteredKey, FrontDoorError> {
        self.public_keys
            .get(&(principal.tenant.clone(), principal.id.clone()))
            .ok_or_else(|| FrontDoorError::NoPublicKey(principal.id.to_string()))
    }
}

impl<S: Store> FrontDoor<S> {
    /// The cached state, without asking the store (a call decides on it
    /// first and re-checks it in its transaction).
    pub(super) fn cached(&self) -> Arc<State> {
        Arc::clone(&self.state.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The state as of transaction `tx`: `known` when the store's version
    /// has not moved since, else reloaded (and cached). Call it before
    /// applying anything in `tx`, so what is cached is committed state.
    pub(super) fn current(
        &self,
        tx: &mut dyn Transaction,
        known: &Arc<State>,
    ) -> Result<Arc<State>, FrontDoorError> {
        let version = tx.version()?;
        if version == known.version {
            return Ok(Arc::clone(known));
        }
        let cached = self.cached();
        if version == cached.version {
            return Ok(cached);
        }
        let state = Arc::new(State::load(tx.snapshot()?)?);
        let mut slot = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if slot.version < state.version {
            *slot = Arc::clone(&state);
        }
        Ok(state)
    }

    /// The latest state, read in a transaction of its own.
    pub(super) fn refreshed(&self) -> Result<Arc<State>, FrontDoorError> {
        let known = self.cached();
        self.store
            .transaction(&mut |tx: &mut dyn Transaction| self.current(tx, &known))
    }
}
