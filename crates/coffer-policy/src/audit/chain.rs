//! The hash chain: records, heads, sealing and verification.

use ring::digest;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use super::encode::encode_event;
use super::event::AuditEvent;
use super::hex32;
use super::key::AuditKey;
use super::AuditError;

const RECORD_DOMAIN: &[u8] = b"coffer-audit/v1 record\x00";
const MAC_DOMAIN: &[u8] = b"coffer-audit/v1 mac\x00";
const HEAD_DOMAIN: &[u8] = b"coffer-audit/v1 head\x00";

/// A chain's identity: 32 random bytes chosen when the chain is created.
///
/// It is the first record's `prev` (the genesis value) and part of every
/// [`ChainHead`], so a log of another chain, even one written under the
/// same key, never verifies against this chain's heads, and an empty log
/// put in place of a deleted one is not taken for its continuation.
/// Printed and serialized as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChainId(#[serde(with = "hex32")] [u8; 32]);

impl ChainId {
    /// A fresh random id for a new chain.
    ///
    /// # Errors
    ///
    /// [`AuditError::Random`] when `rng` fails.
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, AuditError> {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes).map_err(|_| AuditError::Random)?;
        Ok(Self(bytes))
    }

    /// The id with these bytes (an id read back from storage).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The id's bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Display for ChainId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for ChainId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainId({self})")
    }
}

/// One link of the chain: sequence number, previous record's hash, the
/// event and a MAC over this record's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// 0 for the first record, then consecutive.
    pub seq: u64,
    /// Hash of the previous record; for the first record, the chain's id.
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

impl AuditRecord {
    /// Whether the record's MAC verifies over its hash under `key`.
    pub(super) fn is_authentic(&self, key: &AuditKey) -> bool {
        key.verify(&[MAC_DOMAIN, &self.hash()], &self.mac)
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

/// A MACed statement of a chain's identity, length and last hash. Kept
/// apart from the log (another system, a ticket, a printout), it detects
/// truncation and a log of another chain put in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// The chain this head belongs to.
    pub chain: ChainId,
    /// Number of records (the next record's seq).
    pub count: u64,
    /// Hash of record `count - 1`; the chain id when empty (in both cases
    /// the `prev` of the next record).
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
    /// `HMAC(audit key, "coffer-audit/v1 head" ‖ 00 ‖ chain ‖ u64 count ‖ hash)`.
    #[serde(with = "hex32")]
    pub mac: [u8; 32],
}

impl ChainHead {
    fn new(key: &AuditKey, chain: ChainId, count: u64, hash: [u8; 32]) -> Self {
        Self::signed(key, HEAD_DOMAIN, chain, count, hash)
    }

    /// The position `count`, `hash` of `chain` MACed under `domain`: a
    /// head, or under a domain of its own another statement about the
    /// same position (a [`Checkpoint`](super::Checkpoint)).
    pub(super) fn signed(key: &AuditKey, domain: &[u8], chain: ChainId, count: u64, hash: [u8; 32]) -> Self {
        let mac = key.mac(&[domain, chain.as_bytes(), &count.to_be_bytes(), &hash]);
        Self {
            chain,
            count,
            hash,
            mac,
        }
    }

    /// Whether the MAC verifies under `domain`.
    pub(super) fn is_signed(&self, key: &AuditKey, domain: &[u8]) -> bool {
        key.verify(
            &[
                domain,
                self.chain.as_bytes(),
                &self.count.to_be_bytes(),
                &self.hash,
            ],
            &self.mac,
        )
    }

    fn is_authentic(&self, key: &AuditKey) -> bool {
        self.is_signed(key, HEAD_DOMAIN)
    }
}

/// The writer's side of the chain: the key and the position of the next
/// record.
#[derive(Debug)]
pub struct AuditChain {
    key: AuditKey,
    chain: ChainId,
    next_seq: u64,
    prev: [u8; 32],
}

impl AuditChain {
    /// An empty chain with identity `chain` (a fresh
    /// [`ChainId::generate`] for a new chain).
    pub fn new(key: AuditKey, chain: ChainId) -> Self {
        Self {
            key,
            chain,
            next_seq: 0,
            prev: chain.0,
        }
    }

    /// Continues after a verified head (e.g. from [`ChainVerifier::finish`]).
    pub(crate) fn resume(key: AuditKey, head: &ChainHead) -> Self {
        Self {
            key,
            chain: head.chain,
            next_seq: head.count,
            prev: head.hash,
        }
    }

    /// Moves the writer to `head`, a head of this chain written by another
    /// writer of the same store (a second handle on one database), after
    /// checking its MAC and chain id; a store calls it with its stored head
    /// before sealing the next record.
    ///
    /// # Errors
    ///
    /// [`VerifyFailure::ForgedHead`] when the head's MAC does not verify
    /// under this chain's key, [`VerifyFailure::WrongChain`] when it is a
    /// head of another chain.
    pub fn follow(&mut self, head: &ChainHead) -> Result<(), VerifyError> {
        let fail = |failure| VerifyError {
            position: head.count,
            failure,
        };
        if !head.is_authentic(&self.key) {
            return Err(fail(VerifyFailure::ForgedHead));
        }
        if head.chain != self.chain {
            return Err(fail(VerifyFailure::WrongChain {
                expected: self.chain,
                found: head.chain,
            }));
        }
        self.next_seq = head.count;
        self.prev = head.hash;
        Ok(())
    }

    /// Verifies `records`, the whole log of this chain, which must end
    /// exactly at this writer's head (see [`AuditSink::verify`]), and
    /// against `checkpoint` when given; returns the verified head.
    ///
    /// [`AuditSink::verify`]: super::AuditSink::verify
    ///
    /// # Errors
    ///
    /// The first bad record, as [`AuditError::Verify`].
    pub fn verify_log<'r>(
        &self,
        records: impl IntoIterator<Item = &'r AuditRecord>,
        checkpoint: Option<ChainHead>,
    ) -> Result<ChainHead, AuditError> {
        let mut verifier = self.verifier(checkpoint).ending_at(self.head());
        for record in records {
            verifier.push(record)?;
        }
        Ok(verifier.finish()?)
    }

    /// The chain's identity.
    pub fn chain_id(&self) -> ChainId {
        self.chain
    }

    pub(crate) fn key(&self) -> &AuditKey {
        &self.key
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
        ChainHead::new(&self.key, self.chain, self.next_seq, self.prev)
    }

    /// A verifier under the same key for this chain (for re-checking what
    /// was written), optionally against a checkpoint.
    pub fn verifier(&self, checkpoint: Option<ChainHead>) -> ChainVerifier<'_> {
        ChainVerifier::for_chain(&self.key, self.chain, checkpoint)
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
            prev: chain.0,
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
                if record.prev != expected.0 {
                    return Err(self.fail(VerifyFailure::WrongChain {
                        expected,
                        found: ChainId(record.prev),
                    }));
                }
            }
        } else if record.prev != self.prev {
            return Err(self.fail(VerifyFailure::BrokenLink));
        }
        let hash = record.hash();
        if !self.key.verify(&[MAC_DOMAIN, &hash], &record.mac) {
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
            self.chain = Some(ChainId(record.prev));
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
        let hash = if self.next_seq == 0 { chain.0 } else { self.prev };
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
/// use coffer_policy::audit::*;
/// # use coffer_policy::*;
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
