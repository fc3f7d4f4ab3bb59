//! Seeding an empty store: tenant roles and a policy before the first
//! call.

use super::{FrontDoor, FrontDoorConfig, FrontDoorError};
use crate::audit::Timestamp;
use crate::policy::Policy;
use crate::policy::Principal;
use crate::policy::Role;
use crate::session::SessionService;
use crate::store::{Change, Installer, NewPolicy, Store, Transaction};

/// Opens a front door after seeding its store, when the store is empty,
/// with tenant-level roles and a policy (from [`FrontDoor::setup`]).
///
/// The seed is applied only to a store that has never been changed (state
/// version 0), in one transaction; on a store that already holds state (a
/// restart) it is ignored, so the same start-up code serves the first run
/// and every later one. Later changes are operator calls
/// ([`FrontDoor::grant_tenant_role`], [`FrontDoor::install_policy`]).
#[derive(Debug)]
#[must_use = "a setup does nothing until opened"]
pub struct Setup<S: Store> {
    config: FrontDoorConfig,
    store: S,
    sessions: SessionService,
    seed: Vec<Change>,
}

impl<S: Store> Setup<S> {
    pub(super) fn new(config: FrontDoorConfig, store: S, sessions: SessionService) -> Self {
        Setup {
            config,
            store,
            sessions,
            seed: Vec::new(),
        }
    }

    /// Gives `principal` a role over its tenant (Owner to create projects).
    pub fn tenant_role(mut self, principal: &Principal, role: Role) -> Self {
        self.seed.push(Change::SetTenantRole {
            principal: principal.clone(),
            role,
        });
        self
    }

    /// Installs `policy`, recorded in the policy history as installed by
    /// the operator named `operator`.
    pub fn policy(mut self, policy: &Policy, operator: &str) -> Self {
        self.seed.push(Change::InstallPolicy(NewPolicy {
            document: policy.to_json(),
            digest: policy.digest(),
            installed_by: Installer::Operator(operator.to_owned()),
            installed_at: Timestamp::now(),
        }));
        self
    }

    /// Seeds the store if it is empty, then opens the front door
    /// ([`FrontDoor::open`], which verifies the audit chain first).
    ///
    /// # Errors
    ///
    /// As [`FrontDoor::open`], and [`FrontDoorError::Store`] when seeding
    /// fails (then nothing was seeded).
    pub fn open(self) -> Result<FrontDoor<S>, FrontDoorError> {
        let Setup {
            config,
            store,
            sessions,
            seed,
        } = self;
        let door = FrontDoor::open(config, store, sessions)?;
        door.store
            .transaction(&mut |tx: &mut dyn Transaction| -> Result<(), FrontDoorError> {
                if tx.version()? == 0 {
                    for change in &seed {
                        tx.apply(change)?;
                    }
                }
                Ok(())
            })?;
        Ok(door)
    }
}
