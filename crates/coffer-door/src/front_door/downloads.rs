//! Downloads through browser sessions: a one-time offer for one principal
//! and one document, redeemed once to open that document.

use std::io::{Read, Write};

use crate::session::keys::Password;
use crate::session::{ClientMessage, Expected, IssueRequest, Offer};
use ring::digest;

use super::documents::Opening;
use super::guard::{Ask, Effects};
use super::header::HeaderFacts;
use super::{FrontDoor, FrontDoorError, Receipt, DOWNLOAD_PURPOSE};
use crate::policy::Operation;
use crate::policy::Principal;
use crate::policy::SessionSpec;
use crate::policy::{DocumentRef, Target};
use crate::store::Store;

/// Who a download session is issued to, as the session layer counts and
/// checks issuers: the principal's text form, `tenant/principal`.
fn issuer(actor: &Principal) -> String {
    actor.to_string()
}

/// The binding string of a download session: the document, and a
/// fingerprint of the principal it is issued to, so a ciphertext made for
/// one principal's offer fails for anyone else's even apart from the
/// store's issuer check. (The principal's ids in full could pass the
/// binding's 256-byte limit; 96 bits of SHA-256 cannot collide by
/// accident, and the store checks the full issuer.)
fn download_binding(document: &DocumentRef, actor: &Principal) -> String {
    let digest = digest::digest(&digest::SHA256, issuer(actor).as_bytes());
    let fingerprint = hex::encode(digest.as_ref().get(..12).unwrap_or_default());
    format!(
        "{}/{}/{}/{fingerprint}",
        document.tenant().as_str(),
        document.project().as_str(),
        document.document().as_str()
    )
}

impl<S: Store> FrontDoor<S> {
    /// Issues a one-time download offer for the document of `target` to
    /// `actor`, reading the document's header from `envelope`. The browser
    /// encrypts the project password to it (see `coffer-session`) and posts
    /// the result to [`FrontDoor::redeem_download`], as the same principal.
    ///
    /// A download is a decryption: the offer is decided with the session
    /// suite and with the suite, context and size found in the envelope, as
    /// the redeem will be again, so a browser is refused before its user
    /// types a password.
    pub fn issue_download<R: Read>(
        &self,
        actor: &Principal,
        target: &DocumentRef,
        envelope: R,
    ) -> Result<Offer, FrontDoorError> {
        self.issue_download_from(actor, target, Ok(envelope))
    }

    /// [`FrontDoor::issue_download`] on an envelope that may not have been
    /// found (a stored one): that is the allowed call's failure.
    pub(super) fn issue_download_from<R: Read>(
        &self,
        actor: &Principal,
        target: &DocumentRef,
        envelope: Result<R, FrontDoorError>,
    ) -> Result<Offer, FrontDoorError> {
        let facts = HeaderFacts::read_from(envelope, &self.config.limits);
        let known = facts.as_ref().ok().map(|(facts, _)| facts);
        let session = Some(SessionSpec::from(self.config.download_suite));
        let decide_on = Target::from(target);
        let ask = Ask::new(actor, Operation::Download, &decide_on)
            .attributes(HeaderFacts::attributes(known, session))
            .refuse(HeaderFacts::refusal(known));
        self.guard(ask, |call| {
            let binding = download_binding(target, actor);
            facts?;
            call.state().project(target.tenant(), target.project())?;
            let request = IssueRequest::new(
                self.config.download_suite,
                DOWNLOAD_PURPOSE,
                binding,
                issuer(actor),
            )
            .tenant(target.tenant().as_str());
            Ok((self.sessions.issue(&request)?, Effects::default()))
        })
    }

    /// Redeems a download session (the browser's encrypted project
    /// password), unlocks the project key and streams the document's
    /// plaintext into `out`. The session must have been issued by this front
    /// door for this very document and to `actor`: another principal's
    /// redeem is refused and leaves the session to its owner. It is single
    /// use: once the call is allowed it is spent whatever happens next; a
    /// denied call leaves it to expire.
    ///
    /// The call is decided as a decryption: with the session suite this
    /// front door issues downloads with (so session-suite rules apply to the
    /// redeem as to the offer) and with the envelope's suite, context and
    /// size (so every rule on decrypt applies).
    ///
    /// No plaintext byte reaches `out` before a `started` record of the
    /// allowed download is in the audit trail; then plaintext arrives chunk
    /// by chunk, each only after it verifies. On any error, discard what was
    /// written.
    pub fn redeem_download<R: Read, W: Write>(
        &self,
        actor: &Principal,
        target: &DocumentRef,
        message: &ClientMessage,
        envelope: R,
        out: W,
    ) -> Result<Receipt, FrontDoorError> {
        self.redeem_download_from(actor, target, message, Ok(envelope), out)
    }

    /// [`FrontDoor::redeem_download`] on an envelope that may not have been
    /// found (a stored one): that is the allowed call's failure.
    pub(super) fn redeem_download_from<R: Read, W: Write>(
        &self,
        actor: &Principal,
        target: &DocumentRef,
        message: &ClientMessage,
        envelope: Result<R, FrontDoorError>,
        out: W,
    ) -> Result<Receipt, FrontDoorError> {
        let opening = Opening {
            operation: Operation::Download,
            session: Some(SessionSpec::from(self.config.download_suite)),
        };
        self.open_document(actor, opening, target, envelope, out, || {
            let binding = download_binding(target, actor);
            let issuer = issuer(actor);
            let expected = Expected::new(DOWNLOAD_PURPOSE, &binding)
                .issuer(&issuer)
                .tenant(target.tenant().as_str());
            let redeemed = self
                .sessions
                .redeem(message, &expected)
                .map_err(FrontDoorError::SessionRejected)?;
            // The decision assumed this door's download suite; a session of
            // another suite (issued by other code sharing the service) is
            // not one of ours.
            if redeemed.meta().suite != self.config.download_suite {
                return Err(FrontDoorError::ForeignSession);
            }
            Ok(Password::from(redeemed.into_secret()))
        })
    }
}
