//! The hash chain: records, heads, sealing and verification.

use ring::digest;
use serde::{Deserialize, Serialize};

use super::encode::encode_event;
use super::event::AuditEvent;
use super::hex32;
use super::key::AuditKey;

const RECORD_DOMAIN: &[u8] = b"coffer-audit/v1 record\x00";
const MAC_DOMAIN: &[u8] = b"coffer-audit/v1 mac\x00";
const HEAD_DOMAIN: &[u8] = b"coffer-audit/v1 head\x00";

/// The `prev` of the first record.
const GENESIS: [u8; 32] = [0; 32];

/// One link of the chain: sequence number, previous record's hash, the
/// event and a MAC over this record's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// 0 for the first record, then consecutive.
    pub seq: u64,
    /// Hash of the previous record (32 zero bytes for the first).
    #[serde(with = "hex32")]
    pub prev: [u8; 32],
    /// The event.
    pub event: AuditEvent,
    /// HMAC-SHA256 under the audit key over this record's hash.
    #[serde(with = "hex32")]
    pub mac: [u8; 32],
}

impl AuditRecord {
    /// `SHA-256("coffer-audit/v1 record" ‖ 00 ‖ u64 seq ‖ prev ‖ canonical event)`.
    pub fn hash(&self) -> [u8; 32] {
        record_hash(self.seq, &self.prev, &self.event)
    }
}

fn record_hash(seq: u64, prev: &[u8; 32], event: &AuditEvent) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(RECORD_DOMAIN);
    ctx.update(&seq.to_be_bytes());
    ctx.update(prev);
    ctx.update(&encode_event(event));
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// A MACed statement of the chain's length and last hash. Kept apart from
/// the log (another system, a ticket, a printout), it detects truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// Number of records (the next record's seq).
    pub count: u64,
    /// Hash of record `count - 1` (zeros when empty).
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
    /// `HMAC(audit key, "coffer-audit/v1 head" ‖ 00 ‖ u64 count ‖ hash)`.
    #[serde(with = "hex32")]
    pub mac: [u8; 32],
}

impl ChainHead {
    fn new(key: &AuditKey, count: u64, hash: [u8; 32]) -> Self {
        let mac = key.mac(&[HEAD_DOMAIN, &count.to_be_bytes(), &hash]);
        Self { count, hash, mac }
    }

    fn is_authentic(&self, key: &AuditKey) -> bool {
        key.verify(&[HEAD_DOMAIN, &self.count.to_be_bytes(), &self.hash], &self.mac)
    }
}

/// The writer's side of the chain: the key and the position of the next
/// record.
#[derive(Debug)]
pub struct AuditChain {
    key: AuditKey,
    next_seq: u64,
    prev: [u8; 32],
}

impl AuditChain {
    /// An empty chain.
    pub fn new(key: AuditKey) -> Self {
        Self {
            key,
            next_seq: 0,
            prev: GENESIS,
        }
    }

    /// Continues after a verified head (e.g. from [`ChainVerifier::finish`]).
    pub(crate) fn resume(key: AuditKey, head: &ChainHead) -> Self {
        Self {
            key,
            next_seq: head.count,
            prev: head.hash,
        }
    }

    /// The record `event` becomes when appended next; the chain does not
    /// move until [`AuditChain::commit`] (so a failed write does not leave
    /// a gap).
    pub fn seal(&self, event: AuditEvent) -> AuditRecord {
        self.seal_at(self.next_seq, self.prev, event)
    }

    fn seal_at(&self, seq: u64, prev: [u8; 32], event: AuditEvent) -> AuditRecord {
        let hash = record_hash(seq, &prev, &event);
        AuditRecord {
            seq,
            prev,
            mac: self.key.mac(&[MAC_DOMAIN, &hash]),
            event,
        }
    }

    /// Seals several events as consecutive records.
    pub fn seal_all(&self, events: Vec<AuditEvent>) -> Vec<AuditRecord> {
        let (mut seq, mut prev) = (self.next_seq, self.prev);
        events
            .into_iter()
            .map(|event| {
                let record = self.seal_at(seq, prev, event);
                prev = record.hash();
                seq = seq.saturating_add(1);
                record
            })
            .collect()
    }

