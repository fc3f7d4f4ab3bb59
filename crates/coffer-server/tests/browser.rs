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

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const SERVER: &str = env!("CARGO_BIN_EXE_coffer-server");

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

fn admin(data: &Path, args: &[&str]) -> String {
    let output = Command::new(SERVER)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("COFFER_POSTGRES_URL")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "coffer-server {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The service, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `story.mjs` with `STORY=story` against a service started on a
/// fresh data directory with `serve_args`; returns the screenshots'
/// directory.
fn run_story(story: &str, serve_args: &[&str]) -> PathBuf {
    let data = tempfile::tempdir().unwrap();
    admin(
        data.path(),
        &["grant", "acme/alice", "owner", "--operator", "ops"],
    );
    let alice = admin(data.path(), &["keys", "create", "acme/alice", "--label", "e2e"]);
    let bob = admin(data.path(), &["keys", "create", "acme/bob", "--label", "e2e"]);
    assert!(alice.starts_with("coffer_") && bob.starts_with("coffer_"));

    let mut child = Command::new(SERVER)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .args(serve_args)
        .env_remove("COFFER_POSTGRES_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line `{line}`"))
        .to_owned();

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
