//! Integration tests of coffer-door: the front door on the in-memory store.
//!
//! One test binary for the crate (each file below is a module), so the
//! suite links once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod access_first;
mod audit_scope;
mod authentication;
mod document_list;
mod door;
mod downloads;
mod fail_closed;
mod front_door;
mod instances;
mod member_keys;
mod operator_audit;
mod password_offers;
mod policy_report;
mod serde_forms;
mod stored_documents;
mod streaming;
