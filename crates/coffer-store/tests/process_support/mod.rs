//! What the process tests share: a front door on a data directory, a
//! seeded RNG, a child that runs front-door operations and acknowledges
//! each on stdout, and the checks that the state and the audit trail agree.
#![allow(dead_code, reason = "each test module uses part of the shared fixtures")]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use coffer_door::audit::{AuditKey, AuditRecord, Outcome};
use coffer_door::keys::Password;
use coffer_door::policy::*;
use coffer_door::session::{OnEmpty, PoolConfig, SessionConfig, SessionService};
use coffer_door::store::{Snapshot, Store, StoreError, Transaction};
use coffer_door::*;
use coffer_store::SqliteStore;

pub(crate) const KEY: [u8; 32] = [0x44; 32];
pub(crate) const TENANT: &str = "acme";

/// xorshift64*: a seeded RNG, so a failure can be replayed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index into a slice of `len` (not 0) items.
    pub(crate) fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap()
    }
}

pub(crate) fn principal(name: &str) -> Principal {
    Principal::new(TenantId::new(TENANT).unwrap(), PrincipalId::new(name).unwrap())
}

pub(crate) fn project_target(project: &str) -> ProjectRef {
    ProjectRef::new(TenantId::new(TENANT).unwrap(), ProjectId::new(project).unwrap())
}

pub(crate) fn doc_target(project: &str, doc: &str) -> DocumentRef {
    DocumentRef::new(
        TenantId::new(TENANT).unwrap(),
        ProjectId::new(project).unwrap(),
        DocumentId::new(doc).unwrap(),
    )
}

/// The password of `project` after `changes` password changes.
pub(crate) fn password(project: &str, changes: usize) -> Password {
    Password::new(format!("password of {project}, number {changes}"))
}

fn sessions() -> SessionService {
    SessionService::new(SessionConfig {
        pool: PoolConfig {
            workers: 0,
            on_empty: OnEmpty::GenerateInline,
            ..PoolConfig::default()
        },
        ..SessionConfig::default()
    })
    .unwrap()
}

/// A front door on `dir` (olga is the tenant's Owner), seeding an empty
/// store; opening verifies the whole chain.
pub(crate) fn door(dir: &Path) -> FrontDoor<SqliteStore> {
    let config = FrontDoorConfig {
        download_suite: session::Suite::EcdhP256,
        unlock_cache: Some(Duration::from_secs(600)),
        ..FrontDoorConfig::default()
    };
    let store = SqliteStore::open(dir, AuditKey::from_bytes(KEY)).unwrap();
    FrontDoor::setup(config, store, sessions())
        .tenant_role(&principal("olga"), Role::Owner)
        .open()
        .unwrap()
}

/// The state and every record, in one transaction.
pub(crate) fn state_and_records(door: &FrontDoor<SqliteStore>) -> (Snapshot, Vec<AuditRecord>) {
    door.store()
        .transaction(&mut |tx: &mut dyn Transaction| {
            Ok::<_, StoreError>((tx.snapshot()?, tx.audit_records()?))
        })
        .unwrap()
}

pub(crate) fn succeeded(record: &AuditRecord, operation: Operation, project: &str) -> bool {
    record.event.outcome == Outcome::Succeeded
        && record.event.operation == operation
        && record.event.project.as_ref().map(ProjectId::as_str) == Some(project)
}

/// The records of calls that changed the state.
pub(crate) fn change_records(records: &[AuditRecord]) -> u64 {
    let changes = [
        Operation::CreateProject,
        Operation::RotateKey,
        Operation::ChangePassword,
        Operation::AddMember,
        Operation::RemoveMember,
    ];
    records
        .iter()
        .filter(|r| r.event.outcome == Outcome::Succeeded && changes.contains(&r.event.operation))
        .count() as u64
}

fn count(records: &[AuditRecord], operation: Operation, project: &str) -> usize {
    records
        .iter()
        .filter(|r| succeeded(r, operation, project))
        .count()
}

