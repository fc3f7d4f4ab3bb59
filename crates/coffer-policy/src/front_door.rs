//! The front door: one type that puts authorize → act → audit around every
//! operation, composing membership and policy, project keys, sessions and
//! the audit chain.
//!
//! Every call is decided first ([`Authorizer::authorize`]) and every call is
//! audited, including one refused before anything could be decided (a
//! project target where a document is needed, an unreadable envelope). A
//! denial is audited and returned without acting. An allowed call acts, and
//! its outcome, success or failure with a reason code, is audited before
//! the result is returned. If the audit record cannot be written the call
//! fails ([`FrontDoorError::Audit`]): the front door fails closed, and a
//! state change (project, password, rotation, member) made by the call is
//! undone under the same lock before anyone can see it.
//!
//! Reads fail closed too: a call that releases plaintext (decrypt,
//! download) writes an [`Outcome::Started`](crate::audit::Outcome::Started)
//! record after the project key opened the envelope's header and before the
//! first plaintext byte leaves, then the final outcome.
//!
//! A call is decided and acted on against one state: the membership and
//! policy it was decided with stay locked until its act is recorded (for
//! reads, until the `started` record is written), so a member removed or
//! demoted meanwhile cannot have the old role applied.
//!
//! Project isolation: documents are sealed with the tenant, project and
//! document ids as committed `coffer.` context entries, and every open
//! requires them, so an envelope moved to another project or document does
//! not open there, whoever asks. Project keys are sealed the same way.

mod documents;
mod downloads;
mod error;
mod guard;
mod header;
mod members;
mod policy_report;
mod projects;
mod staged;
mod trail;
mod unlock;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use coffer_session::keys::envelope::{ReaderLimits, Suite};
use coffer_session::keys::{self, SealOptions, MIN_PBKDF2_ITERATIONS};
use coffer_session::SessionService;

pub use error::FrontDoorError;
pub use policy_report::{PolicyReport, UnknownScope};
pub use trail::TrailReport;
use unlock::{ProjectRecord, UnlockCache};

use crate::audit::{AuditError, AuditSink, ChainHead};
use crate::authorizer::Authorizer;
use crate::id::{Principal, ProjectId, TenantId};
use crate::policy::CompiledPolicy;
use crate::request::Attributes;
use crate::role::Operation;
use crate::target::Target;

/// Context key of the tenant id in every envelope the front door seals.
pub const TENANT_CONTEXT: &str = "coffer.tenant";
/// Context key of the project id.
pub const PROJECT_CONTEXT: &str = "coffer.project";
/// Context key of the document id.
pub const DOCUMENT_CONTEXT: &str = "coffer.document";
/// The session purpose of document downloads.
pub const DOWNLOAD_PURPOSE: &str = "download";

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
    /// Session suite for download offers (default RSA-OAEP-256 2048, what
    /// existing browser clients speak).
    pub download_suite: coffer_session::Suite,
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
            download_suite: coffer_session::Suite::RsaOaep2048,
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
    #[serde(with = "crate::suite::envelope_suite_name")]
    pub suite: Suite,
    /// The project key version that opened it.
    pub key_version: u32,
}

type Projects = HashMap<(TenantId, ProjectId), ProjectRecord>;

/// The API most users call: projects, documents, downloads through browser
/// sessions, members, password changes, rotation and the audit trail, each
/// authorized, acted on and audited.
///
/// All methods take `&self`; share one front door between threads behind an
/// [`Arc`](std::sync::Arc).
///
/// ```no_run
/// # use coffer_policy::*;
/// # use coffer_policy::audit::{AuditKey, MemorySink};
/// # use coffer_policy::session::{SessionConfig, SessionService};
/// # use coffer_policy::session::keys::Password;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tenant = TenantId::new("acme")?;
/// let alice = Principal::new(tenant.clone(), PrincipalId::new("alice")?);
/// let mut membership = Membership::new();
/// membership.grant_tenant(&alice, Role::Owner);
/// let door = FrontDoor::new(
///     FrontDoorConfig::default(),
///     Authorizer::new(membership, Policy::new(Enforcement::Enforce, vec![])?.compile()),
///     SessionService::new(SessionConfig::default())?,
///     MemorySink::new(AuditKey::from_bytes([7; 32]))?,
/// )?;
/// let project = ProjectId::new("payroll")?;
/// door.create_project(&alice, &project, &Password::new("correct horse battery staple"))?;
/// # Ok(()) }
/// ```
pub struct FrontDoor<S: AuditSink> {
    config: FrontDoorConfig,
    authorizer: RwLock<Authorizer>,
    projects: RwLock<Projects>,
    sessions: SessionService,
    audit: Mutex<S>,
    cache: UnlockCache,
    policy_report: Mutex<PolicyReport>,
}

