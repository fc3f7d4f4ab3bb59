//! The front door: one type that puts authorize → act → audit around every
//! operation, composing membership and policy, project keys, sessions and
//! the audit chain.
//!
//! Every call is decided first ([`Authorizer::authorize`]); a denial is
//! audited and returned without acting. An allowed call acts, and its
//! outcome, success or failure with a reason code, is audited before the
//! result is returned. If the audit record cannot be written the call fails
//! ([`FrontDoorError::Audit`]): the front door fails closed, and a state
//! change (project, password, rotation, member) made by the call is undone
//! under the same lock before anyone can see it.
//!
//! Project isolation: documents are sealed with the tenant, project and
//! document ids as committed `coffer.` context entries, and every open
//! requires them, so an envelope moved to another project or document does
//! not open there, whoever asks. Project keys are sealed the same way.

mod error;
mod staged;
mod unlock;

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockWriteGuard};
use std::time::Duration;

use coffer_session::keys::envelope::{read_header, HeaderView, KeyType, ReaderLimits, Suite};
use coffer_session::keys::{
    self, change_password_with, rewrap, seal_project_key, KeyId as KeyLayerId, OpenOptions, Opener, Password,
    ProjectKey, Recipient, Rewrap, SealOptions, Sealer, MIN_PBKDF2_ITERATIONS,
};
use coffer_session::{ClientMessage, Expected, IssueRequest, Offer, SessionService};

pub use error::FrontDoorError;
use staged::Staged;
use unlock::{ProjectRecord, UnlockCache, PROJECT_KEY_NAME};

use crate::audit::{AuditEvent, AuditRecord, AuditSink, ChainHead, KeyRef, Outcome, Timestamp};
use crate::authorizer::Authorizer;
use crate::context::Context;
use crate::decision::Decision;
use crate::id::{DocumentId, KeyId, Principal, ProjectId, ReasonCode, TenantId};
use crate::membership::{Membership, MembershipError};
use crate::request::Attributes;
use crate::role::{Operation, Role};
use crate::suite::{EnvelopeSuite, SessionSpec};
use crate::target::Target;

/// Context key of the tenant id in every envelope the front door seals.
pub const TENANT_CONTEXT: &str = "coffer.tenant";
/// Context key of the project id.
pub const PROJECT_CONTEXT: &str = "coffer.project";
/// Context key of the document id.
pub const DOCUMENT_CONTEXT: &str = "coffer.document";
/// Context key of a document's plaintext size (decimal), committed so that
/// size rules can be decided on decrypt before the body is read.
const SIZE_CONTEXT: &str = "coffer.size";
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

/// How a document is being opened: the operation decided and the session
/// it arrives through, if any.
#[derive(Debug, Clone, Copy)]
struct Opening {
    operation: Operation,
    session: Option<SessionSpec>,
}

/// What a finished download or decryption reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Plaintext bytes delivered.
    pub plaintext_len: u64,
    /// The suite the envelope was sealed with.
    pub suite: Suite,
    /// The project key version that opened it.
    pub key_version: u32,
}

/// The API most users call: projects, documents, downloads through browser
/// sessions, members, password changes, rotation and the audit trail, each
/// authorized, acted on and audited.
///
/// All methods take `&self`; share one front door between threads behind an
/// [`Arc`].
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
///     MemorySink::new(AuditKey::from_bytes([7; 32])),
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
}

impl<S: AuditSink> core::fmt::Debug for FrontDoor<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FrontDoor")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What an act reports for the audit event.
#[derive(Debug, Default)]
struct Effects {
    key: Option<KeyRef>,
    plaintext: Option<u64>,
    ciphertext: Option<u64>,
}

