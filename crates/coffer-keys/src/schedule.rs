//! The key schedule: from a message's DEK to its content key, nonce base, key
//! commitment and header key.
//!
//! ```text
//! th    = SHA-256(core)                                  (no external AAD)
//! th    = SHA-256(core ‖ 01 ‖ SHA-256(external_aad))     (EXTERNAL_AAD set)
//! PRK   = HKDF-Extract(SHA-256, salt = message_id, ikm = DEK)
//! K_enc(32) ‖ nonce_base(12) ‖ C(32) ‖ K_hdr(32)
//!       = HKDF-Expand(PRK, "coffer/v1 derive" ‖ 00 ‖ suite ‖ th, 108)
//! ```

use coffer_envelope::{ChunkCipher, ContentKey, Suite};
use zeroize::Zeroizing;

use crate::primitive::{ct_eq, hkdf_sha256, hmac_sha256, sha256};
use crate::secret::{DataKey, HeaderKey};
use crate::{CryptoReason, Error};

const DERIVE_LABEL: &[u8] = b"coffer/v1 derive";
const SCHEDULE_LEN: usize = 108;

/// The transcript hash th: the core (and the external AAD when the message
/// requires one) condensed to 32 bytes.
pub(crate) fn transcript_hash(core: &[u8], external_aad: Option<&[u8]>) -> [u8; 32] {
    match external_aad {
        None => sha256(&[core]),
        Some(aad) => sha256(&[core, &[0x01], &sha256(&[aad])]),
    }
}

/// Everything a message derives from its DEK.
pub(crate) struct MessageKeys {
    content_key: Zeroizing<[u8; 32]>,
    nonce_base: Zeroizing<[u8; 12]>,
    commitment: [u8; 32],
    header_key: HeaderKey,
}

impl MessageKeys {
    /// Runs the schedule for `dek` under `suite_id`, `message_id` and `th`.
    pub(crate) fn derive(
        dek: &DataKey,
        suite_id: u16,
        message_id: &[u8; 32],
        th: &[u8; 32],
    ) -> Result<Self, Error> {
        let mut okm = Zeroizing::new([0u8; SCHEDULE_LEN]);
        hkdf_sha256(
            message_id,
            dek.expose_secret(),
            &[DERIVE_LABEL, &[0x00], &suite_id.to_be_bytes(), th],
            okm.as_mut_slice(),
        )
        .map_err(|_| Error::crypto(CryptoReason::Derivation))?;
        let mut content_key = Zeroizing::new([0u8; 32]);
        let mut nonce_base = Zeroizing::new([0u8; 12]);
        let mut commitment = [0u8; 32];
        let mut header_key = [0u8; 32];
        content_key.copy_from_slice(&okm[0..32]);
        nonce_base.copy_from_slice(&okm[32..44]);
        commitment.copy_from_slice(&okm[44..76]);
        header_key.copy_from_slice(&okm[76..108]);
        let header_key = HeaderKey::from_bytes(header_key);
        Ok(Self {
            content_key,
            nonce_base,
            commitment,
            header_key,
        })
    }

    /// The key commitment C to write into the header.
    pub(crate) fn commitment(&self) -> &[u8; 32] {
        &self.commitment
    }

    /// Compares a header's commitment with ours in constant time.
    pub(crate) fn check_commitment(&self, stored: &[u8; 32]) -> Result<(), Error> {
        if ct_eq(&self.commitment, stored) {
            Ok(())
        } else {
            Err(Error::crypto(CryptoReason::Commitment))
        }
    }

    /// HMAC-SHA256 of the header without its tag.
    pub(crate) fn header_tag(&self, signed_bytes: &[u8]) -> [u8; 32] {
        hmac_sha256(self.header_key.expose_secret(), &[signed_bytes])
    }

