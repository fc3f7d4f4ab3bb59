//! What the front door remembers, and the transactions it needs, behind a
//! trait that durable backends implement (`coffer-store` has SQLite and
//! PostgreSQL).
//!
//! The state is: tenants' tenant-level roles, projects with their members
//! and roles, each project's record (every sealed project-key version and
//! a generation counter), members' registered public keys and the grants
//! sealing project key versions to them, the installed policy document with its history,
//! the metadata of every document sealed ([`DocumentRecord`]), and the
//! audit chain (records and head). Sessions and the unlock cache
//! are not state: they stay in the memory of the process that made them.
//!
//! Every front-door call is one transaction on the store (reads that
//! release plaintext are two: the `started` record before the first byte,
//! the final record after the last): the state change and its audit record
//! commit together or not at all. The audit chain's logic and MACs stay in
//! this crate ([`AuditChain`](crate::audit::AuditChain)); a store seals an
//! appended event with the chain it was opened with, as the next record
//! after its stored head, inside the transaction.
//!
//! Only sealed envelopes are stored: a project key version is the
//! password-sealed envelope of the key, never the key.
//!
//! A store also keeps document envelopes, apart from the state: staged
//! outside any transaction ([`Store::stage_envelope`]), linked by the
//! change that records the document, read back as a stream
//! ([`Store::read_envelope`]), removed once no document names them (see
//! [`StagedEnvelope`]).
//!
//! See `docs/STORE.md`.

mod change;
mod document;
mod envelope;
mod error;
mod keys;
mod memory;
mod snapshot;

pub use change::{Change, Installer, NewPolicy};
pub use document::DocumentRecord;
pub use envelope::{EnvelopeId, EnvelopeIdError, StagedEnvelope};
pub use error::StoreError;
pub use keys::{GrantSlot, KeyGrant, RegisteredKey, FINGERPRINT_BYTES};
pub use memory::MemoryStore;
pub use snapshot::{PolicyVersion, ProjectRecord, Snapshot};

use std::io::Read;
use std::sync::Arc;

use crate::audit::{AuditEvent, AuditRecord, ChainHead, ChainId, Checkpoint};
use crate::policy::{DocumentId, ProjectId, TenantId};

/// Durable state for a front door: a source of transactions.
///
/// A transaction sees the latest committed state and nobody else's
/// uncommitted changes, and writers are serialized (SQLite: `BEGIN
/// IMMEDIATE`; PostgreSQL: the state row locked first), so what a call
/// re-checks inside its transaction is what its change applies to.
pub trait Store: Send + Sync {
    /// Runs `work` in one transaction: committed when it returns `Ok`,
    /// rolled back, audit appends included, when it returns `Err` (or when
    /// committing fails, which is then the error). A backend may run
    /// `work` again when the transaction could not start or the database
    /// asked for it (PostgreSQL: a serialization failure or a deadlock);
    /// `work` must not have effects outside the transaction.
    ///
    /// # Errors
    ///
    /// `work`'s error, or the store's failure converted into `E`.
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E>;

    /// The identity of the store's audit chain.
    fn chain_id(&self) -> ChainId;

    /// Starts writing a document envelope to a fresh location that no
    /// document names yet, outside any transaction, in constant memory
    /// (the bytes go to a file or to rows as they are written). Finish it
    /// ([`StagedEnvelope::finish`]), then link it with the change that
    /// records its document ([`Change::PutDocument`] or
    /// [`Change::ReplaceEnvelope`]); if the call fails instead,
    /// [`Store::release_envelope`] it.
    ///
    /// # Errors
    ///
    /// The backend's failure.
    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError>;

    /// Reads a stored envelope as a stream (constant memory: a file, or one
    /// chunk row at a time).
    ///
    /// # Errors
    ///
    /// [`StoreError::UnknownEnvelope`] when there is no such envelope (never
    /// stored, or removed since its document was replaced), or the
    /// backend's failure.
    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn Read + '_>, StoreError>;

    /// Removes an envelope that no document names (one staged by a call
    /// that then failed); an envelope a document names is kept. Returns
    /// whether it removed something.
    ///
    /// # Errors
    ///
    /// The backend's failure (the envelope is then left to
    /// [`Store::sweep_envelopes`]).
    fn release_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError>;

    /// Removes leftovers: envelopes no document names and whose writer is
    /// gone (a crash between staging and linking, or between a commit and
    /// the removal of the envelope it unlinked). Envelopes still being
    /// staged are left alone; how a backend tells them apart is its own
    /// (`docs/STORE.md`). Returns how many were removed.
    ///
    /// # Errors
    ///
    /// The backend's failure.
    fn sweep_envelopes(&self) -> Result<u64, StoreError>;
}

