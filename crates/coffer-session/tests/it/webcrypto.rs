//! Interoperability with a real Web Crypto: Node's `crypto.subtle` runs the
//! browser client `js/coffer-session.mjs` (the module coffer-server serves
//! to its page, and the snippet the session guide shows) through the driver
//! `tests/webcrypto/client.mjs`, and the Rust side redeems what it
//! produced.
//!
//! Node.js 18 or later must be on PATH (or named by the `NODE` environment
//! variable); without it these tests fail rather than pass.

use crate::fixtures;

use std::io::Write;
use std::process::{Command, Stdio};

use coffer_session::{ClientMessage, Expected, Offer, RejectReason, SessionConfig, SessionService, Suite};
use fixtures::{expected, manual_clock, request, service_with, BINDING, PURPOSE};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse ✓ battery staple";

struct Case {
    offer: Offer,
    password: String,
    format: &'static str,
}

impl Case {
    fn new(offer: &Offer, format: &'static str) -> Self {
        Self {
            offer: offer.clone(),
            password: PASSWORD.into(),
            format,
        }
    }
}

/// Runs `client.mjs` over JSON `inputs`, returning its JSON results.
fn run_client(inputs: &[Value]) -> Vec<Value> {
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webcrypto/client.mjs");
    let mut child = Command::new(&node)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("the Web Crypto interop tests need Node.js 18+ (`{node}` could not be started: {error}); install it or set NODE")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(inputs).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "client.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), inputs.len());
    results
}

/// Runs the JavaScript client over `cases`: a message, or Web Crypto's error.
fn web_crypto(cases: &[Case]) -> Vec<Result<ClientMessage, String>> {
    let inputs: Vec<Value> = cases
        .iter()
        .map(|case| json!({ "offer": case.offer, "password": case.password, "format": case.format }))
        .collect();
    run_client(&inputs)
        .into_iter()
        .map(|result| match result.get("message") {
            Some(message) => Ok(serde_json::from_value(message.clone()).unwrap()),
            None => Err(result["error"].as_str().unwrap().to_owned()),
        })
        .collect()
}

fn reason(service: &SessionService, message: &ClientMessage, expected: &Expected<'_>) -> RejectReason {
    service
        .redeem(message, expected)
        .expect_err("redeem must fail")
        .reason()
}

#[test]
fn web_crypto_messages_redeem_for_every_suite_and_key_format() {
    let service = service_with(SessionConfig::default(), manual_clock());
    let mut cases = Vec::new();
    for suite in Suite::ALL {
        for format in ["spki", "jwk"] {
            cases.push(Case::new(&service.issue(&request(suite)).unwrap(), format));
        }
    }
    for (case, message) in cases.iter().zip(web_crypto(&cases)) {
        let message = message.unwrap();
        let redeemed = service.redeem(&message, &expected()).unwrap();
        assert_eq!(
            redeemed.secret().as_utf8(),
            Some(PASSWORD),
            "{} via {}",
            case.offer.suite,
            case.format
        );
    }
    assert_eq!(service.stats().live, 0);
}

#[test]
fn web_crypto_without_label_needs_the_compatibility_setting() {
    let config = SessionConfig {
        allow_unlabeled_rsa: true,
        ..SessionConfig::default()
    };
    let service = service_with(config, manual_clock());
    let legacy = [
        Case::new(
            &service.issue(&request(Suite::RsaOaep2048).unlabeled()).unwrap(),
            "spki",
        ),
        Case::new(
            &service.issue(&request(Suite::RsaOaep2048).unlabeled()).unwrap(),
            "jwk",
        ),
    ];
    for message in web_crypto(&legacy) {
        assert_eq!(
            service
                .redeem(&message.unwrap(), &expected())
                .unwrap()
                .secret()
                .as_utf8(),
            Some(PASSWORD)
        );
    }

    // A client that ignores the label of a bound offer is refused.
    let mut ignoring = Case::new(&service.issue(&request(Suite::RsaOaep2048)).unwrap(), "spki");
    ignoring.offer.label = None;
    let message = web_crypto(&[ignoring]).remove(0).unwrap();
    assert_eq!(
        reason(&service, &message, &expected()),
        RejectReason::DecryptFailed
    );
}

