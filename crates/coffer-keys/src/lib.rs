//! coffer layer 2: keys.
#![forbid(unsafe_code)]

pub use coffer_envelope as envelope;