    /// Checks a header's tag in constant time.
    pub(crate) fn check_header_tag(&self, signed_bytes: &[u8], tag: &[u8; 32]) -> Result<(), Error> {
        if ct_eq(&self.header_tag(signed_bytes), tag) {
            Ok(())
        } else {
            Err(Error::crypto(CryptoReason::HeaderTag))
        }
    }

    /// The body encryption key and nonce base.
    pub(crate) fn content_key_parts(&self) -> (&[u8; 32], &[u8; 12]) {
        (&self.content_key, &self.nonce_base)
    }

    /// The body cipher for `suite`.
    pub(crate) fn chunk_cipher(&self, suite: Suite) -> Result<ChunkCipher, Error> {
        let (key, nonce_base) = self.content_key_parts();
        Ok(ChunkCipher::new(suite, &ContentKey::new(key, nonce_base))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitive::hkdf_sha256;

    #[test]
    fn transcript_binds_external_aad() {
        let core = b"core bytes";
        let plain = transcript_hash(core, None);
        assert_eq!(plain, sha256(&[core]));
        let with_a = transcript_hash(core, Some(b"a"));
        let with_b = transcript_hash(core, Some(b"b"));
        let with_empty = transcript_hash(core, Some(b""));
        assert_ne!(plain, with_a);
        assert_ne!(with_a, with_b);
        assert_ne!(plain, with_empty);
        let mut manual = core.to_vec();
        manual.push(1);
        manual.extend_from_slice(&sha256(&[b"a"]));
        assert_eq!(with_a, sha256(&[&manual]));
    }

    #[test]
    fn derive_splits_one_hkdf_output() {
        let dek = DataKey::from_bytes([1; 32]);
        let message_id = [2u8; 32];
        let th = [3u8; 32];
        let keys = MessageKeys::derive(&dek, 0x0001, &message_id, &th).unwrap();
        let mut info = b"coffer/v1 derive\x00\x00\x01".to_vec();
        info.extend_from_slice(&th);
        let mut okm = [0u8; 108];
        hkdf_sha256(&message_id, &[1; 32], &[&info], &mut okm).unwrap();
        let (key, nonce) = keys.content_key_parts();
        assert_eq!(key.as_slice(), &okm[..32]);
        assert_eq!(nonce.as_slice(), &okm[32..44]);
        assert_eq!(keys.commitment().as_slice(), &okm[44..76]);
        assert_eq!(keys.header_tag(b"x"), hmac_sha256(&okm[76..], &[b"x"]));
    }

    #[test]
    fn every_input_changes_the_commitment() {
        let base = MessageKeys::derive(&DataKey::from_bytes([1; 32]), 1, &[2; 32], &[3; 32]).unwrap();
        let variants = [
            MessageKeys::derive(&DataKey::from_bytes([9; 32]), 1, &[2; 32], &[3; 32]).unwrap(),
            MessageKeys::derive(&DataKey::from_bytes([1; 32]), 2, &[2; 32], &[3; 32]).unwrap(),
            MessageKeys::derive(&DataKey::from_bytes([1; 32]), 1, &[9; 32], &[3; 32]).unwrap(),
            MessageKeys::derive(&DataKey::from_bytes([1; 32]), 1, &[2; 32], &[9; 32]).unwrap(),
        ];
        for other in &variants {
            assert!(base.check_commitment(other.commitment()).is_err());
        }
        assert!(base.check_commitment(base.commitment()).is_ok());
    }

    #[test]
    fn header_tag_check_rejects_any_change() {
        let keys = MessageKeys::derive(&DataKey::from_bytes([1; 32]), 1, &[2; 32], &[3; 32]).unwrap();
        let tag = keys.header_tag(b"header");
        assert!(keys.check_header_tag(b"header", &tag).is_ok());
        assert!(keys.check_header_tag(b"headeR", &tag).is_err());
        let mut bad = tag;
        bad[31] ^= 1;
        assert!(keys.check_header_tag(b"header", &bad).is_err());
    }
}
