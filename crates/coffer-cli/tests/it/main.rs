//! Integration tests of the coffer command-line tool.
//!
//! One test binary for the crate (each file below is a module), so the
//! suite links once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod bin;
mod cli;
mod library;
mod public_keys;
