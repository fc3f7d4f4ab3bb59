//! The front door: one type that puts authorize → act → audit around every
//! operation, composing membership and policy, project keys, sessions and
//! the audit chain, on a [`Store`] that keeps the state and the chain.
//!
//! Every call is decided first ([`Authorizer::authorize`]) and every call is
//! audited, including one refused before anything could be decided (a
//! project target where a document is needed, an unreadable envelope). A
//! denial is audited and returned without acting. An allowed call acts, and
//! its outcome, success or failure with a reason code, is audited before
//! the result is returned.
//!
//! One transaction per call: the state change a call makes (project,
//! password, rotation, member) and its audit record commit together in one
//! store transaction, or neither does. If the record cannot be written the
//! call fails ([`FrontDoorError::Store`]) and nothing changed: the front
//! door fails closed.
//!
//! Reads fail closed too: a call that releases plaintext (decrypt,
//! download) writes an [`Outcome::Started`](crate::audit::Outcome::Started)
//! record after the project key opened the envelope's header and before the
//! first plaintext byte leaves, then the final outcome.
//!
//! A call decides on the cached state, acts outside any transaction
//! (PBKDF2, sealing), and re-checks in the transaction that records it
//! that the store's state has not changed since; if it has (another call,
//! or another front door on the same store), it decides again on the
//! latest state, and a decision that now denies is recorded and returned
//! as a denial with nothing applied. So a member removed or demoted
//! meanwhile never has the old role applied, and two instances on one
//! store enforce each other's changes at once. Rotations and password
//! changes carry the project's generation: of two racing, one wins and the
//! other fails with [`FrontDoorError::Conflict`].
//!
//! Project isolation: documents are sealed with the tenant, project and
//! document ids as committed `coffer.` context entries, and every open
//! requires them, so an envelope moved to another project or document does
//! not open there, whoever asks. Project keys are sealed the same way.

mod authentication;
mod documents;
mod error;
mod grants;
mod guard;
mod header;
mod members;
mod open;
mod operator;
mod policy_report;
mod projects;
mod rewrap;
mod sessions;
mod setup;
mod state;
mod stored;
mod trail;
mod unlock;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::session::keys::envelope::{ReaderLimits, Suite};
use crate::session::keys::{self, SealOptions, MIN_PBKDF2_ITERATIONS};
use crate::session::SessionService;

pub use documents::{Plaintext, Sealed};
pub use error::{FrontDoorError, LengthSeen};
pub use open::{Credential, Source};
pub use policy_report::{PolicyReport, UnknownScope};
pub use rewrap::{RewrapFailure, RewrapProgress, RewrapSummary};
pub use sessions::PasswordCredential;
pub use setup::Setup;
use state::State;
pub use trail::TrailReport;
use unlock::UnlockCache;

use crate::audit::AuditError;
use crate::policy::Attributes;
#[cfg(doc)]
use crate::policy::Authorizer;
use crate::policy::Operation;
use crate::policy::Principal;
use crate::policy::Target;
#[cfg(doc)]
use crate::policy::{DocumentRef, ProjectRef};
use crate::store::{Store, StoreError, Transaction};

/// Context key of the tenant id in every envelope the front door seals.
pub const TENANT_CONTEXT: &str = "coffer.tenant";
/// Context key of the project id.
pub const PROJECT_CONTEXT: &str = "coffer.project";
/// Context key of the member id in every grant (a project key sealed to a
/// member's public key).
pub const MEMBER_CONTEXT: &str = "coffer.member";
/// Context key of the document id.
pub const DOCUMENT_CONTEXT: &str = "coffer.document";
/// The session purpose of document downloads.
pub const DOWNLOAD_PURPOSE: &str = "download";
/// The session purpose of password offers.
pub const PASSWORD_PURPOSE: &str = "project-password";

/// How the front door seals and unlocks.
#[derive(Debug, Clone)]
pub struct FrontDoorConfig {
    /// Suite for new documents (default AES-256-GCM).
    pub suite: Suite,
    /// Chunk size exponent for new documents (default 16, 64 KiB).
    pub chunk_log2: u8,
    /// PBKDF2 iterations for project passwords (default and minimum
    /// 600 000).
    pub password_iterations: u32,
    /// Keep unlocked project keys this long, so a batch of downloads does
    /// not run PBKDF2 for each (default: no cache). A cached key is only
    /// used when the same password is presented again; it is zeroized when
    /// the window ends.
    pub unlock_cache: Option<Duration>,
    /// Session suite for download and password offers (default
    /// RSA-OAEP-256 2048, what existing browser clients speak).
    pub download_suite: crate::session::Suite,
    /// Bounds applied to envelopes read back (defaults from the design).
    pub limits: ReaderLimits,
}