/// The public reason code of a failure, for the audit trail: precise where
/// the caller only sees an opaque error.
fn reason_code(error: &FrontDoorError) -> ReasonCode {
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

fn envelope_suite(suite: Suite) -> Option<EnvelopeSuite> {
    EnvelopeSuite::from_id(suite.id())
}

fn session_spec(suite: coffer_session::Suite) -> SessionSpec {
    match suite.rsa_bits() {
        Some(bits) => SessionSpec::rsa_oaep_256(u32::try_from(bits.bits()).unwrap_or(u32::MAX)),
        None => SessionSpec::ecdh_p256(),
    }
}

fn key_ref(id: &KeyLayerId) -> Option<KeyRef> {
    Some(KeyRef {
        id: KeyId::new(id.name()).ok()?,
        version: id.version(),
    })
}

/// The value of a staged change, which is kept.
fn kept<T, G>((value, staged): (T, Staged<'_, G>)) -> T {
    staged.keep();
    value
}

fn project_of(target: &Target, operation: Operation) -> Result<&ProjectId, FrontDoorError> {
    target.project().ok_or(FrontDoorError::WrongTarget {
        operation,
        needs: "project",
    })
}

fn document_of(target: &Target, operation: Operation) -> Result<(&ProjectId, &DocumentId), FrontDoorError> {
    match (target.project(), target.document()) {
        (Some(p), Some(d)) => Ok((p, d)),
        _ => Err(FrontDoorError::WrongTarget {
            operation,
            needs: "document",
        }),
    }
}

/// The binding string of a document's download sessions.
fn download_binding(tenant: &TenantId, project: &ProjectId, document: &DocumentId) -> String {
    format!("{}/{}/{}", tenant.as_str(), project.as_str(), document.as_str())
}

/// User context entries of an envelope, as policy context (entries that are
/// not UTF-8 or reserved are left out).
fn policy_context(view: &HeaderView<'_>) -> Context {
    let pairs = view
        .context()
        .filter(|(k, _)| !k.starts_with(keys::envelope::RESERVED_PREFIX))
        .filter_map(|(k, v)| Some((k, core::str::from_utf8(v).ok()?)));
    Context::from_pairs(pairs).unwrap_or_default()
}

/// The committed plaintext size of a document the front door sealed.
fn committed_size(view: &HeaderView<'_>) -> Option<u64> {
    core::str::from_utf8(view.context_value(SIZE_CONTEXT)?)
        .ok()?
        .parse()
        .ok()
}

/// What the front door decides on from a document's header, read once
/// before the decision (pure parsing; the open that follows authenticates
/// it all).
#[derive(Debug)]
struct HeaderFacts {
    suite: Suite,
    version: Option<u32>,
    context: Context,
    size: Option<u64>,
}

impl HeaderFacts {
    fn of(view: &HeaderView<'_>) -> Self {
        HeaderFacts {
            suite: view.suite(),
            version: project_key_version(view),
            context: policy_context(view),
            size: committed_size(view),
        }
    }
}

type Projects = HashMap<(TenantId, ProjectId), ProjectRecord>;

fn unknown_project(slot: &(TenantId, ProjectId)) -> FrontDoorError {
    FrontDoorError::UnknownProject(slot.1.to_string())
}

fn record_in<'p>(
    projects: &'p Projects,
    slot: &(TenantId, ProjectId),
) -> Result<&'p ProjectRecord, FrontDoorError> {
    projects.get(slot).ok_or_else(|| unknown_project(slot))
}

fn record_mut<'p>(
    projects: &'p mut Projects,
    slot: &(TenantId, ProjectId),
) -> Result<&'p mut ProjectRecord, FrontDoorError> {
    projects.get_mut(slot).ok_or_else(|| unknown_project(slot))
}

/// The project key version wrapping a document, from its header.
fn project_key_version(view: &HeaderView<'_>) -> Option<u32> {
    view.wrapped_keys()
        .filter(|k| k.key_type == KeyType::LOCAL)
        .filter_map(|k| KeyLayerId::from_kid(k.kid).ok())
        .find(|id| id.name() == PROJECT_KEY_NAME)
        .map(|id| id.version())
}

