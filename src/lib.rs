//! coffer: layered document protection.
//!
//! This facade re-exports the whole stack, so one dependency reaches every
//! layer:
//!
//! - [`store`] (`coffer-store`): durable state for the front door,
//!   SQLite embedded by default, PostgreSQL for instances on several
//!   machines, behind [`door::Store`];
//! - [`door`] (`coffer-door`): the [`door::FrontDoor`] that authorizes,
//!   performs and audits every operation, on a store;
//! - [`audit`] (`coffer-audit`): the hash-chained, MACed audit trail;
//! - [`policy`] (`coffer-policy`): roles, projects, algorithm rules and
//!   explained decisions; it also re-exports the front door and the audit
//!   chain, where earlier versions had them (`coffer::policy::FrontDoor`);
//! - [`session`] (`coffer-session`): one-time ephemeral keys that carry a
//!   password from a browser;
//! - [`keys`] (`coffer-keys`): per-message keys, key commitment, key
//!   wrapping, keyrings, rotation, rewrap, seal and open;
//! - [`envelope`] (`coffer-envelope`): the byte format.
//!
//! `examples/quickstart.rs` walks through the whole story.
//!
//! ```
//! use coffer::keys::{open, seal, KeyEncryptionKey, KeyId, KeyState, Keyring, OpenOptions, Recipient, SealOptions};
//!
//! let mut keyring = Keyring::new();
//! keyring.insert(KeyId::new("documents", 1)?, KeyEncryptionKey::from_bytes([7; 32]), KeyState::Active)?;
//! let sealed = seal(b"hello", &[Recipient::keyring(&keyring, "documents")?], &SealOptions::new())?;
//! let opened = open(&sealed, &OpenOptions::new().keyring(&keyring))?;
//! assert_eq!(opened.plaintext(), b"hello");
//! # Ok::<(), coffer::keys::Error>(())
//! ```
#![forbid(unsafe_code)]

#[doc(inline)]
pub use coffer_store as store;
#[doc(inline)]
pub use coffer_store::{audit, door, envelope, keys, session};

/// The policy layer (`coffer-policy`): who may do what, with which
/// algorithms; with the front door ([`door`]) and the audit chain
/// ([`audit`]) under the paths earlier versions gave them, so
/// `coffer::policy::FrontDoor` and `coffer::policy::audit::AuditKey` keep
/// working.
pub mod policy {
    #[doc(no_inline)]
    pub use coffer_store::audit;
    #[doc(no_inline)]
    pub use coffer_store::door::store;
    #[doc(no_inline)]
    pub use coffer_store::door::{
        Credential, FrontDoor, FrontDoorConfig, FrontDoorError, LengthSeen, PasswordCredential, Plaintext,
        PolicyReport, Receipt, RewrapFailure, RewrapProgress, RewrapSummary, Sealed, Setup, Source,
        TrailReport, UnknownScope, DOCUMENT_CONTEXT, DOWNLOAD_PURPOSE, MEMBER_CONTEXT, PASSWORD_PURPOSE,
        PROJECT_CONTEXT, TENANT_CONTEXT,
    };
    #[doc(inline)]
    pub use coffer_store::policy::*;
}
