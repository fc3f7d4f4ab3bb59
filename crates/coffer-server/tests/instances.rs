//! Several instances, with the built binary: `--instance-tag` (or
//! `COFFER_INSTANCE_TAG`) is the prefix of every session key id the
//! instance issues, and a second live instance with the same tag on one
//! store is refused at start-up, on SQLite and on PostgreSQL, while a
//! killed instance's tag is free again at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "a test fails by panicking; the output is this program's report"
)]

#[path = "it/pg.rs"]
mod pg;
#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::process::{Command, Output};

use coffer_store::session::InstanceTag;
use process::{alice_and_bob, call, Server, SERVER};
use serde_json::json;

/// `serve` that is expected not to start.
fn refused(data: &Path, args: &[&str]) -> Output {
    let output = Command::new(SERVER)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(args)
        .env_remove("COFFER_POSTGRES_URL")
        .env_remove("COFFER_INSTANCE_TAG")
        .output()
        .unwrap();
    assert!(!output.status.success(), "a second instance with the tag started");
    output
}

fn assert_taken(output: &Output, tag: u32) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("instance tag {tag} ")) && stderr.contains("already live"),
        "{stderr}"
    );
}

fn offer_key_id(server: &Server, token: &str) -> String {
    let reply = call(
        server.address(),
        "POST",
        "/api/v1/password-offers",
        Some(token),
        Some(&json!({ "project": "payroll" })),
    );
    assert_eq!(reply.status, 200, "{}", reply.head);
    reply.json()["key_id"].as_str().unwrap().to_owned()
}

fn prefix(number: u32) -> String {
    InstanceTag::from_number(number).unwrap().prefix()
}

#[test]
fn one_live_instance_per_tag_on_sqlite_and_key_ids_carry_the_tag() {
    let data = tempfile::tempdir().unwrap();
    let (alice, _) = alice_and_bob(data.path());
    let seven = Server::start(data.path(), &["--instance-tag", "7"]);
    assert!(offer_key_id(&seven, &alice).starts_with(&prefix(7)));
    assert_ne!(prefix(7), prefix(0));

    assert_taken(&refused(data.path(), &["--instance-tag", "7"]), 7);
    let eight = Server::start_with(data.path(), &[], &[("COFFER_INSTANCE_TAG", "8")]);
    assert!(offer_key_id(&eight, &alice).starts_with(&prefix(8)));
    let too_large = refused(data.path(), &["--instance-tag", "16777216"]);
    assert!(String::from_utf8_lossy(&too_large.stderr).contains("24 bits"));

    // Killed (SIGKILL): the claim goes with the process.
    drop(seven);
    let again = Server::start(data.path(), &["--instance-tag", "7"]);
    assert!(offer_key_id(&again, &alice).starts_with(&prefix(7)));
}

#[test]
fn one_live_instance_per_tag_on_postgresql() {
    let Some(url) = pg::database("coffer_instances", "instance") else {
        return;
    };
    // Each instance keeps its key files in its own directory (the same
    // keys in both, as a deployment must).
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let a = Server::start(first.path(), &["--postgres", &url, "--instance-tag", "3"]);
    for file in ["audit.key", "api-keys.key", "offer-signing.key"] {
        std::fs::copy(first.path().join(file), second.path().join(file)).unwrap();
    }
    assert_taken(
        &refused(second.path(), &["--postgres", &url, "--instance-tag", "3"]),
        3,
    );
    let b = Server::start(second.path(), &["--postgres", &url, "--instance-tag", "4"]);
    drop(a);
    let a_again = Server::start(second.path(), &["--postgres", &url, "--instance-tag", "3"]);
    drop((a_again, b));
}
