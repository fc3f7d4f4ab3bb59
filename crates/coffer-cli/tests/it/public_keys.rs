//! End-to-end tests of public-key recipients in the `coffer` binary:
//! `keygen --type x25519|xwing`, `seal --recipient`, `open --identity`.
#![allow(missing_docs, reason = "test items are not an API")]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use predicates::prelude::*;

use crate::bin;
use bin::{coffer, sample};

/// Generates an identity file `file` of `kind`; returns its public key text.
fn keygen(dir: &Path, kind: &str, file: &str) -> String {
    let output = coffer(dir)
        .args(["keygen", "--type", kind, "-o", file])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let public = String::from_utf8(output).unwrap().trim().to_owned();
    assert!(public.starts_with(&format!("coffer-{kind}-1")), "{public:.30}");
    public
}

/// The hex fingerprint (the kid of its records) of a public key text.
fn fingerprint(public: &str) -> String {
    coffer_keys::PublicKey::from_text(public)
        .unwrap()
        .fingerprint_hex()
}

#[test]
fn keygen_writes_a_0600_identity_file_and_prints_its_public_key() {
    let dir = tempfile::tempdir().unwrap();
    for kind in ["x25519", "xwing"] {
        let file = format!("{kind}.identity");
        let public = keygen(dir.path(), kind, &file);
        let path = dir.path().join(&file);
        let text = fs::read_to_string(&path).unwrap();
        let upper = kind.to_uppercase();
        assert!(text.starts_with(&format!("# coffer identity ({kind}): keep this file secret\n")));
        assert!(text.contains(&format!("# public key: {public}\n")));
        assert!(text
            .lines()
            .any(|l| l.starts_with(&format!("COFFER-{upper}-IDENTITY-1"))));
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Printing the identity asks for it explicitly; a name is for local keys.
    coffer(dir.path())
        .args(["keygen", "--type", "xwing", "-o", "-"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\nCOFFER-XWING-IDENTITY-1"));
    coffer(dir.path())
        .args(["keygen", "--type", "x25519", "--name", "me", "-o", "me.id"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--name is for local keys"));
}

#[test]
fn sealing_to_public_keys_opens_with_each_identity() {
    let dir = tempfile::tempdir().unwrap();
    let classical = keygen(dir.path(), "x25519", "alice.id");
    let hybrid = keygen(dir.path(), "xwing", "bob.id");
    let plaintext = sample(200_000);
    fs::write(dir.path().join("plain.bin"), &plaintext).unwrap();
    coffer(dir.path())
        .args([
            "seal",
            "plain.bin",
            "-o",
            "sealed.cfr",
            "--recipient",
            &classical,
            "-R",
            &hybrid,
        ])
        .assert()
        .success();
    for (identity, out) in [("alice.id", "alice.bin"), ("bob.id", "bob.bin")] {
        coffer(dir.path())
            .args(["open", "sealed.cfr", "--identity", identity, "-o", out])
            .assert()
            .success();
        assert_eq!(fs::read(dir.path().join(out)).unwrap(), plaintext);
    }
    coffer(dir.path())
        .args(["inspect", "sealed.cfr"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("x25519")
                .and(predicate::str::contains("xwing"))
                .and(predicate::str::contains(format!("0x{}", fingerprint(&classical))))
                .and(predicate::str::contains(format!("0x{}", fingerprint(&hybrid)))),
        );
    // An identity also seals to its own public key.
    coffer(dir.path())
        .args(["seal", "plain.bin", "-o", "self.cfr", "-i", "bob.id"])
        .assert()
        .success();
    coffer(dir.path())
        .args(["open", "self.cfr", "-i", "bob.id", "-o", "self.bin"])
        .assert()
        .success();
    assert_eq!(fs::read(dir.path().join("self.bin")).unwrap(), plaintext);
}

#[test]
fn a_wrong_identity_or_a_mistyped_public_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let alice = keygen(dir.path(), "x25519", "alice.id");
    keygen(dir.path(), "x25519", "mallory.id");
    fs::write(dir.path().join("plain.txt"), b"for alice").unwrap();
    coffer(dir.path())
        .args(["seal", "plain.txt", "-o", "sealed.cfr", "-R", &alice])
        .assert()
        .success();
    coffer(dir.path())
        .args(["open", "sealed.cfr", "-i", "mallory.id", "-o", "out.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no wrapped key"));
    assert!(!dir.path().join("out.txt").exists());
    // One character changed in the public key.
    let at = alice.len() - 10;
    let swap = if &alice[at..=at] == "q" { "p" } else { "q" };
    let mut typo = alice.clone();
    typo.replace_range(at..=at, swap);
    coffer(dir.path())
        .args(["seal", "plain.txt", "-o", "typo.cfr", "-R", &typo])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("checksum").and(predicate::str::contains("copy it again")));
    assert!(!dir.path().join("typo.cfr").exists());
    // A public key is for sealing; opening takes the identity.
    coffer(dir.path())
        .args(["open", "sealed.cfr", "-R", &alice, "-o", "out.txt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--identity FILE"));
    // An identity file is not a local key file, nor the other way round.
    coffer(dir.path())
        .args(["open", "sealed.cfr", "-k", "alice.id", "-o", "out.txt"])
        .assert()
        .code(4);
}
