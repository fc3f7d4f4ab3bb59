//! Browser sessions, all owned by the front door: password offers (a
//! project password for one caller and project, for the calls that need
//! it) and download offers (for one caller and document), each redeemed
//! here, once, against the purpose, binding and issuer it was issued
//! with.

use core::ops::Deref;

use crate::session::keys::Password;
use crate::session::{ClientMessage, Expected, IssueRequest, Offer};
use ring::digest;

use super::{FrontDoor, FrontDoorError, DOWNLOAD_PURPOSE, PASSWORD_PURPOSE};
use crate::policy::{DocumentRef, Principal, ProjectRef, ReasonCode};
use crate::store::Store;

/// How a call that needs the project password is given it.
///
/// Converts from `&Password` and from `&ClientMessage`, so a call takes
/// either as it is.
#[derive(Debug, Clone, Copy)]
pub enum PasswordCredential<'a> {
    /// The password itself (a caller that holds it: a server-side tool,
    /// a test).
    Password(&'a Password),
    /// A browser's answer to a password offer of this front door for the
    /// actor and the call's project ([`FrontDoor::issue_password_offer`]):
    /// the password encrypted to the offer. It is redeemed once, as the
    /// call's first step, before the call is decided (it is the call's
    /// credential, as an API key is a request's); a refused one is
    /// recorded as a failed authentication of the actor
    /// ([`FrontDoor::record_failed_authentication`], reason
    /// `session.<code>`) and the call goes no further.
    Session(&'a ClientMessage),
}

impl<'a> From<&'a Password> for PasswordCredential<'a> {
    fn from(password: &'a Password) -> Self {
        PasswordCredential::Password(password)
    }
}

impl<'a> From<&'a ClientMessage> for PasswordCredential<'a> {
    fn from(message: &'a ClientMessage) -> Self {
        PasswordCredential::Session(message)
    }
}

/// A password in hand: the caller's, or one a session carried.
pub(super) enum Presented<'a> {
    Given(&'a Password),
    Redeemed(Password),
}

impl Deref for Presented<'_> {
    type Target = Password;

    fn deref(&self) -> &Password {
        match self {
            Presented::Given(password) => password,
            Presented::Redeemed(password) => password,
        }
    }
}

/// Who a session is issued to, as the session layer counts and checks
/// issuers: the principal's text form, `tenant/principal`.
fn issuer(actor: &Principal) -> String {
    actor.to_string()
}

/// The binding string of a password offer: the project and the principal
/// it is issued to, so a message made for one principal or project is
/// refused for any other.
fn password_binding(actor: &Principal, project: &ProjectRef) -> String {
    format!("{}/{}/{}", project.tenant(), project.project(), actor.id)
}

/// The binding string of a download session: the document, and a
/// fingerprint of the principal it is issued to, so a ciphertext made for
/// one principal's offer fails for anyone else's even apart from the
/// store's issuer check. (The principal's ids in full could pass the
/// binding's 256-byte limit; 96 bits of SHA-256 cannot collide by
/// accident, and the store checks the full issuer.)
pub(super) fn download_binding(document: &DocumentRef, actor: &Principal) -> String {
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
    /// Issues a one-time password offer to `actor` for `project` (which
    /// need not exist yet: creating it needs its password too), in the
    /// session suite the front door issues downloads with. The browser
    /// encrypts the project password to it (see `coffer-session`) and the
    /// resulting message goes with the call that needs the password, as a
    /// [`PasswordCredential::Session`], from the same principal.
    ///
    /// Neither decided nor recorded: an offer grants nothing and reveals
    /// nothing (the session layer bounds how many are outstanding per
    /// issuer); the call that redeems it is decided and recorded.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::Issue`] when the session service cannot issue
    /// (too many outstanding offers, no randomness).
    pub fn issue_password_offer(
        &self,
        actor: &Principal,
        project: &ProjectRef,
    ) -> Result<Offer, FrontDoorError> {
        let request = IssueRequest::new(
            self.config.download_suite,
            PASSWORD_PURPOSE,
            password_binding(actor, project),
            issuer(actor),
        )
        .tenant(project.tenant().as_str());
        Ok(self.sessions.issue(&request)?)
    }

    /// Redeems a password offer's session `message` for `actor` and
    /// `project` into the password: for a caller that uses one message for
    /// several calls (a rotation and the rewrap that follows it). Every
    /// call taking a [`PasswordCredential`] does this itself.
    ///
    /// # Errors
    ///
    /// [`FrontDoorError::SessionRejected`] (unknown, used, expired, issued
    /// to another principal or for another project), recorded as a failed
    /// authentication of `actor` with reason `session.<code>`;
    /// [`FrontDoorError::Store`] when that record cannot be written.
    pub fn redeem_password(
        &self,
        actor: &Principal,
        project: &ProjectRef,
        message: &ClientMessage,
    ) -> Result<Password, FrontDoorError> {
        let binding = password_binding(actor, project);
        let issuer = issuer(actor);
        let expected = Expected::new(PASSWORD_PURPOSE, &binding)
            .issuer(&issuer)
            .tenant(project.tenant().as_str());
        match self.sessions.redeem(message, &expected) {
            Ok(redeemed) => Ok(Password::from(redeemed.into_secret())),
            Err(rejection) => {
                let reason = ReasonCode::sanitized(&format!("session.{}", rejection.reason().code()));
                self.record_failed_authentication(actor, &reason)?;
                Err(FrontDoorError::SessionRejected(rejection))
            }
        }
    }

    /// The password `credential` presents for `project`.
    pub(super) fn password<'a>(
        &self,
        actor: &Principal,
        project: &ProjectRef,
        credential: PasswordCredential<'a>,
    ) -> Result<Presented<'a>, FrontDoorError> {
        Ok(match credential {
            PasswordCredential::Password(password) => Presented::Given(password),
            PasswordCredential::Session(message) => {
                Presented::Redeemed(self.redeem_password(actor, project, message)?)
            }
        })
    }

    /// Redeems a download session for `document` and `actor` into the
    /// project password (inside an allowed call: it is spent whatever
    /// happens next).
    pub(super) fn redeem_download(
        &self,
        actor: &Principal,
        document: &DocumentRef,
        message: &ClientMessage,
    ) -> Result<Password, FrontDoorError> {
        let binding = download_binding(document, actor);
        let issuer = issuer(actor);
        let expected = Expected::new(DOWNLOAD_PURPOSE, &binding)
            .issuer(&issuer)
            .tenant(document.tenant().as_str());
        let redeemed = self
            .sessions
            .redeem(message, &expected)
            .map_err(FrontDoorError::SessionRejected)?;
        // The decision assumed this door's download suite; a session of
        // another suite (issued by other code sharing the service) is not
        // one of ours.
        if redeemed.meta().suite != self.config.download_suite {
            return Err(FrontDoorError::ForeignSession);
        }
        Ok(Password::from(redeemed.into_secret()))
    }

    /// The request a download offer is issued with.
    pub(super) fn download_request(&self, actor: &Principal, document: &DocumentRef) -> IssueRequest {
        IssueRequest::new(
            self.config.download_suite,
            DOWNLOAD_PURPOSE,
            download_binding(document, actor),
            issuer(actor),
        )
        .tenant(document.tenant().as_str())
    }
}
