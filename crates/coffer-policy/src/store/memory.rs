//! A store in process memory: for tests, examples, and single-process
//! services that keep nothing across restarts.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use ring::rand::SystemRandom;

use super::change::Change;
use super::document::DocumentRecord;
use super::error::StoreError;
use super::snapshot::{PolicyVersion, Snapshot};
use super::{Store, Transaction};
use crate::audit::{
    AuditChain, AuditError, AuditEvent, AuditKey, AuditRecord, ChainHead, ChainId, Checkpoint,
};
use crate::id::{DocumentId, ProjectId, TenantId};

type DocumentSlot = (TenantId, ProjectId, DocumentId);

#[derive(Debug)]
struct State {
    snapshot: Snapshot,
    history: Vec<PolicyVersion>,
    documents: BTreeMap<DocumentSlot, DocumentRecord>,
    records: Vec<AuditRecord>,
    chain: AuditChain,
    checkpoint: Option<Checkpoint>,
}

/// A [`Store`] in memory behind a mutex: one transaction at a time, each
/// undone entirely (state, policy history and audit appends) when it
/// fails.
///
/// ```
/// use coffer_policy::audit::AuditKey;
/// use coffer_policy::store::{MemoryStore, Store, StoreError, Transaction};
/// let store = MemoryStore::new(AuditKey::from_bytes([7; 32]))?;
/// let version = store.transaction(&mut |tx: &mut dyn Transaction| tx.version())?;
/// assert_eq!(version, 0);
/// # Ok::<(), StoreError>(())
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    chain_id: ChainId,
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store starting a new audit chain (a random [`ChainId`])
    /// under `key`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Audit`] when the system's randomness fails.
    pub fn new(key: AuditKey) -> Result<Self, StoreError> {
        let chain_id = ChainId::generate(&SystemRandom::new()).map_err(StoreError::Audit)?;
        Ok(MemoryStore {
            chain_id,
            state: Mutex::new(State {
                snapshot: Snapshot::default(),
                history: Vec::new(),
                documents: BTreeMap::new(),
                records: Vec::new(),
                chain: AuditChain::new(key, chain_id),
                checkpoint: None,
            }),
        })
    }
}

/// What a transaction changed, to undo it.
#[derive(Debug)]
struct Undo {
    snapshot: Option<Snapshot>,
    /// Each document slot written, with what it held before, in order.
    documents: Vec<(DocumentSlot, Option<DocumentRecord>)>,
    history: usize,
    records: usize,
    head: ChainHead,
    checkpoint: Option<Checkpoint>,
}

struct MemoryTransaction<'s> {
    state: &'s mut State,
    undo: Undo,
}

impl Store for MemoryStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let undo = Undo {
            snapshot: None,
            documents: Vec::new(),
            history: state.history.len(),
            records: state.records.len(),
            head: state.chain.head(),
            checkpoint: state.checkpoint,
        };
        let mut tx = MemoryTransaction {
            state: &mut state,
            undo,
        };
        let result = work(&mut tx);
        if result.is_err() {
            tx.rollback()?;
        }
        result
    }

    fn chain_id(&self) -> ChainId {
        self.chain_id
    }
}

impl MemoryTransaction<'_> {
    fn rollback(&mut self) -> Result<(), StoreError> {
        if let Some(snapshot) = self.undo.snapshot.take() {
            self.state.snapshot = snapshot;
        }
        for (slot, before) in self.undo.documents.drain(..).rev() {
            match before {
                Some(record) => self.state.documents.insert(slot, record),
                None => self.state.documents.remove(&slot),
            };
        }
        self.state.history.truncate(self.undo.history);
        self.state.records.truncate(self.undo.records);
        self.state.checkpoint = self.undo.checkpoint;
        // The head was this chain's own, so following it cannot fail.
        self.state
            .chain
            .follow(&self.undo.head)
            .map_err(|e| StoreError::Audit(AuditError::Verify(e)))
    }
}

impl Transaction for MemoryTransaction<'_> {
    fn version(&mut self) -> Result<u64, StoreError> {
        Ok(self.state.snapshot.version)
    }

    fn snapshot(&mut self) -> Result<Snapshot, StoreError> {
        Ok(self.state.snapshot.clone())
    }

    fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        if let Change::PutDocument(record) = change {
            self.state.snapshot.apply(change)?;
            let slot = (
                record.tenant.clone(),
                record.project.clone(),
                record.document.clone(),
            );
            let before = self.state.documents.insert(slot.clone(), record.clone());
            self.undo.documents.push((slot, before));
            return Ok(());
        }
        // The state before the transaction's first change, to undo it;
        // `Snapshot::apply` itself leaves nothing behind when it refuses.
        if self.undo.snapshot.is_none() {
            self.undo.snapshot = Some(self.state.snapshot.clone());
        }
        self.state.snapshot.apply(change)?;
        if let (Change::InstallPolicy(_), Some(policy)) = (change, &self.state.snapshot.policy) {
            self.state.history.push(policy.clone());
        }
        Ok(())
    }

    fn documents(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<Vec<DocumentRecord>, StoreError> {
        Ok(self
            .state
            .documents
            .iter()
            .filter(|((t, p, _), _)| t == tenant && p == project)
            .map(|(_, record)| record.clone())
            .collect())
    }

    fn policy_history(&mut self) -> Result<Vec<PolicyVersion>, StoreError> {
        Ok(self.state.history.clone())
    }

    fn append(&mut self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        let record = self.state.chain.seal(event);
        self.state.chain.commit(&record);
        self.state.records.push(record.clone());
        Ok(record)
    }

    fn audit_head(&mut self) -> Result<ChainHead, StoreError> {
        Ok(self.state.chain.head())
    }

    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StoreError> {
        Ok(self.state.records.clone())
    }

    fn verify_audit(&mut self, checkpoint: Option<ChainHead>) -> Result<ChainHead, StoreError> {
        Ok(self.state.chain.verify_log(&self.state.records, checkpoint)?)
    }

    fn audit_checkpoint(&mut self) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self.state.checkpoint)
    }

    fn verify_audit_tail(&mut self) -> Result<ChainHead, StoreError> {
        let checkpoint = self.state.checkpoint;
        let from = checkpoint.map_or(0, |c| c.count().saturating_sub(1));
        let tail = self
            .state
            .records
            .get(usize::try_from(from).unwrap_or(usize::MAX)..)
            .unwrap_or_default();
        let head = self.state.chain.verify_from(checkpoint.as_ref(), tail)?;
        self.state.checkpoint = Some(self.state.chain.checkpoint());
        Ok(head)
    }
}
