//! RSA-OAEP-SHA256 decryption with a single-use key.

use getrandom::SysRng;
use rsa::pkcs8::EncodePublicKey;
use rsa::sha2::Sha256;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, PrivateKey};
use zeroize::Zeroizing;

use crate::codec;
use crate::offer::Jwk;

/// One opaque decryption failure: the reason (padding, label, length, key)
/// is deliberately not told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("decryption failed")]
pub struct DecryptError;

/// Decrypts an RSA-OAEP ciphertext (SHA-256 for both the label hash and
/// MGF1, as Web Crypto's `RSA-OAEP` with `hash: "SHA-256"` produces) and
/// destroys the key.
///
/// `label` is the OAEP label; `None` is the empty label that clients which
/// send no label use. The key is taken by value and zeroized when this
/// returns, so each key decrypts at most once: no padding or timing oracle
/// (Bleichenbacher, Marvin) can be queried against it. Decryption is blinded.
///
/// # Errors
/// [`DecryptError`] for any failure, including a ciphertext that is not
/// exactly the modulus length.
pub fn decrypt(
    key: PrivateKey,
    label: Option<&str>,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    if ciphertext.len() != key.size() {
        return Err(DecryptError);
    }
    let padding = match label {
        Some(label) => Oaep::<Sha256>::new_with_label(label.as_bytes()),
        None => Oaep::<Sha256>::new(),
    };
    // Blinded with fresh randomness from the operating system.
    let plaintext = key
        .decrypt_blinded(&mut SysRng, padding, ciphertext)
        .map_err(|_| DecryptError)?;
    Ok(Zeroizing::new(plaintext))
}

/// The public half of `key` as SPKI DER and as a Web Crypto JWK.
pub(crate) fn public_forms(key: &PrivateKey) -> Result<(Vec<u8>, Jwk), spki::Error> {
    let public = key.to_public_key();
    let spki = public.to_public_key_der()?.into_vec();
    let jwk = Jwk::rsa_oaep_256(
        codec::encode_url(&public.n_bytes()),
        codec::encode_url(&public.e_bytes()),
    );
    Ok((spki, jwk))
}
