//! coffer layer 3: one-time ephemeral keys that carry a secret (a project
//! password) from a browser to the server.
//!
//! The server [issues](SessionService::issue) an [`Offer`]: a fresh public
//! key (RSA-OAEP-SHA256 2048/3072, or ECDH-P256), its key id, expiry,
//! purpose, binding and the binding string that the ciphertext is tied to.
//! The browser encrypts with Web Crypto and posts a [`ClientMessage`]; the
//! server [redeems](SessionService::redeem) it once: the key leaves the
//! store before decryption and is destroyed whatever the outcome, so each
//! key answers exactly one decryption and no padding oracle can be queried.
//! Refusals are one uniform [`Rejection`] carrying a [`RejectReason`] for
//! the audit trail.
//!
//! RSA keys come from a [`KeyPool`] filled by background threads; sessions
//! wait in a [`SessionStore`] (by default the in-memory [`MemorySessionStore`])
//! with a TTL, capacity, per-tenant capacity and per-issuer quota.
//! [`SessionService::redeem_and_unlock`] feeds the redeemed password straight
//! into the key layer to unlock a password-sealed project key.
#![forbid(unsafe_code)]

#[doc(inline)]
pub use coffer_keys as keys;
#[doc(inline)]
pub use coffer_keys::envelope;
/// The `rsa` crate this layer uses (for [`RsaKeyGenerator`] implementations).
pub use rsa;

mod binding;
pub mod canonical;
pub mod client;
mod clock;
mod codec;
pub mod ecdh;
mod issue;
mod key_id;
pub mod oaep;
mod offer;
mod pending;
mod pool;
mod redeem;
mod reject;
mod secret;
mod service;
mod store;
mod suite;
mod unlock;

pub use binding::{
    binding_string, check_fields, FieldError, BINDING_PREFIX, MAX_BINDING_LEN, MAX_PURPOSE_LEN,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use issue::{IssueError, IssueRequest, LabelMode, MAX_ISSUER_LEN, MAX_TENANT_LEN};
pub use key_id::{InstanceTag, SessionKeyId, SessionKeyIdError, INSTANCE_TAG_LEN, KEY_ID_LEN};
pub use oaep::DecryptError;
pub use offer::{Jwk, Offer, OfferSigner, SignatureError, OFFER_VERSION};
pub use pending::{PendingSession, SessionMeta};
pub use pool::{
    KeyGenError, KeyPool, OnEmpty, OsRsaKeyGenerator, PoolConfig, PoolError, PoolStats, RsaKeyGenerator,
};
pub use redeem::{ClientMessage, Expected, Redeemed, MAX_MESSAGE_JSON_LEN};
pub use reject::{RejectReason, Rejection};
pub use secret::SessionSecret;
pub use service::{ConfigError, SessionConfig, SessionService, SessionServiceBuilder};
pub use store::{MemorySessionStore, SessionStore, SessionStoreError, StoreLimits, StoreStats, Taken};
pub use suite::{RsaBits, Suite, UnknownSuite, ECDH_MAX_SECRET_LEN};
pub use unlock::{UnlockError, Unlocked};
