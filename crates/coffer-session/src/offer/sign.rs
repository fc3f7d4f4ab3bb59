//! Ed25519 signatures over offers, for clients that pin the server's key.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use super::Offer;
use crate::codec;

/// A long-term Ed25519 key that signs offers.
pub struct OfferSigner {
    key_pair: Ed25519KeyPair,
}

/// Why an offer signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The offer carries no signature.
    #[error("the offer is not signed")]
    Unsigned,
    /// The signature or the SPKI is not base64, or the public key is not 32
    /// bytes.
    #[error("the offer signature or its key is malformed")]
    Malformed,
    /// The signature does not match the offer and key.
    #[error("the offer signature is invalid")]
    Invalid,
    /// The key bytes were rejected, or the system RNG failed.
    #[error("the signing key is unusable")]
    BadKey,
}

impl OfferSigner {
    /// A new random signing key, returned as PKCS#8 (v2) bytes to store
    /// securely and load with [`OfferSigner::from_pkcs8`].
    ///
    /// # Errors
    /// [`SignatureError::BadKey`] if the system RNG fails.
    pub fn generate_pkcs8() -> Result<Zeroizing<Vec<u8>>, SignatureError> {
        let document =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| SignatureError::BadKey)?;
        Ok(Zeroizing::new(document.as_ref().to_vec()))
    }

    /// Loads a signing key from PKCS#8 bytes.
    ///
    /// # Errors
    /// [`SignatureError::BadKey`] if the bytes are not an Ed25519 PKCS#8 key.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, SignatureError> {
        let key_pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| SignatureError::BadKey)?;
        Ok(Self { key_pair })
    }

    /// The 32-byte public key clients pin.
    pub fn public_key(&self) -> [u8; 32] {
        let mut public = [0_u8; 32];
        public.copy_from_slice(self.key_pair.public_key().as_ref());
        public
    }

    /// Signs `offer` in place (replacing any signature).
    ///
    /// # Errors
    /// [`SignatureError::Malformed`] if the offer's SPKI is not base64.
    pub fn sign(&self, offer: &mut Offer) -> Result<(), SignatureError> {
        let bytes = offer.signed_bytes().ok_or(SignatureError::Malformed)?;
        offer.signature = Some(codec::encode_url(self.key_pair.sign(&bytes).as_ref()));
        Ok(())
    }
}

impl fmt::Debug for OfferSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OfferSigner(public {})", codec::encode_url(&self.public_key()))
    }
}

impl Offer {
    /// Verifies the offer's signature under a pinned Ed25519 public key.
    ///
    /// # Errors
    /// [`SignatureError`] saying whether the offer is unsigned, malformed or
    /// forged.
    pub fn verify(&self, public_key: &[u8; 32]) -> Result<(), SignatureError> {
        let signature = self.signature.as_deref().ok_or(SignatureError::Unsigned)?;
        let signature = codec::decode_url_strict(signature).ok_or(SignatureError::Malformed)?;
        let bytes = self.signed_bytes().ok_or(SignatureError::Malformed)?;
        UnparsedPublicKey::new(&signature::ED25519, public_key)
            .verify(&bytes, &signature)
            .map_err(|_| SignatureError::Invalid)
    }
}
