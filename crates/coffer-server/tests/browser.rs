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
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

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
    let data = tempfile::tempdir().unwrap();
    let (alice, bob) = alice_and_bob(data.path());
    let server = Server::start(data.path(), serve_args);
    let url = server.url.clone();

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
