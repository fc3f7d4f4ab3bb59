//! Wrapped keys: the DEK encrypted for one recipient, bound to its message.
//!
//! Types `01` (local KEK) and `02` (password) share the committing wrap
//!
//! ```text
//! WK(32) ‖ wc(32) = HKDF-SHA256(salt = wrap_salt, ikm = KEK,
//!                   info = "coffer/v1 wrap" ‖ 00 ‖ type ‖ suite ‖ kid_len ‖ kid ‖ message_id)
//! body(01) = wrap_salt(16) ‖ wc(32) ‖ AES-256-GCM(WK, nonce 0^12, aad th, DEK)(48)
//! ```
//!
//! and wc is checked in constant time before the AEAD is touched, so a body
//! that opens under many keys (a partitioning oracle) cannot be built. Type
//! `03` hands the DEK to a [`KeyWrapper`] with the same binding; types `04`
//! and `05` seal it to a public key with HPKE, the same info and aad th
//! (see `hpke.rs`).

mod dhkem_x25519;
mod external;
pub(crate) mod hpke;
mod password;

use zeroize::Zeroizing;

pub use external::{KeyWrapper, KeyWrapperError};
pub(crate) use password::IterationBounds;
pub(crate) use password::{unwrap_password, wrap_password};
pub use password::{DEFAULT_MAX_PBKDF2_ITERATIONS, MIN_PBKDF2_ITERATIONS};

use coffer_envelope::{KeyType, LOCAL_BODY_LEN};

use crate::primitive::{aes256gcm_open, aes256gcm_seal, ct_eq, hkdf_sha256};
use crate::secret::{DataKey, KeyEncryptionKey};
use crate::{CryptoReason, Error};

const WRAP_LABEL: &[u8] = b"coffer/v1 wrap";
const WRAP_NONCE: [u8; 12] = [0; 12];

/// What a wrapped key is bound to: its type and kid, and the message's suite,
/// message id and transcript hash th.
///
/// [`KeyWrapper`]s receive it and must bind the wrapped key to
/// [`WrapBinding::to_bytes`] (for example as a KMS encryption context or
/// AAD), so a wrapped key moved into another message does not unwrap there.
#[derive(Debug, Clone, Copy)]
pub struct WrapBinding<'a> {
    key_type: KeyType,
    suite_id: u16,
    kid: &'a [u8],
    message_id: &'a [u8; 32],
    th: &'a [u8; 32],
}

impl<'a> WrapBinding<'a> {
    pub(crate) fn new(
        key_type: KeyType,
        suite_id: u16,
        kid: &'a [u8],
        message_id: &'a [u8; 32],
        th: &'a [u8; 32],
    ) -> Self {
        Self {
            key_type,
            suite_id,
            kid,
            message_id,
            th,
        }
    }

    /// The wrapped key type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The message's suite id.
    pub fn suite_id(&self) -> u16 {
        self.suite_id
    }

    /// The wrapped key's kid.
    pub fn kid(&self) -> &[u8] {
        self.kid
    }

    /// The message id.
    pub fn message_id(&self) -> &[u8; 32] {
        self.message_id
    }

    /// The message's transcript hash th (its core, and external AAD if any).
    pub fn transcript_hash(&self) -> &[u8; 32] {
        self.th
    }

    /// `"coffer/v1 wrap" ‖ 00 ‖ type ‖ suite ‖ kid_len ‖ kid ‖ message_id ‖ th`:
    /// the bytes an external wrapper binds the wrapped key to.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(WRAP_LABEL.len() + 5 + self.kid.len() + 64);
        for part in self.info_parts(&self.fixed_fields()) {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(self.th);
        out
    }

    /// The HPKE `info` of a public-key wrap: the committing wrap's HKDF
    /// info, `"coffer/v1 wrap" ‖ 00 ‖ type ‖ suite ‖ kid_len ‖ kid ‖ message_id`.
    pub(crate) fn hpke_info(&self) -> Vec<u8> {
        self.info_parts(&self.fixed_fields()).concat()
    }

    /// The HKDF info of the committing wrap as parts, so no allocation is
    /// needed.
    fn info_parts<'s>(&'s self, fixed: &'s [u8; 5]) -> [&'s [u8]; 4] {
        [WRAP_LABEL, fixed, self.kid, self.message_id]
    }

    /// `00 ‖ type ‖ suite ‖ kid_len`.
    fn fixed_fields(&self) -> [u8; 5] {
        let suite = self.suite_id.to_be_bytes();
        // A kid is at most 64 bytes (checked by the format layer and by
        // `KeyId`), so the length always fits.
        let kid_len = u8::try_from(self.kid.len()).unwrap_or(u8::MAX);
        [0x00, self.key_type.0, suite[0], suite[1], kid_len]
    }
}

