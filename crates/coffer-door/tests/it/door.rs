//! A front door with a populated tenant: an Owner who created project
//! `payroll` and added an Editor, a Viewer and an Auditor, a member of the
//! tenant with no role, and the Owner of a second tenant.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coffer_door::audit::{AuditEvent, AuditKey, AuditRecord, ChainHead, Outcome};
use coffer_door::keys::{self, Password};
use coffer_door::policy::*;
use coffer_door::session::{
    client, ClientMessage, OnEmpty, PoolConfig, RejectReason, SessionConfig, SessionService,
};
use coffer_door::store::{Change, MemoryStore, PolicyVersion, Snapshot, Store, StoreError, Transaction};
use coffer_door::*;

/// The password of every project made here.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn pw(text: &str) -> Password {
    Password::new(text)
}

pub(crate) fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

pub(crate) fn project(id: &str) -> ProjectId {
    ProjectId::new(id).unwrap()
}

pub(crate) fn principal(tenant_id: &str, id: &str) -> Principal {
    Principal::new(tenant(tenant_id), PrincipalId::new(id).unwrap())
}

/// A session service that generates RSA keys only when asked (no
/// background workers), so tests that never issue RSA offers pay nothing.
/// The operator making the operator's calls.
pub(crate) fn ops() -> OperatorId {
    OperatorId::new("ops").unwrap()
}

pub(crate) fn sessions() -> SessionService {
    let pool = PoolConfig {
        workers: 0,
        on_empty: OnEmpty::GenerateInline,
        ..PoolConfig::default()
    };
    SessionService::new(SessionConfig {
        pool,
        ..SessionConfig::default()
    })
    .unwrap()
}

/// ECDH download offers and a one-minute unlock cache: fast, and what the
/// cache is for (many operations with the same password).
pub(crate) fn fast_config() -> FrontDoorConfig {
    FrontDoorConfig {
        download_suite: session::Suite::EcdhP256,
        unlock_cache: Some(Duration::from_secs(60)),
        ..FrontDoorConfig::default()
    }
}

pub(crate) fn memory_store() -> MemoryStore {
    MemoryStore::new(AuditKey::from_bytes([9; 32])).unwrap()
}

/// A store whose audit appends fail once a set number more have been
/// accepted ([`usize::MAX`]: never), like a full disk: the transaction
/// then rolls back.
#[derive(Debug)]
pub(crate) struct CountdownStore {
    pub(crate) inner: MemoryStore,
    pub(crate) accepts: Arc<AtomicUsize>,
}

impl CountdownStore {
    pub(crate) fn new() -> (Self, Arc<AtomicUsize>) {
        let accepts = Arc::new(AtomicUsize::new(usize::MAX));
        let store = CountdownStore {
            inner: memory_store(),
            accepts: Arc::clone(&accepts),
        };
        (store, accepts)
    }
}

struct Countdown<'t> {
    inner: &'t mut dyn Transaction,
    accepts: &'t AtomicUsize,
}

impl Transaction for Countdown<'_> {
    fn version(&mut self) -> Result<u64, StoreError> {
        self.inner.version()
    }
    fn snapshot(&mut self) -> Result<Snapshot, StoreError> {
        self.inner.snapshot()
    }
    fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        self.inner.apply(change)
    }
    fn documents(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<Vec<store::DocumentRecord>, StoreError> {
        self.inner.documents(tenant, project)
    }
    fn document(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<store::DocumentRecord>, StoreError> {
        self.inner.document(tenant, project, document)
    }
    fn policy_history(&mut self) -> Result<Vec<PolicyVersion>, StoreError> {
        self.inner.policy_history()
    }
    fn append(&mut self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        let left = self.accepts.load(Ordering::SeqCst);
        if left == 0 {
            return Err(StoreError::backend(std::io::Error::other("disk full")));
        }
        if left != usize::MAX {
            self.accepts.store(left - 1, Ordering::SeqCst);
        }
        self.inner.append(event)
    }
    fn audit_head(&mut self) -> Result<ChainHead, StoreError> {
        self.inner.audit_head()
    }
    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StoreError> {
        self.inner.audit_records()
    }
    fn verify_audit(&mut self, checkpoint: Option<ChainHead>) -> Result<ChainHead, StoreError> {
        self.inner.verify_audit(checkpoint)
    }
}

impl Store for CountdownStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        self.inner.transaction(&mut |tx: &mut dyn Transaction| {
            work(&mut Countdown {
                inner: tx,
                accepts: &self.accepts,
            })
        })
    }

    fn chain_id(&self) -> audit::ChainId {
        self.inner.chain_id()
    }

    fn stage_envelope(&self) -> Result<Box<dyn store::StagedEnvelope + '_>, StoreError> {
        self.inner.stage_envelope()
    }

    fn read_envelope(&self, id: &store::EnvelopeId) -> Result<Box<dyn std::io::Read + '_>, StoreError> {
        self.inner.read_envelope(id)
    }

    fn release_envelope(&self, id: &store::EnvelopeId) -> Result<bool, StoreError> {
        self.inner.release_envelope(id)
    }

    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        self.inner.sweep_envelopes()
    }
}

