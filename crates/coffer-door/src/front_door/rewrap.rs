//! Moving every stored document of a project to the current key version
//! (after a rotation), in constant memory, with progress reporting.

use std::io::{Cursor, Read};
use std::time::Duration;

use crate::session::keys::envelope::{read_header, HeaderView};
use crate::session::keys::{self, rewrap_stream, Password};

use super::guard::{reason_code, Ask, Effects};
use super::projects::key_ref;
use super::sessions::PasswordCredential;
use super::unlock::UnlockCache;
use super::{FrontDoor, FrontDoorError};
use crate::policy::Operation;
use crate::policy::Target;
use crate::policy::{DocumentId, DocumentRef, Principal, ProjectId, ProjectRef, ReasonCode, TenantId};
use crate::store::{Change, DocumentRecord, StagedEnvelope, Store, StoreError, Transaction};

/// How long a project rewrap keeps the keys it unlocked (each version is
/// unlocked, with PBKDF2, once per call rather than once per document);
/// they are zeroized when the call ends.
const REWRAP_KEY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// Where a [`FrontDoor::rewrap_project`] is: reported before each document
/// and once at the end. The counts only grow, and the last report has
/// `documents_done == documents_total` and `bytes_done == bytes_total`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RewrapProgress {
    /// Documents finished (rewrapped or failed) so far.
    pub documents_done: u64,
    /// Stored documents not on the current key version when the call
    /// began: the work to do.
    pub documents_total: u64,
    /// Envelope bytes of the finished documents.
    pub bytes_done: u64,
    /// Envelope bytes of all the work.
    pub bytes_total: u64,
    /// The document about to be rewrapped; `None` in the final report.
    pub current: Option<DocumentId>,
}

/// Why one document was not rewrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RewrapFailure {
    /// The document.
    pub document: DocumentId,
    /// The reason code recorded in the audit trail (for example
    /// `crypto.HeaderTag` for a tampered envelope, `front-door.Denied`).
    pub reason: ReasonCode,
    /// The error's message, as the caller would have seen it.
    pub message: String,
}

/// What a [`FrontDoor::rewrap_project`] did, document by document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RewrapSummary {
    /// The key version documents were moved to.
    pub key_version: u32,
    /// Documents moved to [`RewrapSummary::key_version`].
    pub rewrapped: Vec<DocumentId>,
    /// Stored documents already on it (nothing done).
    pub already_current: Vec<DocumentId>,
    /// Documents whose envelope the caller keeps: not touched (move them
    /// with [`FrontDoor::rewrap_document`]).
    pub not_stored: Vec<DocumentId>,
    /// Documents that could not be moved, with why; each failure is also
    /// in the audit trail. They keep their envelope and record.
    pub failed: Vec<RewrapFailure>,
}

