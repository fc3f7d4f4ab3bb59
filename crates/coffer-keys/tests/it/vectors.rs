//! Known-answer vectors: fixed DEK, message id, salts and keys give exact
//! envelope bytes.
//!
//! Each vector is rendered from its inputs: the envelope comes from `seal`
//! with scripted randomness, and every intermediate (th, the schedule
//! outputs, wrapped-key bodies, header tag) is recomputed from the design's
//! formulas with `ring` and asserted equal to the bytes in the envelope. The
//! rendering must match `tests/data/<name>.txt` byte for byte and appear in
//! the format specification (`docs/FORMAT.md`, appendix). Run with `COFFER_WRITE_VECTORS=1` to
//! regenerate both after a deliberate format change.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test sizes and byte values are small and fixed"
)]

use crate::design;

use std::fmt::Write as _;
use std::path::PathBuf;

use coffer_keys::envelope::{HeaderView, KeyType, ReaderLimits, Suite};
use coffer_keys::{
    open, seal, Identity, KemAlgorithm, KeyEncryptionKey, KeyId, OpenOptions, Password, Recipient,
    SealOptions,
};

enum Who {
    Local {
        kid: &'static str,
        kek: Vec<u8>,
        wrap_salt: Vec<u8>,
    },
    Password {
        password: &'static str,
        iterations: u32,
        pw_salt: Vec<u8>,
        wrap_salt: Vec<u8>,
    },
    PublicKey {
        algorithm: KemAlgorithm,
        /// The identity's secret (an X25519 private key, clamped, or an
        /// X-Wing seed).
        secret: Vec<u8>,
        /// The encapsulation's randomness: `ikmE` (32) or `eseed` (64).
        ikm: Vec<u8>,
    },
}

/// A recipient's key, held for sealing and opening.
enum Held {
    Kek(KeyId, KeyEncryptionKey),
    Password(Password),
    Identity(Identity),
}

struct Spec {
    name: &'static str,
    title: &'static str,
    suite: Suite,
    chunk_log2: u8,
    context: Vec<(&'static str, &'static [u8])>,
    external_aad: Option<&'static [u8]>,
    dek: Vec<u8>,
    message_id: Vec<u8>,
    recipients: Vec<Who>,
    plaintext: Vec<u8>,
}

fn seq(start: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| start.wrapping_add(i as u8)).collect()
}

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            name: "keys-local",
            title: "Local KEK recipient, AES-256-GCM, context",
            suite: Suite::Aes256GcmHkdfSha256,
            chunk_log2: 10,
            context: vec![("coffer.project", b"p-1"), ("doc", b"d-7")],
            external_aad: None,
            dek: seq(0x40, 32),
            message_id: seq(0x60, 32),
            recipients: vec![Who::Local {
                kid: "docs:1",
                kek: seq(0x00, 32),
                wrap_salt: seq(0xA0, 16),
            }],
            plaintext: b"coffer known-answer vector one".to_vec(),
        },
        Spec {
            name: "keys-password",
            title: "Password recipient (600 000 iterations), ChaCha20-Poly1305",
            suite: Suite::ChaCha20Poly1305HkdfSha256,
            chunk_log2: 16,
            context: vec![],
            external_aad: None,
            dek: seq(0x20, 32),
            message_id: seq(0x90, 32),
            recipients: vec![Who::Password {
                password: "correct horse battery staple",
                iterations: 600_000,
                pw_salt: seq(0xB0, 16),
                wrap_salt: seq(0xC0, 16),
            }],
            plaintext: b"password-wrapped".to_vec(),
        },
        Spec {
            name: "keys-external-aad",
            title: "External AAD, recovery KEK and password recipients, empty plaintext",
            suite: Suite::Aes256GcmHkdfSha256,
            chunk_log2: 12,
            context: vec![("coffer.document", b"doc-9")],
            external_aad: Some(b"invoice 2026-0042"),
            dek: seq(0xD0, 32),
            message_id: seq(0x10, 32),
            recipients: vec![
                Who::Local {
                    kid: "recovery:3",
                    kek: seq(0xE0, 32),
                    wrap_salt: seq(0x70, 16),
                },
                Who::Password {
                    password: "hunter2 hunter2",
                    iterations: 600_000,
                    pw_salt: seq(0x80, 16),
                    wrap_salt: seq(0x88, 16),
                },
            ],
            plaintext: Vec::new(),
        },
        Spec {
            name: "keys-public-key",
            title: "X25519 and X-Wing public-key recipients, ChaCha20-Poly1305",
            suite: Suite::ChaCha20Poly1305HkdfSha256,
            chunk_log2: 10,
            context: vec![("coffer.project", b"p-2")],
            external_aad: None,
            dek: seq(0x30, 32),
            message_id: seq(0x50, 32),
            recipients: vec![
                Who::PublicKey {
                    algorithm: KemAlgorithm::X25519,
                    // Clamped already, so it is the identity's own secret.
                    secret: [seq(0x10, 31), vec![0x6f]].concat(),
                    ikm: seq(0x80, 32),
                },
                Who::PublicKey {
                    algorithm: KemAlgorithm::XWing,
                    secret: seq(0xA0, 32),
                    ikm: seq(0xC0, 64),
                },
            ],
            plaintext: b"sealed to public keys".to_vec(),
        },
    ]
}

