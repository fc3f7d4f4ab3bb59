//! Documents: sealing under the project's current key, and opening with
//! the isolation context required, recorded before any plaintext leaves.

use std::io::{Read, Write};

use crate::session::keys::{OpenOptions, Password, ProjectKey, Recipient, Sealer};

use super::error::LengthSeen;
use super::guard::{Ask, Effects};
use super::header::SIZE_CONTEXT;
use super::projects::key_ref;
use super::sessions::PasswordCredential;
use super::{FrontDoor, FrontDoorError, DOCUMENT_CONTEXT, PROJECT_CONTEXT, TENANT_CONTEXT};
use crate::audit::Timestamp;
use crate::policy::Attributes;
use crate::policy::Context;
use crate::policy::EnvelopeSuite;
use crate::policy::Operation;
use crate::policy::Target;
use crate::policy::{DocumentRef, Principal, ProjectRef};
use crate::store::{Change, DocumentRecord, EnvelopeId, Store, Transaction};

impl<S: Store> FrontDoor<S> {
    /// How a document of this project is opened: with `key`, the reader
    /// limits, and the isolation context required.
    pub(super) fn document_options<'k>(
        &self,
        key: &'k ProjectKey,
        document: &DocumentRef,
    ) -> OpenOptions<'k> {
        OpenOptions::new()
            .project_key(key)
            .limits(self.config.limits.clone())
            .require_context(TENANT_CONTEXT, document.tenant().as_str().as_bytes())
            .require_context(PROJECT_CONTEXT, document.project().as_str().as_bytes())
            .require_context(DOCUMENT_CONTEXT, document.document().as_str().as_bytes())
    }

    /// Encrypts `document` under the project's current key, unlocked with `password`.
    /// `context` entries are committed into the envelope and visible to
    /// context-scoped policy rules; so is the plaintext size, which size
    /// rules then see on decrypt too. Returns the envelope.
    ///
    /// The bytes-in, bytes-out form of [`FrontDoor::encrypt_from`], for
    /// callers that hold the document in memory.
    pub fn encrypt<'c>(
        &self,
        actor: &Principal,
        document: &DocumentRef,
        plaintext: &[u8],
        context: &Context,
        password: impl Into<PasswordCredential<'c>>,
    ) -> Result<Vec<u8>, FrontDoorError> {
        let source = Plaintext::new(plaintext, plaintext.len() as u64);
        let mut envelope = Vec::new();
        self.encrypt_from(actor, document, source, &mut envelope, context, password)?;
        Ok(envelope)
    }

    /// Encrypts `document`, read from `plaintext`, streaming the envelope into `out` in
    /// constant memory, under the project's current key unlocked with
    /// `password`.
    ///
    /// The plaintext's length is declared up front
    /// ([`Plaintext::new`]): it is committed into the envelope's header
    /// (which is written before the first sealed chunk) and decided on by
    /// size rules before a byte is read. A reader that yields fewer or more
    /// bytes than declared fails the call with
    /// [`FrontDoorError::LengthMismatch`], recorded as a failure; on any
    /// error, discard what was written to `out`.
    ///
    /// # Errors
    ///
    /// As [`FrontDoor::encrypt`], plus [`FrontDoorError::LengthMismatch`]
    /// and [`FrontDoorError::Io`] for the reader or `out` failing.
    pub fn encrypt_from<'c, R: Read, W: Write>(
        &self,
        actor: &Principal,
        document: &DocumentRef,
        plaintext: Plaintext<R>,
        out: W,
        context: &Context,
        password: impl Into<PasswordCredential<'c>>,
    ) -> Result<Sealed, FrontDoorError> {
        let password = self.password(actor, &document.project_ref(), password.into())?;
        let sealing = Sealing {
            actor,
            document,
            context,
            password: &password,
        };
        let finish = |mut out: W| {
            out.flush()?;
            Ok(None)
        };
        Ok(self.seal_document(sealing, plaintext, move || Ok(out), finish)?.0)
    }

    /// Authorize → seal → audit, shared by [`FrontDoor::encrypt_from`] and
    /// [`FrontDoor::store_document`]: `open` gives the envelope's
    /// destination once the call is allowed, `finish` ends it after the
    /// last byte (and names the stored envelope, if the store keeps it);
    /// the document's record is applied with the call's audit record.
    pub(super) fn seal_document<R: Read, W: Write>(
        &self,
        sealing: Sealing<'_>,
        plaintext: Plaintext<R>,
        open: impl FnOnce() -> Result<W, FrontDoorError>,
        finish: impl FnOnce(W) -> Result<Option<EnvelopeId>, FrontDoorError>,
    ) -> Result<(Sealed, DocumentRecord), FrontDoorError> {
        let Sealing {
            actor,
            document: doc,
            context,
            password,
        } = sealing;
        let expected = plaintext.len;
        let attributes = Attributes {
            context: context.clone(),
            envelope_suite: EnvelopeSuite::try_from(self.config.suite).ok(),
            session: None,
            message_size: Some(expected),
            recipient: None,
        };
        let target = Target::from(doc);
        let ask = Ask::new(actor, Operation::Encrypt, &target).attributes(attributes);
        let reader = plaintext.reader;
        let (tenant, project, document) = (doc.tenant(), doc.project(), doc.document());
        self.guard(ask, move |call| {
            let version = call.state().project(tenant, project)?.current_version();
            let key = call.unlock(tenant, project, version, password)?;
            let mut options = self
                .seal_options(tenant, project)?
                .reserved_context(DOCUMENT_CONTEXT, document.as_str().as_bytes())?
                .reserved_context(SIZE_CONTEXT, expected.to_string().as_bytes())?;
            for (k, v) in context.iter() {
                options = options.context(k, v.as_bytes())?;
            }
            let counted = Counting {
                inner: open()?,
                count: 0,
            };
            let mut sealer = Sealer::new(counted, &[Recipient::project_key(&key)], &options)?;
            copy_exactly(reader, expected, &mut sealer)?;
            let counted = sealer.finish()?;
            let envelope = finish(counted.inner)?;
            let sealed = Sealed {
                plaintext_len: expected,
                envelope_len: counted.count,
                key_version: version,
            };
            let record = DocumentRecord {
                tenant: tenant.clone(),
                project: project.clone(),
                document: document.clone(),
                plaintext_size: expected,
                envelope_size: counted.count,
                suite: self.config.suite,
                key_version: version,
                created_by: actor.clone(),
                created_at: Timestamp::now(),
                envelope,
            };
            // Recorded with the call's audit record, in its transaction
            // (linking the stored envelope, if any).
            call.change(Change::PutDocument(record.clone()));
            let effects = Effects {
                key: key_ref(key.id()),
                plaintext: Some(expected),
                ciphertext: Some(counted.count),
            };
            Ok(((sealed, record), effects))
        })
    }

    /// The documents of `project` with their metadata, by document id: every document this
    /// front door (or another on the same store) sealed there; sealing one
    /// again under the same id replaces its entry. Decided as
    /// [`Operation::ListDocuments`] (Owners, Editors and Viewers: who may
    /// open a project's documents may see what there is to open) and
    /// audited. Suite and size rules do not apply to listing.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Denied`], [`FrontDoorError::UnknownProject`], or
    /// the store's failure.
    pub fn list_documents(
        &self,
        actor: &Principal,
        project: &ProjectRef,
    ) -> Result<Vec<DocumentRecord>, FrontDoorError> {
        let target = Target::from(project);
        let ask = Ask::new(actor, Operation::ListDocuments, &target);
        let (tenant, project) = (project.tenant(), project.project());
        self.guard_in_transaction(ask, &mut |tx: &mut dyn Transaction, state| {
            state.project(tenant, project)?;
            Ok((tx.documents(tenant, project)?, None))
        })
    }
}

