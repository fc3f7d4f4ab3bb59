//! The offer a server hands to a browser: a one-time public key and what the
//! ciphertext made with it will be bound to.

mod jwk;
mod sign;

use serde::{Deserialize, Serialize};

pub use self::jwk::Jwk;
pub use self::sign::{OfferSigner, SignatureError};
use crate::canonical::Encoder;
use crate::key_id::SessionKeyId;
use crate::suite::Suite;

/// The offer format version.
pub const OFFER_VERSION: u8 = 1;

/// A one-time public key offered to a client, serialisable as JSON.
///
/// ```json
/// {
///   "version": 1,
///   "key_id": "AAABh3Jm0c5tL9Vq2wXr9A",
///   "suite": "ECDH-P256",
///   "spki": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…",
///   "jwk": { "kty": "EC", "crv": "P-256", "x": "…", "y": "…", "use": "enc", "ext": true },
///   "expires_at": 1795000000,
///   "purpose": "unlock-project",
///   "binding": "project-7",
///   "label": "coffer-session/v1|AAABh3Jm0c5tL9Vq2wXr9A|unlock-project|project-7",
///   "max_secret_len": 190,
///   "signature": "…"
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// Offer format version ([`OFFER_VERSION`]).
    pub version: u8,
    /// The key to name when redeeming.
    pub key_id: SessionKeyId,
    /// How to encrypt.
    pub suite: Suite,
    /// The public key as SubjectPublicKeyInfo DER, standard base64 (for
    /// `crypto.subtle.importKey("spki", …)`).
    pub spki: String,
    /// The same public key as a JWK (for `crypto.subtle.importKey("jwk", …)`).
    pub jwk: Jwk,
    /// When the key stops being redeemable, in whole seconds since the Unix
    /// epoch: this is exactly the enforced expiry (a redeem at or after this
    /// second is refused), not a rounded display value.
    pub expires_at: u64,
    /// What the secret is for (for example `unlock-project`).
    pub purpose: String,
    /// What the secret is bound to (for example a project or document id).
    pub binding: String,
    /// The binding string: the RSA-OAEP label, or the ECDH HKDF info. `null`
    /// only for RSA offers issued in unlabeled compatibility mode.
    pub label: Option<String>,
    /// The longest secret the server accepts, in bytes.
    pub max_secret_len: usize,
    /// Ed25519 signature over [`Offer::signed_bytes`], base64url, when the
    /// server signs offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

const SIGNED_DOMAIN: &[u8] = b"coffer-session/v1 offer\0";

impl Offer {
    /// The canonical bytes a signature covers: every field but the signature,
    /// in declaration order, each string or byte field as a 32-bit big-endian
    /// length and its bytes, integers big-endian, after the domain string
    /// `coffer-session/v1 offer` and a zero byte. The SPKI is covered as its
    /// DER bytes (the base64 text is decoded), the JWK member by member, the
    /// label after a presence byte. `docs/SESSIONS.md` ("What an offer
    /// signature covers") specifies the encoding byte by byte.
    ///
    /// Returns `None` when the SPKI text is not base64.
    pub fn signed_bytes(&self) -> Option<Vec<u8>> {
        let spki = self.spki_der()?;
        let mut w = Encoder::with_capacity(256 + spki.len() + self.spki.len() * 2);
        w.fixed(SIGNED_DOMAIN);
        w.u8(self.version);
        w.bytes(self.key_id.as_bytes());
        w.str(self.suite.id());
        w.bytes(&spki);
        w.list(&self.jwk.members(), |w, (name, value)| {
            w.str(name);
            w.str(value);
        });
        w.u64(self.expires_at);
        w.str(&self.purpose);
        w.str(&self.binding);
        w.opt(self.label.as_deref(), Encoder::str);
        w.u64(self.max_secret_len as u64);
        Some(w.finish())
    }

    /// The SPKI DER bytes, or `None` when the text is not base64 (either
    /// alphabet, padding optional).
    pub(crate) fn spki_der(&self) -> Option<Vec<u8>> {
        crate::codec::decode_lenient(&self.spki, self.spki.len()).ok()
    }
}