fn line(out: &mut String, key: &str, value: &[u8]) {
    writeln!(out, "{key} = {}", hex::encode(value)).unwrap();
}

/// Seals the vector, checks every field against the design's formulas, and
/// renders inputs, intermediates and the envelope.
fn render(spec: &Spec) -> String {
    let mut random = [spec.dek.clone(), spec.message_id.clone()].concat();
    let mut iterations = None;
    for who in &spec.recipients {
        match who {
            Who::Local { wrap_salt, .. } => random.extend_from_slice(wrap_salt),
            Who::Password {
                iterations: n,
                pw_salt,
                wrap_salt,
                ..
            } => {
                iterations = Some(*n);
                random.extend_from_slice(pw_salt);
                random.extend_from_slice(wrap_salt);
            }
            Who::PublicKey { ikm, .. } => random.extend_from_slice(ikm),
        }
    }
    let mut options = SealOptions::new()
        .suite(spec.suite)
        .chunk_log2(spec.chunk_log2)
        .scripted_randomness(random);
    if let Some(n) = iterations {
        options = options.password_iterations(n).unwrap();
    }
    for (key, value) in &spec.context {
        options = if key.starts_with("coffer.") {
            options.reserved_context(key, value).unwrap()
        } else {
            options.context(key, value).unwrap()
        };
    }
    if let Some(aad) = spec.external_aad {
        options = options.external_aad(aad);
    }
    let held: Vec<Held> = spec
        .recipients
        .iter()
        .map(|who| match who {
            Who::Local { kid, kek, .. } => Held::Kek(
                KeyId::from_kid(kid.as_bytes()).unwrap(),
                KeyEncryptionKey::from_bytes(kek.as_slice().try_into().unwrap()),
            ),
            Who::Password { password, .. } => Held::Password(Password::new(password)),
            Who::PublicKey {
                algorithm, secret, ..
            } => Held::Identity(
                Identity::from_secret_bytes(*algorithm, &secret.as_slice().try_into().unwrap()).unwrap(),
            ),
        })
        .collect();
    let recipients: Vec<Recipient<'_>> = held
        .iter()
        .map(|key| match key {
            Held::Kek(id, kek) => Recipient::kek(id.clone(), kek),
            Held::Password(password) => Recipient::password(password),
            Held::Identity(identity) => Recipient::public_key(identity.public_key()),
        })
        .collect();
    let envelope = seal(&spec.plaintext, &recipients, &options).unwrap();

    // Every recipient opens it.
    for key in &held {
        let mut open_options = OpenOptions::new();
        if let Some(aad) = spec.external_aad {
            open_options = open_options.external_aad(aad);
        }
        let project;
        open_options = match key {
            Held::Kek(id, kek) => {
                project = coffer_keys::ProjectKey::from_parts(
                    id.clone(),
                    KeyEncryptionKey::from_bytes(*kek.expose_secret()),
                );
                open_options.project_key(&project)
            }
            Held::Password(password) => open_options.password(password),
            Held::Identity(identity) => open_options.identity(identity),
        };
        assert_eq!(
            open(&envelope, &open_options).unwrap().plaintext(),
            &spec.plaintext[..]
        );
    }

    // The design's formulas, recomputed independently.
    let view = HeaderView::parse_prefix(&envelope, &ReaderLimits::default()).unwrap();
    let suite = spec.suite.id();
    let th = design::transcript(view.core_bytes(), spec.external_aad);
    let schedule = design::schedule(&spec.dek, suite, &spec.message_id, &th);
    assert_eq!(view.commitment().as_bytes(), &schedule[44..76], "commitment");
    let tag = design::hmac_sha256(&schedule[76..], view.signed_bytes());
    assert_eq!(view.tag().as_bytes(), &tag, "header tag");
    let mut out = String::new();
    writeln!(out, "# {}", spec.title).unwrap();
    line(&mut out, "suite", &suite.to_be_bytes());
    line(&mut out, "chunk_log2", &[spec.chunk_log2]);
    for (key, value) in &spec.context {
        line(&mut out, &format!("context {key}"), value);
    }
    if let Some(aad) = spec.external_aad {
        line(&mut out, "external_aad", aad);
    }
    line(&mut out, "dek", &spec.dek);
    line(&mut out, "message_id", &spec.message_id);
    for (who, wrapped) in spec.recipients.iter().zip(view.wrapped_keys()) {
        match who {
            Who::Local { kid, kek, wrap_salt } => {
                assert_eq!(wrapped.key_type, KeyType::LOCAL);
                let keys = design::wrap_keys(kek, wrap_salt, 0x01, suite, kid.as_bytes(), &spec.message_id);
                assert_eq!(
                    wrapped.body,
                    design::local_body(&keys, wrap_salt, &th, &spec.dek),
                    "local body"
                );
                writeln!(out, "recipient local kid {kid}").unwrap();
                line(&mut out, "  kek", kek);
                line(&mut out, "  wrap_salt", wrap_salt);
                line(&mut out, "  wk", &keys[..32]);
                line(&mut out, "  wc", &keys[32..]);
            }
            Who::Password {
                password,
                iterations,
                pw_salt,
                wrap_salt,
            } => {
                assert_eq!(wrapped.key_type, KeyType::PASSWORD);
                let kek = design::pbkdf2_sha256(password.as_bytes(), pw_salt, *iterations);
                let keys = design::wrap_keys(&kek, wrap_salt, 0x02, suite, b"", &spec.message_id);
                let body = [
                    &iterations.to_be_bytes()[..],
                    pw_salt,
                    &design::local_body(&keys, wrap_salt, &th, &spec.dek),
                ]
                .concat();
                assert_eq!(wrapped.body, body, "password body");
                writeln!(out, "recipient password iterations {iterations}").unwrap();
                line(&mut out, "  password", password.as_bytes());
                line(&mut out, "  pw_salt", pw_salt);
                line(&mut out, "  wrap_salt", wrap_salt);
                line(&mut out, "  kek", &kek);
                line(&mut out, "  wk", &keys[..32]);
                line(&mut out, "  wc", &keys[32..]);
            }
            Who::PublicKey {
                algorithm,
                secret,
                ikm,
            } => {
                let Some(Held::Identity(identity)) = held
                    .iter()
                    .find(|h| matches!(h, Held::Identity(id) if id.algorithm() == *algorithm))
                else {
                    unreachable!("every public-key recipient has its identity")
                };
                let kid = identity.public_key().fingerprint();
                assert_eq!((wrapped.key_type, wrapped.kid), (algorithm.key_type(), &kid[..]));
                let info = design::wrap_info(algorithm.key_type().0, suite, kid, &spec.message_id);
                let dek = design::hpke_open(*algorithm, secret, wrapped.body, &info, &th);
                assert_eq!(dek, spec.dek, "public-key body");
                let enc_len = wrapped.body.len() - 48;
                writeln!(out, "recipient {algorithm}").unwrap();
                line(&mut out, "  secret", secret);
                if *algorithm == KemAlgorithm::X25519 {
                    line(&mut out, "  public_key", &identity.public_key().to_bytes());
                }
                line(&mut out, "  kid", kid);
                line(
                    &mut out,
                    if *algorithm == KemAlgorithm::X25519 {
                        "  ikm_e"
                    } else {
                        "  eseed"
                    },
                    ikm,
                );
                line(&mut out, "  info", &info);
                line(&mut out, "  enc", &wrapped.body[..enc_len]);
            }
        }
    }
    line(&mut out, "plaintext", &spec.plaintext);
    line(&mut out, "th", &th);
    line(&mut out, "k_enc", &schedule[..32]);
    line(&mut out, "nonce_base", &schedule[32..44]);
    line(&mut out, "commitment", &schedule[44..76]);
    line(&mut out, "k_hdr", &schedule[76..]);
    line(&mut out, "header_tag", &tag);
    line(&mut out, "header", view.as_bytes());
    line(&mut out, "body", &envelope[view.len()..]);
    out
}

