//! Integration tests of coffer-store that run in this process: the
//! conformance suite on memory, SQLite and PostgreSQL, restarts,
//! checkpoints, group commit, public-key members, the API-key table and
//! TLS to PostgreSQL.
//!
//! One test binary (each file below is a module), so the suite links once.
//! Tests that fork or kill child processes (`crash.rs`, `two_processes.rs`,
//! `stored.rs`, `postgres.rs`) and the one that measures this process's
//! peak memory (`stored_memory.rs`) are binaries of their own: a child
//! forked while a sibling test holds a store's lock shares that lock until
//! it execs, and a sibling's allocations would count as the measured peak.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod api_keys;
mod backends;
mod checkpoint;
mod conformance;
mod door;
mod envelope_suite;
mod group_commit;
mod key_suite;
mod member_keys;
mod postgres_tls;
mod restart;
mod sqlite;
mod suite;
mod test_db;
