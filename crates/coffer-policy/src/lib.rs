//! coffer layer 4: policy.
#![forbid(unsafe_code)]

pub use coffer_session as session;