impl<S: Store> Store for Arc<S> {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        (**self).transaction(work)
    }

    fn chain_id(&self) -> ChainId {
        (**self).chain_id()
    }

    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError> {
        (**self).stage_envelope()
    }

    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn Read + '_>, StoreError> {
        (**self).read_envelope(id)
    }

    fn release_envelope(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        (**self).release_envelope(id)
    }

    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        (**self).sweep_envelopes()
    }
}

/// One transaction's view of the state and the audit chain.
pub trait Transaction {
    /// The state version: a counter bumped by every applied [`Change`] (not
    /// by audit appends). A front door caches a [`Snapshot`] and reloads it
    /// only when this moved, which is also how it sees another instance's
    /// changes at once.
    ///
    /// # Errors
    ///
    /// The backend's failure.
    fn version(&mut self) -> Result<u64, StoreError>;

    /// The whole state as of this transaction.
    ///
    /// # Errors
    ///
    /// The backend's failure, or [`StoreError::Corrupt`] for stored data
    /// that does not read back.
    fn snapshot(&mut self) -> Result<Snapshot, StoreError>;

    /// Applies one change and bumps the state version. A change that is
    /// refused ([`StoreError::is_refusal`]) leaves nothing behind and the
    /// transaction usable: the caller may record the refusal and commit.
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`] when a project's generation is not the
    /// expected one, [`StoreError::UnknownEnvelope`] when a document change
    /// links an envelope that is not staged and finished with the recorded
    /// size, [`StoreError::DocumentChanged`] when a
    /// [`Change::ReplaceEnvelope`] finds another envelope,
    /// [`StoreError::ProjectExists`],
    /// [`StoreError::UnknownProject`], [`StoreError::Membership`], or the
    /// backend's failure.
    fn apply(&mut self, change: &Change) -> Result<(), StoreError>;

    /// The metadata of every document recorded in a project
    /// ([`Change::PutDocument`]), by document id (an unknown project has
    /// none).
    ///
    /// # Errors
    ///
    /// The backend's failure, or [`StoreError::Corrupt`] for a row that
    /// does not read back.
    fn documents(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
    ) -> Result<Vec<DocumentRecord>, StoreError>;

    /// The metadata of one document, if it was recorded.
    ///
    /// # Errors
    ///
    /// As [`Transaction::documents`].
    fn document(
        &mut self,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError>;

    /// Every installed policy, oldest first (version 1 first).
    ///
    /// # Errors
    ///
    /// The backend's failure.
    fn policy_history(&mut self) -> Result<Vec<PolicyVersion>, StoreError>;

    /// Seals `event` as the next record of the store's chain and stores it
    /// with the new head, in this transaction.
    ///
    /// # Errors
    ///
    /// The backend's failure, or [`StoreError::Audit`] when the stored head
    /// is not authentic.
    fn append(&mut self, event: AuditEvent) -> Result<AuditRecord, StoreError>;

    /// The stored head of the audit chain.
    ///
    /// # Errors
    ///
    /// The backend's failure.
    fn audit_head(&mut self) -> Result<ChainHead, StoreError>;

    /// Every audit record, oldest first, as stored (not yet verified).
    ///
    /// # Errors
    ///
    /// The backend's failure, or [`StoreError::Corrupt`] for a record that
    /// does not read back.
    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StoreError>;

    /// Verifies every stored record under the store's audit key against the
    /// stored head (the log must end exactly there) and against
    /// `checkpoint`, a head kept elsewhere, when given; returns the head.
    ///
    /// # Errors
    ///
    /// [`StoreError::Audit`] naming the first bad record.
    fn verify_audit(&mut self, checkpoint: Option<ChainHead>) -> Result<ChainHead, StoreError>;

    /// The audit [`Checkpoint`] the store keeps beside its chain, if any
    /// (the default: a store that keeps none).
    ///
    /// # Errors
    ///
    /// The backend's failure, or [`StoreError::Corrupt`] for a stored
    /// checkpoint that does not read back.
    fn audit_checkpoint(&mut self) -> Result<Option<Checkpoint>, StoreError> {
        Ok(None)
    }

    /// Start-up verification, in time proportional to the records added
    /// since the last one: verifies the stored checkpoint (its MAC, its
    /// chain, that it is not past the stored head, and that the record at
    /// its position is the one it names) and every record after it against
    /// the stored head (the log must end exactly there), as
    /// [`AuditChain::verify_from`](crate::audit::AuditChain::verify_from)
    /// does, then moves the checkpoint to that head in this transaction;
    /// returns the head. Without a stored checkpoint it verifies every
    /// record first. Records before the checkpoint are not read: a full
    /// verification ([`Transaction::verify_audit`]) finds an edit there.
    ///
    /// The default, for a store that keeps no checkpoint, is
    /// [`Transaction::verify_audit`] without one.
    ///
    /// # Errors
    ///
    /// [`StoreError::Audit`] naming the first bad record or what is wrong
    /// with the checkpoint, or the backend's failure.
    fn verify_audit_tail(&mut self) -> Result<ChainHead, StoreError> {
        self.verify_audit(None)
    }
}
