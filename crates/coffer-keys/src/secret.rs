//! Secret key material: data keys, key-encryption keys, header keys and
//! passwords.
//!
//! Every type here zeroizes its bytes on drop, prints as `Name(..)`, has no
//! `Clone`, and compares in constant time.

use std::fmt;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::rng::Randomness;
use crate::Error;

macro_rules! secret_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Zeroize, ZeroizeOnDrop)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Takes ownership of 32 secret bytes.
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The secret bytes, for handing to storage or an HSM; never log
            /// them.
            pub fn expose_secret(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
            }
        }

        impl ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> Choice {
                self.0.ct_eq(&other.0)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.ct_eq(other).into()
            }
        }

        impl Eq for $name {}
    };
}

secret_key!(
    /// The data-encryption key (DEK): 32 random bytes, one per message, from
    /// which the content key, nonce base, commitment and header key derive.
    ///
    /// ```
    /// use coffer_keys::DataKey;
    /// let dek = DataKey::from_bytes([7; 32]);
    /// assert_eq!(format!("{dek:?}"), "DataKey(..)");
    /// ```
    DataKey
);

secret_key!(
    /// A key-encryption key (KEK): 32 bytes that wrap data keys (wrapped key
    /// type `01`), held in a [`Keyring`](crate::Keyring) or a
    /// [`ProjectKey`](crate::ProjectKey).
    KeyEncryptionKey
);

secret_key!(
    /// The per-message HMAC-SHA256 key of the header tag.
    HeaderKey
);

impl KeyEncryptionKey {
    /// A fresh key from the system's secure random generator.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = [0u8; 32];
        Randomness::system().fill(&mut bytes)?;
        Ok(Self(bytes))
    }
}

/// A password (UTF-8 or raw bytes) that wraps data keys through
/// PBKDF2-HMAC-SHA256 (wrapped key type `02`).
///
/// ```
/// use coffer_keys::Password;
/// let pw = Password::new("correct horse battery staple");
/// assert_eq!(format!("{pw:?}"), "Password(..)");
/// ```
pub struct Password(Zeroizing<Vec<u8>>);

impl Password {
    /// Copies the password bytes into a zeroizing buffer.
    pub fn new(password: impl AsRef<[u8]>) -> Self {
        Self(Zeroizing::new(password.as_ref().to_vec()))
    }

    /// The password bytes; never log them.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Whether the password is empty (sealing refuses empty passwords).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Zeroizing<Vec<u8>>> for Password {
    /// Takes a zeroizing buffer (for example a secret redeemed from a
    /// browser session) without copying it.
    fn from(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Self(Zeroizing::new(password.into_bytes()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

impl ConstantTimeEq for Password {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.as_slice().ct_eq(other.0.as_slice())
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Password {}

/// Wipes a buffer of secret bytes, then frees it.
///
/// `Zeroizing<Vec<u8>>` wipes through zeroize's generic `Vec<Z>` impl, one
/// volatile byte store per element, which costs about as much as AES-GCM
/// decryption of the same bytes. This uses zeroize's `[u8]` and
/// `[MaybeUninit<u8>]` impls instead, for the contents and the spare
/// capacity: a plain `fill(0)` (vectorized, memset speed) followed by
/// `zeroize::optimization_barrier`, an empty `asm!` block that takes the
/// slice's address. The compiler must assume the assembly reads every byte
/// of the slice, so it cannot drop the zeroing stores as dead before the
/// free. Same library, same guarantee, without the per-byte volatile loop
/// (and on targets without stable `asm!`, zeroize's slice impls fall back
/// to volatile stores, so the wipe is never weaker than before).
pub(crate) fn wipe(mut bytes: Vec<u8>) {
    wipe_in_place(&mut bytes);
}

fn wipe_in_place(bytes: &mut Vec<u8>) {
    bytes.as_mut_slice().zeroize();
    bytes.spare_capacity_mut().zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipe_zeroes_every_byte_and_keeps_the_buffer() {
        let mut bytes = vec![0xA5u8; 1000];
        bytes.reserve(24);
        let capacity = bytes.capacity();
        wipe_in_place(&mut bytes);
        assert_eq!((bytes.len(), bytes.capacity()), (1000, capacity));
        assert!(bytes.iter().all(|b| *b == 0));
    }

    #[test]
    fn debug_never_prints_bytes() {
        let kek = KeyEncryptionKey::from_bytes([0xAB; 32]);
        let text = format!(
            "{kek:?} {:?} {:?}",
            DataKey::from_bytes([0xAB; 32]),
            Password::new("hunter2")
        );
        assert_eq!(text, "KeyEncryptionKey(..) DataKey(..) Password(..)");
        assert!(!text.to_lowercase().contains("ab"));
    }

    #[test]
    fn equality_is_by_content() {
        assert_eq!(DataKey::from_bytes([1; 32]), DataKey::from_bytes([1; 32]));
        assert_ne!(DataKey::from_bytes([1; 32]), DataKey::from_bytes([2; 32]));
        assert_eq!(Password::new("a"), Password::from(String::from("a")));
        assert_ne!(Password::new("a"), Password::new("ab"));
    }

    #[test]
    fn zeroize_clears_bytes() {
        let mut key = KeyEncryptionKey::from_bytes([9; 32]);
        key.zeroize();
        assert_eq!(key.expose_secret(), &[0; 32]);
    }
}
