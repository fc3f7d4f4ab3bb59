//! Redeeming: one decryption per key, then the key is gone; and cancelling
//! a session its issuer will not use.

use serde::{Deserialize, Serialize};

use crate::codec::{self, LenientError};
use crate::key_id::SessionKeyId;
use crate::pending::{EphemeralKey, SessionMeta};
use crate::reject::{RejectReason, Rejection};
use crate::secret::SessionSecret;
use crate::service::SessionService;
use crate::store::Taken;
use crate::suite::Suite;
use crate::{ecdh, oaep};

/// Longest accepted [`ClientMessage`] JSON, in bytes.
pub const MAX_MESSAGE_JSON_LEN: usize = 16 * 1024;

/// What the browser posts back: the key id from the offer and the
/// ciphertext, base64 (standard or url-safe, padding optional).
///
/// `{"key_id": "AAAB…", "encrypted_password": "…"}` (the field names
/// existing clients already use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientMessage {
    /// The offer's key id.
    pub key_id: String,
    /// RSA: the OAEP ciphertext. ECDH: client public key ‖ AES-GCM
    /// ciphertext ‖ tag (see [`crate::ecdh`]).
    pub encrypted_password: String,
}

impl ClientMessage {
    /// Parses the posted JSON, refusing more than [`MAX_MESSAGE_JSON_LEN`]
    /// bytes before parsing.
    ///
    /// # Errors
    /// A [`Rejection`] with [`RejectReason::MalformedMessage`] or
    /// [`RejectReason::TooLong`].
    pub fn from_json(json: &[u8]) -> Result<Self, Rejection> {
        if json.len() > MAX_MESSAGE_JSON_LEN {
            return Err(Rejection::new(RejectReason::TooLong, None));
        }
        serde_json::from_slice(json).map_err(|_| Rejection::new(RejectReason::MalformedMessage, None))
    }
}

/// What the server expects the session to be for: the purpose and binding
/// of the request being served (for example the project the user is
/// unlocking), compared with those the key was issued for, and optionally
/// who must be redeeming it.
///
/// ```
/// use coffer_session::Expected;
///
/// let expected = Expected::new("unlock-project", "project-7")
///     .issuer("alice")
///     .tenant("acme");
/// assert_eq!(expected.issuer, Some("alice"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The expected purpose.
    pub purpose: &'a str,
    /// The expected binding.
    pub binding: &'a str,
    /// The principal redeeming, when the caller knows it: the session must
    /// have been issued to this issuer ([`crate::IssueRequest::issuer`]).
    /// `None` (the default) skips the check.
    pub issuer: Option<&'a str>,
    /// The redeeming principal's tenant, when issuer names are only unique
    /// within a tenant: the session must have been issued for this tenant
    /// ([`crate::IssueRequest::tenant`]). `None` (the default) skips the
    /// check.
    pub tenant: Option<&'a str>,
}

impl<'a> Expected<'a> {
    /// Expect `purpose` and `binding`, from any issuer.
    pub const fn new(purpose: &'a str, binding: &'a str) -> Self {
        Self {
            purpose,
            binding,
            issuer: None,
            tenant: None,
        }
    }

