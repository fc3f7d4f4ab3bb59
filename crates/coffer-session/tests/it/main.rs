//! Integration tests of coffer-session: offers, redemption, pools, Web Crypto and Wycheproof.
//!
//! One test binary for the crate (each file below is a module), so the
//! suite links once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod concurrency;
mod fixtures;
mod hostile;
mod pool;
mod redeem;
mod signature;
mod unlock;
mod webcrypto;
mod wycheproof;
