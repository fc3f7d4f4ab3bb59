//! coffer: layered document protection.
//!
//! This facade re-exports the whole stack, so one dependency reaches every
//! layer:
//!
//! - [`policy`] (`coffer-policy`): roles, projects, algorithm rules,
//!   explained decisions, the audit chain and the [`policy::FrontDoor`]
//!   that authorizes, performs and audits every operation;
//! - [`store`] (`coffer-store`): durable state for the front door,
//!   SQLite embedded by default, PostgreSQL for instances on several
//!   machines, behind `policy::store::Store`;
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
pub use coffer_policy as policy;
#[doc(inline)]
pub use coffer_policy::session;
#[doc(inline)]
pub use coffer_policy::session::keys;
#[doc(inline)]
pub use coffer_policy::session::keys::envelope;
#[doc(inline)]
pub use coffer_store as store;
