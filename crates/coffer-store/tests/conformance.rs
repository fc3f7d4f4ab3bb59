//! The store conformance suite against [`MemoryStore`] and [`SqliteStore`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/backends.rs"]
mod backends;
#[path = "support/suite.rs"]
mod suite;

macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::backends::*;
            use super::suite;

            #[test]
            fn snapshot_round_trip() {
                suite::snapshot_round_trip(&$make);
            }

            #[test]
            fn version_counts_changes() {
                suite::version_counts_changes(&$make);
            }

            #[test]
            fn stale_generations_conflict() {
                suite::stale_generations_conflict(&$make);
            }

            #[test]
            fn failed_transactions_roll_back() {
                suite::failed_transactions_roll_back(&$make);
            }

            #[test]
            fn the_chain_verifies() {
                suite::the_chain_verifies(&$make);
            }

            #[test]
            fn reopening_resumes_the_chain() {
                suite::reopening_resumes_the_chain(&$make);
            }
        }
    };
}

conformance!(memory, Memory::new());
conformance!(sqlite, Sqlite::new());