    /// Also expect the session to have been issued to `issuer`. A redeem by
    /// anyone else is refused with [`RejectReason::WrongIssuer`] and leaves
    /// the session live for its issuer.
    #[must_use]
    pub const fn issuer(mut self, issuer: &'a str) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// Also expect the session to have been issued for `tenant`; refused
    /// like a wrong issuer ([`RejectReason::WrongIssuer`], session left
    /// live) otherwise, including for a session issued without a tenant.
    #[must_use]
    pub const fn tenant(mut self, tenant: &'a str) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Whether the session described by `meta` belongs to the expected
    /// issuer and tenant (true for whatever is not expected). A
    /// [`crate::SessionStore`] calls this in [`crate::SessionStore::take`]
    /// before removing the session.
    pub fn owns(&self, meta: &SessionMeta) -> bool {
        self.issuer.is_none_or(|issuer| meta.issuer == issuer)
            && self
                .tenant
                .is_none_or(|tenant| meta.tenant.as_deref() == Some(tenant))
    }
}

/// A successful redeem: the secret and what its session was for.
#[derive(Debug)]
pub struct Redeemed {
    secret: SessionSecret,
    meta: SessionMeta,
}

impl Redeemed {
    /// The secret.
    pub fn secret(&self) -> &SessionSecret {
        &self.secret
    }

    /// The session's key id, suite, purpose, binding and issuer (for audit).
    pub fn meta(&self) -> &SessionMeta {
        &self.meta
    }

    /// Takes the secret out.
    pub fn into_secret(self) -> SessionSecret {
        self.secret
    }

    /// Splits into the secret and the session metadata.
    pub fn into_parts(self) -> (SessionSecret, SessionMeta) {
        (self.secret, self.meta)
    }
}

/// Longest ciphertext a session can need, in bytes.
fn ciphertext_limit(suite: Suite, max_secret_len: usize) -> usize {
    match suite.rsa_bits() {
        Some(bits) => bits.modulus_len(),
        None => ecdh::PUBLIC_KEY_LEN + max_secret_len + ecdh::TAG_LEN,
    }
}

/// Whether a ciphertext length can be right before decrypting.
fn plausible_length(suite: Suite, len: usize) -> bool {
    match suite.rsa_bits() {
        Some(bits) => len == bits.modulus_len(),
        None => len >= ecdh::PUBLIC_KEY_LEN + ecdh::TAG_LEN,
    }
}

impl SessionService {
    /// Cancels the live session `key_id` of `issuer` (of `tenant`, when
    /// issuers are counted per tenant) before it is redeemed: its private
    /// key is destroyed, it no longer counts against the issuer's quota,
    /// and a later redeem of it is refused as a replay
    /// ([`RejectReason::AlreadyUsed`]). Returns whether a session was
    /// cancelled: false when there is no live session of that id, or it
    /// belongs to another issuer or tenant (then it is left alone, and the
    /// answer does not tell the two apart).
    pub fn cancel(&self, key_id: &SessionKeyId, issuer: &str, tenant: Option<&str>) -> bool {
        // Ownership is all `take` checks; purpose and binding do not matter
        // to a cancellation.
        let owner = Expected {
            purpose: "",
            binding: "",
            issuer: Some(issuer),
            tenant,
        };
        matches!(self.store.take(key_id, &owner, self.clock.now()), Taken::Live(_))
    }

    /// Redeems a client message once.
    ///
    /// The session is removed from the store first; whatever happens next,
    /// its private key is destroyed when this returns. Every refusal
    /// displays the same message; [`Rejection::reason`] says why.
    ///
    /// When [`Expected::issuer`] (or [`Expected::tenant`]) is set and the
    /// session was issued to someone else, the refusal ([`RejectReason::WrongIssuer`]) happens
    /// before the session leaves the store: it stays redeemable by its
    /// issuer, and nothing is decrypted.
    ///
    /// # Errors
    /// [`Rejection`] for an unknown, used, expired, misrouted or mismatched
    /// key, a redeem by another principal, a malformed or oversized
    /// ciphertext, or a failed decryption.
    pub fn redeem(&self, message: &ClientMessage, expected: &Expected<'_>) -> Result<Redeemed, Rejection> {
        let key_id = SessionKeyId::parse(&message.key_id)
            .map_err(|_| Rejection::new(RejectReason::MalformedKeyId, None))?;
        let reject = |reason| Rejection::new(reason, Some(key_id));
        if key_id.instance() != self.config.instance {
            return Err(reject(RejectReason::WrongInstance));
        }
        let now = self.clock.now();
        // The issuer is checked inside the store, before the session is
        // removed: someone else's redeem neither decrypts nor burns it.
        let session = match self.store.take(&key_id, expected, now) {
            Taken::Live(session) => session,
            Taken::WrongIssuer => return Err(reject(RejectReason::WrongIssuer)),
            Taken::Used => return Err(reject(RejectReason::AlreadyUsed)),
            Taken::Expired => return Err(reject(RejectReason::Expired)),
            Taken::Unknown => return Err(reject(RejectReason::UnknownKey)),
        };
        // From here the key is ours alone; every return below drops it.
        let (key, meta) = session.into_parts();
        if now >= meta.expires_at {
            return Err(reject(RejectReason::Expired));
        }
        if meta.purpose != expected.purpose {
            return Err(reject(RejectReason::WrongPurpose));
        }
        if meta.binding != expected.binding {
            return Err(reject(RejectReason::WrongBinding));
        }
        let ciphertext = codec::decode_lenient(
            &message.encrypted_password,
            ciphertext_limit(meta.suite, meta.max_secret_len),
        )
        .map_err(|error| match error {
            LenientError::TooLong => reject(RejectReason::TooLong),
            LenientError::Malformed => reject(RejectReason::MalformedCiphertext),
        })?;
        if !plausible_length(meta.suite, ciphertext.len()) {
            return Err(reject(RejectReason::MalformedCiphertext));
        }
        let opened = match (key, meta.label.as_deref()) {
            (EphemeralKey::Rsa(key), label) => oaep::decrypt(*key, label, &ciphertext),
            (EphemeralKey::Ecdh(key), Some(info)) => ecdh::open(key, &key_id, info, &ciphertext),
            // Issue never makes an unlabeled ECDH session; refuse rather than guess.
            (EphemeralKey::Ecdh(_), None) => Err(oaep::DecryptError),
        };
        let secret = opened.map_err(|_| reject(RejectReason::DecryptFailed))?;
        if secret.is_empty() {
            return Err(reject(RejectReason::EmptySecret));
        }
        if secret.len() > meta.max_secret_len {
            return Err(reject(RejectReason::TooLong));
        }
        Ok(Redeemed {
            secret: SessionSecret::new(secret),
            meta,
        })
    }
}
