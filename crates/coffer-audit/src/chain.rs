//! The hash chain: records, heads, sealing and verification.

use ring::digest;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use super::encode::encode_event;
use super::event::AuditEvent;
use super::hex32;
use super::key::AuditKey;
use super::verify::{ChainVerifier, VerifyError, VerifyFailure};
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
        self.mac_verifies(key, &self.hash())
    }

    /// Whether the record's MAC verifies over `hash` (its hash, computed
    /// once by the caller) under `key`.
    pub(super) fn mac_verifies(&self, key: &AuditKey, hash: &[u8; 32]) -> bool {
        key.verify(&[MAC_DOMAIN, hash], &self.mac)
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
    pub(super) fn new(key: &AuditKey, chain: ChainId, count: u64, hash: [u8; 32]) -> Self {
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

    pub(super) fn is_authentic(&self, key: &AuditKey) -> bool {
        self.is_signed(key, HEAD_DOMAIN)
    }
}

/// The writer's side of the chain: the key and the position of the next
/// record.
#[derive(Debug)]
pub struct AuditChain {
    key: AuditKey,
    /// The current head, MACed: made by this writer or checked when
    /// followed, so a stored head equal to it needs no second check.
    head: ChainHead,
}

impl AuditChain {
    /// An empty chain with identity `chain` (a fresh
    /// [`ChainId::generate`] for a new chain).
    pub fn new(key: AuditKey, chain: ChainId) -> Self {
        let head = ChainHead::new(&key, chain, 0, chain.0);
        Self { key, head }
    }

    /// Continues after a verified head (e.g. from [`ChainVerifier::finish`]).
    pub(crate) fn resume(key: AuditKey, head: &ChainHead) -> Self {
        Self { key, head: *head }
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
        // The head this writer holds (usually the one it stored last) is
        // authentic already: the same bytes need no second MAC check.
        if *head == self.head {
            return Ok(());
        }
        let fail = |failure| VerifyError {
            position: head.count,
            failure,
        };
        if !head.is_authentic(&self.key) {
            return Err(fail(VerifyFailure::ForgedHead));
        }
        if head.chain != self.head.chain {
            return Err(fail(VerifyFailure::WrongChain {
                expected: self.head.chain,
                found: head.chain,
            }));
        }
        self.head = *head;
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
        self.head.chain
    }

    pub(crate) fn key(&self) -> &AuditKey {
        &self.key
    }

    /// The record `event` becomes when appended next; the chain does not
    /// move until [`AuditChain::commit`] (so a failed write does not leave
    /// a gap).
    pub fn seal(&self, event: AuditEvent) -> AuditRecord {
        self.seal_at(self.head.count, self.head.hash, event)
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
        let (mut seq, mut prev) = (self.head.count, self.head.hash);
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
        let count = record.seq.saturating_add(1);
        self.head = ChainHead::new(&self.key, self.head.chain, count, record.hash());
    }

    /// The current head, MACed.
    pub fn head(&self) -> ChainHead {
        self.head
    }

    /// A verifier under the same key for this chain (for re-checking what
    /// was written), optionally against a checkpoint.
    pub fn verifier(&self, checkpoint: Option<ChainHead>) -> ChainVerifier<'_> {
        ChainVerifier::for_chain(&self.key, self.head.chain, checkpoint)
    }
}