fn manifest_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The appendix heading and generator note in FORMAT.md after which the
/// vectors are written.
const APPENDIX: &str = "## Appendix: known-answer vectors\n\n<!-- Generated by `COFFER_WRITE_VECTORS=1 cargo test -p coffer-keys --test vectors`. -->\n\n";

fn document(rendered: &[(String, String)]) -> String {
    let mut doc = String::from(
        "Each vector fixes every input of a seal: the DEK, the message id, the\n\
         salts and the keys. Sealing with them must give exactly the `header` and\n\
         `body` bytes below (hex; the envelope is `header ‖ body`). The\n\
         intermediate values follow the key schedule and wrapping formulas of the\n\
         design: `th` is the transcript hash, `k_enc ‖ nonce_base ‖ commitment ‖\n\
         k_hdr` the 108-byte schedule output, `wk ‖ wc` each recipient's wrap\n\
         derivation (for passwords `kek` is the PBKDF2-HMAC-SHA256 output).\n\
         Random bytes are consumed in the order DEK, message id, then per\n\
         recipient: wrap salt (local), password salt and wrap salt (password),\n\
         `ikm_e` (X25519 public key, HPKE's `DeriveKeyPair` input) or `eseed`\n\
         (X-Wing public key). A public-key recipient's `info` is the HPKE info,\n\
         `enc` the start of its body; an X-Wing public key (1216 bytes) is\n\
         derived from its `secret` (the seed) and not printed.\n\n\
         Notation: every value after `=` is hexadecimal bytes, written without\n\
         `0x` and possibly empty, including the one-byte `chunk_log2` (`0a` is 10,\n\
         `10` is 16) and the two-byte `suite`. The rest is text: the context key\n\
         after `context` (its value, after `=`, is hex), the kid after `kid` (an\n\
         ASCII `name:version`), and the iteration count after `iterations`, which\n\
         is decimal (`600000` is 600 000, written as `00 09 27 c0` in the body).\n\
         Password recipients here have an empty kid.\n\n\
         The same files are checked in under `crates/coffer-keys/tests/data/`.\n",
    );
    for (name, text) in rendered {
        write!(doc, "\n### `{name}`\n\n```text\n{text}```\n").unwrap();
    }
    doc
}

