//! Opening a document: one call for every credential (the project
//! password, a browser's download session, a member's identity) and both
//! sources (the envelope the store keeps, or one the caller passes),
//! decided, recorded and streamed the same way; and the download offers
//! that precede a browser's open.
//!
//! The order is the fail-closed rule's: access first (for a stored
//! document before anything about it is read), then the envelope's header
//! facts, the decision on them, the credential, the unlock, the `started`
//! record, the stream, the outcome.

use std::io::{Cursor, Read, Write};

use crate::session::keys::{self, Identity, Opener, Password};
use crate::session::{ClientMessage, Offer};

use super::guard::{Ask, Effects};
use super::header::HeaderFacts;
use super::projects::key_ref;
use super::sessions::Presented;
use super::unlock::PROJECT_KEY_NAME;
use super::{FrontDoor, FrontDoorError, Receipt};
use crate::policy::{DocumentRef, Operation, Principal, SessionSpec, Target};
use crate::store::{Store, StoreError, Transaction};

/// What opens a document: converts from `&Password`, `&ClientMessage`
/// and `&Identity`, so [`FrontDoor::open_document`] takes any of them as
/// it is.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// The project password: a server-side decrypt, decided as
    /// [`Operation::Decrypt`].
    Password(&'a Password),
    /// A browser's answer to a download offer for this document and actor
    /// ([`FrontDoor::issue_download`]): the project password encrypted to
    /// the offer. Decided as [`Operation::Download`], with the session
    /// suite; redeemed once the call is allowed, and spent then whatever
    /// happens next (a denied call leaves it to expire).
    Session(&'a ClientMessage),
    /// The actor's identity, opening its grant of the project key version
    /// the envelope names ([`FrontDoor::grant_member_key`]); decided as
    /// [`Operation::Decrypt`].
    Identity(&'a Identity),
}

impl<'a> From<&'a Password> for Credential<'a> {
    fn from(password: &'a Password) -> Self {
        Credential::Password(password)
    }
}

impl<'a> From<&'a ClientMessage> for Credential<'a> {
    fn from(message: &'a ClientMessage) -> Self {
        Credential::Session(message)
    }
}

impl<'a> From<&'a Identity> for Credential<'a> {
    fn from(identity: &'a Identity) -> Self {
        Credential::Identity(identity)
    }
}

/// Where a document's envelope comes from.
#[derive(Debug)]
pub enum Source<R> {
    /// The envelope the store keeps for the document
    /// ([`FrontDoor::store_document`]); the one stored when the call
    /// arrives (a rewrap since an offer changes nothing for the reader).
    /// [`Source::stored`] names it without a reader type.
    Stored,
    /// An envelope the caller keeps, read from `R`.
    Envelope(R),
}

impl Source<std::io::Empty> {
    /// [`Source::Stored`], its unused reader type fixed.
    pub fn stored() -> Self {
        Source::Stored
    }
}

/// An envelope being read: the caller's, or the store's.
enum EnvelopeReader<'s, R> {
    Given(R),
    Stored(Box<dyn Read + 's>),
}

impl<R: Read> Read for EnvelopeReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            EnvelopeReader::Given(reader) => reader.read(buf),
            EnvelopeReader::Stored(reader) => reader.read(buf),
        }
    }
}

/// A document's header facts and its envelope positioned after the
/// header; or why they could not be read, which is the allowed call's
/// failure (a denied caller learns nothing of it).
type Envelope<'s, R> = Result<(HeaderFacts, EnvelopeReader<'s, R>), FrontDoorError>;

