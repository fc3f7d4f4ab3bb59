//! Stored documents: the front door keeps the envelope in its store,
//! streaming it in and out in constant memory, with the same decisions,
//! fail-closed order and audit records as for envelopes the caller keeps.

use std::io::Read;

use super::documents::{Plaintext, Sealing};
use super::sessions::PasswordCredential;
use super::{FrontDoor, FrontDoorError};
use crate::policy::Context;
use crate::policy::DocumentRef;
use crate::policy::Principal;
use crate::store::{DocumentRecord, StagedEnvelope, Store};

impl<S: Store> FrontDoor<S> {
    /// Encrypts `document`, read from `plaintext`, and keeps the envelope in the store,
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
    pub fn store_document<'c, R: Read>(
        &self,
        actor: &Principal,
        document: &DocumentRef,
        plaintext: Plaintext<R>,
        context: &Context,
        password: impl Into<PasswordCredential<'c>>,
    ) -> Result<DocumentRecord, FrontDoorError> {
        let password = self.password(actor, &document.project_ref(), password.into())?;
        let sealing = Sealing {
            actor,
            document,
            context,
            password: &password,
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
}