impl Default for FrontDoorConfig {
    fn default() -> Self {
        FrontDoorConfig {
            suite: Suite::Aes256GcmHkdfSha256,
            chunk_log2: keys::envelope::DEFAULT_CHUNK_LOG2,
            password_iterations: MIN_PBKDF2_ITERATIONS,
            unlock_cache: None,
            download_suite: crate::session::Suite::RsaOaep2048,
            limits: ReaderLimits::default(),
        }
    }
}

/// What a finished download or decryption reports.
///
/// Serde: `{"plaintext_len": 5, "suite": "AES-256-GCM/HKDF-SHA256",
/// "key_version": 1}`, the suite by its canonical name, unknown fields
/// refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Plaintext bytes delivered.
    pub plaintext_len: u64,
    /// The suite the envelope was sealed with.
    #[serde(with = "crate::policy::envelope_suite_name")]
    pub suite: Suite,
    /// The project key version that opened it.
    pub key_version: u32,
}

/// The API most users call: projects, documents, downloads through browser
/// sessions, members, password changes, rotation and the audit trail, each
/// authorized, acted on and audited, on a [`Store`].
///
/// All methods take `&self`; share one front door between threads behind an
/// [`Arc`]. Several front doors (processes) may share one store.
///
/// ```no_run
/// # use coffer_door::*;
/// # use coffer_door::policy::*;
/// # use coffer_door::audit::AuditKey;
/// # use coffer_door::store::MemoryStore;
/// # use coffer_door::session::{SessionConfig, SessionService};
/// # use coffer_door::session::keys::Password;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tenant = TenantId::new("acme")?;
/// let alice = Principal::new(tenant.clone(), PrincipalId::new("alice")?);
/// let door = FrontDoor::setup(
///     FrontDoorConfig::default(),
///     MemoryStore::new(AuditKey::from_bytes([7; 32]))?,
///     SessionService::new(SessionConfig::default())?,
/// )
/// .tenant_role(&alice, Role::Owner)
/// .open()?;
/// let project = ProjectId::new("payroll")?;
/// door.create_project(&alice, &project, &Password::new("correct horse battery staple"))?;
/// # Ok(()) }
/// ```
///
/// Calls on one project or one document take a [`ProjectRef`] or a
/// [`DocumentRef`], so the wrong kind of target is refused by the compiler
/// rather than at run time (each example below fails to compile on its
/// one call):
///
/// ```compile_fail
/// # use coffer_door::{FrontDoor, FrontDoorError, MemoryStore, Source};
/// # use coffer_door::keys::Password;
/// # use coffer_door::policy::{Context, Principal, DocumentRef};
/// # fn call(door: &FrontDoor<MemoryStore>, actor: &Principal, target: &DocumentRef, password: &Password) -> Result<(), FrontDoorError> {
/// # let _ = (Context::new(), password);
/// door.list_documents(actor, target)?; // a document is not a project
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// # use coffer_door::{FrontDoor, FrontDoorError, MemoryStore, Source};
/// # use coffer_door::keys::Password;
/// # use coffer_door::policy::{Context, Principal, Target};
/// # fn call(door: &FrontDoor<MemoryStore>, actor: &Principal, target: &Target, password: &Password) -> Result<(), FrontDoorError> {
/// # let _ = (Context::new(), password);
/// door.list_documents(actor, target)?; // a tenant is not a project
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// # use coffer_door::{FrontDoor, FrontDoorError, MemoryStore, Source};
/// # use coffer_door::keys::Password;
/// # use coffer_door::policy::{Context, Principal, ProjectRef};
/// # fn call(door: &FrontDoor<MemoryStore>, actor: &Principal, target: &ProjectRef, password: &Password) -> Result<(), FrontDoorError> {
/// # let _ = (Context::new(), password);
/// door.encrypt(actor, target, b"x", &Context::new(), password)?; // a project is not a document
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// # use coffer_door::{FrontDoor, FrontDoorError, MemoryStore, Source};
/// # use coffer_door::keys::Password;
/// # use coffer_door::policy::{Context, Principal, ProjectRef};
/// # fn call(door: &FrontDoor<MemoryStore>, actor: &Principal, target: &ProjectRef, password: &Password) -> Result<(), FrontDoorError> {
/// # let _ = (Context::new(), password);
/// door.open_document(actor, target, Source::stored(), password, std::io::sink())?; // a project is not a document
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// # use coffer_door::{FrontDoor, FrontDoorError, MemoryStore, Source};
/// # use coffer_door::keys::Password;
/// # use coffer_door::policy::{Context, Principal, ProjectRef};
/// # fn call(door: &FrontDoor<MemoryStore>, actor: &Principal, target: &ProjectRef, password: &Password) -> Result<(), FrontDoorError> {
/// # let _ = (Context::new(), password);
/// door.issue_download(actor, target, Source::stored())?; // a project is not a document
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// # use coffer_door::{FrontDoor, FrontDoorError, MemoryStore, Source};
/// # use coffer_door::keys::Password;
/// # use coffer_door::policy::{Context, Principal, ProjectRef};
/// # fn call(door: &FrontDoor<MemoryStore>, actor: &Principal, target: &ProjectRef, password: &Password) -> Result<(), FrontDoorError> {
/// # let _ = (Context::new(), password);
/// door.rewrap_document(actor, target, b"", password)?; // a project is not a document
/// # Ok(()) }
/// ```
pub struct FrontDoor<S: Store> {
    config: FrontDoorConfig,
    store: S,
    sessions: SessionService,
    cache: UnlockCache,
    state: RwLock<Arc<State>>,
}

