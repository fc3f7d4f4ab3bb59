//! Where audit records go.

use super::chain::{AuditChain, AuditRecord, ChainHead};
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
}

/// A sink that keeps records in memory.
#[derive(Debug)]
pub struct MemorySink {
    chain: AuditChain,
    records: Vec<AuditRecord>,
}

impl MemorySink {
    /// An empty sink chaining under `key`.
    pub fn new(key: AuditKey) -> Self {
        Self {
            chain: AuditChain::new(key),
            records: Vec::new(),
        }
    }

    /// The records so far.
    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }

    /// Verifies the stored records, returning the head.
    pub fn verify(&self) -> Result<ChainHead, AuditError> {
        let mut v = self.chain.verifier(None);
        for r in &self.records {
            v.push(r)?;
        }
        Ok(v.finish()?)
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
}