/// Whether `result` failed because the store could not record it.
pub(crate) fn unrecorded<T: std::fmt::Debug>(result: &Result<T, FrontDoorError>) -> bool {
    matches!(result, Err(FrontDoorError::Store(StoreError::Backend(_))))
}

/// The populated tenant `acme` (and the Owner of tenant `globex`).
pub(crate) struct World<S: Store> {
    pub(crate) door: FrontDoor<S>,
    pub(crate) acme: TenantId,
    pub(crate) payroll: ProjectId,
    pub(crate) owner: Principal,
    pub(crate) editor: Principal,
    pub(crate) viewer: Principal,
    pub(crate) auditor: Principal,
    pub(crate) stranger: Principal,
    pub(crate) globex_owner: Principal,
}

pub(crate) fn world(config: FrontDoorConfig) -> World<MemoryStore> {
    world_with(config, Policy::default(), memory_store())
}

pub(crate) fn world_with<S: Store>(config: FrontDoorConfig, policy: Policy, store: S) -> World<S> {
    world_in(config, policy, store, sessions())
}

/// [`world_with`] issuing sessions from `sessions`.
pub(crate) fn world_in<S: Store>(
    config: FrontDoorConfig,
    policy: Policy,
    store: S,
    sessions: SessionService,
) -> World<S> {
    let owner = principal("acme", "olga");
    let globex_owner = principal("globex", "gus");
    let door = FrontDoor::setup(config, store, sessions)
        .tenant_role(&owner, Role::Owner)
        .tenant_role(&globex_owner, Role::Owner)
        .policy(&policy, "ops")
        .open()
        .unwrap();
    let payroll = project("payroll");
    door.create_project(&owner, &payroll, &pw(PASSWORD)).unwrap();
    let w = World {
        door,
        acme: tenant("acme"),
        payroll,
        owner,
        editor: principal("acme", "ed"),
        viewer: principal("acme", "vera"),
        auditor: principal("acme", "audrey"),
        stranger: principal("acme", "sam"),
        globex_owner,
    };
    let target = w.project_target();
    for (member, role) in [
        (&w.editor, Role::Editor),
        (&w.viewer, Role::Viewer),
        (&w.auditor, Role::Auditor),
    ] {
        w.door.add_member(&w.owner, &target, member, role).unwrap();
    }
    w
}

impl<S: Store> World<S> {
    pub(crate) fn project_target(&self) -> ProjectRef {
        ProjectRef::new(self.acme.clone(), self.payroll.clone())
    }

    pub(crate) fn doc(&self, id: &str) -> DocumentRef {
        self.project_target().document(DocumentId::new(id).unwrap())
    }

    /// Encrypts `plaintext` as document `id` of `payroll`, no context.
    pub(crate) fn encrypt(
        &self,
        who: &Principal,
        id: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, FrontDoorError> {
        self.door
            .encrypt(who, &self.doc(id), plaintext, &Context::new(), &pw(PASSWORD))
    }

    /// Opens document `id` of `payroll` for `who`.
    pub(crate) fn read(
        &self,
        via: Via,
        who: &Principal,
        id: &str,
        envelope: &[u8],
        password: &str,
    ) -> Result<(Vec<u8>, Receipt), FrontDoorError> {
        open(via, &self.door, who, &self.doc(id), envelope, password)
    }

    /// Opens the stored document `id` of `payroll` for `who` into a fresh
    /// buffer, returning the result and whatever reached the buffer.
    pub(crate) fn open_stored(
        &self,
        who: &Principal,
        id: &str,
        password: &str,
    ) -> (Result<Receipt, FrontDoorError>, Vec<u8>) {
        into_buffer(|out| {
            self.door
                .open_document(who, &self.doc(id), Source::stored(), &pw(password), out)
        })
    }

    /// Every audit record so far.
    pub(crate) fn records(&self) -> Vec<AuditRecord> {
        records(&self.door)
    }

    /// The last audit record.
    pub(crate) fn last(&self) -> AuditRecord {
        self.records().pop().unwrap()
    }
}

pub(crate) fn records<S: Store>(door: &FrontDoor<S>) -> Vec<AuditRecord> {
    door.audit_records().unwrap()
}

/// Runs an opening call that writes into `out`, returning its result and
/// whatever reached the output (for checks that a failure released
/// nothing).
fn into_buffer(
    open: impl FnOnce(&mut Vec<u8>) -> Result<Receipt, FrontDoorError>,
) -> (Result<Receipt, FrontDoorError>, Vec<u8>) {
    let mut out = Vec::new();
    let result = open(&mut out);
    (result, out)
}

/// How a document reaches its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// A server-side decrypt with the password.
    Decrypt,
    /// A browser download: an offer to the reader, answered by the browser
    /// with the password, redeemed by the reader.
    Download,
}

