//! Serde for 32-byte hashes and MACs as 64 lowercase hex digits.

use serde::{de::Error, Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    let mut out = [0u8; 32];
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(D::Error::custom("expected 64 lowercase hex digits"));
    }
    hex::decode_to_slice(text.as_bytes(), &mut out).map_err(D::Error::custom)?;
    Ok(out)
}
