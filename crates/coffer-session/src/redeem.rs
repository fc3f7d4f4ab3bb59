//! Redeeming: one decryption per key, then the key is gone.

use serde::{Deserialize, Serialize};

use crate::codec::{self, LenientError};
use crate::key_id::KeyId;
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
/// unlocking), compared with those the key was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The expected purpose.
    pub purpose: &'a str,
    /// The expected binding.
    pub binding: &'a str,
}

impl<'a> Expected<'a> {
    /// Expect `purpose` and `binding`.
    pub const fn new(purpose: &'a str, binding: &'a str) -> Self {
        Self { purpose, binding }
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
    /// Redeems a client message once.
    ///
    /// The session is removed from the store first; whatever happens next,
    /// its private key is destroyed when this returns. Every refusal
    /// displays the same message; [`Rejection::reason`] says why.
    ///
    /// # Errors
    /// [`Rejection`] for an unknown, used, expired, misrouted or mismatched
    /// key, a malformed or oversized ciphertext, or a failed decryption.
    pub fn redeem(&self, message: &ClientMessage, expected: &Expected<'_>) -> Result<Redeemed, Rejection> {
        let key_id =
            KeyId::parse(&message.key_id).map_err(|_| Rejection::new(RejectReason::MalformedKeyId, None))?;
        let reject = |reason| Rejection::new(reason, Some(key_id));
        if key_id.instance() != self.config.instance {
            return Err(reject(RejectReason::WrongInstance));
        }
        let now = self.clock.now();
        let session = match self.store.take(&key_id, now) {
            Taken::Live(session) => session,
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
