//! coffer layer 2: keys.
#![forbid(unsafe_code)]

pub use coffer_envelope as envelope;

mod error;
mod keyring;
mod primitive;
mod rng;
mod schedule;
mod secret;
mod wrap;

pub use error::{CryptoFailure, CryptoReason, Error};
pub use keyring::{KeyId, KeyState, Keyring, MAX_KEY_NAME_LEN};
pub use secret::{DataKey, HeaderKey, KeyEncryptionKey, Password};
pub use wrap::{
    KeyWrapper, KeyWrapperError, WrapBinding, DEFAULT_MAX_PBKDF2_ITERATIONS, MIN_PBKDF2_ITERATIONS,
    TYPE_EXTERNAL, TYPE_LOCAL, TYPE_PASSWORD,
};