#[test]
fn web_crypto_ciphertexts_are_bound_to_key_purpose_and_binding() {
    let service = service_with(SessionConfig::default(), manual_clock());
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        let first = service.issue(&request(suite)).unwrap();
        let second = service.issue(&request(suite)).unwrap();
        let mut other_document = Case::new(&service.issue(&request(suite)).unwrap(), "spki");
        other_document.offer.label = Some(coffer_session::binding_string(
            &other_document.offer.key_id,
            PURPOSE,
            "project-8",
        ));
        let for_purpose = Case::new(&service.issue(&request(suite)).unwrap(), "jwk");
        let for_binding = Case::new(&service.issue(&request(suite)).unwrap(), "spki");
        let cases = [
            Case::new(&first, "spki"),
            other_document,
            for_purpose,
            for_binding,
        ];
        let mut messages = web_crypto(&cases).into_iter().map(Result::unwrap);

        // Made for the first key, posted under the second key id.
        let mut wrong_key = messages.next().unwrap();
        wrong_key.key_id = second.key_id.to_string();
        assert_eq!(
            reason(&service, &wrong_key, &expected()),
            RejectReason::DecryptFailed,
            "{suite}"
        );
        // Encrypted under the binding string of another document.
        let other_document = messages.next().unwrap();
        assert_eq!(
            reason(&service, &other_document, &expected()),
            RejectReason::DecryptFailed,
            "{suite}"
        );
        // Redeemed for another purpose or document.
        let for_purpose = messages.next().unwrap();
        let wrong_purpose = Expected::new("download", BINDING);
        assert_eq!(
            reason(&service, &for_purpose, &wrong_purpose),
            RejectReason::WrongPurpose,
            "{suite}"
        );
        let for_binding = messages.next().unwrap();
        let wrong_binding = Expected::new(PURPOSE, "project-8");
        assert_eq!(
            reason(&service, &for_binding, &wrong_binding),
            RejectReason::WrongBinding,
            "{suite}"
        );
        // The first key is untouched by all of that and still redeems once.
        let mut right = wrong_key.clone();
        right.key_id = first.key_id.to_string();
        assert!(service.redeem(&right, &expected()).is_ok(), "{suite}");
        assert_eq!(
            reason(&service, &right, &expected()),
            RejectReason::AlreadyUsed,
            "{suite}"
        );
    }
}

#[test]
fn web_crypto_secrets_up_to_the_limit() {
    let service = service_with(SessionConfig::default(), manual_clock());
    let longest = |suite, len| Case {
        password: "p".repeat(len),
        ..Case::new(&service.issue(&request(suite)).unwrap(), "spki")
    };
    let cases = [
        longest(Suite::RsaOaep2048, 190),
        longest(Suite::RsaOaep2048, 191),
        longest(Suite::EcdhP256, 190),
        longest(Suite::EcdhP256, 191),
    ];
    let results = web_crypto(&cases);
    let redeemed_len = |result: &Result<ClientMessage, String>| {
        let message = result.as_ref().expect("Web Crypto encrypts");
        service
            .redeem(message, &expected())
            .map(|redeemed| redeemed.secret().len())
    };
    assert_eq!(redeemed_len(&results[0]), Ok(190));
    assert!(
        results[1].is_err(),
        "Web Crypto cannot put 191 bytes in RSA-2048 OAEP-SHA256"
    );
    assert_eq!(redeemed_len(&results[2]), Ok(190));
    let too_long = redeemed_len(&results[3]).unwrap_err();
    assert_eq!(too_long.reason(), RejectReason::TooLong);
}

#[test]
fn the_guide_shows_the_tested_client() {
    let client = include_str!("../../js/coffer-session.mjs");
    let start = client.find("// --- snippet start").unwrap();
    let start = start + client[start..].find('\n').unwrap() + 1;
    let end = client.find("// --- snippet end ---").unwrap();
    let snippet = &client[start..end];
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/SESSIONS.md"))
        .expect("docs/SESSIONS.md");
    assert!(
        guide.contains(snippet),
        "docs/SESSIONS.md must show the client snippet of js/coffer-session.mjs verbatim"
    );
}

#[test]
fn web_crypto_verifies_signed_offers() {
    use base64::Engine;
    use coffer_session::OfferSigner;

    let signer = OfferSigner::from_pkcs8(&OfferSigner::generate_pkcs8().unwrap()).unwrap();
    let pinned = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signer.public_key());
    let other = OfferSigner::from_pkcs8(&OfferSigner::generate_pkcs8().unwrap()).unwrap();
    let other = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(other.public_key());
    let service = fixtures::signing_service(signer);
    let rsa = service.issue(&request(Suite::RsaOaep2048)).unwrap();
    let ecdh = service.issue(&request(Suite::EcdhP256)).unwrap();
    let unlabeled = service.issue(&request(Suite::RsaOaep2048).unlabeled()).unwrap();
    let mut moved = ecdh.clone();
    moved.binding = "project-8".into();
    let mut unsigned = rsa.clone();
    unsigned.signature = None;
    let cases = [
        (&rsa, &pinned, true),
        (&ecdh, &pinned, true),
        (&unlabeled, &pinned, true),
        (&moved, &pinned, false),
        (&unsigned, &pinned, false),
        (&rsa, &other, false),
    ];
    let inputs: Vec<Value> = cases
        .iter()
        .map(|(offer, key, _)| json!({ "offer": offer, "pinned": key }))
        .collect();
    for ((offer, _, valid), result) in cases.iter().zip(run_client(&inputs)) {
        assert_eq!(
            result["verified"],
            json!(valid),
            "{} {:?}: {result}",
            offer.suite,
            offer.label
        );
    }
}
