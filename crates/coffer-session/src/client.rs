//! The client side in Rust: what the browser's Web Crypto code does, for
//! native clients, tests and benchmarks.

use getrandom::SysRng;
use ring::aead::Aad;
use ring::agreement::{EphemeralPrivateKey, ECDH_P256};
use ring::rand::SystemRandom;
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::Sha256;
use rsa::{Oaep, PublicKey};
use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use crate::codec;
use crate::ecdh::{self, AgreeError};
use crate::offer::Offer;
use crate::redeem::ClientMessage;

/// Why a client message could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The offer's public key does not parse, or the ECDH offer has no label.
    #[error("the offer's public key is malformed")]
    MalformedOffer,
    /// The secret is longer than the suite can carry.
    #[error("the secret does not fit the offer's suite")]
    SecretTooLong,
    /// Randomness or key agreement failed.
    #[error("encryption failed")]
    Encryption,
}

/// Encrypts `secret` for `offer` exactly as the Web Crypto client does
/// (RSA-OAEP-SHA256 with the offer's label, or ECDH-P256 per
/// [`crate::ecdh`]). The server, not this function, enforces
/// `offer.max_secret_len`.
///
/// # Errors
/// [`ClientError`].
pub fn encrypt(offer: &Offer, secret: &[u8]) -> Result<ClientMessage, ClientError> {
    let spki = offer.spki_der().ok_or(ClientError::MalformedOffer)?;
    let ciphertext = match offer.suite.rsa_bits() {
        Some(_) => encrypt_rsa(offer, &spki, secret)?,
        None => encrypt_ecdh(offer, &spki, secret)?,
    };
    Ok(ClientMessage {
        key_id: offer.key_id.to_string(),
        encrypted_password: codec::encode_std(&ciphertext),
    })
}

fn encrypt_rsa(offer: &Offer, spki: &[u8], secret: &[u8]) -> Result<Vec<u8>, ClientError> {
    let public = PublicKey::from_public_key_der(spki).map_err(|_| ClientError::MalformedOffer)?;
    if secret.len() > offer.suite.capacity() {
        return Err(ClientError::SecretTooLong);
    }
    let padding = match &offer.label {
        Some(label) => Oaep::<Sha256>::new_with_label(label.as_bytes()),
        None => Oaep::<Sha256>::new(),
    };
    public
        .encrypt(&mut SysRng, padding, secret)
        .map_err(|_| ClientError::Encryption)
}

fn encrypt_ecdh(offer: &Offer, spki: &[u8], secret: &[u8]) -> Result<Vec<u8>, ClientError> {
    let info = offer.label.as_deref().ok_or(ClientError::MalformedOffer)?;
    let spki = SubjectPublicKeyInfoRef::try_from(spki).map_err(|_| ClientError::MalformedOffer)?;
    let server_point = spki
        .subject_public_key
        .as_bytes()
        .ok_or(ClientError::MalformedOffer)?;
    let rng = SystemRandom::new();
    let private = EphemeralPrivateKey::generate(&ECDH_P256, &rng).map_err(|_| ClientError::Encryption)?;
    let client_point = private
        .compute_public_key()
        .map_err(|_| ClientError::Encryption)?;
    let (key, nonce) =
        ecdh::agree(private, server_point, &offer.key_id, info).map_err(|error| match error {
            AgreeError::Peer => ClientError::MalformedOffer,
            AgreeError::Derive => ClientError::Encryption,
        })?;
    let mut sealed = Zeroizing::new(secret.to_vec());
    key.seal_in_place_append_tag(nonce, Aad::empty(), &mut *sealed)
        .map_err(|_| ClientError::Encryption)?;
    let mut message = Vec::with_capacity(ecdh::PUBLIC_KEY_LEN + sealed.len());
    message.extend_from_slice(client_point.as_ref());
    message.extend_from_slice(&sealed);
    Ok(message)
}