impl<S: AuditSink> FrontDoor<S> {
    /// A front door deciding with `authorizer`, issuing sessions from
    /// `sessions` and auditing into `sink`.
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
        Ok(FrontDoor {
            cache: UnlockCache::new(config.unlock_cache)?,
            config,
            authorizer: RwLock::new(authorizer),
            projects: RwLock::new(HashMap::new()),
            sessions,
            audit: Mutex::new(sink),
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
        self.authorizer().explain(actor, operation, target, attributes)
    }

    fn authorizer(&self) -> std::sync::RwLockReadGuard<'_, Authorizer> {
        self.authorizer.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn sink(&self) -> std::sync::MutexGuard<'_, S> {
        self.audit.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn append(&self, event: AuditEvent) -> Result<ChainHead, FrontDoorError> {
        Ok(self.sink().append(event)?)
    }

    /// Authorize → act → audit. `act` runs only when allowed; its outcome
    /// is recorded before anything is returned. A state change comes back
    /// [`Staged`], so when the record cannot be written the change is
    /// undone with the result.
    fn guard<T>(
        &self,
        actor: &Principal,
        operation: Operation,
        target: &Target,
        attributes: &Attributes,
        act: impl FnOnce(&Decision) -> Result<(T, Effects), FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        self.guard_as(actor, operation, target, target, attributes, act)
    }

    /// [`FrontDoor::guard`] deciding on `decide_on` but recording the event
    /// against `record_as` (creating a project is decided on the tenant and
    /// recorded on the new project).
    fn guard_as<T>(
        &self,
        actor: &Principal,
        operation: Operation,
        decide_on: &Target,
        record_as: &Target,
        attributes: &Attributes,
        act: impl FnOnce(&Decision) -> Result<(T, Effects), FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        let decision = self
            .authorizer()
            .authorize(actor, operation, decide_on, attributes);
        let mut event = AuditEvent::for_decision(
            Timestamp::now(),
            actor,
            operation,
            record_as,
            attributes,
            &decision,
            Outcome::Succeeded,
        );
        if !decision.is_allowed() {
            self.append(event)?;
            return Err(FrontDoorError::Denied {
                operation,
                explanation: decision.explain(),
            });
        }
        let result = act(&decision);
        match &result {
            Ok((_, effects)) => {
                event.key = effects.key.clone().or(event.key);
                event.sizes.plaintext = effects.plaintext.or(event.sizes.plaintext);
                event.sizes.ciphertext = effects.ciphertext;
            }
            Err(error) => {
                event.outcome = Outcome::Failed {
                    reason: reason_code(error),
                }
            }
        }
        self.append(event)?;
        result.map(|(value, _)| value)
    }

    fn seal_options(&self, tenant: &TenantId, project: &ProjectId) -> Result<SealOptions, FrontDoorError> {
        Ok(SealOptions::new()
            .suite(self.config.suite)
            .chunk_log2(self.config.chunk_log2)
            .reader_limits(self.config.limits.clone())
            .password_iterations(self.config.password_iterations)?
            .reserved_context(TENANT_CONTEXT, tenant.as_str().as_bytes())?
            .reserved_context(PROJECT_CONTEXT, project.as_str().as_bytes())?)
    }

    fn seal_project(
        &self,
        key: &ProjectKey,
        tenant: &TenantId,
        project: &ProjectId,
        password: &Password,
    ) -> Result<Vec<u8>, FrontDoorError> {
        Ok(seal_project_key(
            key,
            &[Recipient::password(password)],
            &self.seal_options(tenant, project)?,
        )?)
    }

    /// How a document of this project is opened: with `key`, the reader
    /// limits, and the isolation context required.
    fn document_options<'k>(
        &self,
        key: &'k ProjectKey,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> OpenOptions<'k> {
        OpenOptions::new()
            .project_key(key)
            .limits(self.config.limits.clone())
            .require_context(TENANT_CONTEXT, tenant.as_str().as_bytes())
            .require_context(PROJECT_CONTEXT, project.as_str().as_bytes())
            .require_context(DOCUMENT_CONTEXT, document.as_str().as_bytes())
    }

    /// Runs `f` on a project's record.
    fn with_project<T>(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        f: impl FnOnce(&ProjectRecord) -> Result<T, FrontDoorError>,
    ) -> Result<T, FrontDoorError> {
        let projects = self.projects.read().unwrap_or_else(PoisonError::into_inner);
        f(record_in(&projects, &(tenant.clone(), project.clone()))?)
    }

    fn unlock(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        version: u32,
        password: &Password,
    ) -> Result<Arc<ProjectKey>, FrontDoorError> {
        // The read lock is held through PBKDF2 on purpose: a password change
        // takes the write lock to rewrap and forget cached keys, so no
        // unlock with the old password can finish, and be cached, after it.
        self.with_project(tenant, project, |record| {
            self.cache.unlock(tenant, project, record, version, password)
        })
    }

    fn current_version(&self, tenant: &TenantId, project: &ProjectId) -> Result<u32, FrontDoorError> {
        self.with_project(tenant, project, |record| Ok(record.current_version()))
    }

    /// Creates a project in the actor's tenant, protected by `password`,
    /// and makes the actor its Owner. Needs the Owner role on the tenant.
    pub fn create_project(
        &self,
        actor: &Principal,
        project: &ProjectId,
        password: &Password,
    ) -> Result<(), FrontDoorError> {
        let tenant = &actor.tenant;
        let decide_on = Target::for_tenant(tenant.clone());
        let record_as = Target::for_project(tenant.clone(), project.clone());
        self.guard_as(
            actor,
            Operation::CreateProject,
            &decide_on,
            &record_as,
            &Attributes::default(),
            |_| {
                let key = ProjectKey::generate(PROJECT_KEY_NAME)?;
                let sealed = self.seal_project(&key, tenant, project, password)?;
                let mut projects = self.projects.write().unwrap_or_else(PoisonError::into_inner);
                let slot = (tenant.clone(), project.clone());
                if projects.contains_key(&slot) {
                    return Err(FrontDoorError::ProjectExists(project.to_string()));
                }
                // Membership changes on a copy, swapped in whole, so a
                // failure leaves it as it was and undoing restores it.
                let mut authorizer = self.authorizer.write().unwrap_or_else(PoisonError::into_inner);
                let mut membership = authorizer.membership().clone();
                membership.create_project(tenant, project)?;
                membership.grant(tenant, project, actor, Role::Owner)?;
                let before = std::mem::replace(authorizer.membership_mut(), membership);
                let ciphertext = sealed.len() as u64;
                projects.insert(
                    slot.clone(),
                    ProjectRecord {
                        sealed: vec![sealed],
                        generation: 0,
                    },
                );
                let staged = Staged::new((projects, authorizer), move |(projects, authorizer)| {
                    projects.remove(&slot);
                    *authorizer.membership_mut() = before;
                });
                let effects = Effects {
                    key: key_ref(key.id()),
                    ciphertext: Some(ciphertext),
                    ..Effects::default()
                };
                Ok((staged, effects))
            },
        )
        .map(Staged::keep)
    }

    /// Encrypts a document into the project of `target` (a document
    /// target) under the project's current key, unlocked with `password`.
    /// `context` entries are committed into the envelope and visible to
    /// context-scoped policy rules; so is the plaintext size, which size
    /// rules then see on decrypt too. Returns the envelope.
    pub fn encrypt(
        &self,
        actor: &Principal,
        target: &Target,
        plaintext: &[u8],
        context: &Context,
        password: &Password,
    ) -> Result<Vec<u8>, FrontDoorError> {
        let (project, document) = document_of(target, Operation::Encrypt)?;
        let tenant = target.tenant();
        let attributes = Attributes {
            context: context.clone(),
            envelope_suite: envelope_suite(self.config.suite),
            session: None,
            message_size: Some(plaintext.len() as u64),
        };
        self.guard(actor, Operation::Encrypt, target, &attributes, |_| {
            let version = self.current_version(tenant, project)?;
            let key = self.unlock(tenant, project, version, password)?;
            let mut options = self
                .seal_options(tenant, project)?
                .reserved_context(DOCUMENT_CONTEXT, document.as_str().as_bytes())?
                .reserved_context(SIZE_CONTEXT, plaintext.len().to_string().as_bytes())?;
            for (k, v) in context.iter() {
                options = options.context(k, v.as_bytes())?;
            }
            let mut sealer = Sealer::new(Vec::new(), &[Recipient::project_key(&key)], &options)?;
            sealer.write_all(plaintext)?;
            let envelope = sealer.finish()?;
            let effects = Effects {
                key: key_ref(key.id()),
                plaintext: Some(plaintext.len() as u64),
                ciphertext: Some(envelope.len() as u64),
            };
            Ok((envelope, effects))
        })
    }

    /// Opens a document envelope read from `envelope` for `target`,
    /// streaming the plaintext into `out`, with the project unlocked by
    /// `password` (a server-side decrypt; browsers use
    /// [`FrontDoor::issue_download`] and [`FrontDoor::redeem_download`]).
    ///
    /// Plaintext reaches `out` chunk by chunk, each only after it verifies;
    /// on any error, discard what was written.
    pub fn decrypt<R: Read, W: Write>(
        &self,
        actor: &Principal,
        target: &Target,
        envelope: R,
        out: W,
        password: &Password,
    ) -> Result<Receipt, FrontDoorError> {
        let opening = Opening {
            operation: Operation::Decrypt,
            session: None,
        };
        self.open_document(actor, opening, target, envelope, out, |_| {
            Ok(Password::new(password.expose_secret()))
        })
    }

    /// Issues a one-time download offer for the document of `target`. The
    /// browser encrypts the project password to it (see `coffer-session`)
    /// and posts the result to [`FrontDoor::redeem_download`].
    pub fn issue_download(&self, actor: &Principal, target: &Target) -> Result<Offer, FrontDoorError> {
        let (project, document) = document_of(target, Operation::Download)?;
        let binding = download_binding(target.tenant(), project, document);
        let attributes = Attributes::session(session_spec(self.config.download_suite));
        self.guard(actor, Operation::Download, target, &attributes, |_| {
            self.current_version(target.tenant(), project)?;
            let issuer = format!("{}/{}", actor.tenant.as_str(), actor.id.as_str());
            let request = IssueRequest::new(self.config.download_suite, DOWNLOAD_PURPOSE, binding, issuer);
            Ok((self.sessions.issue(&request)?, Effects::default()))
        })
    }

    /// Redeems a download session (the browser's encrypted project
    /// password), unlocks the project key and streams the document's
    /// plaintext into `out`. The session must have been issued by this front
    /// door for this very document. It is single use: once the call is
    /// allowed it is spent whatever happens next; a denied call leaves it to
    /// expire.
    ///
    /// The call is decided with the session suite this front door issues
    /// downloads with (so session-suite rules apply to the redeem as to the
    /// offer) and with the envelope's suite and context.
    ///
    /// Plaintext reaches `out` chunk by chunk, each only after it verifies;
    /// on any error, discard what was written.
    pub fn redeem_download<R: Read, W: Write>(
        &self,
        actor: &Principal,
        target: &Target,
        message: &ClientMessage,
        envelope: R,
        out: W,
    ) -> Result<Receipt, FrontDoorError> {
        let (project, document) = document_of(target, Operation::Download)?;
        let binding = download_binding(target.tenant(), project, document);
        let opening = Opening {
            operation: Operation::Download,
            session: Some(session_spec(self.config.download_suite)),
        };
        self.open_document(actor, opening, target, envelope, out, |_| {
            let redeemed = self
                .sessions
                .redeem(message, &Expected::new(DOWNLOAD_PURPOSE, &binding))
                .map_err(FrontDoorError::SessionRejected)?;
            // The decision assumed this door's download suite; a session of
            // another suite (issued by other code sharing the service) is
            // not one of ours.
            if redeemed.meta().suite != self.config.download_suite {
                return Err(FrontDoorError::ForeignSession);
            }
            Ok(Password::from(redeemed.into_secret()))
        })
    }

    /// Shared by decrypt and download: read the header (pure parsing), decide
    /// with the suite actually in the envelope, get the password, unlock,
    /// open with the isolation context required, stream.
    fn open_document<R: Read, W: Write>(
        &self,
        actor: &Principal,
        opening: Opening,
        target: &Target,
        mut envelope: R,
        mut out: W,
        password: impl FnOnce(&Decision) -> Result<Password, FrontDoorError>,
    ) -> Result<Receipt, FrontDoorError> {
        let Opening { operation, session } = opening;
        let (project, document) = document_of(target, operation)?;
        let tenant = target.tenant();
        let header = read_header(&mut envelope, &self.config.limits)
            .and_then(|bytes| {
                let facts = HeaderFacts::of(&HeaderView::parse(&bytes, &self.config.limits)?);
                Ok((bytes, facts))
            })
            .map_err(keys::Error::from);
        let facts = header.as_ref().ok().map(|(_, facts)| facts);
        let attributes = Attributes {
            context: facts.map(|f| f.context.clone()).unwrap_or_default(),
            envelope_suite: facts.and_then(|f| envelope_suite(f.suite)),
            session,
            // Read before the header is authenticated, like the suite and
            // context: all three are committed, so a forged value fails the
            // open that follows an allowed decision.
            message_size: facts.and_then(|f| f.size),
        };
        self.guard(actor, operation, target, &attributes, |decision| {
            // The password first: an allowed redeem spends its session even
            // when the envelope turns out to be unreadable.
            let password = password(decision)?;
            let (header, HeaderFacts { suite, version, .. }) = header?;
            let version =
                version.ok_or_else(|| FrontDoorError::UnknownKeyVersion(PROJECT_KEY_NAME.to_owned()))?;
            let key = self.unlock(tenant, project, version, &password)?;
            let options = self.document_options(&key, tenant, project, document);
            let mut opener = Opener::new(Cursor::new(&header[..]).chain(envelope), &options)?;
            let plaintext_len = std::io::copy(&mut opener, &mut out)
                .map_err(|e| keys::Error::from(keys::envelope::Error::from_io(e)))?;
            out.flush()?;
            let receipt = Receipt {
                plaintext_len,
                suite,
                key_version: version,
            };
            let effects = Effects {
                key: key_ref(key.id()),
                plaintext: Some(plaintext_len),
                ciphertext: None,
            };
            Ok((receipt, effects))
        })
    }

    /// Changes a project's password: every key version is rewrapped (key
    /// section and header tag only); no document is touched. Owner only.
    pub fn change_password(
        &self,
        actor: &Principal,
        target: &Target,
        old: &Password,
        new: &Password,
    ) -> Result<(), FrontDoorError> {
        let project = project_of(target, Operation::ChangePassword)?;
        let tenant = target.tenant();
        // Project keys are sealed with the configured suite; suite rules
        // (FIPS) judge the change against it.
        let attributes = Attributes {
            envelope_suite: envelope_suite(self.config.suite),
            ..Attributes::default()
        };
        self.guard(actor, Operation::ChangePassword, target, &attributes, |_| {
            let slot = (tenant.clone(), project.clone());
            let mut projects = self.projects.write().unwrap_or_else(PoisonError::into_inner);
            let record = record_mut(&mut projects, &slot)?;
            let options = OpenOptions::new()
                .password(old)
                .require_context(TENANT_CONTEXT, tenant.as_str().as_bytes())
                .require_context(PROJECT_CONTEXT, project.as_str().as_bytes());
            // All versions are rewrapped before any is replaced, so a failure
            // leaves the project as it was.
            let rewrapped = record
                .sealed
                .iter()
                .map(|sealed| {
                    let settings = Rewrap::new().password_iterations(self.config.password_iterations)?;
                    change_password_with(sealed, &options, new, settings)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let previous = std::mem::replace(&mut record.sealed, rewrapped);
            let generation = record.generation;
            record.generation += 1;
            self.cache.forget(tenant, project);
            let staged = Staged::new(projects, move |projects| {
                if let Some(record) = projects.get_mut(&slot) {
                    record.sealed = previous;
                    record.generation = generation;
                }
            });
            Ok((staged, Effects::default()))
        })
        .map(Staged::keep)
    }

    /// Rotates a project key: a new version becomes current for new
    /// documents; older versions still open older documents, which
    /// [`FrontDoor::rewrap_document`] moves to the current version. Owner
    /// only. Returns the new version.
    pub fn rotate_key(
        &self,
        actor: &Principal,
        target: &Target,
        password: &Password,
    ) -> Result<u32, FrontDoorError> {
        let project = project_of(target, Operation::RotateKey)?;
        let tenant = target.tenant();
        self.guard(
            actor,
            Operation::RotateKey,
            target,
            &Attributes::default(),
            |_| {
                // PBKDF2 runs without the lock, so another rotation or a
                // password change may land meanwhile; the new version is
                // only added to the state it was made from, else the work
                // is redone from the new state (whose password may no
                // longer be this one). Each retry follows a change that
                // completed, so this cannot spin forever.
                loop {
                    let (version, generation) =
                        self.with_project(tenant, project, |r| Ok((r.current_version(), r.generation)))?;
                    let current = self.unlock(tenant, project, version, password)?;
                    let next = current.rotate()?;
                    let sealed = self.seal_project(&next, tenant, project, password)?;
                    let slot = (tenant.clone(), project.clone());
                    let mut projects = self.projects.write().unwrap_or_else(PoisonError::into_inner);
                    let record = record_mut(&mut projects, &slot)?;
                    if record.generation != generation {
                        continue;
                    }
                    record.sealed.push(sealed);
                    record.generation += 1;
                    let version = record.current_version();
                    let staged = Staged::new(projects, move |projects| {
                        if let Some(record) = projects.get_mut(&slot) {
                            record.sealed.pop();
                            record.generation = generation;
                        }
                    });
                    let effects = Effects {
                        key: key_ref(next.id()),
                        ..Effects::default()
                    };
                    return Ok(((version, staged), effects));
                }
            },
        )
        .map(kept)
    }

    /// Moves a document envelope to the project's current key version,
    /// rewriting only its key section and header tag (the body bytes are
    /// unchanged). Needs the RotateKey permission.
    pub fn rewrap_document(
        &self,
        actor: &Principal,
        target: &Target,
        envelope: &[u8],
        password: &Password,
    ) -> Result<Vec<u8>, FrontDoorError> {
        let (project, document) = document_of(target, Operation::RotateKey)?;
        let tenant = target.tenant();
        self.guard(
            actor,
            Operation::RotateKey,
            target,
            &Attributes::default(),
            |_| {
                let view =
                    HeaderView::parse_prefix(envelope, &self.config.limits).map_err(keys::Error::from)?;
                let version = project_key_version(&view)
                    .ok_or_else(|| FrontDoorError::UnknownKeyVersion(PROJECT_KEY_NAME.to_owned()))?;
                let old = self.unlock(tenant, project, version, password)?;
                let new = self.unlock(tenant, project, self.current_version(tenant, project)?, password)?;
                let options = self.document_options(&old, tenant, project, document);
                let change = Rewrap::new()
                    .remove_key(old.id())
                    .add_recipient(Recipient::project_key(&new));
                let rewrapped = rewrap(envelope, &options, &change)?;
                let effects = Effects {
                    key: key_ref(new.id()),
                    ciphertext: Some(rewrapped.len() as u64),
                    ..Effects::default()
                };
                Ok((rewrapped, effects))
            },
        )
    }

    /// Gives `member` (of the project's tenant) `role` in the project of
    /// `target`. Owner only. Returns the role it had before.
    pub fn add_member(
        &self,
        actor: &Principal,
        target: &Target,
        member: &Principal,
        role: Role,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.change_member(
            actor,
            target,
            Operation::AddMember,
            member,
            |members, tenant, project| members.grant(tenant, project, member, role),
        )
    }

    /// Removes `member` from the project of `target`. Owner only. Returns
    /// the role it had.
    pub fn remove_member(
        &self,
        actor: &Principal,
        target: &Target,
        member: &Principal,
    ) -> Result<Option<Role>, FrontDoorError> {
        self.change_member(
            actor,
            target,
            Operation::RemoveMember,
            member,
            |members, tenant, project| members.revoke(tenant, project, member),
        )
    }

    /// A guarded, staged membership change of `member` in the project of
    /// `target`; `change` returns the role the member had before.
    fn change_member(
        &self,
        actor: &Principal,
        target: &Target,
        operation: Operation,
        member: &Principal,
        change: impl FnOnce(&mut Membership, &TenantId, &ProjectId) -> Result<Option<Role>, MembershipError>,
    ) -> Result<Option<Role>, FrontDoorError> {
        let project = project_of(target, operation)?;
        self.guard(actor, operation, target, &Attributes::default(), |_| {
            let mut authorizer = self.authorizer.write().unwrap_or_else(PoisonError::into_inner);
            let previous = change(authorizer.membership_mut(), target.tenant(), project)?;
            Ok((
                self.stage_membership(authorizer, target, member, previous),
                Effects::default(),
            ))
        })
        .map(kept)
    }

    /// Stages a membership change of `member` in the project of `target`;
    /// undoing it gives back the role it had before (`previous`).
    fn stage_membership<'a>(
        &'a self,
        authorizer: RwLockWriteGuard<'a, Authorizer>,
        target: &Target,
        member: &Principal,
        previous: Option<Role>,
    ) -> (Option<Role>, Staged<'a, RwLockWriteGuard<'a, Authorizer>>) {
        let (target, member) = (target.clone(), member.clone());
        let staged = Staged::new(authorizer, move |authorizer| {
            let (tenant, members) = (target.tenant(), authorizer.membership_mut());
            let Some(project) = target.project() else {
                return;
            };
            // The change just succeeded on this project and member, so
            // putting the old role back cannot fail.
            let _ = match previous {
                Some(role) => members.grant(tenant, project, &member, role),
                None => members.revoke(tenant, project, &member),
            };
        });
        (previous, staged)
    }

    /// The audit records about `target` (a tenant: all of its records; a
    /// project: that project's). Owners and Auditors.
    pub fn audit_trail(
        &self,
        actor: &Principal,
        target: &Target,
    ) -> Result<Vec<AuditRecord>, FrontDoorError> {
        self.guard(
            actor,
            Operation::ReadAudit,
            target,
            &Attributes::default(),
            |_| {
                let records = self.sink().records()?;
                let about = records
                    .into_iter()
                    .filter(|r| {
                        &r.event.tenant == target.tenant()
                            && target
                                .project()
                                .is_none_or(|p| r.event.project.as_ref() == Some(p))
                    })
                    .collect();
                Ok((about, Effects::default()))
            },
        )
    }

    /// Verifies the whole audit chain (every record, and against
    /// `checkpoint`, a head kept elsewhere, when given) and returns its
    /// head. Owners and Auditors. A broken chain is
    /// [`FrontDoorError::Audit`] naming the first bad record.
    pub fn verify_audit(
        &self,
        actor: &Principal,
        target: &Target,
        checkpoint: Option<ChainHead>,
    ) -> Result<ChainHead, FrontDoorError> {
        self.guard(
            actor,
            Operation::VerifyAudit,
            target,
            &Attributes::default(),
            |_| {
                let head = self.sink().verify(checkpoint)?;
                Ok((head, Effects::default()))
            },
        )
    }

    /// Replaces the policy. This is the operator's call, not a principal's:
    /// the policy spans tenants (rules carry their own scopes). It needs no
    /// audit event of its own because every later decision records the
    /// policy's digest.
    pub fn replace_policy(&self, policy: crate::policy::CompiledPolicy) {
        self.authorizer
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .set_policy(policy);
    }

    /// Runs `f` with the audit sink (for operators: heads, exports, tests).
    pub fn with_audit_sink<T>(&self, f: impl FnOnce(&mut S) -> T) -> T {
        f(&mut self.sink())
    }
}