/// Password changes recorded as succeeded, per project.
pub(crate) fn password_changes(records: &[AuditRecord]) -> BTreeMap<String, usize> {
    let mut changes = BTreeMap::new();
    for r in records {
        if let Some(project) = &r.event.project {
            if succeeded(r, Operation::ChangePassword, project.as_str()) {
                *changes.entry(project.to_string()).or_default() += 1;
            }
        }
    }
    changes
}

/// Nothing half-applied: every state change has its record and every
/// succeeded record of a change has its state. Per project: one creation
/// record iff it exists; key versions = 1 + rotations recorded; generation
/// = rotations + password changes recorded; eve's role = the replay of the
/// recorded membership changes. No creation record for a missing project.
///
/// And the state version, bumped by every applied change, is `base` (the
/// changes of the seeding) plus the change records: a change applied
/// without its record, even one that changed nothing visible (adding a
/// member twice), shows there.
pub(crate) fn assert_consistent(snapshot: &Snapshot, records: &[AuditRecord], base: u64) {
    assert_eq!(
        snapshot.version,
        base + change_records(records),
        "state version vs changes recorded"
    );
    let tenant = TenantId::new(TENANT).unwrap();
    let mut named: Vec<String> = records
        .iter()
        .filter(|r| r.event.outcome == Outcome::Succeeded && r.event.operation == Operation::CreateProject)
        .filter_map(|r| r.event.project.as_ref().map(ToString::to_string))
        .collect();
    named.sort();
    let mut existing: Vec<String> = snapshot
        .projects
        .keys()
        .filter(|(t, _)| *t == tenant)
        .map(|(_, p)| p.to_string())
        .collect();
    existing.sort();
    assert_eq!(named, existing, "project creations recorded vs projects stored");
    let eve = principal("eve");
    for ((_, project), record) in &snapshot.projects {
        let p = project.as_str();
        let rotations = count(records, Operation::RotateKey, p);
        let changes = count(records, Operation::ChangePassword, p);
        assert_eq!(
            record.sealed.len(),
            1 + rotations,
            "key versions of {p} vs rotations recorded"
        );
        assert_eq!(
            record.generation,
            (rotations + changes) as u64,
            "generation of {p}"
        );
        let mut replayed = None;
        for r in records {
            if succeeded(r, Operation::AddMember, p) {
                replayed = Some(Role::Viewer);
            } else if succeeded(r, Operation::RemoveMember, p) {
                replayed = None;
            }
        }
        let stored = snapshot.membership.role(&eve, &project_target(p).into());
        assert_eq!(
            stored, replayed,
            "eve's role in {p} vs membership changes recorded"
        );
    }
}

/// One acknowledged call, as the child prints it: `ack <operation>
/// <project> <document or -> <outcome>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ack {
    pub(crate) operation: String,
    pub(crate) project: String,
    pub(crate) document: String,
    pub(crate) outcome: String,
}

impl Ack {
    pub(crate) fn parse(line: &str) -> Option<Ack> {
        // The test harness may start the line with its own text.
        let mut words = line.split_once("ack ")?.1.split(' ');
        Some(Ack {
            operation: words.next()?.to_owned(),
            project: words.next()?.to_owned(),
            document: words.next()?.to_owned(),
            outcome: words.next()?.to_owned(),
        })
    }

    /// Whether `record` is this call's final record.
    pub(crate) fn is(&self, record: &AuditRecord) -> bool {
        let e = &record.event;
        format!("{:?}", e.operation) == self.operation
            && e.project.as_ref().map(ToString::to_string).as_deref() == Some(self.project.as_str())
            && e.document.as_ref().map_or("-".to_owned(), ToString::to_string) == self.document
            && outcome_name(&e.outcome) == self.outcome
    }
}

pub(crate) fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::Denied => "denied",
        Outcome::Started => "started",
        _ => "failed",
    }
}

fn ack(operation: Operation, project: &str, document: &str, outcome: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ack {operation:?} {project} {document} {outcome}").unwrap();
    out.flush().unwrap();
}

