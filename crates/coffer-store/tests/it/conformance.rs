//! The store conformance suite against [`MemoryStore`], [`SqliteStore`]
//! and [`PostgresStore`] (each test in a fresh schema of the test database,
//! skipped loudly without one outside CI).

use crate::backends;
use crate::envelope_suite;
use crate::key_suite;
use crate::suite;

macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::backends::*;
            use super::{envelope_suite, key_suite, suite};

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
            fn envelopes_are_linked_and_unlinked_with_their_transaction() {
                let Some(backend) = $make else { return };
                envelope_suite::linked_and_unlinked_with_their_transaction(&backend);
            }

            #[test]
            fn leftover_envelopes_are_swept() {
                let Some(backend) = $make else { return };
                envelope_suite::leftovers_are_swept(&backend);
            }

            #[test]
            fn the_checkpoint_follows_start_up_verification() {
                let Some(backend) = $make else { return };
                suite::the_checkpoint_follows_start_up_verification(&backend);
            }

            #[test]
            fn keys_and_grants_follow_their_members() {
                let Some(backend) = $make else { return };
                key_suite::keys_and_grants(&backend);
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
