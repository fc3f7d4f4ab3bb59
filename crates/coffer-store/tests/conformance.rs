//! The store conformance suite against [`MemoryStore`], [`SqliteStore`]
//! and [`PostgresStore`] (each test in a fresh schema of the test database,
//! skipped loudly without one outside CI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/backends.rs"]
mod backends;
#[path = "support/suite.rs"]
mod suite;
#[path = "support/postgres.rs"]
#[allow(dead_code)]
mod test_db;

macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::backends::*;
            use super::suite;

            #[test]
            fn snapshot_round_trip() {
                let Some(backend) = $make else { return };
                suite::snapshot_round_trip(&backend);
            }

            #[test]
            fn version_counts_changes() {
                let Some(backend) = $make else { return };
                suite::version_counts_changes(&backend);
            }

            #[test]
            fn stale_generations_conflict() {
                let Some(backend) = $make else { return };
                suite::stale_generations_conflict(&backend);
            }

            #[test]
            fn failed_transactions_roll_back() {
                let Some(backend) = $make else { return };
                suite::failed_transactions_roll_back(&backend);
            }

            #[test]
            fn the_chain_verifies() {
                let Some(backend) = $make else { return };
                suite::the_chain_verifies(&backend);
            }

            #[test]
            fn documents_are_recorded() {
                let Some(backend) = $make else { return };
                suite::documents_are_recorded(&backend);
            }

            #[test]
            fn the_checkpoint_follows_start_up_verification() {
                let Some(backend) = $make else { return };
                suite::the_checkpoint_follows_start_up_verification(&backend);
            }

            #[test]
            fn reopening_resumes_the_chain() {
                let Some(backend) = $make else { return };
                suite::reopening_resumes_the_chain(&backend);
            }
        }
    };
}

conformance!(memory, Some(Memory::new()));
conformance!(sqlite, Some(Sqlite::new()));
conformance!(postgres, Postgres::new());
