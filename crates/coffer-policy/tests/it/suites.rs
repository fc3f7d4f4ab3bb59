//! One vocabulary for suites across the layers: the same names in every
//! layer's Display, FromStr and serde, in policy documents, and public
//! conversions both ways where the layers meet.

use coffer_policy::envelope::Suite as EnvSuite;
use coffer_policy::session::Suite as SesSuite;
use coffer_policy::{EnvelopeSuite, Policy, SessionSpec, SessionSuite, UnknownName};
use proptest::prelude::*;

#[test]
fn envelope_suites_convert_both_ways_with_the_same_name() {
    assert_eq!(EnvSuite::ALL.len(), EnvelopeSuite::ALL.len());
    for lower in EnvSuite::ALL {
        let policy = EnvelopeSuite::try_from(lower).unwrap();
        assert_eq!(EnvSuite::from(policy), lower);
        assert_eq!(policy.name(), lower.name());
        assert_eq!(policy.to_string(), lower.to_string());
        assert_eq!(policy.id(), lower.id());
        // Each layer parses the other's text.
        assert_eq!(lower.to_string().parse::<EnvelopeSuite>(), Ok(policy));
        assert_eq!(policy.to_string().parse::<EnvSuite>(), Ok(lower));
        // serde writes the name.
        assert_eq!(serde_json::to_string(&policy).unwrap(), format!("\"{lower}\""));
    }
    for policy in EnvelopeSuite::ALL.iter().copied() {
        assert_eq!(EnvelopeSuite::try_from(EnvSuite::from(policy)), Ok(policy));
    }
}

#[test]
fn session_suites_convert_both_ways_with_the_same_names() {
    for lower in SesSuite::ALL {
        let spec = SessionSpec::from(lower);
        assert_eq!(SesSuite::try_from(spec), Ok(lower));
        assert_eq!(spec.to_string(), lower.to_string());
        assert_eq!(spec.to_string(), lower.id());
        assert_eq!(lower.id().parse::<SessionSpec>(), Ok(spec));
        assert_eq!(spec.to_string().parse::<SesSuite>(), Ok(lower));
        assert_eq!(u64::from(spec.key_bits), lower.key_bits() as u64);
        // serde of the session layer writes the same text.
        assert_eq!(serde_json::to_string(&lower).unwrap(), format!("\"{spec}\""));
        // The algorithm: the session layer's name is the policy name.
        let family = SessionSuite::from(lower);
        assert_eq!(family, spec.suite);
        assert_eq!(family.name(), lower.algorithm());
        assert_eq!(lower.algorithm().parse::<SessionSuite>(), Ok(family));
    }
    // Every policy session suite names at least one suite the session
    // layer issues.
    for family in SessionSuite::ALL {
        assert!(SesSuite::ALL.iter().any(|s| SessionSuite::from(*s) == *family));
    }
}

#[test]
fn specs_the_session_layer_does_not_issue_do_not_convert() {
    for spec in [
        SessionSpec::rsa_oaep_256(1024),
        SessionSpec::rsa_oaep_256(4096),
        SessionSpec {
            suite: SessionSuite::EcdhP256,
            key_bits: 384,
        },
    ] {
        let err = SesSuite::try_from(spec).unwrap_err();
        assert_eq!(
            err,
            UnknownName {
                kind: "session suite",
                name: spec.to_string()
            }
        );
    }
    assert_eq!(
        SesSuite::try_from(SessionSpec::rsa_oaep_256(1024))
            .unwrap_err()
            .to_string(),
        "unknown session suite `RSA-OAEP-256-1024`"
    );
}

#[test]
fn session_spec_text_is_exact() {
    assert_eq!(SessionSpec::rsa_oaep_256(2048).to_string(), "RSA-OAEP-256-2048");
    assert_eq!(SessionSpec::ecdh_p256().to_string(), "ECDH-P256");
    for bad in [
        "",
        "RSA-OAEP-256",
        "RSA-OAEP-256-",
        "RSA-OAEP-256-02048",
        "RSA-OAEP-256-+2048",
        "RSA-OAEP-256-2048 ",
        "rsa-oaep-256-2048",
        "RSA-OAEP-256 (2048 bits)",
        "ECDH-P256-256",
        "ECDH-P384",
        "RSA-OAEP-256-99999999999",
    ] {
        let err = bad.parse::<SessionSpec>().unwrap_err();
        assert_eq!(err.kind, "session suite", "{bad}");
    }
}

proptest! {
    #[test]
    fn session_spec_text_round_trips(family in prop::sample::select(SessionSuite::ALL), key_bits in any::<u32>()) {
        let spec = SessionSpec { suite: family, key_bits };
        prop_assert_eq!(spec.to_string().parse::<SessionSpec>(), Ok(spec));
    }
}

#[test]
fn policy_documents_take_the_lower_layers_names() {
    // A policy document written with the names the lower layers print
    // loads: the names are the policy's own canonical names.
    let env: Vec<String> = EnvSuite::ALL.iter().map(ToString::to_string).collect();
    let ses: Vec<&str> = SesSuite::ALL.iter().map(|s| s.algorithm()).collect();
    let json = serde_json::json!({
        "version": 1,
        "rules": [
            {"id": "env", "condition": {"allow_envelope_suites": env}},
            {"id": "ses", "condition": {"allow_session_suites": ses}},
        ]
    });
    Policy::from_json(&json.to_string()).unwrap();
}
