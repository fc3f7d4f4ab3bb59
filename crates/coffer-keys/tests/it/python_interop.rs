//! Interoperability with an HPKE implementation nobody here wrote: Python
//! `cryptography` (48 or later, `hazmat.primitives.hpke`, X25519 and
//! MLKEM768-X25519 KEMs). For both public-key record types:
//!
//! - Python unwraps the data key of a message coffer sealed, from the
//!   documented layout (`support/hpke_interop.py` parses the header,
//!   rebuilds info and th, computes the fingerprint, decrypts, and checks
//!   the data key against the commitment C);
//! - coffer unwraps a record Python wrapped to a coffer public key.
//!
//! That Python's MLKEM768-X25519, built from the two halves that X-Wing's
//! seed expands to, exchanges keys with coffer's X-Wing (the RustCrypto
//! `x-wing` crate) in both directions shows they are the same KEM (KEM id
//! 0x647a). Under `CI=true` a missing python3 or `cryptography` fails the
//! test; elsewhere it is skipped with a message.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use coffer_keys::envelope::WrappedKey;
use coffer_keys::{
    open, seal, Identity, KemAlgorithm, KeyEncryptionKey, KeyId, OpenOptions, Recipient, SealOptions,
};
use serde_json::{json, Value};

use crate::forge;

const SCRIPT: &str = "tests/support/hpke_interop.py";

/// Whether python3 with `cryptography` 48+ and its HPKE module is here.
fn python_ready() -> bool {
    let check = Command::new("python3")
        .args([
            "-c",
            "import cryptography, cryptography.hazmat.primitives.hpke; \
             assert int(cryptography.__version__.split('.')[0]) >= 48",
        ])
        .output();
    let ready = matches!(&check, Ok(output) if output.status.success());
    if !ready {
        let message = "python3 with cryptography 48 (hazmat.primitives.hpke) is missing: \
                       `python3 -m pip install 'cryptography==48.*'`";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{message}");
        }
        eprintln!("SKIPPED python interop: {message}");
    }
    ready
}

fn python(request: &Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCRIPT);
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn field(answer: &Value, name: &str) -> Vec<u8> {
    hex::decode(answer[name].as_str().unwrap()).unwrap()
}

/// Seal randomness with a known data key: DEK, message id, then what each
/// recipient draws (`extra`).
fn script(dek: &[u8; 32], extra: usize) -> Vec<u8> {
    let mut bytes = dek.to_vec();
    bytes.extend_from_slice(&[0x5a; 32]);
    bytes.extend(std::iter::repeat_n(0xc3, extra));
    bytes
}

#[test]
fn python_unwraps_what_coffer_wrapped() {
    if !python_ready() {
        return;
    }
    for algorithm in KemAlgorithm::ALL {
        let identity = Identity::generate(algorithm).unwrap();
        let dek = [0x7e; 32];
        let extra = if algorithm == KemAlgorithm::X25519 { 32 } else { 64 };
        let options = SealOptions::new().scripted_randomness(script(&dek, extra));
        let sealed = seal(
            b"to python",
            &[Recipient::public_key(identity.public_key())],
            &options,
        )
        .unwrap();
        let answer = python(&json!({
            "op": "unwrap",
            "algorithm": algorithm.name(),
            "identity": hex::encode(*identity.expose_secret()),
            "envelope": hex::encode(&sealed),
        }));
        assert_eq!(
            field(&answer, "public_key"),
            identity.public_key().to_bytes(),
            "{algorithm}"
        );
        assert_eq!(
            field(&answer, "kid"),
            identity.public_key().fingerprint(),
            "{algorithm}"
        );
        assert_eq!(field(&answer, "dek"), dek, "{algorithm}");
    }
}

#[test]
fn coffer_unwraps_what_python_wrapped() {
    if !python_ready() {
        return;
    }
    for algorithm in KemAlgorithm::ALL {
        let identity = Identity::generate(algorithm).unwrap();
        // A message whose only recipient is a local key, with a known DEK;
        // Python adds the public-key record and the header is re-tagged.
        let dek = [0x3d; 32];
        let kek = KeyEncryptionKey::from_bytes([1; 32]);
        let options = SealOptions::new().scripted_randomness(script(&dek, 16));
        let local = Recipient::kek(KeyId::new("local", 1).unwrap(), &kek);
        let sealed = seal(b"from python", &[local], &options).unwrap();
        let (mut header, body) = forge::split(&sealed);
        let answer = python(&json!({
            "op": "wrap",
            "algorithm": algorithm.name(),
            "public_key": hex::encode(identity.public_key().to_bytes()),
            "envelope": hex::encode(&sealed),
            "dek": hex::encode(dek),
        }));
        assert_eq!(
            field(&answer, "kid"),
            identity.public_key().fingerprint(),
            "{algorithm}"
        );
        header.keys = vec![WrappedKey::new(
            algorithm.key_type(),
            field(&answer, "kid"),
            field(&answer, "body"),
        )
        .unwrap()];
        forge::retag(&mut header, &dek);
        let envelope = forge::join(&header, &body);
        let opened = open(&envelope, &OpenOptions::new().identity(&identity)).unwrap();
        assert_eq!(opened.plaintext(), b"from python", "{algorithm}");
    }
}
