//! The redeemed secret.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The secret a browser sent (usually a project password). Zeroized on drop,
/// never printed, compared in constant time.
pub struct SessionSecret(Zeroizing<Vec<u8>>);

impl SessionSecret {
    pub(crate) fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    /// The secret bytes. Keep the borrow short and do not copy them into
    /// memory that is not zeroized.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Moves the bytes out in their zeroizing buffer, without copying (for
    /// example into a password type of the key layer).
    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        self.0
    }

    /// The secret as UTF-8 text (browsers encode passwords with
    /// `TextEncoder`), or `None` if it is not valid UTF-8.
    pub fn as_utf8(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty (a redeemed secret never is).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time comparison with `other` (the length is not hidden).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.as_slice().ct_eq(other).into()
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_bytes_and_compare_works() {
        let secret = SessionSecret::new(Zeroizing::new(b"hunter2".to_vec()));
        assert_eq!(format!("{secret:?}"), "SessionSecret(..)");
        assert!(secret.ct_eq(b"hunter2"));
        assert!(!secret.ct_eq(b"hunter3"));
        assert!(!secret.ct_eq(b"hunter"));
        assert_eq!(secret.as_utf8(), Some("hunter2"));
        assert_eq!(secret.len(), 7);
    }
}