/// Who seals what where, for [`FrontDoor::seal_document`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Sealing<'a> {
    pub(super) actor: &'a Principal,
    pub(super) document: &'a DocumentRef,
    pub(super) context: &'a Context,
    pub(super) password: &'a Password,
}

/// A plaintext to encrypt: a reader and the exact number of bytes it will
/// yield, declared up front so that the size is committed into the
/// envelope's header and decided on before anything is read.
#[derive(Debug)]
pub struct Plaintext<R> {
    reader: R,
    len: u64,
}

impl<R: Read> Plaintext<R> {
    /// `reader`, which must yield exactly `expected_len` bytes.
    pub fn new(reader: R, expected_len: u64) -> Self {
        Plaintext {
            reader,
            len: expected_len,
        }
    }
}

/// What a finished encryption reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sealed {
    /// Plaintext bytes sealed.
    pub plaintext_len: u64,
    /// Envelope bytes written.
    pub envelope_len: u64,
    /// The project key version it was sealed under.
    pub key_version: u32,
}

/// A writer that counts what passes through it.
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Copies exactly `expected` bytes from `reader` into `out` through a
/// fixed buffer; a reader that ends early or has more is refused.
fn copy_exactly<R: Read, W: Write>(reader: R, expected: u64, out: &mut W) -> Result<(), FrontDoorError> {
    let mut limited = reader.take(expected);
    let copied = std::io::copy(&mut limited, out)?;
    if copied < expected {
        return Err(FrontDoorError::LengthMismatch {
            expected,
            actual: LengthSeen::Exactly(copied),
        });
    }
    let mut reader = limited.into_inner();
    let mut probe = [0u8; 1];
    loop {
        match reader.read(&mut probe) {
            Ok(0) => return Ok(()),
            Ok(_) => {
                return Err(FrontDoorError::LengthMismatch {
                    expected,
                    actual: LengthSeen::MoreThan(expected),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}
