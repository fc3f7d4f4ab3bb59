//! Wrapped key type `03`: the DEK handed to an external key wrapper such as a
//! KMS.

use crate::secret::DataKey;

use super::WrapBinding;

/// An external key-encryption service (what a KMS adapter implements).
///
/// The wrapper must bind what it produces to the [`WrapBinding`] it is given
/// (for example by passing [`WrapBinding::to_bytes`] as the KMS encryption
/// context or AAD) and refuse to unwrap under any other binding. The key
/// layer still checks the message's key commitment on whatever DEK comes
/// back, so a wrapper that returns a wrong key cannot make a message open.
///
/// ```
/// use coffer_keys::{DataKey, KeyWrapper, KeyWrapperError, WrapBinding};
///
/// /// A stand-in for a KMS client.
/// #[derive(Debug)]
/// struct Kms;
///
/// impl KeyWrapper for Kms {
///     fn kid(&self) -> &[u8] {
///         b"kms:key/1"
///     }
///     fn wrap(&self, dek: &DataKey, binding: &WrapBinding<'_>) -> Result<Vec<u8>, KeyWrapperError> {
///         // A real adapter calls the KMS Encrypt API with the binding as context.
///         let _context = binding.to_bytes();
///         Err(KeyWrapperError::Unavailable("no network in this example".into()))
///     }
///     fn unwrap(&self, body: &[u8], binding: &WrapBinding<'_>) -> Result<DataKey, KeyWrapperError> {
///         Err(KeyWrapperError::Rejected)
///     }
/// }
/// ```
pub trait KeyWrapper {
    /// The kid written next to this wrapper's wrapped keys (at most 64
    /// bytes), naming the KMS key.
    fn kid(&self) -> &[u8];

    /// Encrypts `dek` for this wrapper, bound to `binding`; the result (1 to
    /// 4096 bytes) is stored opaquely in the header.
    fn wrap(&self, dek: &DataKey, binding: &WrapBinding<'_>) -> Result<Vec<u8>, KeyWrapperError>;

    /// Decrypts a body produced by [`KeyWrapper::wrap`] under the same
    /// binding.
    fn unwrap(&self, body: &[u8], binding: &WrapBinding<'_>) -> Result<DataKey, KeyWrapperError>;
}

/// Why an external key wrapper failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyWrapperError {
    /// The wrapper refused the wrapped key or binding (a cryptographic
    /// failure; surfaces as the opaque [`Error::Crypto`](crate::Error::Crypto)).
    #[error("wrapped key rejected")]
    Rejected,
    /// The wrapper could not be used (network, permissions, throttling);
    /// surfaces as [`Error::KeyWrapper`](crate::Error::KeyWrapper).
    #[error("key wrapper unavailable: {0}")]
    Unavailable(String),
}
