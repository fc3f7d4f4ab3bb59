//! The backends the conformance suite runs against, each able to open
//! further handles on the same state (a reopen, a second instance).

use std::sync::Arc;

use coffer_door::audit::{AuditEvent, AuditKey, DecisionRecord, Outcome, Sizes, Timestamp};
use coffer_door::policy::*;
use coffer_door::store::{MemoryStore, Store};
use coffer_store::{PostgresStore, SqliteStore};

use super::test_db;

pub(crate) const KEY: [u8; 32] = [0x5a; 32];

/// A backend: opens handles on one state.
pub(crate) trait Backend {
    type S: Store;
    /// Whether sweeping tells a live writer's envelope from a leftover by
    /// the writer itself (memory, SQLite's file locks) rather than by age
    /// (PostgreSQL's grace period).
    const SWEEP_SEES_WRITERS: bool = true;
    /// A handle on the backend's state (a new one each call).
    fn open(&self) -> Self::S;
    /// Sweeps every leftover envelope now (PostgreSQL: with no grace).
    fn sweep(&self, store: &Self::S) -> u64 {
        store.sweep_envelopes().unwrap()
    }
}

/// One [`MemoryStore`] shared by every handle.
pub(crate) struct Memory(Arc<MemoryStore>);

impl Memory {
    pub(crate) fn new() -> Self {
        Memory(Arc::new(MemoryStore::new(AuditKey::from_bytes(KEY)).unwrap()))
    }
}

impl Backend for Memory {
    type S = Arc<MemoryStore>;
    fn open(&self) -> Self::S {
        Arc::clone(&self.0)
    }
}

/// A data directory; each handle is a new [`SqliteStore`] on its file.
pub(crate) struct Sqlite(pub(crate) tempfile::TempDir);

impl Sqlite {
    pub(crate) fn new() -> Self {
        Sqlite(tempfile::tempdir().unwrap())
    }
}

impl Backend for Sqlite {
    type S = SqliteStore;
    fn open(&self) -> Self::S {
        SqliteStore::open(self.0.path(), AuditKey::from_bytes(KEY)).unwrap()
    }
}

/// A fresh schema in the test database, dropped at the end; each handle
/// is a new [`PostgresStore`] in it.
pub(crate) struct Postgres {
    pub(crate) url: String,
    pub(crate) schema: String,
}

impl Postgres {
    /// `None` when there is no test database (see `test_db::url`).
    pub(crate) fn new() -> Option<Self> {
        Some(Postgres {
            url: test_db::url()?,
            schema: test_db::fresh_schema(),
        })
    }
}

impl Backend for Postgres {
    type S = PostgresStore;
    const SWEEP_SEES_WRITERS: bool = false;
    fn open(&self) -> Self::S {
        PostgresStore::open_in_schema(&self.url, &self.schema, AuditKey::from_bytes(KEY)).unwrap()
    }
    fn sweep(&self, store: &Self::S) -> u64 {
        store
            .sweep_envelopes_older_than(std::time::Duration::ZERO)
            .unwrap()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        test_db::drop_schema(&self.url, &self.schema);
    }
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

/// Audit event number `n` (its time tells events apart).
pub(crate) fn event(n: u64) -> AuditEvent {
    let acme = tenant("acme");
    AuditEvent {
        time: Timestamp::from_unix_millis(1_700_000_000_000 + n),
        tenant: Some(acme.clone()),
        principal: principal("acme", "olga").into(),
        role: Some(Role::Owner),
        operation: Operation::RotateKey,
        project: Some(project("payroll")),
        document: None,
        envelope_suite: None,
        session: None,
        key: None,
        decision: DecisionRecord {
            policy: [1; 32],
            verdict: Verdict::Allow,
            access: None,
            request: None,
            rules: vec![],
        },
        outcome: Outcome::Succeeded,
        sizes: Sizes::default(),
        subject: None,
    }
}
