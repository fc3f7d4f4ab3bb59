//! Where audit records go.

use ring::rand::SystemRandom;

use super::chain::{AuditChain, AuditRecord, ChainHead, ChainId};
use super::event::AuditEvent;
use super::key::AuditKey;
use super::AuditError;

/// An append-only destination for audit events. Each appended event
/// becomes the next record of the sink's chain; an `Ok` means the record is
/// stored (durably, for durable sinks). A front door fails closed on `Err`.
pub trait AuditSink {
    /// Appends one event; returns the new head.
    fn append(&mut self, event: AuditEvent) -> Result<ChainHead, AuditError>;

    /// Appends several events as one batch (one sync for durable sinks).
    fn append_batch(&mut self, events: Vec<AuditEvent>) -> Result<ChainHead, AuditError> {
        let mut head = self.head();
        for event in events {
            head = self.append(event)?;
        }
        Ok(head)
    }

    /// The current head, to be kept elsewhere to detect truncation.
    fn head(&self) -> ChainHead;

    /// Every stored record, oldest first, as stored (not yet verified).
    fn records(&self) -> Result<Vec<AuditRecord>, AuditError>;

    /// Verifies every stored record under the sink's key, and against
    /// `checkpoint` (a head kept elsewhere) when given, returning the head
    /// of what was verified. Fails at the first bad record, with
    /// [`super::VerifyFailure::WrongChain`] when the log or the checkpoint
    /// belongs to another chain.
    fn verify(&self, checkpoint: Option<ChainHead>) -> Result<ChainHead, AuditError>;
}

/// Verifies `records` of `chain` against an optional checkpoint.
pub(crate) fn verify_records(
    chain: &AuditChain,
    records: &[AuditRecord],
    checkpoint: Option<ChainHead>,
) -> Result<ChainHead, AuditError> {
    let mut verifier = chain.verifier(checkpoint);
    for record in records {
        verifier.push(record)?;
    }
    Ok(verifier.finish()?)
}

/// A sink that keeps records in memory.
#[derive(Debug)]
pub struct MemorySink {
    chain: AuditChain,
    records: Vec<AuditRecord>,
}

impl MemorySink {
    /// An empty sink starting a new chain (with a random [`ChainId`])
    /// under `key`.
    ///
    /// # Errors
    ///
    /// [`AuditError::Random`] when the system's randomness fails.
    pub fn new(key: AuditKey) -> Result<Self, AuditError> {
        let chain = ChainId::generate(&SystemRandom::new())?;
        Ok(Self {
            chain: AuditChain::new(key, chain),
            records: Vec::new(),
        })
    }

    /// The chain's identity.
    pub fn chain_id(&self) -> ChainId {
        self.chain.chain_id()
    }

    /// The records so far.
    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }
}

impl AuditSink for MemorySink {
    fn append(&mut self, event: AuditEvent) -> Result<ChainHead, AuditError> {
        let record = self.chain.seal(event);
        self.chain.commit(&record);
        self.records.push(record);
        Ok(self.chain.head())
    }

    fn head(&self) -> ChainHead {
        self.chain.head()
    }

    fn records(&self) -> Result<Vec<AuditRecord>, AuditError> {
        Ok(self.records.clone())
    }

    fn verify(&self, checkpoint: Option<ChainHead>) -> Result<ChainHead, AuditError> {
        verify_records(&self.chain, &self.records, checkpoint)
    }
}
