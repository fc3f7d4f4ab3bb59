//! Administration without HTTP: `keys create|list|revoke` and `grant`
//! through the built binary on one data directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::Path;
use std::process::{Command, Output};

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coffer-server"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("COFFER_POSTGRES_URL")
        .env_remove("COFFER_AUDIT_KEY")
        .env_remove("COFFER_OPERATOR")
        .env_remove("USER")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn keys_are_created_listed_and_revoked_and_roles_granted() {
    let data = tempfile::tempdir().unwrap();
    let granted = stdout(&run(
        data.path(),
        &["grant", "acme/alice", "owner", "--operator", "ops"],
    ));
    assert!(granted.contains("acme/alice is now owner"), "{granted}");
    assert!(granted.contains("granted by operator `ops`"), "{granted}");

    let token = stdout(&run(
        data.path(),
        &[
            "keys",
            "create",
            "acme/alice",
            "--label",
            "laptop",
            "--expires-in-days",
            "30",
        ],
    ));
    let token = token.trim();
    assert!(
        token.starts_with("coffer_") && token.len() == "coffer_".len() + 16 + 1 + 64,
        "{token}"
    );
    let key_id = &token["coffer_".len().."coffer_".len() + 16];

    let listed = stdout(&run(data.path(), &["keys", "list"]));
    let entry: serde_json::Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(entry["key_id"], key_id);
    assert_eq!(
        entry["principal"],
        serde_json::json!({ "tenant": "acme", "id": "alice" })
    );
    assert_eq!(entry["label"], "laptop");
    assert!(entry["expires_at"].is_string() && entry["revoked_at"].is_null());
    assert!(!listed.contains(&token[token.len() - 64..]), "never a secret");

    assert!(stdout(&run(data.path(), &["keys", "revoke", key_id])).contains("revoked"));
    let listed: serde_json::Value =
        serde_json::from_str(stdout(&run(data.path(), &["keys", "list"])).trim()).unwrap();
    assert!(listed["revoked_at"].is_string());
    let again = run(data.path(), &["keys", "revoke", key_id]);
    assert!(!again.status.success(), "a key is revoked once");

    let bad = run(data.path(), &["keys", "create", "not-a-principal"]);
    assert!(!bad.status.success());
    // A key that would be expired when printed is refused.
    let expired = run(
        data.path(),
        &["keys", "create", "acme/alice", "--expires-in-days", "0"],
    );
    assert!(!expired.status.success());
    assert!(expired.stdout.is_empty(), "no token printed");
    assert_eq!(stdout(&run(data.path(), &["keys", "list"])).lines().count(), 1);
    // The key files were made private.
    #[cfg(unix)]
    for file in ["audit.key", "api-keys.key", "offer-signing.key"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

#[test]
fn a_grant_names_its_operator_or_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let refused = run(data.path(), &["grant", "acme/alice", "owner"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("name the operator"), "{stderr}");

    let granted = Command::new(env!("CARGO_BIN_EXE_coffer-server"))
        .args(["grant", "acme/alice", "owner", "--data-dir"])
        .arg(data.path())
        .env_remove("COFFER_POSTGRES_URL")
        .env_remove("COFFER_AUDIT_KEY")
        .env("COFFER_OPERATOR", "ops")
        .output()
        .unwrap();
    let granted = stdout(&granted);
    assert!(granted.contains("granted by operator `ops`"), "{granted}");
}
