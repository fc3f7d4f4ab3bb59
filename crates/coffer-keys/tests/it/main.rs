//! Integration tests of coffer-keys: seal and open, attacks, vectors, public keys, rewrap and interop.
//!
//! One test binary for the crate (each file below is a module), so the
//! suite links once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod attacks;
mod design;
mod forge;
mod io_errors;
mod project_key;
mod public_keys;
mod python_interop;
mod rewrap;
mod seal_open;
mod vectors;
