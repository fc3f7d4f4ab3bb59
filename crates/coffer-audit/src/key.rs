//! The audit key: a dedicated HMAC-SHA256 key for the audit chain.

use ring::hmac;
use ring::rand::SecureRandom;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::AuditError;

/// The key that MACs audit records and chain heads, and nothing else.
///
/// It has no conversion to or from any other key type, zeroizes on drop and
/// never prints its bytes.
///
/// ```
/// use coffer_audit::AuditKey;
/// let key = AuditKey::generate(&ring::rand::SystemRandom::new())?;
/// assert_eq!(format!("{key:?}"), "AuditKey(..)");
/// # Ok::<(), coffer_audit::AuditError>(())
/// ```
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    /// Takes 32 key bytes (the by-value copy is wiped; the caller wipes
    /// its own).
    pub fn from_bytes(mut bytes: [u8; 32]) -> Self {
        let key = Self(bytes);
        bytes.zeroize();
        key
    }

    /// A fresh random key.
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, AuditError> {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes).map_err(|_| AuditError::Random)?;
        Ok(Self::from_bytes(bytes))
    }

    // ring's precomputed HMAC state is not wiped on drop, so it is built
    // per use and kept only for the duration of one MAC.
    fn ring_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.0)
    }

    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.ring_key());
        for p in parts {
            ctx.update(p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }

    /// Constant-time check of `tag` over the concatenation of `parts`.
    pub(crate) fn verify(&self, parts: &[&[u8]], tag: &[u8; 32]) -> bool {
        let msg = parts.concat();
        hmac::verify(&self.ring_key(), &msg, tag).is_ok()
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}
