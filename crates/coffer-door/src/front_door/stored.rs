//! Stored documents: the front door keeps the envelope in its store,
//! streaming it in and out in constant memory, with the same decisions,
//! fail-closed order and audit records as for envelopes the caller keeps.

use std::io::{Read, Write};

use crate::session::keys::Password;
use crate::session::{ClientMessage, Offer};

use super::documents::{Plaintext, Sealing};
use super::{FrontDoor, FrontDoorError, Receipt};
use crate::policy::Context;
use crate::policy::DocumentRef;
use crate::policy::Principal;
use crate::store::{DocumentRecord, StagedEnvelope, Store, StoreError, Transaction};

impl<S: Store> FrontDoor<S> {
    /// Encrypts a document read from `plaintext` into the project of
    /// `target` (a document target) and keeps the envelope in the store,
    /// as [`FrontDoor::encrypt_from`] does for an envelope the caller
    /// keeps: same decision, same size and length rules, same record.
    ///
    /// The envelope streams into a fresh location of the store that no
    /// document names yet (constant memory), is made durable, and is
    /// linked to the document by the record applied with the call's audit
    /// record, in one transaction: a crash at any point leaves the document
    /// naming its previous envelope (or none), never missing or partial
    /// bytes. Storing again under the same id replaces the envelope (the
    /// old one is removed once the replacement committed). Returns the
    /// document's record ([`DocumentRecord::envelope`] names the stored
    /// envelope).
    ///
    /// # Errors
    ///
    /// As [`FrontDoor::encrypt_from`]; [`FrontDoorError::Store`] when the
    /// store cannot stage or keep the envelope. On any error nothing is
    /// linked and the staged envelope is removed.
    pub fn store_document<R: Read>(
        &self,
        actor: &Principal,
        target: &DocumentRef,
        plaintext: Plaintext<R>,
        context: &Context,
        password: &Password,
    ) -> Result<DocumentRecord, FrontDoorError> {
        let sealing = Sealing {
            actor,
            document: target,
            context,
            password,
        };
        // Staged only once the call is allowed, and kept until it was
        // recorded: while the writer lives, sweeping leaves it alone.
        let mut staged: Option<Box<dyn StagedEnvelope + '_>> = None;
        let slot = &mut staged;
        let result = self.seal_document(
            sealing,
            plaintext,
            move || Ok(slot.insert(self.store.stage_envelope()?)),
            |staged: &mut Box<dyn StagedEnvelope + '_>| {
                staged.finish()?;
                Ok(Some(staged.id()))
            },
        );
        self.discard_unless(result.is_ok(), staged);
        Ok(result?.1)
    }

    /// Removes a staged envelope when its call failed (it is not linked);
    /// a removal that fails is left to [`Store::sweep_envelopes`].
    pub(super) fn discard_unless(&self, linked: bool, staged: Option<Box<dyn StagedEnvelope + '_>>) {
        if let (false, Some(staged)) = (linked, &staged) {
            // The call's own error is what the caller needs; a leftover is
            // swept later.
            let _ = self.store.release_envelope(&staged.id());
        }
    }

    /// Opens the stored document of `target`, streaming its plaintext into
    /// `out`, with the project unlocked by `password`: a server-side
    /// decrypt, decided, recorded and streamed exactly as
    /// [`FrontDoor::decrypt`] (the stored envelope's suite, context and
    /// size are decided on; no plaintext byte reaches `out` before the
    /// `started` record). On any error, discard what was written.
    ///
    /// # Errors
    ///
    /// As [`FrontDoor::decrypt`]; [`FrontDoorError::NotStored`] (recorded
    /// as the allowed call's failure) when the document has no stored
    /// envelope.
    pub fn open_stored<W: Write>(
        &self,
        actor: &Principal,
        target: &DocumentRef,
        out: W,
        password: &Password,
    ) -> Result<Receipt, FrontDoorError> {
        let envelope = self.stored_envelope(target);
        self.decrypt_envelope(actor, target, envelope, out, password)
    }

    /// Issues a one-time download offer for the stored document of
    /// `target`, decided with the stored envelope's header facts exactly as
    /// [`FrontDoor::issue_download`] decides with a caller's envelope.
    /// Redeem it with [`FrontDoor::redeem_stored_download`].
    ///
    /// # Errors
    ///
    /// As [`FrontDoor::issue_download`]; [`FrontDoorError::NotStored`]
    /// when the document has no stored envelope.
    pub fn issue_stored_download(
        &self,
        actor: &Principal,
        target: &DocumentRef,
    ) -> Result<Offer, FrontDoorError> {
        let envelope = self.stored_envelope(target);
        self.issue_download_from(actor, target, envelope)
    }

    /// Redeems a download session for the stored document of `target`
    /// (the browser's encrypted project password) and streams the
    /// plaintext into `out`, exactly as [`FrontDoor::redeem_download`]:
    /// single use, for `actor` only, `started` recorded before the first
    /// plaintext byte. The envelope read is the one stored when the redeem
    /// arrives (a rewrap since the offer changes nothing for the reader).
    ///
    /// # Errors
    ///
    /// As [`FrontDoor::redeem_download`]; [`FrontDoorError::NotStored`]
    /// when the document has no stored envelope.
    pub fn redeem_stored_download<W: Write>(
        &self,
        actor: &Principal,
        target: &DocumentRef,
        message: &ClientMessage,
        out: W,
    ) -> Result<Receipt, FrontDoorError> {
        let envelope = self.stored_envelope(target);
        self.redeem_download_from(actor, target, message, envelope, out)
    }

    /// The stored envelope of the document of `target`, as a stream.
    pub(super) fn stored_envelope(&self, target: &DocumentRef) -> Result<Box<dyn Read + '_>, FrontDoorError> {
        let (project, document) = (target.project(), target.document());
        let record = self
            .store
            .transaction(&mut |tx: &mut dyn Transaction| tx.document(target.tenant(), project, document))?;
        let not_stored = || FrontDoorError::NotStored(document.to_string());
        let id = record.and_then(|r| r.envelope).ok_or_else(not_stored)?;
        match self.store.read_envelope(&id) {
            Ok(reader) => Ok(reader),
            // Replaced (and removed) since the record was read.
            Err(StoreError::UnknownEnvelope { .. }) => Err(not_stored()),
            Err(other) => Err(other.into()),
        }
    }
}
