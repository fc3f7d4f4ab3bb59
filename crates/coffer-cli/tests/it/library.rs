//! Files sealed by the tool open with the library, and the other way round.
#![allow(missing_docs, reason = "test items are not an API")]

use std::fs;

use crate::bin;
use bin::{coffer, sample};
use coffer_cli::key_text::{parse_key_file, render_key_file, LocalKey};
use coffer_keys::envelope::Suite;
use coffer_keys::{open, seal, KeyId, KeyState, Keyring, OpenOptions, Password, Recipient, SealOptions};

#[test]
fn a_file_sealed_by_the_tool_opens_with_the_library() {
    let dir = tempfile::tempdir().unwrap();
    coffer(dir.path())
        .args(["keygen", "--name", "docs", "--version", "4", "-o", "docs.key"])
        .assert()
        .success();
    let plaintext = sample(100_000);
    fs::write(dir.path().join("plain.bin"), &plaintext).unwrap();
    coffer(dir.path())
        .args([
            "seal",
            "-k",
            "docs.key",
            "--suite",
            "chacha20-poly1305",
            "--context",
            "project=alpha",
        ])
        .args(["plain.bin", "-o", "sealed.cfr"])
        .assert()
        .success();

    let key = parse_key_file(&fs::read_to_string(dir.path().join("docs.key")).unwrap()).unwrap();
    assert_eq!(key.id(), &KeyId::new("docs", 4).unwrap());
    let mut keyring = Keyring::new();
    keyring
        .insert(key.id().clone(), key.kek_copy(), KeyState::Active)
        .unwrap();
    let sealed = fs::read(dir.path().join("sealed.cfr")).unwrap();
    let opened = open(
        &sealed,
        &OpenOptions::new()
            .keyring(&keyring)
            .require_context("project", b"alpha")
            .allow_suites(&[Suite::ChaCha20Poly1305HkdfSha256]),
    )
    .unwrap();
    assert_eq!(opened.plaintext(), plaintext.as_slice());
    assert_eq!(opened.info().kid, b"docs:4");
}

#[test]
fn a_file_sealed_by_the_library_opens_with_the_tool() {
    let dir = tempfile::tempdir().unwrap();
    let key = LocalKey::generate(KeyId::new("lib", 1).unwrap()).unwrap();
    fs::write(dir.path().join("lib.key"), render_key_file(&key).as_bytes()).unwrap();
    let password = Password::new("library password");
    let options = SealOptions::new()
        .chunk_log2(12)
        .context("source", b"library")
        .unwrap();
    let sealed = seal(
        b"sealed by the library",
        &[
            Recipient::kek(key.id().clone(), key.kek()),
            Recipient::password(&password),
        ],
        &options,
    )
    .unwrap();
    fs::write(dir.path().join("lib.cfr"), &sealed).unwrap();

    coffer(dir.path())
        .args(["open", "-k", "lib.key", "--require", "source=library", "lib.cfr"])
        .assert()
        .success()
        .stdout("sealed by the library");
    coffer(dir.path())
        .env("COFFER_PASSWORD", "library password")
        .args(["open", "lib.cfr"])
        .assert()
        .success()
        .stdout("sealed by the library");
}
