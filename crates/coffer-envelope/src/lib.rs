//! coffer layer 1: the envelope format.
//!
//! An envelope is a self-describing header followed by a body of
//! authenticated chunks. This crate owns the bytes: the header model and its
//! one canonical encoding, the bounds a reader applies before it allocates,
//! chunk framing, and chunk AEAD under a content key that the key layer
//! (`coffer-keys`) derives. It knows nothing of where keys come from.
//!
//! - [`Header`] / [`HeaderView`]: build and serialize, or parse in place.
//! - [`ReaderLimits`], [`header_len`], [`read_header`]: bounded reading.
//! - [`ChunkCipher`], [`BodyLayout`]: chunk AEAD and offsets.
//! - [`seal_body`] / [`open_body`], [`BodySealer`] / [`BodyOpener`],
//!   [`read_chunk`]: one-shot, streaming and random access.
//!
//! The byte-level specification is `docs/FORMAT.md` in the repository.
#![forbid(unsafe_code)]

mod body;
mod chunk;
mod context;
mod cursor;
mod error;
mod header;
mod io;
mod limits;
mod secret_buf;
mod stream;
mod suite;
mod wrapped_key;

pub use body::{open_body, read_chunk, seal_body, seal_body_into};
pub use chunk::{chunk_aad, chunk_nonce, BodyLayout, ChunkCipher, ContentKey, CHUNK_TAG_LEN, MAX_CHUNKS};
pub use context::{Context, ContextEntries, MAX_CONTEXT_KEY_LEN, MAX_CONTEXT_VALUE_LEN, RESERVED_PREFIX};
pub use error::{Error, Field, Result};
pub use header::{
    header_len, read_header, Commitment, Core, Header, HeaderLength, HeaderTag, HeaderView, MessageId,
    COMMITMENT_LEN, FIXED_LEN, MAGIC, TAG_LEN, VERSION,
};
pub use limits::{ReaderLimits, DEFAULT_CHUNK_LOG2, MAX_CHUNK_LOG2, MIN_CHUNK_LOG2};
pub use stream::{BodyOpener, BodySealer};
pub use suite::{Flags, Suite, UnknownSuiteName};
pub use wrapped_key::{
    KeyType, WrappedKey, WrappedKeyRef, WrappedKeys, HPKE_X25519_BODY_LEN, HPKE_XWING_BODY_LEN,
    LOCAL_BODY_LEN, MAX_EXTERNAL_BODY_LEN, MAX_KID_LEN, PASSWORD_BODY_LEN,
};
