//! A front door with a populated tenant: an Owner who created project
//! `payroll` and added an Editor, a Viewer and an Auditor, a member of the
//! tenant with no role, and the Owner of a second tenant.

use std::time::Duration;

use coffer_policy::audit::{AuditKey, AuditRecord, AuditSink, MemorySink};
use coffer_policy::session::keys::Password;
use coffer_policy::session::{client, ClientMessage, OnEmpty, PoolConfig, SessionConfig, SessionService};
use coffer_policy::*;

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

pub(crate) fn memory_sink() -> MemorySink {
    MemorySink::new(AuditKey::from_bytes([9; 32])).unwrap()
}

/// The populated tenant `acme` (and the Owner of tenant `globex`).
pub(crate) struct World<S: AuditSink> {
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

pub(crate) fn world(config: FrontDoorConfig) -> World<MemorySink> {
    world_with(config, Policy::default(), memory_sink())
}

pub(crate) fn world_with<S: AuditSink>(config: FrontDoorConfig, policy: Policy, sink: S) -> World<S> {
    world_in(config, policy, sink, sessions())
}

/// [`world_with`] issuing sessions from `sessions`.
pub(crate) fn world_in<S: AuditSink>(
    config: FrontDoorConfig,
    policy: Policy,
    sink: S,
    sessions: SessionService,
) -> World<S> {
    let owner = principal("acme", "olga");
    let globex_owner = principal("globex", "gus");
    let mut members = Membership::new();
    members.grant_tenant(&owner, Role::Owner);
    members.grant_tenant(&globex_owner, Role::Owner);
    let door = FrontDoor::new(config, Authorizer::new(members, policy.compile()), sessions, sink).unwrap();
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

impl<S: AuditSink> World<S> {
    pub(crate) fn project_target(&self) -> Target {
        Target::for_project(self.acme.clone(), self.payroll.clone())
    }

    pub(crate) fn doc(&self, id: &str) -> Target {
        Target::for_document(
            self.acme.clone(),
            self.payroll.clone(),
            DocumentId::new(id).unwrap(),
        )
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

    /// Every audit record so far.
    pub(crate) fn records(&self) -> Vec<AuditRecord> {
        records(&self.door)
    }

    /// The last audit record.
    pub(crate) fn last(&self) -> AuditRecord {
        self.records().pop().unwrap()
    }
}

pub(crate) fn records<S: AuditSink>(door: &FrontDoor<S>) -> Vec<AuditRecord> {
    door.with_audit_sink(|sink| AuditSink::records(sink).unwrap())
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
pub(crate) fn open<S: AuditSink>(
    via: Via,
    door: &FrontDoor<S>,
    who: &Principal,
    target: &Target,
    envelope: &[u8],
    password: &str,
) -> Result<(Vec<u8>, Receipt), FrontDoorError> {
    let (result, out) = match via {
        Via::Decrypt => into_buffer(|out| door.decrypt(who, target, envelope, out, &pw(password))),
        Via::Download => {
            let offer = door.issue_download(who, target, envelope)?;
            redeem(door, who, target, &browser_message(&offer, password), envelope)
        }
    };
    result.map(|receipt| (out, receipt))
}

/// The key version a successful decrypt reports.
pub(crate) fn opened_version<S: AuditSink>(
    door: &FrontDoor<S>,
    target: &Target,
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
pub(crate) fn redeem<S: AuditSink>(
    door: &FrontDoor<S>,
    who: &Principal,
    target: &Target,
    message: &ClientMessage,
    envelope: &[u8],
) -> (Result<Receipt, FrontDoorError>, Vec<u8>) {
    into_buffer(|out| door.redeem_download(who, target, message, envelope, out))
}
