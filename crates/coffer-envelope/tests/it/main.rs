//! Integration tests of coffer-envelope: the byte format, its negative vectors and streaming.
//!
//! One test binary for the crate (each file below is a module), so the
//! suite links once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod example;
mod format_doc;
mod layout;
mod negative;
mod roundtrip;
mod smoke;
mod stream_errors;
