//! The signed bytes of an offer, rebuilt from the prose of docs/SESSIONS.md
//! ("What an offer signature covers") out of the offer's JSON alone, then
//! checked with ring's Ed25519 verification under the published key: a
//! third party following the guide gets the same bytes as the server.

use crate::fixtures;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use coffer_session::{OfferSigner, Suite};
use fixtures::request;
use ring::signature::{UnparsedPublicKey, ED25519};
use serde_json::Value;

/// A u32 big-endian length, then the bytes.
fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
    out.extend_from_slice(bytes);
}

fn text<'a>(offer: &'a Value, field: &str) -> &'a str {
    offer[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is a string"))
}

/// The signed bytes, step by step as the guide lists them, from JSON only.
fn signed_bytes_from_the_guide(offer: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // 1. The domain string and a zero byte.
    out.extend_from_slice(b"coffer-session/v1 offer");
    out.push(0);
    // 2. version: one byte.
    out.push(u8::try_from(offer["version"].as_u64().unwrap()).unwrap());
    // 3. key_id: its 16 bytes (base64url decoded), length-prefixed.
    put(&mut out, &URL_SAFE_NO_PAD.decode(text(offer, "key_id")).unwrap());
    // 4. suite: the ASCII id, length-prefixed.
    put(&mut out, text(offer, "suite").as_bytes());
    // 5. spki: the DER bytes (standard base64 decoded), length-prefixed.
    put(&mut out, &STANDARD.decode(text(offer, "spki")).unwrap());
    // 6. jwk: a u32 count, then each present member as name and value.
    let jwk = &offer["jwk"];
    let mut members: Vec<(&str, String)> = Vec::new();
    for name in ["kty", "alg", "crv", "n", "e", "x", "y", "use"] {
        if let Some(value) = jwk.get(name) {
            members.push((name, value.as_str().unwrap().to_owned()));
        }
    }
    let ext = jwk["ext"].as_bool().unwrap();
    members.push(("ext", if ext { "true" } else { "false" }.to_owned()));
    out.extend_from_slice(&u32::try_from(members.len()).unwrap().to_be_bytes());
    for (name, value) in &members {
        put(&mut out, name.as_bytes());
        put(&mut out, value.as_bytes());
    }
    // 7. expires_at: u64 big-endian, no prefix.
    out.extend_from_slice(&offer["expires_at"].as_u64().unwrap().to_be_bytes());
    // 8. purpose and binding, length-prefixed.
    put(&mut out, text(offer, "purpose").as_bytes());
    put(&mut out, text(offer, "binding").as_bytes());
    // 9. label: 00 for null, or 01 then the length-prefixed string.
    match offer["label"].as_str() {
        None => {
            assert!(offer["label"].is_null());
            out.push(0);
        }
        Some(label) => {
            out.push(1);
            put(&mut out, label.as_bytes());
        }
    }
    // 10. max_secret_len: u64 big-endian, no prefix.
    out.extend_from_slice(&offer["max_secret_len"].as_u64().unwrap().to_be_bytes());
    out
}

#[test]
fn offer_signatures_verify_over_the_bytes_the_guide_describes() {
    let signer = OfferSigner::from_pkcs8(&OfferSigner::generate_pkcs8().unwrap()).unwrap();
    let service = fixtures::signing_service(signer);
    // Published as the raw 32-byte Ed25519 key, written base64url unpadded.
    let published = URL_SAFE_NO_PAD.encode(service.signer_public_key().unwrap());
    let public = URL_SAFE_NO_PAD.decode(&published).unwrap();
    assert_eq!(public.len(), 32);

    let offers = [
        service.issue(&request(Suite::RsaOaep2048)).unwrap(),
        service.issue(&request(Suite::RsaOaep3072)).unwrap(),
        service.issue(&request(Suite::EcdhP256)).unwrap(),
        service.issue(&request(Suite::RsaOaep2048).unlabeled()).unwrap(),
    ];
    for offer in &offers {
        let json: Value = serde_json::from_str(&serde_json::to_string(offer).unwrap()).unwrap();
        let bytes = signed_bytes_from_the_guide(&json);
        assert_eq!(Some(&bytes), offer.signed_bytes().as_ref(), "{}", offer.suite);
        let signature = URL_SAFE_NO_PAD.decode(text(&json, "signature")).unwrap();
        assert_eq!(signature.len(), 64);
        UnparsedPublicKey::new(&ED25519, &public)
            .verify(&bytes, &signature)
            .unwrap_or_else(|_| panic!("{} offer verifies", offer.suite));

        // Any change to a covered field breaks it.
        let mut changed = json.clone();
        changed["expires_at"] = Value::from(json["expires_at"].as_u64().unwrap() + 1);
        assert!(UnparsedPublicKey::new(&ED25519, &public)
            .verify(&signed_bytes_from_the_guide(&changed), &signature)
            .is_err());
    }
}