impl<S: Store> core::fmt::Debug for FrontDoor<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FrontDoor")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: Store> FrontDoor<S> {
    /// A front door on `store`, issuing sessions from `sessions`.
    ///
    /// Start-up verifies the store's audit chain against its stored head
    /// from the MACed checkpoint the store keeps beside it
    /// ([`Transaction::verify_audit_tail`]: the checkpoint, the record it
    /// names and every record after it; the whole chain when there is no
    /// checkpoint yet), moves the checkpoint to the head, and refuses to
    /// start on a broken chain or checkpoint
    /// ([`FrontDoorError::BrokenChain`]; `docs/STORE.md` has the repair,
    /// which never destroys records), then loads the state. Records before
    /// the checkpoint are verified by [`FrontDoor::verify_chain`]. To seed an
    /// empty store with tenant roles and a policy, see
    /// [`FrontDoor::setup`].
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::BrokenChain`]; [`FrontDoorError::Keys`] when the
    /// configured password iterations are below the minimum or the system
    /// RNG is unavailable; [`FrontDoorError::Store`];
    /// [`FrontDoorError::Policy`] when the stored policy does not load.
    pub fn open(config: FrontDoorConfig, store: S, sessions: SessionService) -> Result<Self, FrontDoorError> {
        SealOptions::new().password_iterations(config.password_iterations)?;
        let snapshot = store.transaction(&mut |tx: &mut dyn Transaction| -> Result<_, FrontDoorError> {
            match tx.verify_audit_tail() {
                Err(StoreError::Audit(AuditError::Verify(broken))) => {
                    return Err(FrontDoorError::BrokenChain(broken))
                }
                other => other?,
            };
            Ok(tx.snapshot()?)
        })?;
        Ok(FrontDoor {
            cache: UnlockCache::new(config.unlock_cache)?,
            config,
            state: RwLock::new(Arc::new(State::load(snapshot)?)),
            store,
            sessions,
        })
    }

    /// A builder that seeds an empty store with tenant roles and a policy,
    /// then opens a front door on it.
    pub fn setup(config: FrontDoorConfig, store: S, sessions: SessionService) -> Setup<S> {
        Setup::new(config, store, sessions)
    }

    /// The session service (for its statistics, sweep and shutdown).
    pub fn sessions(&self) -> &SessionService {
        &self.sessions
    }

    /// The store (for operators: exports, heads, tests).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Number of project keys currently cached unlocked.
    pub fn cached_keys(&self) -> usize {
        self.cache.len()
    }

    /// Explains, without acting or auditing, how a request would be decided
    /// on the latest state (a dry run).
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Store`] when the state cannot be read.
    pub fn explain(
        &self,
        actor: &Principal,
        operation: Operation,
        target: &Target,
        attributes: &Attributes,
    ) -> Result<Vec<String>, FrontDoorError> {
        Ok(self
            .refreshed()?
            .authorizer
            .explain(actor, operation, target, attributes))
    }
}
