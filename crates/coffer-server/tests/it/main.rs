//! Integration tests of coffer-server that drive the router in this
//! process: authentication, the error contract, documents, failure limits,
//! offers, projects, tampered envelopes and two instances on PostgreSQL.
//!
//! One test binary (each file below is a module), so the suite links once.
//! The others stand apart: those that start the built binary or a browser
//! (`cli.rs`, `instances.rs`, `stop.rs`, `tls.rs`, `browser.rs`), those
//! whose assertions are deadlines on a real socket (`connections.rs`,
//! `stalls.rs`), those that install the process's one log subscriber
//! (`logs.rs`, `gone.rs`) and the one that measures the process's peak
//! memory (`streaming.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod auth;
mod contract;
mod documents;
mod harness;
mod limits;
mod offers;
mod pg;
mod postgres;
mod postgres_tls;
mod projects;
mod tampered;
