//! Documents: sealing under the project's current key, and opening with
//! the isolation context required, recorded before any plaintext leaves.

use std::io::{Cursor, Read, Write};

use coffer_session::keys::{self, OpenOptions, Opener, Password, ProjectKey, Recipient, Sealer};

use super::guard::{Ask, Effects};
use super::header::{HeaderFacts, SIZE_CONTEXT};
use super::projects::{document_of, key_ref};
use super::unlock::PROJECT_KEY_NAME;
use super::{FrontDoor, FrontDoorError, Receipt, DOCUMENT_CONTEXT, PROJECT_CONTEXT, TENANT_CONTEXT};
use crate::context::Context;
use crate::id::{DocumentId, Principal, ProjectId, TenantId};
use crate::request::Attributes;
use crate::role::Operation;
use crate::store::Store;
use crate::suite::{EnvelopeSuite, SessionSpec};
use crate::target::Target;

/// How a document is being opened: the operation decided and the session
/// it arrives through, if any.
#[derive(Debug, Clone, Copy)]
pub(super) struct Opening {
    pub(super) operation: Operation,
    pub(super) session: Option<SessionSpec>,
}

impl<S: Store> FrontDoor<S> {
    /// How a document of this project is opened: with `key`, the reader
    /// limits, and the isolation context required.
    pub(super) fn document_options<'k>(
        &self,
        key: &'k ProjectKey,
        tenant: &TenantId,
        project: &ProjectId,
        document: &DocumentId,
    ) -> OpenOptions<'k> {
        OpenOptions::new()
            .project_key(key)
            .limits(self.config.limits.clone())
            .require_context(TENANT_CONTEXT, tenant.as_str().as_bytes())
            .require_context(PROJECT_CONTEXT, project.as_str().as_bytes())
            .require_context(DOCUMENT_CONTEXT, document.as_str().as_bytes())
    }

    /// Encrypts a document into the project of `target` (a document
    /// target) under the project's current key, unlocked with `password`.
    /// `context` entries are committed into the envelope and visible to
    /// context-scoped policy rules; so is the plaintext size, which size
    /// rules then see on decrypt too. Returns the envelope.
    pub fn encrypt(
        &self,
        actor: &Principal,
        target: &Target,
        plaintext: &[u8],
        context: &Context,
        password: &Password,
    ) -> Result<Vec<u8>, FrontDoorError> {
        let attributes = Attributes {
            context: context.clone(),
            envelope_suite: EnvelopeSuite::try_from(self.config.suite).ok(),
            session: None,
            message_size: Some(plaintext.len() as u64),
        };
        let ask = Ask::new(actor, Operation::Encrypt, target).attributes(attributes);
        self.guard(ask, |call| {
            let (project, document) = document_of(target, Operation::Encrypt)?;
            let tenant = target.tenant();
            let version = call.state().project(tenant, project)?.current_version();
            let key = call.unlock(tenant, project, version, password)?;
            let mut options = self
                .seal_options(tenant, project)?
                .reserved_context(DOCUMENT_CONTEXT, document.as_str().as_bytes())?
                .reserved_context(SIZE_CONTEXT, plaintext.len().to_string().as_bytes())?;
            for (k, v) in context.iter() {
                options = options.context(k, v.as_bytes())?;
            }
            let mut sealer = Sealer::new(Vec::new(), &[Recipient::project_key(&key)], &options)?;
            sealer.write_all(plaintext)?;
            let envelope = sealer.finish()?;
            let effects = Effects {
                key: key_ref(key.id()),
                plaintext: Some(plaintext.len() as u64),
                ciphertext: Some(envelope.len() as u64),
            };
            Ok((envelope, effects))
        })
    }

    /// Opens a document envelope read from `envelope` for `target`,
    /// streaming the plaintext into `out`, with the project unlocked by
    /// `password` (a server-side decrypt; browsers use
    /// [`FrontDoor::issue_download`] and [`FrontDoor::redeem_download`]).
    ///
    /// No plaintext byte reaches `out` before a `started` record of the
    /// allowed open is in the audit trail; then plaintext arrives chunk by
    /// chunk, each only after it verifies, and the outcome is recorded. On
    /// any error, discard what was written.
    pub fn decrypt<R: Read, W: Write>(
        &self,
        actor: &Principal,
        target: &Target,
        envelope: R,
        out: W,
        password: &Password,
    ) -> Result<Receipt, FrontDoorError> {
        let opening = Opening {
            operation: Operation::Decrypt,
            session: None,
        };
        self.open_document(actor, opening, target, envelope, out, || {
            Ok(Password::new(password.expose_secret()))
        })
    }

    /// Shared by decrypt and download: read the header (pure parsing),
    /// decide with the suite, context and size actually in the envelope, get
    /// the password, unlock, open with the isolation context required,
    /// record the start, stream.
    pub(super) fn open_document<R: Read, W: Write>(
        &self,
        actor: &Principal,
        opening: Opening,
        target: &Target,
        mut envelope: R,
        mut out: W,
        password: impl FnOnce() -> Result<Password, FrontDoorError>,
    ) -> Result<Receipt, FrontDoorError> {
        let Opening { operation, session } = opening;
        let facts = HeaderFacts::read(&mut envelope, &self.config.limits);
        let ask = Ask::new(actor, operation, target)
            .attributes(HeaderFacts::attributes(facts.as_ref().ok(), session))
            .refuse(HeaderFacts::refusal(facts.as_ref().ok()));
        self.guard(ask, |call| {
            let (project, document) = document_of(target, operation)?;
            let tenant = target.tenant();
            // The password first: an allowed redeem spends its session even
            // when the envelope turns out to be unreadable.
            let password = password()?;
            let facts = facts?;
            let version = facts
                .version
                .ok_or_else(|| FrontDoorError::UnknownKeyVersion(PROJECT_KEY_NAME.to_owned()))?;
            let key = call.unlock(tenant, project, version, &password)?;
            let options = self.document_options(&key, tenant, project, document);
            // Opening authenticates the header (commitment and header tag)
            // before anything is recorded as started.
            let mut opener = Opener::new(Cursor::new(&facts.bytes[..]).chain(envelope), &options)?;
            let mut effects = Effects {
                key: key_ref(key.id()),
                ..Effects::default()
            };
            call.release(&effects)?;
            let plaintext_len = std::io::copy(&mut opener, &mut out)
                .map_err(|e| keys::Error::from(keys::envelope::Error::from_io(e)))?;
            out.flush()?;
            effects.plaintext = Some(plaintext_len);
            let receipt = Receipt {
                plaintext_len,
                suite: facts.suite,
                key_version: version,
            };
            Ok((receipt, effects))
        })
    }
}
