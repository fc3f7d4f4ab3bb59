//! Verifying a chain: streaming, against heads and checkpoints, naming
//! the first bad record.

use super::chain::{AuditRecord, ChainHead, ChainId};
use super::key::AuditKey;

/// What is wrong with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyFailure {
    /// The record's seq is not the next one (deletion, insertion, reorder).
    Sequence {
        /// The seq expected at this position.
        expected: u64,
    },
    /// `prev` is not the previous record's hash.
    BrokenLink,
    /// The MAC does not match (the record was edited or forged).
    BadMac,
    /// The checkpoint head's own MAC is wrong.
    ForgedHead,
    /// The log ends before the checkpoint head's position (truncation).
    Truncated {
        /// Records the head says exist.
        expected: u64,
    },
    /// The record at the head's position has another hash.
    HeadMismatch,
    /// The log belongs to another chain: its first record (or, for a file,
    /// its header) names another chain id than the head or the sink
    /// expects. A log swapped for another, even under the same key.
    WrongChain {
        /// The chain id expected (the head's, or the sink's own).
        expected: ChainId,
        /// The chain id found in the log.
        found: ChainId,
    },
    /// The log holds records past the head the sink itself holds: records
    /// this sink did not write (a second writer).
    Extended {
        /// Records the sink's head says exist.
        expected: u64,
    },
    /// Nothing names the chain: no records and no head to verify against.
    NoChain,
    /// A stored checkpoint's own MAC is wrong (it was edited, or forged
    /// without the key).
    ForgedCheckpoint,
    /// The record at a checkpoint's position is not the one the checkpoint
    /// names (it was edited, or replaced along with what follows).
    CheckpointMismatch,
    /// A checkpoint says more records were verified than the stored head
    /// counts: records were cut and the head put back to an earlier one.
    CheckpointPastHead {
        /// Records the checkpoint says were verified.
        checkpoint: u64,
    },
}

/// The first bad record found, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("audit chain fails at position {position}: {failure}")]
pub struct VerifyError {
    /// 0-based position in the sequence verified (for truncation: the
    /// number of records present).
    pub position: u64,
    /// What is wrong.
    pub failure: VerifyFailure,
}

impl std::fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyFailure::Sequence { expected } => {
                write!(f, "sequence number out of order, expected {expected}")
            }
            VerifyFailure::BrokenLink => f.write_str("previous-hash link broken"),
            VerifyFailure::BadMac => f.write_str("record MAC does not verify"),
            VerifyFailure::ForgedHead => f.write_str("head MAC does not verify"),
            VerifyFailure::Truncated { expected } => {
                write!(f, "log truncated, the head says {expected} records")
            }
            VerifyFailure::HeadMismatch => f.write_str("record does not match the head"),
            VerifyFailure::WrongChain { expected, found } => {
                write!(f, "log belongs to chain {found}, not to chain {expected}")
            }
            VerifyFailure::Extended { expected } => {
                write!(f, "log holds more records than the {expected} the head says")
            }
            VerifyFailure::NoChain => f.write_str("no records and no head name a chain"),
            VerifyFailure::ForgedCheckpoint => f.write_str("checkpoint MAC does not verify"),
            VerifyFailure::CheckpointMismatch => f.write_str("record does not match the checkpoint"),
            VerifyFailure::CheckpointPastHead { checkpoint } => {
                write!(f, "the checkpoint says {checkpoint} records, more than the head")
            }
        }
    }
}

/// A head the verifier checks the log against.
#[derive(Debug, Clone, Copy)]
struct Mark {
    head: ChainHead,
    /// The record at the head's position was seen (or the head is empty).
    seen: bool,
    /// The log must end exactly at the head (the sink's own head).
    exact: bool,
}

impl Mark {
    fn new(head: ChainHead, exact: bool) -> Self {
        Self {
            head,
            seen: head.count == 0,
            exact,
        }
    }
}

/// Streaming verification: feed records in order, then finish.
#[derive(Debug)]
pub struct ChainVerifier<'k> {
    key: &'k AuditKey,
    /// The chain the log belongs to: known up front (a sink's own chain) or
    /// learnt from the first record.
    chain: Option<ChainId>,
    next_seq: u64,
    prev: [u8; 32],
    marks: Vec<Mark>,
}

impl<'k> ChainVerifier<'k> {
    /// A verifier expecting a chain from seq 0, optionally against a head
    /// kept elsewhere. The chain id is the checkpoint's, else the first
    /// record's.
    pub fn new(key: &'k AuditKey, checkpoint: Option<ChainHead>) -> Self {
        Self {
            key,
            chain: None,
            next_seq: 0,
            prev: [0; 32],
            marks: checkpoint.map(|h| Mark::new(h, false)).into_iter().collect(),
        }
    }

    /// A verifier for a log known to belong to `chain` (for example from a
    /// file's header), optionally against a head kept elsewhere: a
    /// checkpoint of another chain fails with [`VerifyFailure::WrongChain`].
    pub fn for_chain(key: &'k AuditKey, chain: ChainId, checkpoint: Option<ChainHead>) -> Self {
        Self {
            chain: Some(chain),
            prev: *chain.as_bytes(),
            ..Self::new(key, checkpoint)
        }
    }

    /// A verifier for the rest of `chain` after its first `count` records,
    /// the last of which hashed to `prev` (a verified checkpoint), that
    /// must end exactly at `head`.
    pub(super) fn resuming(
        key: &'k AuditKey,
        chain: ChainId,
        count: u64,
        prev: [u8; 32],
        head: ChainHead,
    ) -> Self {
        Self {
            key,
            chain: Some(chain),
            next_seq: count,
            prev,
            marks: vec![Mark {
                head,
                seen: head.count == count,
                exact: true,
            }],
        }
    }

