//! Wrapped key type `02`: a password stretched with PBKDF2-HMAC-SHA256.
//!
//! ```text
//! body(02) = iterations u32 ‖ pw_salt(16) ‖ body(01) under PBKDF2(password, pw_salt, iterations)
//! ```

use std::num::NonZeroU32;

use zeroize::Zeroizing;

use coffer_envelope::{LOCAL_BODY_LEN, PASSWORD_BODY_LEN};

use super::{unwrap_committed, wrap_committed, UnwrapFailure, WrapBinding};
use crate::primitive::pbkdf2_sha256;
use crate::secret::{DataKey, Password};
use crate::Error;

/// The fewest PBKDF2 iterations written or accepted (OWASP's 2023 figure for
/// PBKDF2-HMAC-SHA256).
pub const MIN_PBKDF2_ITERATIONS: u32 = 600_000;

/// The default reader cap on PBKDF2 iterations, so a hostile header cannot
/// make an open spin for long (about a second on a current server core).
pub const DEFAULT_MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;

/// The iteration counts a reader accepts or a writer may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IterationBounds {
    pub(crate) min: u32,
    pub(crate) max: u32,
}

impl Default for IterationBounds {
    fn default() -> Self {
        Self {
            min: MIN_PBKDF2_ITERATIONS,
            max: DEFAULT_MAX_PBKDF2_ITERATIONS,
        }
    }
}

impl IterationBounds {
    pub(crate) fn check(&self, iterations: u32) -> Result<NonZeroU32, Error> {
        let out_of_range = || Error::Iterations {
            iterations,
            min: self.min,
            max: self.max,
        };
        if !(self.min..=self.max).contains(&iterations) {
            return Err(out_of_range());
        }
        NonZeroU32::new(iterations).ok_or_else(out_of_range)
    }
}

fn stretch(password: &Password, salt: &[u8; 16], iterations: NonZeroU32) -> Zeroizing<[u8; 32]> {
    let mut kek = Zeroizing::new([0u8; 32]);
    pbkdf2_sha256(iterations, salt, password.expose_secret(), kek.as_mut_slice());
    kek
}

/// Wraps `dek` under `password`; `iterations` must already be checked.
pub(crate) fn wrap_password(
    password: &Password,
    iterations: NonZeroU32,
    pw_salt: [u8; 16],
    wrap_salt: [u8; 16],
    binding: &WrapBinding<'_>,
    dek: &DataKey,
) -> Result<[u8; PASSWORD_BODY_LEN], Error> {
    if password.is_empty() {
        return Err(Error::EmptyPassword);
    }
    let kek = stretch(password, &pw_salt, iterations);
    let inner = wrap_committed(&kek, wrap_salt, binding, dek)?;
    let mut body = [0u8; PASSWORD_BODY_LEN];
    body[..4].copy_from_slice(&iterations.get().to_be_bytes());
    body[4..20].copy_from_slice(&pw_salt);
    body[20..].copy_from_slice(&inner);
    Ok(body)
}

/// Opens a type `02` body. The iteration count is checked against `bounds`
/// before any stretching, so a hostile count costs nothing.
pub(crate) fn unwrap_password(
    password: &Password,
    bounds: IterationBounds,
    binding: &WrapBinding<'_>,
    body: &[u8],
) -> Result<Result<DataKey, UnwrapFailure>, Error> {
    let Ok(body) = <&[u8; PASSWORD_BODY_LEN]>::try_from(body) else {
        return Ok(Err(UnwrapFailure::Corrupt));
    };
    let mut count = [0u8; 4];
    count.copy_from_slice(&body[..4]);
    let iterations = bounds.check(u32::from_be_bytes(count))?;
    let mut pw_salt = [0u8; 16];
    pw_salt.copy_from_slice(&body[4..20]);
    let mut inner = [0u8; LOCAL_BODY_LEN];
    inner.copy_from_slice(&body[20..]);
    let kek = stretch(password, &pw_salt, iterations);
    Ok(unwrap_committed(&kek, binding, &inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: IterationBounds = IterationBounds { min: 1, max: 10 };

    fn binding<'a>(message_id: &'a [u8; 32], th: &'a [u8; 32]) -> WrapBinding<'a> {
        WrapBinding::new(coffer_envelope::KeyType::PASSWORD, 1, b"", message_id, th)
    }

    #[test]
    fn round_trip_and_wrong_password() {
        let (mid, th) = ([1u8; 32], [2u8; 32]);
        let b = binding(&mid, &th);
        let pw = Password::new("pw");
        let two = NonZeroU32::new(2).unwrap();
        let body = wrap_password(&pw, two, [3; 16], [4; 16], &b, &DataKey::from_bytes([5; 32])).unwrap();
        assert_eq!(&body[..4], &[0, 0, 0, 2]);
        let dek = unwrap_password(&pw, FAST, &b, &body).unwrap().unwrap();
        assert_eq!(dek, DataKey::from_bytes([5; 32]));
        let wrong = unwrap_password(&Password::new("pW"), FAST, &b, &body).unwrap();
        assert_eq!(wrong.err(), Some(UnwrapFailure::NotThisKey));
    }

    #[test]
    fn iteration_count_is_capped_before_stretching() {
        let (mid, th) = ([1u8; 32], [2u8; 32]);
        let b = binding(&mid, &th);
        let mut body = [0u8; PASSWORD_BODY_LEN];
        body[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        let err = unwrap_password(&Password::new("pw"), IterationBounds::default(), &b, &body);
        assert!(matches!(
            err,
            Err(Error::Iterations {
                iterations: u32::MAX,
                ..
            })
        ));
        body[..4].copy_from_slice(&599_999u32.to_be_bytes());
        let err = unwrap_password(&Password::new("pw"), IterationBounds::default(), &b, &body);
        assert!(matches!(
            err,
            Err(Error::Iterations {
                iterations: 599_999,
                ..
            })
        ));
    }

    #[test]
    fn empty_password_is_refused() {
        let (mid, th) = ([1u8; 32], [2u8; 32]);
        let one = NonZeroU32::new(1).unwrap();
        let err = wrap_password(
            &Password::new(""),
            one,
            [0; 16],
            [0; 16],
            &binding(&mid, &th),
            &DataKey::from_bytes([0; 32]),
        );
        assert!(matches!(err, Err(Error::EmptyPassword)));
    }
}
