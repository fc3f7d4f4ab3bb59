//! A store in process memory: for tests, examples, and single-process
//! services that keep nothing across restarts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Cursor, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

use ring::rand::SystemRandom;

use super::change::Change;
use super::document::DocumentRecord;
use super::envelope::{EnvelopeId, StagedEnvelope};
use super::error::StoreError;
use super::snapshot::{PolicyVersion, Snapshot};
use super::{Store, Transaction};
use crate::audit::{
    AuditChain, AuditError, AuditEvent, AuditKey, AuditRecord, ChainHead, ChainId, Checkpoint,
};
use crate::policy::{DocumentId, ProjectId, TenantId};

type DocumentSlot = (TenantId, ProjectId, DocumentId);

#[derive(Debug)]
struct State {
    snapshot: Snapshot,
    history: Vec<PolicyVersion>,
    documents: BTreeMap<DocumentSlot, DocumentRecord>,
    records: Vec<AuditRecord>,
    chain: AuditChain,
    /// Finished envelopes, linked or not.
    envelopes: HashMap<EnvelopeId, Arc<[u8]>>,
    /// Envelopes whose writer is alive (sweeping leaves them alone).
    writing: HashSet<EnvelopeId>,
    checkpoint: Option<Checkpoint>,
}

/// A [`Store`] in memory behind a mutex: one transaction at a time, each
/// undone entirely (state, policy history and audit appends) when it
/// fails.
///
/// ```
/// use coffer_door::audit::AuditKey;
/// use coffer_door::store::{MemoryStore, Store, StoreError, Transaction};
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
                envelopes: HashMap::new(),
                writing: HashSet::new(),
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
    /// Envelopes the transaction unlinked: removed once it committed.
    unlinked: Vec<EnvelopeId>,
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
        let mut state = self.lock();
        let undo = Undo {
            snapshot: None,
            documents: Vec::new(),
            history: state.history.len(),
            records: state.records.len(),
            head: state.chain.head(),
            unlinked: Vec::new(),
            checkpoint: state.checkpoint,
        };
        let mut tx = MemoryTransaction {
            state: &mut state,
            undo,
        };
        let result = work(&mut tx);
        if result.is_err() {
            tx.rollback()?;
        } else {
            for id in std::mem::take(&mut tx.undo.unlinked) {
                tx.state.envelopes.remove(&id);
            }
        }
        result
    }

    fn chain_id(&self) -> ChainId {
        self.chain_id
    }

    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError> {
        let id = EnvelopeId::generate()?;
        self.lock().writing.insert(id);
        Ok(Box::new(MemoryStaged {
            store: self,
            id,
            bytes: Vec::new(),
            finished: false,
        }))
    }

    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn Read + '_>, StoreError> {
        let bytes = self
            .lock()
            .envelopes
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::UnknownEnvelope {
                envelope: id.to_string(),
                size: 0,
            })?;
        Ok(Box::new(Cursor::new(bytes)))
    }

    fn release_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if state.linked(id) {
            return Ok(false);
        }
        Ok(state.envelopes.remove(id).is_some())
    }

    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let leftovers: Vec<EnvelopeId> = state
            .envelopes
            .keys()
            .filter(|id| !state.writing.contains(id) && !state.linked(id))
            .copied()
            .collect();
        for id in &leftovers {
            state.envelopes.remove(id);
        }
        Ok(leftovers.len() as u64)
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Whether a document names the envelope.
    fn linked(&self, id: &EnvelopeId) -> bool {
        self.documents.values().any(|d| d.envelope.as_ref() == Some(id))
    }

    /// Links the envelope `record` names, if any: it must be finished with
    /// the recorded size and named by no other document.
    fn check_link(&self, record: &DocumentRecord) -> Result<(), StoreError> {
        let Some(id) = &record.envelope else {
            return Ok(());
        };
        let ready = self
            .envelopes
            .get(id)
            .is_some_and(|bytes| bytes.len() as u64 == record.envelope_size);
        if ready && !self.linked(id) {
            return Ok(());
        }
        Err(StoreError::UnknownEnvelope {
            envelope: id.to_string(),
            size: record.envelope_size,
        })
    }
}

/// An envelope staged in memory: gathered by its writer, then kept by the
/// store once finished.
struct MemoryStaged<'s> {
    store: &'s MemoryStore,
    id: EnvelopeId,
    bytes: Vec<u8>,
    finished: bool,
}

impl Write for MemoryStaged<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.finished {
            return Err(std::io::Error::other("the envelope is finished"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl StagedEnvelope for MemoryStaged<'_> {
    fn id(&self) -> EnvelopeId {
        self.id
    }

    fn finish(&mut self) -> Result<u64, StoreError> {
        let bytes: Arc<[u8]> = std::mem::take(&mut self.bytes).into();
        let size = bytes.len() as u64;
        self.finished = true;
        self.store.lock().envelopes.insert(self.id, bytes);
        Ok(size)
    }
}

impl Drop for MemoryStaged<'_> {
    fn drop(&mut self) {
        self.store.lock().writing.remove(&self.id);
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
        if let Change::PutDocument(record) | Change::ReplaceEnvelope { record, .. } = change {
            self.state.snapshot.apply(change)?;
            let slot = (
                record.tenant.clone(),
                record.project.clone(),
                record.document.clone(),
            );
            let current = self.state.documents.get(&slot).and_then(|d| d.envelope);
            if let Change::ReplaceEnvelope { replaces, .. } = change {
                if current != Some(*replaces) {
                    return Err(StoreError::DocumentChanged {
                        project: record.project.to_string(),
                        document: record.document.to_string(),
                    });
                }
            }
            self.state.check_link(record)?;
            let before = self.state.documents.insert(slot.clone(), record.clone());
            self.undo.documents.push((slot, before));
            if let Some(old) = current.filter(|old| record.envelope != Some(*old)) {
                self.undo.unlinked.push(old);
            }
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

    fn document(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        let slot = (tenant.clone(), project.clone(), document.clone());
        Ok(self.state.documents.get(&slot).cloned())
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
