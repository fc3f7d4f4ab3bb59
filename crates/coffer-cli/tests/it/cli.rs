//! End-to-end tests of the `coffer` binary.
#![allow(missing_docs, reason = "test items are not an API")]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use tempfile::TempDir;

use crate::bin;
use bin::{coffer, sample};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A temporary directory with a key file `name.key`.
fn dir_with_key(name: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    coffer(dir.path())
        .args(["keygen", "--name", name, "-o", &format!("{name}.key")])
        .assert()
        .success()
        .stdout("");
    dir
}

/// Files in `dir` other than `keep`.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

#[test]
fn keygen_writes_a_0600_key_file_and_refuses_to_overwrite_it() {
    let dir = dir_with_key("docs");
    let path = dir.path().join("docs.key");
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.lines().any(|l| l.starts_with("COFFER-KEY-1")));
    assert!(text.contains("# key: docs:1"));
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    coffer(dir.path())
        .args(["keygen", "--name", "docs", "-o", "docs.key"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists").and(predicate::str::contains("--force")));
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
    coffer(dir.path())
        .args(["keygen", "--name", "docs", "-o", "docs.key", "--force"])
        .assert()
        .success();
    assert_ne!(fs::read_to_string(&path).unwrap(), text);
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    coffer(dir.path())
        .args(["keygen", "--name", "bad:name", "-o", "bad.key"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("coffer: error: invalid key id"));
}

#[test]
fn the_key_is_printed_only_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    coffer(dir.path())
        .args(["keygen", "--name", "docs", "-o", "-"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\nCOFFER-KEY-1"));
}

#[test]
fn a_key_file_round_trips_in_each_suite() {
    let dir = dir_with_key("docs");
    let plaintext = sample(200_000);
    fs::write(dir.path().join("plain.bin"), &plaintext).unwrap();
    for suite in ["aes-256-gcm", "chacha20-poly1305"] {
        let sealed = format!("{suite}.cfr");
        let opened = format!("{suite}.out");
        coffer(dir.path())
            .args(["seal", "-k", "docs.key", "--suite", suite, "--chunk-size", "4KiB"])
            .args(["plain.bin", "-o", &sealed])
            .assert()
            .success()
            .stdout("");
        let expected_name = if suite == "aes-256-gcm" {
            "AES-256-GCM"
        } else {
            "CHACHA20-POLY1305"
        };
        coffer(dir.path())
            .args(["inspect", &sealed])
            .assert()
            .success()
            .stdout(predicate::str::contains(expected_name).and(predicate::str::contains("4 KiB")));
        coffer(dir.path())
            .args(["open", "-k", "docs.key", &sealed, "-o", &opened])
            .assert()
            .success();
        assert_eq!(fs::read(dir.path().join(&opened)).unwrap(), plaintext);
        assert_eq!(
            fs::metadata(dir.path().join(&opened))
                .unwrap()
                .permissions()
                .mode()
                & 0o077,
            0,
            "plaintext is created private"
        );
    }
    coffer(dir.path())
        .args([
            "open",
            "-k",
            "docs.key",
            "--suite",
            "aes-256-gcm",
            "chacha20-poly1305.cfr",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not allowed"));
}

#[test]
fn a_keyring_round_trips_across_rotation_and_states() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| coffer(dir.path()).args(args).assert();
    run(&["keyring", "create", "ring.txt", "--name", "docs"]).success();
    assert_eq!(
        fs::metadata(dir.path().join("ring.txt"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    fs::write(dir.path().join("one.txt"), b"sealed under version 1").unwrap();
    fs::write(dir.path().join("two.txt"), b"sealed under version 2").unwrap();
    run(&["seal", "--keyring", "ring.txt", "one.txt", "-o", "one.cfr"]).success();
    run(&["keyring", "rotate", "ring.txt", "--name", "docs"]).success();
    run(&[
        "seal",
        "--keyring",
        "ring.txt",
        "--name",
        "docs",
        "two.txt",
        "-o",
        "two.cfr",
    ])
    .success();
    run(&["inspect", "two.cfr"])
        .success()
        .stdout(predicate::str::contains("docs:2"));
    run(&["keyring", "list", "ring.txt"])
        .success()
        .stdout(
            predicate::str::contains("v1     decrypt-only").and(predicate::str::contains("v2     active")),
        )
        .stdout(predicate::str::contains("COFFER-KEY").not());
    run(&["open", "--keyring", "ring.txt", "one.cfr"])
        .success()
        .stdout("sealed under version 1");
    run(&["open", "--keyring", "ring.txt", "two.cfr"])
        .success()
        .stdout("sealed under version 2");

    run(&["keyring", "set-state", "ring.txt", "docs:1", "suspended"]).success();
    run(&["open", "--keyring", "ring.txt", "one.cfr"])
        .code(2)
        .stderr(predicate::str::contains("suspended"));
    run(&["keyring", "set-state", "ring.txt", "docs:1", "decrypt-only"]).success();
    run(&["keyring", "min-version", "ring.txt", "docs", "2"]).success();
    run(&["open", "--keyring", "ring.txt", "one.cfr"])
        .code(2)
        .stderr(predicate::str::contains("minimum decryption version"));
    run(&["keyring", "set-state", "ring.txt", "docs:2", "suspended"])
        .code(1)
        .stderr(predicate::str::contains("active key"));
    run(&["keyring", "set-state", "ring.txt", "docs:1", "destroyed"]).success();
    let text = fs::read_to_string(dir.path().join("ring.txt")).unwrap();
    assert!(text.contains("key docs:1 destroyed\n"), "{text}");
    assert!(text.contains("min-version docs 2\n"));

    // A prepared version, then a key file exported and imported elsewhere.
    run(&[
        "keyring",
        "add",
        "ring.txt",
        "--name",
        "docs",
        "--state",
        "suspended",
    ])
    .success();
    run(&["keyring", "list", "ring.txt"])
        .success()
        .stdout(predicate::str::contains("v3     suspended"));
    run(&["keyring", "export", "ring.txt", "docs:2", "-o", "docs-2.key"]).success();
    run(&["open", "-k", "docs-2.key", "two.cfr"])
        .success()
        .stdout("sealed under version 2");
    run(&["keyring", "create", "other.txt", "--name", "backup"]).success();
    run(&["keyring", "add", "other.txt", "--from", "docs-2.key"]).success();
    run(&["open", "--keyring", "other.txt", "two.cfr"])
        .success()
        .stdout("sealed under version 2");
    run(&["seal", "--keyring", "other.txt", "two.txt"])
        .code(1)
        .stderr(predicate::str::contains("--name"));
}

#[test]
fn a_password_round_trips_from_a_file_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pw.txt"), "correct horse battery staple\n").unwrap();
    fs::write(dir.path().join("notes.txt"), b"meet at noon").unwrap();
    coffer(dir.path())
        .args([
            "seal",
            "--password-file",
            "pw.txt",
            "notes.txt",
            "-o",
            "notes.cfr",
        ])
        .assert()
        .success();
    coffer(dir.path())
        .args(["inspect", "--json", "notes.cfr"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"type_name\": \"password\"").and(predicate::str::contains("600000")),
        );
    // No key option: a file with a password recipient asks for the password,
    // which comes from the environment.
    coffer(dir.path())
        .env("COFFER_PASSWORD", "correct horse battery staple")
        .args(["open", "notes.cfr"])
        .assert()
        .success()
        .stdout("meet at noon");
    coffer(dir.path())
        .env("COFFER_PASSWORD", "wrong password")
        .args(["open", "notes.cfr", "-o", "notes.out"])
        .assert()
        .code(2)
        .stderr("coffer: error: cryptographic failure; wrong key or password, or the file was altered\n");
    assert!(!dir.path().join("notes.out").exists());
}

#[test]
fn a_password_is_never_taken_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), b"x").unwrap();
    for command in ["seal", "open", "rewrap"] {
        coffer(dir.path())
            .args([command, "--password", "xyz", "notes.txt"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("unexpected argument '--password'"));
        coffer(dir.path())
            .args([command, "--password=xyz", "notes.txt"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("unexpected argument"));
    }
    assert!(!dir.path().join("notes.txt.cfr").exists());
}

#[test]
fn stdin_to_stdout_round_trips() {
    let dir = dir_with_key("docs");
    let plaintext = sample(300_000);
    let sealed = coffer(dir.path())
        .args(["seal", "-k", "docs.key", "--context", "project=alpha"])
        .write_stdin(plaintext.clone())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(&sealed[..4], b"\x89CFR");
    coffer(dir.path())
        .args(["open", "-k", "docs.key", "--require", "project=alpha", "-"])
        .write_stdin(sealed.clone())
        .assert()
        .success()
        .stdout(plaintext);
    coffer(dir.path())
        .args(["inspect"])
        .write_stdin(sealed.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains("project = \"alpha\""));
    coffer(dir.path())
        .args(["open", "-k", "docs.key", "--require", "project=beta"])
        .write_stdin(sealed)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "`project` does not have the expected value",
        ));
}

#[test]
fn a_tampered_file_is_refused_and_no_output_file_is_left() {
    let dir = dir_with_key("docs");
    fs::write(dir.path().join("plain.bin"), sample(10_000)).unwrap();
    coffer(dir.path())
        .args([
            "seal",
            "-k",
            "docs.key",
            "--chunk-size",
            "1KiB",
            "plain.bin",
            "-o",
            "sealed.cfr",
        ])
        .assert()
        .success();
    let sealed = fs::read(dir.path().join("sealed.cfr")).unwrap();
    // One byte in the last chunk: found only after earlier chunks verified.
    let mut tampered = sealed.clone();
    let at = tampered.len() - 20;
    tampered[at] ^= 1;
    fs::write(dir.path().join("tampered.cfr"), &tampered).unwrap();
    coffer(dir.path())
        .args(["open", "-k", "docs.key", "tampered.cfr", "-o", "out.bin"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("coffer: error: cryptographic failure; wrong key or password, or the file was altered\n");
    assert_eq!(
        leftovers(
            dir.path(),
            &["docs.key", "plain.bin", "sealed.cfr", "tampered.cfr"]
        ),
        Vec::<String>::new(),
        "no plaintext or temporary file left"
    );
    // To standard output the verified chunks stream, and the exit code and
    // message say to discard them.
    let assert = coffer(dir.path())
        .args(["open", "-k", "docs.key", "tampered.cfr"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("discard what was written"));
    let streamed = &assert.get_output().stdout;
    assert!(!streamed.is_empty() && streamed.len() < 10_000);
    assert_eq!(streamed[..], sample(10_000)[..streamed.len()]);
    // A truncated file and a header change are refused as well.
    fs::write(dir.path().join("short.cfr"), &sealed[..sealed.len() - 1]).unwrap();
    coffer(dir.path())
        .args(["open", "-k", "docs.key", "short.cfr", "-o", "out.bin"])
        .assert()
        .code(2);
    let mut header = sealed;
    header[20] ^= 1;
    fs::write(dir.path().join("header.cfr"), &header).unwrap();
    coffer(dir.path())
        .args(["open", "-k", "docs.key", "header.cfr", "-o", "out.bin"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cryptographic failure"));
    assert!(!dir.path().join("out.bin").exists());
}

#[test]
fn an_existing_output_is_kept_unless_forced() {
    let dir = dir_with_key("docs");
    fs::write(dir.path().join("plain.txt"), b"new").unwrap();
    fs::write(dir.path().join("plain.cfr"), b"precious").unwrap();
    coffer(dir.path())
        .args(["seal", "-k", "docs.key", "plain.txt", "-o", "plain.cfr"])
        .assert()
        .code(1);
    assert_eq!(fs::read(dir.path().join("plain.cfr")).unwrap(), b"precious");
    coffer(dir.path())
        .args([
            "seal",
            "-k",
            "docs.key",
            "plain.txt",
            "-o",
            "plain.cfr",
            "--force",
        ])
        .assert()
        .success();
    coffer(dir.path())
        .args(["open", "-k", "docs.key", "plain.cfr", "-o", "plain.txt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`plain.txt` already exists"));
}

#[test]
fn inspect_json_matches_the_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let expected = fs::read_to_string(data("golden.json")).unwrap();
    coffer(dir.path())
        .arg("inspect")
        .arg("--json")
        .arg(data("golden.cfr"))
        .assert()
        .success()
        .stdout(expected);
    // The committed envelope still opens with its committed test key.
    coffer(dir.path())
        .arg("open")
        .arg("-k")
        .arg(data("golden.key"))
        .arg(data("golden.cfr"))
        .assert()
        .success()
        .stdout(fs::read(data("golden.txt")).unwrap());
}

#[test]
fn inspect_shows_the_header_as_a_person_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    coffer(dir.path())
        .arg("inspect")
        .arg(data("golden.cfr"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("CHACHA20-POLY1305/HKDF-SHA256 (0x0002)")
                .and(predicate::str::contains("chunk size   1 KiB (2^10)"))
                .and(predicate::str::contains("document = \"d-17\""))
                .and(predicate::str::contains("local     golden:1"))
                .and(predicate::str::contains(
                    "password  (no kid)  (pbkdf2, 600000 iterations)",
                ))
                .and(predicate::str::contains("header       369 bytes"))
                .and(predicate::str::contains(
                    "2478 bytes in 3 chunks (2430 bytes of plaintext)",
                )),
        );
    fs::write(dir.path().join("not.cfr"), b"plain text, not sealed").unwrap();
    coffer(dir.path())
        .args(["inspect", "not.cfr"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("bad magic"));
}

#[test]
fn rewrap_adds_and_removes_key_recipients_without_touching_the_body() {
    let dir = dir_with_key("alice");
    coffer(dir.path())
        .args(["keygen", "--name", "bob", "-o", "bob.key"])
        .assert()
        .success();
    fs::write(dir.path().join("plain.bin"), sample(50_000)).unwrap();
    coffer(dir.path())
        .args(["seal", "-k", "alice.key", "plain.bin", "-o", "doc.cfr"])
        .assert()
        .success();
    let before = fs::read(dir.path().join("doc.cfr")).unwrap();
    coffer(dir.path())
        .args([
            "rewrap",
            "-k",
            "alice.key",
            "--add-key",
            "bob.key",
            "--in-place",
            "doc.cfr",
        ])
        .assert()
        .success()
        .stdout("");
    let after = fs::read(dir.path().join("doc.cfr")).unwrap();
    let body = before.len() - 50_000 - 16;
    assert_eq!(
        after[after.len() - body..],
        before[before.len() - body..],
        "body unchanged"
    );
    assert!(after.len() > before.len());
    coffer(dir.path())
        .args(["open", "-k", "bob.key", "doc.cfr"])
        .assert()
        .success()
        .stdout(sample(50_000));
    coffer(dir.path())
        .args([
            "rewrap",
            "-k",
            "bob.key",
            "--remove-key",
            "alice:1",
            "doc.cfr",
            "-o",
            "bob-only.cfr",
        ])
        .assert()
        .success();
    coffer(dir.path())
        .args(["open", "-k", "alice.key", "bob-only.cfr"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no wrapped key in the message matches"));
    coffer(dir.path())
        .args(["open", "-k", "bob.key", "bob-only.cfr"])
        .assert()
        .success()
        .stdout(sample(50_000));
}

#[test]
fn rewrap_rotates_in_place_at_the_same_length() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| coffer(dir.path()).args(args).assert();
    run(&["keyring", "create", "ring.txt", "--name", "docs"]).success();
    fs::write(dir.path().join("plain.txt"), b"rotate me").unwrap();
    run(&["seal", "--keyring", "ring.txt", "plain.txt", "-o", "doc.cfr"]).success();
    let before = fs::read(dir.path().join("doc.cfr")).unwrap();
    run(&["keyring", "rotate", "ring.txt", "--name", "docs"]).success();
    run(&[
        "rewrap",
        "--keyring",
        "ring.txt",
        "--rotate",
        "docs",
        "--in-place",
        "doc.cfr",
    ])
    .success();
    let after = fs::read(dir.path().join("doc.cfr")).unwrap();
    assert_eq!(after.len(), before.len());
    run(&["inspect", "doc.cfr"])
        .success()
        .stdout(predicate::str::contains("docs:2"));
    run(&["keyring", "set-state", "ring.txt", "docs:1", "destroyed"]).success();
    run(&["open", "--keyring", "ring.txt", "doc.cfr"])
        .success()
        .stdout("rotate me");
}

#[test]
fn rewrap_changes_a_password() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("old.pw"), "old password\n").unwrap();
    fs::write(dir.path().join("new.pw"), "new password\n").unwrap();
    fs::write(dir.path().join("plain.txt"), b"password protected").unwrap();
    coffer(dir.path())
        .args(["seal", "--password-file", "old.pw", "plain.txt", "-o", "doc.cfr"])
        .assert()
        .success();
    let size = fs::metadata(dir.path().join("doc.cfr")).unwrap().len();
    coffer(dir.path())
        .args(["rewrap", "--password-file", "old.pw", "--change-password"])
        .args(["--new-password-file", "new.pw", "--in-place", "doc.cfr"])
        .assert()
        .success();
    assert_eq!(fs::metadata(dir.path().join("doc.cfr")).unwrap().len(), size);
    coffer(dir.path())
        .env("COFFER_PASSWORD", "new password")
        .args(["open", "doc.cfr"])
        .assert()
        .success()
        .stdout("password protected");
    coffer(dir.path())
        .args(["open", "--password-file", "old.pw", "doc.cfr"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cryptographic failure"));
}

#[test]
fn errors_are_one_line_with_a_hint_and_a_documented_exit_code() {
    let dir = dir_with_key("docs");
    let one_line = || {
        predicate::function(|err: &str| {
            err.starts_with("coffer: error: ") && err.ends_with('\n') && err.matches('\n').count() == 1
        })
    };
    coffer(dir.path())
        .args(["seal", "-k", "docs.key", "missing.txt", "-o", "x.cfr"])
        .assert()
        .code(3)
        .stderr(one_line().and(predicate::str::contains("`missing.txt`: no such file")));
    let key = fs::read_to_string(dir.path().join("docs.key")).unwrap();
    let line = key.lines().find(|l| l.starts_with("COFFER-KEY-1")).unwrap();
    let at = line.len() - 10;
    let typo_char = if &line[at..=at] == "Q" { "P" } else { "Q" };
    let typo = key.replace(line, &format!("{}{typo_char}{}", &line[..at], &line[at + 1..]));
    fs::write(dir.path().join("typo.key"), typo).unwrap();
    fs::write(dir.path().join("plain.txt"), b"x").unwrap();
    coffer(dir.path())
        .args(["seal", "-k", "typo.key", "plain.txt", "-o", "x.cfr"])
        .assert()
        .code(4)
        .stderr(one_line().and(predicate::str::contains("checksum does not match")))
        .stderr(predicate::str::contains(&line[12..30]).not());
    coffer(dir.path())
        .args(["seal", "plain.txt", "-o", "x.cfr"])
        .assert()
        .code(1)
        .stderr(one_line().and(predicate::str::contains("no recipients")));
    fs::write(
        dir.path().join("notes.txt"),
        "a plaintext file, not sealed: ".repeat(4),
    )
    .unwrap();
    coffer(dir.path())
        .args(["open", "-k", "docs.key", "notes.txt"])
        .assert()
        .code(4)
        .stderr(one_line().and(predicate::str::contains("not a coffer envelope: bad magic")));
    coffer(dir.path())
        .args(["seal", "--chunk-size", "3KiB"])
        .assert()
        .code(1);
    coffer(dir.path()).arg("frobnicate").assert().code(1);
    assert!(!dir.path().join("x.cfr").exists());
}

#[test]
fn every_command_has_help_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    let commands: &[&[&str]] = &[
        &[],
        &["keygen"],
        &["keyring"],
        &["keyring", "create"],
        &["keyring", "rotate"],
        &["keyring", "set-state"],
        &["seal"],
        &["open"],
        &["inspect"],
        &["rewrap"],
        &["completions"],
    ];
    for command in commands {
        coffer(dir.path())
            .args(*command)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Example").and(predicate::str::contains("coffer ")));
    }
    coffer(dir.path())
        .arg("--help")
        .assert()
        .stdout(predicate::str::contains("Exit codes:"));
}

#[test]
fn completions_are_generated_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        coffer(dir.path())
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("keygen").and(predicate::str::contains("rewrap")));
    }
}

#[test]
fn a_failed_rewrap_leaves_the_file_untouched() {
    let dir = dir_with_key("alice");
    coffer(dir.path())
        .args(["keygen", "--name", "mallory", "-o", "mallory.key"])
        .assert()
        .success();
    fs::write(dir.path().join("plain.txt"), b"for alice").unwrap();
    coffer(dir.path())
        .args(["seal", "-k", "alice.key", "plain.txt", "-o", "doc.cfr"])
        .assert()
        .success();
    let before = fs::read(dir.path().join("doc.cfr")).unwrap();
    coffer(dir.path())
        .args([
            "rewrap",
            "-k",
            "mallory.key",
            "--add-key",
            "mallory.key",
            "--in-place",
            "doc.cfr",
        ])
        .assert()
        .code(2);
    coffer(dir.path())
        .args([
            "rewrap",
            "-k",
            "alice.key",
            "--remove-key",
            "alice:1",
            "--in-place",
            "doc.cfr",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("recipient count"));
    coffer(dir.path())
        .args(["rewrap", "-k", "alice.key", "--in-place", "doc.cfr"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing to change"));
    assert_eq!(fs::read(dir.path().join("doc.cfr")).unwrap(), before);
    assert_eq!(
        leftovers(dir.path(), &["alice.key", "mallory.key", "plain.txt", "doc.cfr"]),
        Vec::<String>::new()
    );
}
