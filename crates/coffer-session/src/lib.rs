//! coffer layer 3: sessions.
#![forbid(unsafe_code)]

pub use coffer_keys as keys;
