//! Integration tests of coffer-policy: decisions, rules, policy documents and their text forms.
//!
//! One test binary for the crate (each file below is a module), so the
//! suite links once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod access;
mod differential;
mod rules;
mod suites;
mod text_forms;