    /// Moves the chain past `record`, which must be the one sealed last.
    pub fn commit(&mut self, record: &AuditRecord) {
        self.next_seq = record.seq.saturating_add(1);
        self.prev = record.hash();
    }

    /// The current head, MACed.
    pub fn head(&self) -> ChainHead {
        ChainHead::new(&self.key, self.next_seq, self.prev)
    }

    /// A verifier under the same key (for re-checking what was written).
    pub fn verifier(&self, checkpoint: Option<ChainHead>) -> ChainVerifier<'_> {
        ChainVerifier::new(&self.key, checkpoint)
    }
}

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
        }
    }
}

/// Streaming verification: feed records in order, then finish.
#[derive(Debug)]
pub struct ChainVerifier<'k> {
    key: &'k AuditKey,
    next_seq: u64,
    prev: [u8; 32],
    checkpoint: Option<ChainHead>,
    checkpoint_seen: bool,
}

impl<'k> ChainVerifier<'k> {
    /// A verifier expecting a chain from seq 0, optionally against a head
    /// kept elsewhere.
    pub fn new(key: &'k AuditKey, checkpoint: Option<ChainHead>) -> Self {
        Self {
            key,
            next_seq: 0,
            prev: GENESIS,
            checkpoint,
            checkpoint_seen: checkpoint.is_some_and(|h| h.count == 0),
        }
    }

    fn fail(&self, failure: VerifyFailure) -> VerifyError {
        VerifyError {
            position: self.next_seq,
            failure,
        }
    }

    /// Checks the next record.
    pub fn push(&mut self, record: &AuditRecord) -> Result<(), VerifyError> {
        if let Some(head) = &self.checkpoint {
            if self.next_seq == 0 && !head.is_authentic(self.key) {
                return Err(self.fail(VerifyFailure::ForgedHead));
            }
        }
        if record.seq != self.next_seq {
            return Err(self.fail(VerifyFailure::Sequence {
                expected: self.next_seq,
            }));
        }
        if record.prev != self.prev {
            return Err(self.fail(VerifyFailure::BrokenLink));
        }
        let hash = record.hash();
        if !self.key.verify(&[MAC_DOMAIN, &hash], &record.mac) {
            return Err(self.fail(VerifyFailure::BadMac));
        }
        if let Some(head) = &self.checkpoint {
            if head.count == record.seq.saturating_add(1) {
                if head.hash != hash {
                    return Err(self.fail(VerifyFailure::HeadMismatch));
                }
                self.checkpoint_seen = true;
            }
        }
        self.prev = hash;
        self.next_seq = self.next_seq.saturating_add(1);
        Ok(())
    }

    /// Ends verification; returns the verified current head.
    pub fn finish(self) -> Result<ChainHead, VerifyError> {
        if let Some(head) = &self.checkpoint {
            if !head.is_authentic(self.key) {
                return Err(self.fail(VerifyFailure::ForgedHead));
            }
            if !self.checkpoint_seen {
                return Err(self.fail(VerifyFailure::Truncated { expected: head.count }));
            }
        }
        Ok(ChainHead::new(self.key, self.next_seq, self.prev))
    }
}

/// Verifies a whole chain, optionally against a head kept elsewhere, and
/// returns its current head. The error names the first bad record.
///
/// ```
/// use coffer_policy::audit::*;
/// # use coffer_policy::*;
/// # fn event() -> AuditEvent { AuditEvent {
/// #   time: Timestamp::from_unix_millis(0),
/// #   tenant: TenantId::new("t").unwrap(),
/// #   principal: Principal::new(TenantId::new("t").unwrap(), PrincipalId::new("p").unwrap()),
/// #   role: None, operation: Operation::ReadAudit, project: None, document: None,
/// #   envelope_suite: None, session: None, key: None,
/// #   decision: DecisionRecord { policy: [0; 32], verdict: Verdict::Deny, access: None, request: None, rules: vec![] },
/// #   outcome: Outcome::Denied, sizes: Sizes::default() } }
/// let key = AuditKey::from_bytes([7; 32]);
/// let mut sink = MemorySink::new(AuditKey::from_bytes([7; 32]));
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