    /// Also requires the log to end exactly at `head` (a sink's own head):
    /// fewer records is [`VerifyFailure::Truncated`], more is
    /// [`VerifyFailure::Extended`].
    pub(crate) fn ending_at(mut self, head: ChainHead) -> Self {
        self.marks.push(Mark::new(head, true));
        self
    }

    fn fail(&self, failure: VerifyFailure) -> VerifyError {
        VerifyError {
            position: self.next_seq,
            failure,
        }
    }

    /// Every head is authentic and, when the log's chain is known, of that
    /// chain.
    fn check_heads(&self) -> Result<(), VerifyError> {
        for mark in &self.marks {
            if !mark.head.is_authentic(self.key) {
                return Err(self.fail(VerifyFailure::ForgedHead));
            }
            if let Some(chain) = self.chain {
                if mark.head.chain != chain {
                    return Err(self.fail(VerifyFailure::WrongChain {
                        expected: mark.head.chain,
                        found: chain,
                    }));
                }
            }
        }
        Ok(())
    }

    /// Checks the next record.
    pub fn push(&mut self, record: &AuditRecord) -> Result<(), VerifyError> {
        if self.next_seq == 0 {
            self.check_heads()?;
        }
        if record.seq != self.next_seq {
            return Err(self.fail(VerifyFailure::Sequence {
                expected: self.next_seq,
            }));
        }
        if self.next_seq == 0 {
            // The genesis value: the first record's prev is the chain id.
            let expected = self.chain.or(self.marks.first().map(|m| m.head.chain));
            if let Some(expected) = expected {
                if record.prev != *expected.as_bytes() {
                    return Err(self.fail(VerifyFailure::WrongChain {
                        expected,
                        found: ChainId::from_bytes(record.prev),
                    }));
                }
            }
        } else if record.prev != self.prev {
            return Err(self.fail(VerifyFailure::BrokenLink));
        }
        let hash = record.hash();
        if !record.mac_verifies(self.key, &hash) {
            return Err(self.fail(VerifyFailure::BadMac));
        }
        let count = record.seq.saturating_add(1);
        for mark in &self.marks {
            if mark.exact && count > mark.head.count {
                return Err(self.fail(VerifyFailure::Extended {
                    expected: mark.head.count,
                }));
            }
            if mark.head.count == count && mark.head.hash != hash {
                return Err(self.fail(VerifyFailure::HeadMismatch));
            }
        }
        for mark in &mut self.marks {
            mark.seen |= mark.head.count == count;
        }
        if self.next_seq == 0 {
            self.chain = Some(ChainId::from_bytes(record.prev));
        }
        self.prev = hash;
        self.next_seq = count;
        Ok(())
    }

    /// Ends verification; returns the verified current head.
    pub fn finish(self) -> Result<ChainHead, VerifyError> {
        self.check_heads()?;
        if let Some(mark) = self.marks.iter().find(|m| !m.seen) {
            return Err(self.fail(VerifyFailure::Truncated {
                expected: mark.head.count,
            }));
        }
        let Some(chain) = self.chain.or(self.marks.first().map(|m| m.head.chain)) else {
            return Err(self.fail(VerifyFailure::NoChain));
        };
        let hash = if self.next_seq == 0 {
            *chain.as_bytes()
        } else {
            self.prev
        };
        Ok(ChainHead::new(self.key, chain, self.next_seq, hash))
    }
}

/// Verifies a whole chain, optionally against a head kept elsewhere, and
/// returns its current head. The error names the first bad record.
///
/// Without a checkpoint the chain is the one the first record names, and
/// an empty list fails with [`VerifyFailure::NoChain`]. With one, a log of
/// another chain fails with [`VerifyFailure::WrongChain`].
///
/// ```
/// use coffer_audit::*;
/// # use coffer_audit::policy::*;
/// # fn event() -> AuditEvent { AuditEvent {
/// #   time: Timestamp::from_unix_millis(0),
/// #   tenant: Some(TenantId::new("t").unwrap()),
/// #   principal: Principal::new(TenantId::new("t").unwrap(), PrincipalId::new("p").unwrap()).into(),
/// #   role: None, operation: Operation::ReadAudit, project: None, document: None,
/// #   envelope_suite: None, session: None, key: None,
/// #   decision: DecisionRecord { policy: [0; 32], verdict: Verdict::Deny, access: None, request: None, rules: vec![] },
/// #   outcome: Outcome::Denied, sizes: Sizes::default(), subject: None } }
/// let key = AuditKey::from_bytes([7; 32]);
/// let mut sink = MemorySink::new(AuditKey::from_bytes([7; 32]))?;
/// sink.append(event())?;
/// let head = sink.append(event())?;
/// assert_eq!(verify(&key, sink.records(), Some(head))?.count, 2);
/// assert!(verify(&key, &sink.records()[..1], Some(head)).is_err());
/// # Ok::<(), AuditError>(())
/// ```
pub fn verify<'r>(
    key: &AuditKey,
    records: impl IntoIterator<Item = &'r AuditRecord>,
    checkpoint: Option<ChainHead>,
) -> Result<ChainHead, VerifyError> {
    let mut verifier = ChainVerifier::new(key, checkpoint);
    for record in records {
        verifier.push(record)?;
    }
    verifier.finish()
}
