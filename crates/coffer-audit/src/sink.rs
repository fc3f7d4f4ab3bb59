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

    /// Verifies every stored record under the sink's key against the head
    /// the sink itself holds (so records removed or replaced since they
    /// were appended are found, not only edits), and against `checkpoint`
    /// (a head kept elsewhere) when given; returns the head of what was
    /// verified. Fails at the first bad record, with
    /// [`super::VerifyFailure::Truncated`] when stored records are missing
    /// and [`super::VerifyFailure::WrongChain`] when the log or the
    /// checkpoint belongs to another chain.
    fn verify(&self, checkpoint: Option<ChainHead>) -> Result<ChainHead, AuditError>;
}

/// Verifies `records` of `chain` against `chain`'s own head (they must end
/// exactly there) and an optional checkpoint.
pub(crate) fn verify_records(
    chain: &AuditChain,
    records: &[AuditRecord],
    checkpoint: Option<ChainHead>,
) -> Result<ChainHead, AuditError> {
    chain.verify_log(records, checkpoint)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "a test fails by panicking")]

    use super::*;
    use crate::{AuditEvent, Timestamp, VerifyError, VerifyFailure};
    use coffer_policy::{Operation, OperatorId, TenantId};

    fn event(n: u64) -> AuditEvent {
        let tenant = TenantId::new("t").unwrap();
        let operator = OperatorId::new("o").unwrap();
        AuditEvent::for_operator(
            Timestamp::from_unix_millis(n),
            &operator,
            Operation::ReadAudit,
            Some(&tenant),
            [0; 32],
        )
    }

    fn failure(sink: &MemorySink) -> VerifyFailure {
        match sink.verify(None) {
            Err(AuditError::Verify(VerifyError { failure, .. })) => failure,
            other => panic!("expected a verify error, got {other:?}"),
        }
    }

    #[test]
    fn memory_sink_verify_without_checkpoint_catches_removed_records() {
        let mut sink = MemorySink::new(AuditKey::from_bytes([3; 32])).unwrap();
        for n in 0..4 {
            sink.append(event(n)).unwrap();
        }
        assert_eq!(sink.verify(None).unwrap().count, 4);
        let all = sink.records.clone();
        // The last records removed: still a valid prefix, but not the head.
        sink.records.truncate(2);
        assert_eq!(failure(&sink), VerifyFailure::Truncated { expected: 4 });
        // Everything removed.
        sink.records.clear();
        assert_eq!(failure(&sink), VerifyFailure::Truncated { expected: 4 });
        // The last record replaced by a copy of one from another sink's
        // chain under the same key.
        let mut other = MemorySink::new(AuditKey::from_bytes([3; 32])).unwrap();
        for n in 0..4 {
            other.append(event(n)).unwrap();
        }
        sink.records.clone_from(&other.records);
        assert!(matches!(failure(&sink), VerifyFailure::WrongChain { .. }));
        // Records this sink did not write, appended after its own.
        sink.records.clone_from(&all);
        let mut chain = AuditChain::resume(AuditKey::from_bytes([3; 32]), &sink.head());
        let extra = chain.seal(event(9));
        chain.commit(&extra);
        sink.records.push(extra);
        assert_eq!(failure(&sink), VerifyFailure::Extended { expected: 4 });
        sink.records.clone_from(&all);
        assert_eq!(sink.verify(None).unwrap(), sink.head());
    }
}