/// Why a committed unwrap did not produce a DEK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnwrapFailure {
    /// wc does not match: the key (or password) is not this wrapped key's.
    NotThisKey,
    /// wc matched but the ciphertext did not open: the body was tampered.
    Corrupt,
}

impl From<UnwrapFailure> for CryptoReason {
    fn from(failure: UnwrapFailure) -> Self {
        match failure {
            UnwrapFailure::NotThisKey => CryptoReason::WrapCommitment,
            UnwrapFailure::Corrupt => CryptoReason::WrappedKey,
        }
    }
}

/// WK and wc for one wrapped key.
fn wrap_keys(
    kek: &[u8; 32],
    wrap_salt: &[u8; 16],
    binding: &WrapBinding<'_>,
) -> Result<(Zeroizing<[u8; 32]>, [u8; 32]), Error> {
    let mut okm = Zeroizing::new([0u8; 64]);
    let fixed = binding.fixed_fields();
    hkdf_sha256(wrap_salt, kek, &binding.info_parts(&fixed), okm.as_mut_slice())
        .map_err(|_| Error::crypto(CryptoReason::Derivation))?;
    let mut wk = Zeroizing::new([0u8; 32]);
    let mut wc = [0u8; 32];
    wk.copy_from_slice(&okm[..32]);
    wc.copy_from_slice(&okm[32..]);
    Ok((wk, wc))
}

/// Wraps `dek` into a type `01` body (also the tail of a type `02` body).
pub(crate) fn wrap_committed(
    kek: &[u8; 32],
    wrap_salt: [u8; 16],
    binding: &WrapBinding<'_>,
    dek: &DataKey,
) -> Result<[u8; LOCAL_BODY_LEN], Error> {
    let (wk, wc) = wrap_keys(kek, &wrap_salt, binding)?;
    let mut body = [0u8; LOCAL_BODY_LEN];
    body[..16].copy_from_slice(&wrap_salt);
    body[16..48].copy_from_slice(&wc);
    body[48..80].copy_from_slice(dek.expose_secret());
    let tag = aes256gcm_seal(&wk, WRAP_NONCE, binding.th, &mut body[48..80])
        .map_err(|_| Error::crypto(CryptoReason::Derivation))?;
    body[80..].copy_from_slice(&tag);
    Ok(body)
}

/// Opens a type `01` body: wc first (constant time), then the AEAD.
pub(crate) fn unwrap_committed(
    kek: &[u8; 32],
    binding: &WrapBinding<'_>,
    body: &[u8; LOCAL_BODY_LEN],
) -> Result<DataKey, UnwrapFailure> {
    let mut wrap_salt = [0u8; 16];
    wrap_salt.copy_from_slice(&body[..16]);
    let (wk, wc) = wrap_keys(kek, &wrap_salt, binding).map_err(|_| UnwrapFailure::NotThisKey)?;
    if !ct_eq(&wc, &body[16..48]) {
        return Err(UnwrapFailure::NotThisKey);
    }
    let mut dek = Zeroizing::new([0u8; 32]);
    dek.copy_from_slice(&body[48..80]);
    let mut tag = [0u8; 16];
    tag.copy_from_slice(&body[80..]);
    aes256gcm_open(&wk, WRAP_NONCE, binding.th, dek.as_mut_slice(), &tag)
        .map_err(|_| UnwrapFailure::Corrupt)?;
    Ok(DataKey::from_bytes(*dek))
}

/// Type `01` wrap under a KEK.
pub(crate) fn wrap_local(
    kek: &KeyEncryptionKey,
    wrap_salt: [u8; 16],
    binding: &WrapBinding<'_>,
    dek: &DataKey,
) -> Result<[u8; LOCAL_BODY_LEN], Error> {
    wrap_committed(kek.expose_secret(), wrap_salt, binding, dek)
}

/// Type `01` unwrap under a KEK; `body` must be exactly 96 bytes.
pub(crate) fn unwrap_local(
    kek: &KeyEncryptionKey,
    binding: &WrapBinding<'_>,
    body: &[u8],
) -> Result<DataKey, UnwrapFailure> {
    let body: &[u8; LOCAL_BODY_LEN] = body.try_into().map_err(|_| UnwrapFailure::Corrupt)?;
    unwrap_committed(kek.expose_secret(), binding, body)
}
