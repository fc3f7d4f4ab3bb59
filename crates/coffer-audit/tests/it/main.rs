//! Integration tests of coffer-audit: the chain, verification, the file sink and timestamps.
//!
//! One test binary for the crate (each file below is a module), so the
//! suite links once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod audit_chain;
mod audit_file;
mod audit_time;
mod events;
