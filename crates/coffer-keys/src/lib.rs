//! coffer layer 2: keys.
//!
//! The layer applications call to seal and open documents. Every message gets
//! a fresh 32-byte data key (DEK); a key schedule derives from it the body
//! key, nonce base, a mandatory key commitment and the header-tag key, all
//! bound to the message's core (suite, chunk size, flags, message id,
//! context) and optional external AAD. The DEK is wrapped for 1 to 8
//! recipients: keyring KEKs and project keys (type `01`), passwords through
//! PBKDF2 (`02`) and external wrappers such as a KMS (`03`), each with a wrap
//! commitment checked before decryption, and public keys through HPKE with
//! X25519 (`04`) or the post-quantum hybrid X-Wing (`05`).
//!
//! - [`seal`] / [`open`], [`Sealer`] / [`Opener`], [`open_range`]: one-shot,
//!   streaming and random access, with [`SealOptions`] and [`OpenOptions`]
//!   (keys and expectations).
//! - [`Keyring`]: named, versioned KEKs with states and rotation.
//! - [`PublicKey`], [`Identity`], [`KemAlgorithm`]: public-key recipients
//!   ([`Recipient::public_key`], [`OpenOptions::identity`]), with text forms
//!   in [`key_text`].
//! - [`rewrap`], [`rewrap_header`], [`rewrap_stream`]: change recipients
//!   without touching the body.
//! - [`ProjectKey`], [`seal_project_key`], [`unlock_project_key`],
//!   [`change_password`]: project keys sealed under passwords and recovery
//!   keys.
//!
//! The byte format lives in [`envelope`] (`coffer-envelope`).
//!
//! # Features
//!
//! - `test-hooks` (off by default), **never for production**: adds
//!   `SealOptions::insecure_password_iterations`,
//!   `OpenOptions::insecure_min_pbkdf2_iterations` and
//!   `Rewrap::insecure_password_iterations` (PBKDF2 below the 600 000
//!   floor, for fast tests), and `SealOptions::scripted_randomness` and
//!   `Rewrap::scripted_randomness` (fixed "random" bytes, for known-answer
//!   vectors and fuzzing). Enable it in `[dev-dependencies]` only:
//!   `coffer-keys = { …, features = ["test-hooks"] }`.
#![forbid(unsafe_code)]

#[doc(inline)]
pub use coffer_envelope as envelope;

mod error;
pub mod key_text;
mod keyring;
mod open;
mod primitive;
mod project;
mod public_key;
mod recipient;
mod rewrap;
mod rng;
mod schedule;
mod seal;
mod secret;
mod wrap;

pub use error::{CryptoFailure, CryptoReason, Error};
pub use keyring::{KeyId, KeyState, Keyring, MAX_KEY_NAME_LEN};
pub use open::{open, open_range, MessageInfo, OpenOptions, Opened, Opener, MAX_UNWRAP_ATTEMPTS};
pub use project::{
    change_password, change_password_with, seal_project_key, unlock_project_key, ProjectKey, ProjectKeyUnlock,
};
pub use public_key::{Identity, KemAlgorithm, PublicKey, FINGERPRINT_LEN};
pub use recipient::{Recipient, MAX_RECIPIENTS};
pub use rewrap::{rewrap, rewrap_header, rewrap_stream, Rewrap};
pub use seal::{seal, seal_into, SealOptions, Sealer};
pub use secret::{DataKey, HeaderKey, KeyEncryptionKey, Password};
pub use wrap::{
    KeyWrapper, KeyWrapperError, WrapBinding, DEFAULT_MAX_PBKDF2_ITERATIONS, MIN_PBKDF2_ITERATIONS,
};