#[test]
fn known_answer_vectors() {
    let write = std::env::var_os("COFFER_WRITE_VECTORS").is_some();
    let rendered: Vec<(String, String)> = specs().iter().map(|s| (s.name.to_owned(), render(s))).collect();
    let doc_path = manifest_path("../../docs/FORMAT.md");
    if write {
        for (name, text) in &rendered {
            std::fs::write(manifest_path(&format!("tests/data/{name}.txt")), text).unwrap();
        }
        let format = std::fs::read_to_string(&doc_path).unwrap();
        let head = format
            .find(APPENDIX)
            .map_or(format.as_str(), |at| &format[..at + APPENDIX.len()]);
        std::fs::write(&doc_path, format!("{head}{}", document(&rendered))).unwrap();
    }
    for (name, text) in &rendered {
        let stored = std::fs::read_to_string(manifest_path(&format!("tests/data/{name}.txt"))).unwrap();
        assert_eq!(&stored, text, "vector {name} changed");
    }
    // The vectors are published in the format specification's appendix:
    // every one must appear there verbatim, with the notes on how to read them.
    let published = std::fs::read_to_string(&doc_path).unwrap();
    assert!(
        published.contains(&format!("{APPENDIX}{}", document(&rendered))),
        "the appendix of FORMAT.md is not what the generator writes"
    );
    for (name, text) in &rendered {
        assert!(
            published.contains(text.as_str()),
            "vector {name} is not in the docs"
        );
    }
}

/// The local kid grammar in FORMAT.md ("Kids") is the one `KeyId` applies:
/// the examples it gives are accepted or refused as it says, and the worked
/// example's local kid is a valid kid.
#[test]
fn format_doc_kid_examples_match_key_id() {
    let doc = std::fs::read_to_string(manifest_path("../../docs/FORMAT.md")).unwrap();
    let kids = doc
        .split("### Kids")
        .nth(1)
        .expect("FORMAT.md has a Kids section");
    let sentence = kids
        .split("Each key version has exactly one kid: ")
        .nth(1)
        .expect("the kid examples")
        .split(" are not kids.")
        .next()
        .unwrap()
        .replace('\n', " ");
    let quoted: Vec<&str> = sentence.split('`').skip(1).step_by(2).collect();
    // "`docs:1` is version 1 of `docs`; `docs:01`, … and `docs` are not kids."
    let (valid, name, invalid) = (quoted[0], quoted[1], &quoted[2..]);
    assert_eq!((valid, name), ("docs:1", "docs"));
    assert_eq!(
        KeyId::from_kid(valid.as_bytes()).unwrap(),
        KeyId::new("docs", 1).unwrap()
    );
    assert_eq!(invalid.len(), 6, "{invalid:?}");
    for kid in invalid {
        assert!(KeyId::from_kid(kid.as_bytes()).is_err(), "{kid}");
    }
    let example = doc
        .lines()
        .find(|line| line.contains("# 0x0077 wrapped key 1: kid"))
        .expect("the worked example's local kid");
    let kid = example.split('"').nth(1).unwrap();
    assert_eq!(KeyId::from_kid(kid.as_bytes()).unwrap().to_string(), "project:1");
    // The longest name and version make a 64-byte kid, the format's maximum.
    let longest = KeyId::new(&"n".repeat(53), u32::MAX).unwrap();
    assert_eq!(longest.kid().len(), 64);
}