/// A child's loop: front-door operations on the store in `dir`, forever or
/// `limit` times, as `who` (a name that keeps its documents and projects
/// apart from another child's), acknowledging each call on stdout after it
/// returned. Projects are `{who}-p0` … `{who}-p2`; passwords follow the
/// recorded password changes.
pub(crate) fn run_child(dir: &Path, who: &str, seed: u64, limit: Option<u64>) {
    let door = door(dir);
    let (snapshot, records) = state_and_records(&door);
    let mut changes = password_changes(&records);
    let mut projects: Vec<String> = snapshot
        .projects
        .keys()
        .map(|(_, p)| p.to_string())
        .filter(|p| p.starts_with(&format!("{who}-")))
        .collect();
    projects.sort();
    let (olga, eve, mallory) = (principal("olga"), principal("eve"), principal("mallory"));
    let mut rng = Rng::new(seed);
    let mut documents: Vec<(String, String, Vec<u8>)> = Vec::new();
    let mut n = 0u64;
    while limit.is_none_or(|limit| n < limit) {
        n += 1;
        let pick = rng.below(100);
        if projects.is_empty() || (pick < 3 && projects.len() < 3) {
            let name = format!("{who}-p{}", projects.len());
            let project = ProjectId::new(&name).unwrap();
            door.create_project(&olga, &project, &password(&name, 0)).unwrap();
            ack(Operation::CreateProject, &name, "-", "succeeded");
            projects.push(name);
            continue;
        }
        let p = projects[rng.index(projects.len())].clone();
        let pw = password(&p, changes.get(&p).copied().unwrap_or(0));
        let target = project_target(&p);
        match pick {
            0..=5 => {
                door.rotate_key(&olga, &target, &pw).unwrap();
                ack(Operation::RotateKey, &p, "-", "succeeded");
            }
            6..=7 => {
                let versions = door
                    .store()
                    .transaction(&mut |tx: &mut dyn Transaction| tx.snapshot())
                    .unwrap()
                    .projects
                    .iter()
                    .find(|((_, q), _)| q.as_str() == p)
                    .map_or(0, |(_, r)| r.sealed.len());
                // Rewrapping costs two PBKDF2 runs per version: past 3
                // versions, a member change instead.
                if versions > 3 {
                    door.add_member(&olga, &target, &eve, Role::Viewer).unwrap();
                    ack(Operation::AddMember, &p, "-", "succeeded");
                } else {
                    let next = changes.get(&p).copied().unwrap_or(0) + 1;
                    door.change_password(&olga, &target, &pw, &password(&p, next))
                        .unwrap();
                    changes.insert(p.clone(), next);
                    ack(Operation::ChangePassword, &p, "-", "succeeded");
                }
            }
            8..=34 => {
                door.add_member(&olga, &target, &eve, Role::Viewer).unwrap();
                ack(Operation::AddMember, &p, "-", "succeeded");
            }
            35..=59 => {
                door.remove_member(&olga, &target, &eve).unwrap();
                ack(Operation::RemoveMember, &p, "-", "succeeded");
            }
            60..=69 => {
                let doc = format!("{who}-m{seed}-{n}");
                let denied = door.encrypt(&mallory, &doc_target(&p, &doc), b"no", &Context::new(), &pw);
                assert!(matches!(denied, Err(FrontDoorError::Denied { .. })), "{denied:?}");
                ack(Operation::Encrypt, &p, &doc, "denied");
            }
            70..=84 if !documents.is_empty() => {
                let (q, doc, envelope) = &documents[rng.index(documents.len())];
                let qpw = password(q, changes.get(q).copied().unwrap_or(0));
                let mut out = Vec::new();
                door.open_document(
                    &olga,
                    &doc_target(q, doc),
                    Source::Envelope(envelope.as_slice()),
                    &qpw,
                    &mut out,
                )
                .unwrap();
                assert_eq!(out, doc.as_bytes());
                ack(Operation::Decrypt, q, doc, "succeeded");
            }
            _ => {
                let doc = format!("{who}-d{seed}-{n}");
                let envelope = door
                    .encrypt(&olga, &doc_target(&p, &doc), doc.as_bytes(), &Context::new(), &pw)
                    .unwrap();
                ack(Operation::Encrypt, &p, &doc, "succeeded");
                documents.push((p.clone(), doc, envelope));
            }
        }
    }
}
