//! The load tool (`examples/under_attack`) with small numbers against the
//! built binary: both runs complete, every piece of the attack runs and
//! is counted, and the report names the targets. Its speed figures are
//! documented measurements (`docs/PERFORMANCE.md`), never asserted here.

#[path = "../examples/under_attack/load/mod.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "the tool's items, some for its binary only"
)]
mod load;

use std::path::PathBuf;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_tool_runs_both_runs_and_counts_the_attack() {
    let config = load::Config {
        server: PathBuf::from(env!("CARGO_BIN_EXE_coffer-server")),
        clients: 2,
        duration: Duration::from_secs(2),
        max_operations: 1_000,
        idle: 120,
        stalled_uploads: 12,
        unread_downloads: 12,
        failures: 300,
        failure_connections: 2,
        attack_principals: 1,
        max_connections: 1_000,
        unread_size: 4 << 20,
    };
    let report = load::run(&config).await.unwrap();
    assert!(!report.alone.samples.is_empty() && !report.under_attack.samples.is_empty());
    assert!(report.alone.samples.iter().any(|s| s.upload) && report.alone.samples.iter().any(|s| !s.upload));
    assert!(report.alone.refused.is_empty(), "{:?}", report.alone.refused);
    assert_eq!(report.idle_held, 120);
    assert_eq!(report.failures_sent, 300);
    // Every failure was answered 401 (unknown key id), none lost.
    assert_eq!(
        report.attack.get("failure: answered 401"),
        Some(&300),
        "{:?}",
        report.attack
    );
    // One principal holds at most its 8 transfers; the rest are refused.
    let held = |what: &str| report.attack.get(what).copied().unwrap_or(0);
    assert!(
        held("stalled upload: no answer by the end") >= 1,
        "{:?}",
        report.attack
    );
    assert!(
        held("unread download: held to the end") >= 1,
        "{:?}",
        report.attack
    );
    assert!(held("stalled upload: answered 429") >= 1, "{:?}", report.attack);
    let text = report.to_string();
    assert!(text.contains("all operations p99") && text.contains("target no legitimate request refused"));
    assert!(report.memory_after.0 > 0);
}