impl<S: AuditSink> core::fmt::Debug for FrontDoor<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FrontDoor")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: AuditSink> FrontDoor<S> {
    /// A front door deciding with `authorizer`, issuing sessions from
    /// `sessions` and auditing into `sink`.
    ///
    /// The policy's references are checked against the membership table;
    /// rules scoped to a tenant or project that does not exist are listed
    /// in [`FrontDoor::policy_report`].
    ///
    /// Fails with [`FrontDoorError::Keys`] when the configured password
    /// iterations are below the minimum or the system RNG is unavailable.
    pub fn new(
        config: FrontDoorConfig,
        authorizer: Authorizer,
        sessions: SessionService,
        sink: S,
    ) -> Result<Self, FrontDoorError> {
        SealOptions::new().password_iterations(config.password_iterations)?;
        let report = PolicyReport::check(authorizer.policy(), authorizer.membership());
        Ok(FrontDoor {
            cache: UnlockCache::new(config.unlock_cache)?,
            config,
            authorizer: RwLock::new(authorizer),
            projects: RwLock::new(HashMap::new()),
            sessions,
            audit: Mutex::new(sink),
            policy_report: Mutex::new(report),
        })
    }

    /// The session service (for its statistics, sweep and shutdown).
    pub fn sessions(&self) -> &SessionService {
        &self.sessions
    }

    /// Number of project keys currently cached unlocked.
    pub fn cached_keys(&self) -> usize {
        self.cache.len()
    }

    /// Explains, without acting or auditing, how a request would be decided
    /// (a dry run).
    pub fn explain(
        &self,
        actor: &Principal,
        operation: Operation,
        target: &Target,
        attributes: &Attributes,
    ) -> Vec<String> {
        self.authorizer
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .explain(actor, operation, target, attributes)
    }

    /// Replaces the policy and returns what it references that does not
    /// exist (a rule scoped to a misspelt tenant or project never applies:
    /// check the report). This is the operator's call, not a principal's:
    /// the policy spans tenants (rules carry their own scopes). It needs no
    /// audit event of its own because every later decision records the
    /// policy's digest.
    pub fn replace_policy(&self, policy: CompiledPolicy) -> PolicyReport {
        let mut authorizer = self.authorizer.write().unwrap_or_else(PoisonError::into_inner);
        let report = PolicyReport::check(&policy, authorizer.membership());
        authorizer.set_policy(policy);
        *self.policy_report.lock().unwrap_or_else(PoisonError::into_inner) = report.clone();
        report
    }

    /// What the installed policy references that did not exist when it was
    /// installed (see [`FrontDoor::replace_policy`]).
    pub fn policy_report(&self) -> PolicyReport {
        self.policy_report
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Verifies the whole audit chain against the sink's own head and
    /// against `checkpoint`, a head kept elsewhere, when given; returns the
    /// chain's head. This is the operator's call: the head counts every
    /// tenant's records, so principals get a [`TrailReport`] from
    /// [`FrontDoor::verify_audit`] instead. A broken chain is an
    /// [`AuditError`] naming the first bad record.
    pub fn verify_chain(&self, checkpoint: Option<ChainHead>) -> Result<ChainHead, AuditError> {
        self.sink().verify(checkpoint)
    }

    /// Runs `f` with the audit sink (for operators: heads, exports, tests).
    pub fn with_audit_sink<T>(&self, f: impl FnOnce(&mut S) -> T) -> T {
        f(&mut self.sink())
    }

    fn sink(&self) -> std::sync::MutexGuard<'_, S> {
        self.audit.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
