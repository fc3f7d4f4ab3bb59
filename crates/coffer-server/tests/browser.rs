//! The end-to-end story in a real browser: starts the built
//! `coffer-server` on a localhost port with a fresh data directory, makes
//! API keys with its own `keys` and `grant` commands, and runs
//! `browser/story.mjs` (playwright-core driving the system's headless
//! Chromium). Screenshots go to `<target>/tmp/coffer-server-browser/`.
//!
//! Needs `node`, `chromium` (or `CHROMIUM=/path`) and
//! `tests/browser/node_modules` (`npm ci` there, with
//! `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1`). With `CI=true` a missing piece
//! fails the test; elsewhere the test says loudly that it skipped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "a test fails by panicking; the output is this program's report"
)]

#[path = "support/pki.rs"]
mod pki;
#[path = "support/process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::process::Command;

use process::{alice_and_bob, Server};

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// What is missing to run the story, if anything.
fn missing() -> Option<String> {
    let chromium = chromium();
    if Command::new(&chromium).arg("--version").output().is_err() {
        return Some(format!("`{}` (apt-get install -y chromium)", chromium.display()));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("`node`".into());
    }
    if !browser_dir().join("node_modules/playwright-core").is_dir() {
        return Some("playwright-core (npm ci in crates/coffer-server/tests/browser)".into());
    }
    None
}

/// `CHROMIUM`, else `chromium` found on the PATH (playwright wants a path).
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("chromium"))
}

/// Runs `story.mjs` with `STORY=story` against a service started on a
/// fresh data directory with `serve_args`; returns the screenshots'
/// directory.
fn run_story(story: &str, serve_args: &[&str]) -> PathBuf {
    run_story_with(story, serve_args, "")
}

/// [`run_story`] with extra Chromium switches (space-separated).
fn run_story_with(story: &str, serve_args: &[&str], chromium_args: &str) -> PathBuf {
    let data = tempfile::tempdir().unwrap();
    let (alice, bob) = alice_and_bob(data.path());
    let server = Server::start(data.path(), serve_args);
    let url = server.url.replace("127.0.0.1", "localhost");

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coffer-server-browser");
    let status = Command::new("node")
        .arg(browser_dir().join("story.mjs"))
        .current_dir(browser_dir())
        .env("COFFER_URL", &url)
        .env("ALICE_KEY", &alice)
        .env("BOB_KEY", &bob)
        .env("OUT_DIR", &out)
        .env("CHROMIUM", chromium())
        .env("STORY", story)
        .env("CHROMIUM_ARGS", chromium_args)
        .status()
        .unwrap();
    drop(server);
    assert!(
        status.success(),
        "the browser story `{story}` failed (screenshots in {})",
        out.display()
    );
    out
}

/// Whether the browser tests can run; says why not, or fails under CI.
fn can_run() -> bool {
    let Some(missing) = missing() else { return true };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the browser test needs {missing}");
    }
    println!("SKIPPED the browser end-to-end test: {missing} is missing");
    eprintln!("SKIPPED the browser end-to-end test: {missing} is missing");
    false
}

#[test]
fn the_story_in_headless_chromium() {
    if !can_run() {
        return;
    }
    let out = run_story("full", &[]);
    for screen in [
        "alice-01-sign-in",
        "alice-02-project",
        "alice-03-uploaded",
        "bob-02-upload-refused",
        "bob-03-wrong-password",
        "bob-04-downloaded",
        "bob-05-replay-refused",
        "alice-04-audit",
    ] {
        assert!(out.join(format!("{screen}.png")).is_file(), "{screen}");
    }
}

#[test]
fn ecdh_offers_in_headless_chromium() {
    if !can_run() {
        return;
    }
    let out = run_story("ecdh", &["--session-suite", "ECDH-P256"]);
    assert!(out.join("ecdh-alice-downloaded.png").is_file());
}

#[test]
fn the_page_over_tls_in_headless_chromium() {
    if !can_run() {
        return;
    }
    // The test CA's leaf is trusted by its public key's SHA-256 (what
    // Chromium's --ignore-certificate-errors-spki-list takes); any other
    // certificate error still fails the page load.
    let dir = tempfile::tempdir().unwrap();
    let leaf = pki::Ca::new("coffer browser test CA").leaf("localhost");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    leaf.install(&cert, &key);
    let spki = ring::digest::digest(&ring::digest::SHA256, &leaf.spki);
    use base64::Engine as _;
    let spki = base64::engine::general_purpose::STANDARD.encode(spki.as_ref());
    let out = run_story_with(
        "ecdh",
        &[
            "--session-suite",
            "ECDH-P256",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &format!("--ignore-certificate-errors-spki-list={spki}"),
    );
    assert!(out.join("ecdh-alice-downloaded.png").is_file());
}