impl<S: Store> FrontDoor<S> {
    /// Moves every stored document of `project` to the project's current key version, rewriting
    /// only each envelope's key section and header tag and copying its
    /// body through (constant memory: header in memory, body streamed from
    /// the stored envelope into a newly staged one). Run it after
    /// [`FrontDoor::rotate_key`] to retire old versions; after
    /// [`FrontDoor::change_password`] alone there is nothing to move (the
    /// password wraps the project key, not the documents), and the call
    /// reports every document as already current.
    ///
    /// Authorize → act → audit twice over: the call is decided as
    /// [`Operation::RotateKey`] on the project (Owners) and recorded there
    /// (checking `password` once), then each document is its own call,
    /// decided as `RotateKey` on the document and recorded with the change
    /// that links its new envelope ([`Change::ReplaceEnvelope`]), in one
    /// transaction; the old envelope is removed after that commit. A
    /// document stored again meanwhile is not overwritten
    /// ([`FrontDoorError::DocumentChanged`] for it).
    ///
    /// **Failures per document do not stop the call**: a tampered envelope,
    /// a denial on one document or a race is listed in
    /// [`RewrapSummary::failed`] with its reason and the next document is
    /// moved. A store failure does stop it (the error is returned; documents
    /// moved before it stay moved, and calling again moves the rest).
    /// `progress` is called before each document and once at the end.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Denied`], [`FrontDoorError::UnknownProject`],
    /// [`FrontDoorError::Keys`] for a wrong password (nothing is moved),
    /// [`FrontDoorError::Store`].
    pub fn rewrap_project<'c>(
        &self,
        actor: &Principal,
        project: &ProjectRef,
        password: impl Into<PasswordCredential<'c>>,
        progress: &mut dyn FnMut(&RewrapProgress),
    ) -> Result<RewrapSummary, FrontDoorError> {
        let password = self.password(actor, project, password.into())?;
        let password: &Password = &password;
        let cache = UnlockCache::new(Some(REWRAP_KEY_WINDOW))?;
        let target = Target::from(project);
        let ask = Ask::new(actor, Operation::RotateKey, &target);
        let (tenant, project) = (project.tenant(), project.project());
        let (current, documents) = self.guard(ask, |call| {
            let current = call.state().project(tenant, project)?.current_version();
            // The password is checked once, before any document is touched.
            let key = call.unlock_with(&cache, tenant, project, current, password)?;
            let documents = self
                .store
                .transaction(&mut |tx: &mut dyn Transaction| tx.documents(tenant, project))?;
            let effects = Effects {
                key: key_ref(key.id()),
                ..Effects::default()
            };
            Ok(((current, documents), effects))
        })?;
        let mut summary = RewrapSummary {
            key_version: current,
            ..RewrapSummary::default()
        };
        let mut work = Vec::new();
        for record in documents {
            match record.envelope {
                None => summary.not_stored.push(record.document),
                Some(_) if record.key_version == current => summary.already_current.push(record.document),
                Some(_) => work.push(record),
            }
        }
        let mut report = RewrapProgress {
            documents_done: 0,
            documents_total: work.len() as u64,
            bytes_done: 0,
            bytes_total: work.iter().map(|r| r.envelope_size).sum(),
            current: None,
        };
        for record in work {
            report.current = Some(record.document.clone());
            progress(&report);
            match self.rewrap_stored(actor, &cache, (tenant, project), &record, password) {
                Ok(_) => summary.rewrapped.push(record.document),
                Err(error @ FrontDoorError::Store(_)) => return Err(error),
                Err(error) => summary.failed.push(RewrapFailure {
                    document: record.document,
                    reason: reason_code(&error),
                    message: error.to_string(),
                }),
            }
            report.documents_done += 1;
            report.bytes_done += record.envelope_size;
        }
        report.current = None;
        progress(&report);
        Ok(summary)
    }

    /// One document of a project rewrap: its own call, decided, acted on
    /// (stored envelope → new staged envelope, body streamed through) and
    /// recorded with the change that links the new envelope if the
    /// document still names the old one. Returns the new record.
    fn rewrap_stored(
        &self,
        actor: &Principal,
        cache: &UnlockCache,
        (tenant, project): (&TenantId, &ProjectId),
        record: &DocumentRecord,
        password: &Password,
    ) -> Result<DocumentRecord, FrontDoorError> {
        let document = DocumentRef::new(tenant.clone(), project.clone(), record.document.clone());
        let target = Target::from(&document);
        let ask = Ask::new(actor, Operation::RotateKey, &target);
        let mut staged: Option<Box<dyn StagedEnvelope + '_>> = None;
        let slot = &mut staged;
        let result = self.guard(ask, |call| {
            let replaces = record
                .envelope
                .ok_or_else(|| FrontDoorError::NotStored(record.document.to_string()))?;
            let mut source = self.store.read_envelope(&replaces).map_err(|e| match e {
                // Replaced (and removed) since the listing.
                StoreError::UnknownEnvelope { .. } => {
                    FrontDoorError::DocumentChanged(record.document.to_string())
                }
                other => other.into(),
            })?;
            let header = read_header(&mut source, &self.config.limits).map_err(keys::Error::from)?;
            let view = HeaderView::parse(&header, &self.config.limits).map_err(keys::Error::from)?;
            let keys = self.rewrap_keys(call, cache, tenant, project, &view, password)?;
            let options = self.document_options(&keys.old, &document);
            let writer = slot.insert(self.store.stage_envelope()?);
            // The header is verified and rewritten; the body follows as is.
            let whole = Cursor::new(&header[..]).chain(source);
            rewrap_stream(whole, &mut *writer, &options, &keys.change())?;
            let size = writer.finish()?;
            let rewrapped = DocumentRecord {
                key_version: keys.current,
                envelope_size: size,
                envelope: Some(writer.id()),
                ..record.clone()
            };
            call.change(Change::ReplaceEnvelope {
                replaces,
                record: rewrapped.clone(),
            });
            let effects = Effects {
                key: key_ref(keys.new.id()),
                ciphertext: Some(size),
                ..Effects::default()
            };
            Ok((rewrapped, effects))
        });
        self.discard_unless(result.is_ok(), staged);
        result
    }
}
