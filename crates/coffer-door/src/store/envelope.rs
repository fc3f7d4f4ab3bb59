//! Stored envelopes: ids, and the writer a store hands out to stage one.
//!
//! An envelope is written outside any state transaction, to a fresh
//! location no document names yet ([`Store::stage_envelope`]); once the
//! writer's [`StagedEnvelope::finish`] made it durable, the change that
//! records the document ([`Change::PutDocument`] or
//! [`Change::ReplaceEnvelope`]) links it, in the transaction of the call's
//! audit record. So a committed document never names missing or partial
//! bytes, and a crash leaves at worst an envelope no document names, which
//! [`Store::sweep_envelopes`] removes.
//!
//! [`Store::stage_envelope`]: super::Store::stage_envelope
//! [`Store::sweep_envelopes`]: super::Store::sweep_envelopes
//! [`Change::PutDocument`]: super::Change::PutDocument
//! [`Change::ReplaceEnvelope`]: super::Change::ReplaceEnvelope

use std::io::Write;
use std::str::FromStr;

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::StoreError;

/// A stored envelope's id: 16 random bytes, written as 32 lower-case
/// hexadecimal digits (also the envelope's file name in a SQLite data
/// directory). Every staged envelope gets a fresh one, so an id is never
/// reused for other bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvelopeId([u8; 16]);

/// Text that is not an envelope id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("envelope id `{0}` is not 32 lower-case hexadecimal digits")]
pub struct EnvelopeIdError(String);

impl EnvelopeId {
    /// A fresh random id.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the system's randomness fails.
    pub fn generate() -> Result<Self, StoreError> {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| StoreError::backend("the system's randomness failed"))?;
        Ok(EnvelopeId(bytes))
    }

    /// The id of these bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        EnvelopeId(bytes)
    }

    /// The id's bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl core::fmt::Display for EnvelopeId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl core::fmt::Debug for EnvelopeId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EnvelopeId({self})")
    }
}

impl FromStr for EnvelopeId {
    type Err = EnvelopeIdError;

    /// Exactly 32 lower-case hexadecimal digits (the [`Display`](core::fmt::Display) form).
    fn from_str(text: &str) -> Result<Self, EnvelopeIdError> {
        let canonical = text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let mut bytes = [0u8; 16];
        match hex::decode_to_slice(text, &mut bytes) {
            Ok(()) if canonical => Ok(EnvelopeId(bytes)),
            _ => Err(EnvelopeIdError(text.chars().take(64).collect())),
        }
    }
}

impl Serialize for EnvelopeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EnvelopeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An envelope being written to a fresh location of a store
/// ([`Store::stage_envelope`](super::Store::stage_envelope)), not yet named
/// by any document.
///
/// Write the envelope, then [`finish`](StagedEnvelope::finish) it: only a
/// finished envelope can be linked. Keep the writer until the transaction
/// that links it committed (or until the envelope was released): while it
/// lives, [`Store::sweep_envelopes`](super::Store::sweep_envelopes) leaves
/// the envelope alone.
pub trait StagedEnvelope: Write {
    /// The envelope's id.
    fn id(&self) -> EnvelopeId;

    /// Makes everything written durable (files: the file and its directory
    /// fsynced) and returns the envelope's size. Nothing may be written
    /// after.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the bytes could not be made durable;
    /// the envelope must then not be linked.
    fn finish(&mut self) -> Result<u64, StoreError>;
}
