//! Checkpoints: a MACed statement, kept beside the chain, that its first
//! records were verified, so start-up verifies only the records after it.

use serde::{Deserialize, Serialize};

use super::chain::{AuditChain, AuditRecord, ChainHead, ChainId};
use super::verify::{ChainVerifier, VerifyError, VerifyFailure};
use super::AuditError;

/// Its own domain: a head (which every append writes, and which anyone
/// who can read the store sees) must never pass for a checkpoint, which
/// says more: that every record up to it was verified.
const CHECKPOINT_DOMAIN: &[u8] = b"coffer-audit/v1 checkpoint\x00";

/// A MACed statement that the first `count` records of a chain were
/// verified and that the last of them hashed to `hash`: the same four
/// fields as a [`ChainHead`] (chain, count, hash, MAC), MACed under a
/// domain of its own:
/// `HMAC(audit key, "coffer-audit/v1 checkpoint" ‖ 00 ‖ chain ‖ u64 count ‖ hash)`.
///
/// A store keeps one beside its chain and moves it to the head after each
/// verification at start-up; the next start-up checks the checkpoint and
/// the record at its position, then verifies only the records after it
/// ([`AuditChain::verify_from`]). Because its domain is not the head's, a
/// chain head, which is stored and returned by every append, cannot be
/// passed off as a checkpoint.
///
/// Serde: `{"chain": "<64 hex>", "count": 12, "hash": "<64 hex>", "mac":
/// "<64 hex>"}`, as a head, unknown fields refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Checkpoint(ChainHead);

impl Checkpoint {
    /// A checkpoint read back from storage (not yet checked:
    /// [`AuditChain::verify_from`] does).
    pub const fn from_parts(chain: ChainId, count: u64, hash: [u8; 32], mac: [u8; 32]) -> Self {
        Self(ChainHead {
            chain,
            count,
            hash,
            mac,
        })
    }

    /// The chain it belongs to.
    pub const fn chain(&self) -> ChainId {
        self.0.chain
    }

    /// How many records were verified (the first `count`).
    pub const fn count(&self) -> u64 {
        self.0.count
    }

    /// Hash of record `count - 1`; the chain id when `count` is 0.
    pub const fn hash(&self) -> &[u8; 32] {
        &self.0.hash
    }

    /// The checkpoint's MAC.
    pub const fn mac(&self) -> &[u8; 32] {
        &self.0.mac
    }
}

impl AuditChain {
    /// A checkpoint at this writer's head. Make one only when every record
    /// up to the head was just verified (a store does so at the end of
    /// [`AuditChain::verify_from`]): it is what lets the next verification
    /// skip them.
    pub fn checkpoint(&self) -> Checkpoint {
        let head = self.head();
        Checkpoint(ChainHead::signed(
            self.key(),
            CHECKPOINT_DOMAIN,
            head.chain,
            head.count,
            head.hash,
        ))
    }

    /// Verifies the log from `checkpoint` on: the checkpoint's MAC and
    /// chain, that it is not past this writer's head, that the record at
    /// its position (`records`' first, seq `count - 1`) is authentic and
    /// the one it names, then every record after it, which must end exactly
    /// at this writer's head. `records` are the stored records from seq
    /// `count - 1` on (from 0 for a checkpoint of 0 records). Without a
    /// checkpoint, `records` is the whole log, verified as
    /// [`AuditChain::verify_log`] does. Returns the verified head.
    ///
    /// Records before the checkpoint are not read: an edit there is found
    /// by a full verification ([`AuditChain::verify_log`]), not by this.
    ///
    /// # Errors
    ///
    /// [`AuditError::Verify`]: [`VerifyFailure::ForgedCheckpoint`],
    /// [`VerifyFailure::WrongChain`] for a checkpoint of another chain,
    /// [`VerifyFailure::CheckpointPastHead`],
    /// [`VerifyFailure::CheckpointMismatch`], or the first bad record
    /// after the checkpoint.
    pub fn verify_from<'r>(
        &self,
        checkpoint: Option<&Checkpoint>,
        records: impl IntoIterator<Item = &'r AuditRecord>,
    ) -> Result<ChainHead, AuditError> {
        let Some(&Checkpoint(checkpoint)) = checkpoint else {
            return self.verify_log(records, None);
        };
        let head = self.head();
        let at = |position, failure| VerifyError { position, failure };
        if !checkpoint.is_signed(self.key(), CHECKPOINT_DOMAIN) {
            return Err(at(checkpoint.count, VerifyFailure::ForgedCheckpoint).into());
        }
        if checkpoint.chain != self.chain_id() {
            let failure = VerifyFailure::WrongChain {
                expected: self.chain_id(),
                found: checkpoint.chain,
            };
            return Err(at(checkpoint.count, failure).into());
        }
        if checkpoint.count > head.count {
            let failure = VerifyFailure::CheckpointPastHead {
                checkpoint: checkpoint.count,
            };
            return Err(at(head.count, failure).into());
        }
        let mut records = records.into_iter();
        if let Some(last) = checkpoint.count.checked_sub(1) {
            // The record the checkpoint names: present, authentic, the same.
            let Some(anchor) = records.next() else {
                let failure = VerifyFailure::Truncated { expected: head.count };
                return Err(at(last, failure).into());
            };
            if anchor.seq != last {
                return Err(at(last, VerifyFailure::Sequence { expected: last }).into());
            }
            if !anchor.is_authentic(self.key()) {
                return Err(at(last, VerifyFailure::BadMac).into());
            }
            if anchor.hash() != checkpoint.hash {
                return Err(at(last, VerifyFailure::CheckpointMismatch).into());
            }
        } else if checkpoint.hash != *self.chain_id().as_bytes() {
            return Err(at(0, VerifyFailure::CheckpointMismatch).into());
        }
        if checkpoint.count == head.count && checkpoint.hash != head.hash {
            return Err(at(head.count, VerifyFailure::HeadMismatch).into());
        }
        let mut verifier = ChainVerifier::resuming(
            self.key(),
            self.chain_id(),
            checkpoint.count,
            checkpoint.hash,
            head,
        );
        for record in records {
            verifier.push(record)?;
        }
        Ok(verifier.finish()?)
    }
}