/// Opens a document for `who` into a fresh buffer.
pub(crate) fn open<S: Store>(
    via: Via,
    door: &FrontDoor<S>,
    who: &Principal,
    target: &DocumentRef,
    envelope: &[u8],
    password: &str,
) -> Result<(Vec<u8>, Receipt), FrontDoorError> {
    let (result, out) = match via {
        Via::Decrypt => {
            into_buffer(|out| door.open_document(who, target, Source::Envelope(envelope), &pw(password), out))
        }
        Via::Download => {
            let offer = door.issue_download(who, target, Source::Envelope(envelope))?;
            redeem(door, who, target, &browser_message(&offer, password), envelope)
        }
    };
    result.map(|receipt| (out, receipt))
}

/// The key version a successful decrypt reports.
pub(crate) fn opened_version<S: Store>(
    door: &FrontDoor<S>,
    target: &DocumentRef,
    envelope: &[u8],
    password: &str,
) -> u32 {
    let reader = principal(target.tenant().as_str(), "vera");
    open(Via::Decrypt, door, &reader, target, envelope, password)
        .unwrap()
        .1
        .key_version
}

/// What the browser posts for `offer` carrying `password`.
pub(crate) fn browser_message(offer: &session::Offer, password: &str) -> ClientMessage {
    client::encrypt(offer, password.as_bytes()).unwrap()
}

/// Redeems `message` for `target` into a fresh buffer.
pub(crate) fn redeem<S: Store>(
    door: &FrontDoor<S>,
    who: &Principal,
    target: &DocumentRef,
    message: &ClientMessage,
    envelope: &[u8],
) -> (Result<Receipt, FrontDoorError>, Vec<u8>) {
    into_buffer(|out| door.open_document(who, target, Source::Envelope(envelope), message, out))
}

/// The uniform message of every refused session.
pub(crate) const SESSION_REFUSED: &str = "the session could not be redeemed";

/// A record's outcome as one word, or its failure's reason code.
pub(crate) fn reason_of(record: &AuditRecord) -> &str {
    match &record.event.outcome {
        Outcome::Failed { reason } => reason.as_str(),
        Outcome::Succeeded => "succeeded",
        Outcome::Started => "started",
        Outcome::Denied => "denied",
    }
}

pub(crate) fn assert_denied<T: std::fmt::Debug>(result: Result<T, FrontDoorError>, expected: Operation) {
    assert!(
        matches!(&result, Err(FrontDoorError::Denied { operation, .. }) if *operation == expected),
        "expected `{expected}` to be denied, got {result:?}"
    );
}

pub(crate) fn assert_crypto<T: std::fmt::Debug>(result: Result<T, FrontDoorError>) {
    assert!(
        matches!(&result, Err(FrontDoorError::Keys(keys::Error::Crypto(_)))),
        "expected the opaque crypto failure, got {result:?}"
    );
    assert_eq!(result.unwrap_err().to_string(), "cryptographic failure");
}

/// A refused redeem: nothing released, the uniform message to the caller,
/// the precise reason in the error and in the audit trail.
pub(crate) fn assert_session_refused<S: Store>(
    w: &World<S>,
    (result, out): (Result<Receipt, FrontDoorError>, Vec<u8>),
    reason: RejectReason,
    audited: &str,
) {
    assert!(out.is_empty());
    let error = result.unwrap_err();
    assert!(
        matches!(&error, FrontDoorError::SessionRejected(r) if r.reason() == reason),
        "{error:?}"
    );
    assert_eq!(error.to_string(), SESSION_REFUSED);
    assert_eq!(reason_of(&w.last()), audited);
}
