//! Key identifiers and the instance tag inside them.

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec;

/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 16;
/// Length of the instance tag at the start of a key id.
pub const INSTANCE_TAG_LEN: usize = 3;

/// Names the process that issued a key, so a load balancer can route a
/// redeem to it (private keys never leave the process that made them).
///
/// The tag is the first three bytes of every key id this process issues, so
/// it is exactly the first four characters of the base64url key id: route on
/// that string prefix ([`InstanceTag::prefix`]), no decoding needed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InstanceTag([u8; INSTANCE_TAG_LEN]);

impl InstanceTag {
    /// A tag from its three bytes.
    pub const fn new(bytes: [u8; INSTANCE_TAG_LEN]) -> Self {
        Self(bytes)
    }

    /// A tag from a number below 2^24 (for example a replica ordinal);
    /// `None` when the number does not fit.
    pub fn from_number(number: u32) -> Option<Self> {
        let [zero, a, b, c] = number.to_be_bytes();
        (zero == 0).then_some(Self([a, b, c]))
    }

    /// The tag bytes.
    pub const fn as_bytes(&self) -> &[u8; INSTANCE_TAG_LEN] {
        &self.0
    }

    /// The four base64url characters every key id of this instance starts with.
    pub fn prefix(&self) -> String {
        codec::encode_url(&self.0)
    }
}

/// The identifier of one ephemeral key: the instance tag followed by 13
/// random bytes, written as 22 base64url characters without padding.
///
/// Key ids are not secret; they name a key and salt the ECDH key derivation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKeyId([u8; KEY_ID_LEN]);

/// A key id string that is not 22 characters of unpadded base64url.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a session key id")]
pub struct SessionKeyIdError(String);

impl SessionKeyId {
    /// A fresh key id for `tag`; fails only if the system RNG does.
    pub(crate) fn generate(tag: InstanceTag, rng: &SystemRandom) -> Result<Self, ring::error::Unspecified> {
        let mut bytes = [0_u8; KEY_ID_LEN];
        bytes[..INSTANCE_TAG_LEN].copy_from_slice(tag.as_bytes());
        rng.fill(&mut bytes[INSTANCE_TAG_LEN..])?;
        Ok(Self(bytes))
    }

    /// A key id from its raw bytes.
    pub const fn from_bytes(bytes: [u8; KEY_ID_LEN]) -> Self {
        Self(bytes)
    }

    /// Parses the 22-character base64url form.
    ///
    /// # Errors
    /// [`SessionKeyIdError`] when `text` is not exactly that (the echoed text is
    /// truncated to 32 characters).
    pub fn parse(text: &str) -> Result<Self, SessionKeyIdError> {
        let refuse = || SessionKeyIdError(text.chars().take(32).collect());
        if text.len() != 22 {
            return Err(refuse());
        }
        let bytes = codec::decode_url_strict(text).ok_or_else(refuse)?;
        let bytes: [u8; KEY_ID_LEN] = bytes.try_into().map_err(|_| refuse())?;
        Ok(Self(bytes))
    }

    /// The 16 raw bytes (the ECDH HKDF salt).
    pub const fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }

    /// The instance that issued this key.
    pub fn instance(&self) -> InstanceTag {
        let mut tag = [0_u8; INSTANCE_TAG_LEN];
        tag.copy_from_slice(&self.0[..INSTANCE_TAG_LEN]);
        InstanceTag(tag)
    }
}

impl fmt::Display for SessionKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&codec::encode_url(&self.0))
    }
}

impl fmt::Debug for SessionKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKeyId({self})")
    }
}

impl Serialize for SessionKeyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SessionKeyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_start_with_the_instance_prefix() {
        let rng = SystemRandom::new();
        let tag = InstanceTag::from_number(0x00_0a_0b_0c).unwrap();
        let id = SessionKeyId::generate(tag, &rng).unwrap();
        let text = id.to_string();
        assert_eq!(text.len(), 22);
        assert!(text.starts_with(&tag.prefix()));
        assert_eq!(id.instance(), tag);
        assert_eq!(SessionKeyId::parse(&text).unwrap(), id);
        assert_ne!(SessionKeyId::generate(tag, &rng).unwrap(), id);
    }

    #[test]
    fn instance_numbers_must_fit_24_bits() {
        assert!(InstanceTag::from_number(0x0100_0000).is_none());
        assert_eq!(InstanceTag::from_number(1).unwrap().as_bytes(), &[0, 0, 1]);
    }

    #[test]
    fn parse_refuses_other_spellings() {
        for text in [
            "",
            "AAAAAAAAAAAAAAAAAAAAAA==",
            "AAAAAAAAAAAAAAAAAAAAA",
            "+AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAB",
        ] {
            assert!(SessionKeyId::parse(text).is_err(), "{text}");
        }
        let long = "x".repeat(1000);
        let err = SessionKeyId::parse(&long).unwrap_err();
        assert!(err.to_string().len() < 80);
    }
}