/// How a project key is unlocked for an open.
enum Unlock<'a> {
    Password(Presented<'a>),
    Grant(&'a Identity),
}

impl<S: Store> FrontDoor<S> {
    /// Opens `document`, read from `source`, with `credential`, streaming
    /// its plaintext into `out`.
    ///
    /// Decided as [`Operation::Download`] for a session (with the session
    /// suite this front door issues downloads with, so session-suite rules
    /// apply to the redeem as to the offer) and as [`Operation::Decrypt`]
    /// otherwise, each with the suite, context and size found in the
    /// envelope (so every rule on decrypt applies). Access is decided
    /// first: a caller without it is refused on it alone, before anything
    /// about a stored document is read, and its denial names nothing of the
    /// document.
    ///
    /// No plaintext byte reaches `out` before a `started` record of the
    /// allowed open is in the audit trail; then plaintext arrives chunk by
    /// chunk, each only after it verifies, and the outcome is recorded. On
    /// any error, discard what was written.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Denied`]; [`FrontDoorError::NotStored`] when
    /// `source` is [`Source::Stored`] and the document has no stored
    /// envelope; [`FrontDoorError::SessionRejected`] and
    /// [`FrontDoorError::ForeignSession`] for a session;
    /// [`FrontDoorError::NoPublicKey`] and [`FrontDoorError::NoGrant`] for
    /// an identity without a grant of the version the envelope needs;
    /// [`FrontDoorError::Keys`] (a wrong password, a tampered or misplaced
    /// envelope: the opaque crypto error); [`FrontDoorError::Io`];
    /// [`FrontDoorError::Store`]. Every failure after the decision is
    /// recorded as the allowed call's.
    pub fn open_document<'c, R: Read, W: Write>(
        &self,
        actor: &Principal,
        document: &DocumentRef,
        source: Source<R>,
        credential: impl Into<Credential<'c>>,
        mut out: W,
    ) -> Result<Receipt, FrontDoorError> {
        let credential = credential.into();
        let (operation, session) = match credential {
            Credential::Session(_) => (
                Operation::Download,
                Some(SessionSpec::from(self.config.download_suite)),
            ),
            Credential::Password(_) | Credential::Identity(_) => (Operation::Decrypt, None),
        };
        let target = Target::from(document);
        let ask = Ask::new(actor, operation, &target).access_first();
        let envelope = self.envelope(&ask, document, source)?;
        let ask = decide_on_header(ask, &envelope, session);
        let (tenant, project) = (document.tenant(), document.project());
        self.guard(ask, |call| {
            // The session first: an allowed redeem spends it even when the
            // envelope turns out to be unreadable.
            let unlock = match credential {
                Credential::Password(password) => Unlock::Password(Presented::Given(password)),
                Credential::Session(message) => Unlock::Password(Presented::Redeemed(
                    self.redeem_download(actor, document, message)?,
                )),
                Credential::Identity(identity) => Unlock::Grant(identity),
            };
            let (facts, envelope) = envelope?;
            let version = facts
                .version
                .ok_or_else(|| FrontDoorError::UnknownKeyVersion(PROJECT_KEY_NAME.to_owned()))?;
            let key = match &unlock {
                Unlock::Password(password) => call.unlock(tenant, project, version, password)?,
                Unlock::Grant(identity) => call.unlock_granted(actor, tenant, project, version, identity)?,
            };
            let options = self.document_options(&key, document);
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

    /// Issues a one-time download offer for `document`, read from
    /// `source`, to `actor`. The browser encrypts the project password to
    /// it (see `coffer-session`) and the result opens the document as a
    /// [`Credential::Session`] of [`FrontDoor::open_document`], from the
    /// same principal.
    ///
    /// A download is a decryption: the offer is decided as the open will
    /// be (access first, then with the session suite and the suite,
    /// context and size found in the envelope), so a browser is refused
    /// before its user types a password.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Denied`]; [`FrontDoorError::NotStored`] for a
    /// stored source the document does not have; [`FrontDoorError::Keys`]
    /// for an unreadable header; [`FrontDoorError::Issue`];
    /// [`FrontDoorError::Store`].
    pub fn issue_download<R: Read>(
        &self,
        actor: &Principal,
        document: &DocumentRef,
        source: Source<R>,
    ) -> Result<Offer, FrontDoorError> {
        let target = Target::from(document);
        let ask = Ask::new(actor, Operation::Download, &target).access_first();
        let envelope = self.envelope(&ask, document, source)?;
        let session = Some(SessionSpec::from(self.config.download_suite));
        let ask = decide_on_header(ask, &envelope, session);
        self.guard(ask, |call| {
            envelope?;
            call.state().project(document.tenant(), document.project())?;
            let request = self.download_request(actor, document);
            Ok((self.sessions.issue(&request)?, Effects::default()))
        })
    }

    /// The envelope of `document` from `source`, with its header facts
    /// read. A stored envelope is looked up only once `ask` passes access,
    /// in the same transaction ([`FrontDoor::admit`]); an access denial is
    /// recorded and returned. The envelope's own failures (not stored, an
    /// unreadable header) are returned inside, for the call to record.
    fn envelope<R: Read>(
        &self,
        ask: &Ask<'_>,
        document: &DocumentRef,
        source: Source<R>,
    ) -> Result<Envelope<'_, R>, FrontDoorError> {
        let reader = match source {
            Source::Envelope(reader) => Ok(EnvelopeReader::Given(reader)),
            Source::Stored => {
                let (tenant, project, id) = (document.tenant(), document.project(), document.document());
                let record = self.admit(ask, &mut |tx: &mut dyn Transaction| {
                    tx.document(tenant, project, id)
                })?;
                let not_stored = || FrontDoorError::NotStored(id.to_string());
                record
                    .and_then(|r| r.envelope)
                    .ok_or_else(not_stored)
                    .and_then(|envelope| match self.store.read_envelope(&envelope) {
                        Ok(reader) => Ok(EnvelopeReader::Stored(reader)),
                        // Replaced (and removed) since the record was read.
                        Err(StoreError::UnknownEnvelope { .. }) => Err(not_stored()),
                        Err(other) => Err(other.into()),
                    })
            }
        };
        Ok(reader.and_then(|mut reader| {
            let facts = HeaderFacts::read(&mut reader, &self.config.limits)?;
            Ok((facts, reader))
        }))
    }
}

/// `ask` with the attributes found in the envelope's header (none if it
/// could not be read) and the session it arrives through, if any.
fn decide_on_header<'t, R>(
    ask: Ask<'t>,
    envelope: &Envelope<'_, R>,
    session: Option<SessionSpec>,
) -> Ask<'t> {
    let known = envelope.as_ref().ok().map(|(facts, _)| facts);
    ask.attributes(HeaderFacts::attributes(known, session))
        .refuse(HeaderFacts::refusal(known))
}
